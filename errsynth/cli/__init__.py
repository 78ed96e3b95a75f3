"""The `errsynth` command line: the root group and every command, added explicitly.

Commands live one area per module (`ingest_command`, `augment_command`,
`run_command`, `recipe_commands`, `inspect_commands`, `igsm_commands`,
`llm_commands`, `train_commands`); the terminal UI they share is in `cli.ui`.
"""

from __future__ import annotations

from errsynth.cli.augment_command import augment
from errsynth.cli.group import main
from errsynth.cli.igsm_commands import igsm
from errsynth.cli.ingest_command import ingest
from errsynth.cli.inspect_commands import inspect_cmd, schema_cmd
from errsynth.cli.llm_commands import llm
from errsynth.cli.recipe_commands import recipe_group
from errsynth.cli.run_command import run_cmd
from errsynth.cli.train_commands import COMMANDS as TRAIN_COMMANDS

for command in (ingest, augment, run_cmd, recipe_group, inspect_cmd, schema_cmd, igsm, llm):
    main.add_command(command)
for command in TRAIN_COMMANDS:  # torch is imported inside the commands
    main.add_command(command)

__all__ = ["main"]


if __name__ == "__main__":  # pragma: no cover
    main()
