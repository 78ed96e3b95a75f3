"""`errsynth inspect` (rows, samples, shards, a Mistake Log) and `errsynth schema`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from errsynth.cli.ui.inspect_chat import parse_filters
from errsynth.cli.ui.inspect_view import inspect_path
from errsynth.schema import dump_json_schema, sample_json_schema, solution_json_schema


@click.command("inspect")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="How many rows to show.",
)
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Skip this many rows first.",
)
@click.option(
    "--kind", default=None, help="Only samples of this kind (clean, reorder, arith, ...)."
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Only rows where COLUMN equals VALUE (repeatable; meta.KEY=VALUE looks inside meta, "
    "e.g. meta.answer_source=conclusion).",
)
def inspect_cmd(path: Path, n: int, offset: int, kind: str | None, where: tuple[str, ...]) -> None:
    """Show rows of a solutions table or run directory, equations marked by verdict."""
    try:
        inspect_path(path, n=n, offset=offset, row_filter=parse_filters(kind, where))
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@click.command("schema")
@click.argument("table", type=click.Choice(["solution", "sample"]), default="solution")
def schema_cmd(table: str) -> None:
    """Print the JSON Schema of a table's rows."""
    make = {"solution": solution_json_schema, "sample": sample_json_schema}[table]
    sys.stdout.write(dump_json_schema(make()))
