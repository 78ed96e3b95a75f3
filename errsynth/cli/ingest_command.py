"""`errsynth ingest`: corpora into solution rows (steps, equations, number flow)."""

from __future__ import annotations

from pathlib import Path

import click

from errsynth.cli.ui.progress import counter_progress
from errsynth.cli.ui.safe_output import markup_escape, safe_console
from errsynth.cli.ui.summary import ingest_summary
from errsynth.ingest.readers import CHAT_FORMATS
from errsynth.ingest.readers.fieldmap import check_field_map
from errsynth.ingest.run import FormatError
from errsynth.ingest.run import ingest as run_ingest

FORMATS = ("auto", "gsm8k", "math", "igsm", "metamath", "steps", "jsonl", *CHAT_FORMATS)


def _parse_field_map(pairs: tuple[str, ...]) -> dict[str, str]:
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


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
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
    type=click.IntRange(min=1),
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
    field_map = _parse_field_map(fields)
    if field_map and fmt not in ("jsonl", "auto"):
        raise click.BadParameter("--field is only used with --format jsonl", param_hint="--field")
    if field_map and fmt == "auto":
        fmt = "jsonl"
    console = safe_console(stderr=True, quiet=quiet)
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
                on_format=lambda p, f: console.print(
                    f"[dim]{markup_escape(p)}: format[/dim] [bold]{markup_escape(f)}[/bold]"
                ),
                on_progress=advance,
            )
        except (FormatError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc
    if not quiet:
        console.print(ingest_summary(stats, out_dir))
