"""``errsynth report PATH [-o report.html]``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from errsynth.cli.ui.safe_output import echo, safe_console
from errsynth.report.build import DEFAULT_SAMPLE_ROWS, ReportError, write_report
from errsynth.report.rundir import is_run_dir
from errsynth.report.scan import ScanError, table_rows


@click.command("report")
@click.argument("path", metavar="RUN_DIR", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML file to write (default: RUN_DIR/report.html).",
)
@click.option(
    "--samples",
    "sample_rows",
    type=click.IntRange(1, 5000),
    default=DEFAULT_SAMPLE_ROWS,
    show_default=True,
    help="About how many samples the browser gets (stratified by kind, source, style).",
)
def report_cmd(path: Path, out: Path | None, sample_rows: int) -> None:
    """Write one self-contained HTML report (opens from disk, no network).

    RUN_DIR is a run directory (errsynth run), a validate-mix directory, or a sample
    table (augment output, harvest output, a folder of shards). Statistics come from
    one streaming pass over every row; the sample browser gets a bounded sample.
    """
    try:
        total = table_rows(path / "shards" if is_run_dir(path) else path)
    except (ScanError, OSError):
        total = None  # a validate-mix directory, or an error write_report will explain
    columns = (TextColumn("report"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    console = safe_console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not total) as progress:
        task = progress.add_task("rows", total=total)
        try:
            result = write_report(
                path, out, sample_rows=sample_rows, on_batch=lambda n: progress.advance(task, n)
            )
        except ReportError as exc:
            raise click.ClickException(str(exc)) from exc
    echo(
        f"report → {result.path}  ({result.bytes / 1e6:.2f} MB, {result.rows:,} rows, "
        f"{result.sampled:,} shown, {result.seconds:.1f} s)"
    )
