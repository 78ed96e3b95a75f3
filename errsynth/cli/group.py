"""The root `errsynth` command group and its command table.

`COMMANDS` names, for each command, the module of :mod:`errsynth.cli` and the object
that define it. A module is imported when its command runs (or when the root
`--help` lists it), so `errsynth igsm generate` does not pay for loading the
pipeline, and the train commands load torch only when they run.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

import errsynth
from errsynth.cli.ui.safe_output import SafeGroup

#: command name -> (module under errsynth.cli, attribute, the first paragraph of its help):
#: the whole CLI. The summary lets the root `--help` list every command without loading
#: it; a test checks that it matches the command's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ingest": (
        "ingest_command",
        "ingest",
        "Read solution corpora into steps, equations and number flow.",
    ),
    "augment": (
        "augment_command",
        "augment",
        "Make validated retry samples from clean solutions.",
    ),
    "run": (
        "run_command",
        "run_cmd",
        "Run a YAML recipe: sources → process → mix → Parquet shards + manifest.",
    ),
    "recipe": (
        "recipe_commands",
        "recipe_group",
        "Validate recipes and print their JSON Schema.",
    ),
    "inspect": (
        "inspect_commands",
        "inspect_cmd",
        "Show rows of a solutions table or run directory, equations marked by verdict.",
    ),
    "schema": (
        "inspect_commands",
        "schema_cmd",
        "Print the JSON Schema of a table's rows.",
    ),
    "igsm": (
        "igsm_commands",
        "igsm",
        "iGSM (Physics of Language Models 2.1/2.2) data: generate and check.",
    ),
    "llm": (
        "llm_commands",
        "llm",
        "LLM operators: dry runs, the response cache, checking a server.",
    ),
    "train": (
        "train_commands",
        "train_cmd",
        "Train a small GPT on errsynth shards (DATA: run directories, shard folders or files).",
    ),
    "eval": (
        "train_commands",
        "eval_cmd",
        "Greedy-decode held-out problems, strip retractions, check answers exactly.",
    ),
    "validate-mix": (
        "train_commands",
        "validate_mix_cmd",
        "Train the same model on clean data and on each mixture (same tokens, ≥2 seeds).",
    ),
    "report": (
        "report_command",
        "report_cmd",
        "Write one self-contained HTML report (opens from disk, no network).",
    ),
    "harvest": (
        "harvest_command",
        "harvest_cmd",
        "Sample the model, find its first wrong step, emit retry samples of its own mistakes.",
    ),
    "serve": (
        "serve_command",
        "serve_cmd",
        "Serve a trained run as an OpenAI-compatible chat model (POST /v1/chat/completions).",
    ),
}


class CommandTable(SafeGroup):
    """A group whose commands come from a table and are loaded on first use."""

    def __init__(
        self, *args: Any, table: Mapping[str, tuple[str, str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.table = dict(table)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.table})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.table and cmd_name not in self.commands:
            module, attr, _ = self.table[cmd_name]
            command = getattr(importlib.import_module(f"errsynth.cli.{module}"), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the table's summaries for commands not loaded yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                summary = click.Command(name, help=self.table[name][2])
                rows.append((name, summary.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=CommandTable, table=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(errsynth.__version__, prog_name="errsynth")
def main() -> None:
    """errsynth: synthesize fake-error (retry) data for language-model training.

    \b
    Typical flow:
      errsynth igsm generate --n 1000 --max-ops 6 -o data/igsm.parquet
      errsynth ingest data/igsm.parquet -o out/ingest
      errsynth inspect out/ingest -n 3
    """
