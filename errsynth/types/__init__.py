"""Data types that transforms, validators, styles and the trainer share (the bottom layer).

- `candidates`: `Candidate` and `WrongAttempt` (what a transform proposes, what a
  validator checks and what a style renders) and `Skip` (a transform's rejection).
- `mistake_log`: the Mistake Log's file format and its readers (pyarrow only): the
  trainer writes it, `errsynth inspect` shows it, `igsm_retry` places attempts by it.
"""
