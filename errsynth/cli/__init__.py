"""The `errsynth` command line (`errsynth.cli:main`).

The root group and its command table are in :mod:`errsynth.cli.group`; commands live
one area per module (`ingest_command`, `augment_command`, `run_command`,
`recipe_commands`, `inspect_commands`, `igsm_commands`, `llm_commands`,
`train_commands`); the terminal UI they share (progress bars, summaries, row and
Mistake Log views) is in :mod:`errsynth.cli.ui`.
"""

from __future__ import annotations

from errsynth.cli.group import COMMANDS, main

__all__ = ["COMMANDS", "main"]
