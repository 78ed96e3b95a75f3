"""The run kernel: what every layer above may use and nothing here imports from above.

- `errors`: the one rejection type (`Rejection`: a reason code and a detail).
- `registry`: the one registry type (operators, transforms, readers, styles, validators).
- `params`: the one parameter parser (a mapping into a frozen dataclass, unknown keys named).
- `atomic`: the one atomic writer (temp file beside the target, then rename).
- `chunks`: a chunk of rows on disk, read only when a job needs it.
"""
