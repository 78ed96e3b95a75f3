"""The `errsynth` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import errsynth

FORMATS = ("auto", "gsm8k", "math", "igsm", "metamath", "steps", "jsonl")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(errsynth.__version__, prog_name="errsynth")
def main() -> None:
    """errsynth: synthesize fake-error (retry) data for language-model training.

    \b
    Typical flow:
      errsynth igsm generate --n 1000 --max-ops 6 -o data/igsm.parquet
      errsynth ingest data/igsm.parquet -o out/ingest
      errsynth inspect out/ingest -n 3
    """


def _parse_field_map(pairs: tuple[str, ...]) -> dict[str, str]:
    from errsynth.ingest.readers.fieldmap import check_field_map

    mapping: dict[str, str] = {}
    for pair in pairs:
        role, sep, name = pair.partition("=")
        if not sep or not role or not name:
            raise click.BadParameter(
                f"{pair!r}: expected ROLE=FIELD, e.g. question=prompt", param_hint="--field"
            )
        mapping[role.strip()] = name.strip()
    try:
        check_field_map(mapping)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--field") from exc
    return mapping


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory: solutions.parquet, rejects.parquet, manifest.json.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input format; auto tells it from the fields of each file.",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="ROLE=FIELD",
    help="Field map for --format jsonl: roles question, solution, answer, steps.",
)
@click.option(
    "--source", default=None, help="Source name written to every row (default: the format)."
)
@click.option("--no-eval", is_flag=True, help="Skip judging equations (faster; ok is null).")
@click.option(
    "--max-record-bytes",
    type=int,
    default=4 * 1024 * 1024,
    show_default=True,
    help="Records larger than this are rejected as record_too_large.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def ingest(
    inputs: tuple[Path, ...],
    out_dir: Path,
    fmt: str,
    fields: tuple[str, ...],
    source: str | None,
    no_eval: bool,
    max_record_bytes: int,
    quiet: bool,
) -> None:
    """Read solution corpora into steps, equations and number flow.

    INPUTS are JSONL, JSON or Parquet files (or directories of them). Every record
    becomes a row of solutions.parquet or of rejects.parquet (with a reason).
    """
    from rich.console import Console

    from errsynth.ingest.run import FormatError
    from errsynth.ingest.run import ingest as run_ingest
    from errsynth.progress import counter_progress

    field_map = _parse_field_map(fields)
    if field_map and fmt not in ("jsonl", "auto"):
        raise click.BadParameter("--field is only used with --format jsonl", param_hint="--field")
    if field_map and fmt == "auto":
        fmt = "jsonl"
    console = Console(stderr=True, quiet=quiet)
    with counter_progress("ingest", "rows", disable=quiet) as advance:
        try:
            stats = run_ingest(
                list(inputs),
                out_dir,
                fmt=fmt,
                source=source,
                field_map=field_map,
                evaluate=not no_eval,
                max_record_bytes=max_record_bytes,
                on_format=lambda p, f: console.print(f"[dim]{p}: format[/dim] [bold]{f}[/bold]"),
                on_progress=advance,
            )
        except (FormatError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc
    if not quiet:
        from errsynth.summary import ingest_summary

        console.print(ingest_summary(stats, out_dir))


@main.command("inspect")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-n", "n", type=int, default=3, show_default=True, help="How many rows to show.")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many rows first.")
def inspect_cmd(path: Path, n: int, offset: int) -> None:
    """Show rows of a solutions table or run directory, equations marked by verdict."""
    from errsynth.inspect import inspect_path

    try:
        inspect_path(path, n=n, offset=offset)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("schema")
@click.argument("table", type=click.Choice(["solution", "sample"]), default="solution")
def schema_cmd(table: str) -> None:
    """Print the JSON Schema of a table's rows."""
    from errsynth.schema import dump_json_schema, sample_json_schema, solution_json_schema

    make = {"solution": solution_json_schema, "sample": sample_json_schema}[table]
    sys.stdout.write(dump_json_schema(make()))


def _register_subgroups() -> None:
    from errsynth.igsm.cli import igsm

    main.add_command(igsm)


_register_subgroups()


if __name__ == "__main__":  # pragma: no cover
    main()
