"""The run kernel: what every layer above may use and nothing here imports from above.

- `errors`: the one rejection type (`Rejection`: a reason code and a detail); `RunError`.
- `registry`: the one registry type (steps, transforms, readers, styles, validators).
- `params`: the one parameter parser (a mapping into a frozen dataclass, unknown keys named).
- `jsonschema`: the JSON Schema of a parameter dataclass (recipe schema, editors).
- `atomic`: the one atomic writer (temp file beside the target, then rename);
  `sink.ParquetSink`, its streaming form.
- `chunks`: a chunk of rows on disk, read only when a job needs it; the `_order` column.
- `stage`: a stage's folder (chunk outputs, rejects, stats, done.json), the stage rejects.
- `context`: `RunContext`, what a step sees of the run.
- `executor`: the `Executor` protocol the engines implement.
"""
