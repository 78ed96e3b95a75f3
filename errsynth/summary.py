"""End-of-run summary tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from errsynth.ingest.run import IngestStats


def ingest_summary(stats: IngestStats, out_dir: str | Path) -> Table:
    """Rows in/out/rejected per file and by reason, equation verdicts, speed."""
    rate = stats.rows_in / stats.elapsed_s if stats.elapsed_s else 0.0
    table = Table(title=f"ingest → {out_dir}  ({stats.elapsed_s:.1f} s, {rate:,.0f} rows/s)")
    table.add_column("file")
    table.add_column("format")
    for name in ("in", "out", "rejected"):
        table.add_column(name, justify="right")
    for f in stats.files:
        table.add_row(
            Path(f["path"]).name,
            f["format"],
            f"{f['rows_in']:,}",
            f"{f['rows_out']:,}",
            f"{f['rows_rejected']:,}",
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        f"{stats.rows_in:,}",
        f"{stats.rows_out:,}",
        f"{stats.rows_rejected:,}",
        style="bold",
    )
    for reason, count in stats.rejected_by_reason.most_common():
        table.add_row(f"  rejected: {reason}", "", "", "", f"{count:,}", style="red")
    eq = stats.equations
    if eq:
        judged = eq["ok"] + eq["wrong"]
        table.add_row(
            "equations",
            "",
            f"{sum(eq.values()):,}",
            f"ok {eq['ok']:,} ({eq['ok'] / max(judged, 1):.2%} of judged)",
            f"wrong {eq['wrong']:,}, unjudged {eq['unjudged']:,}",
            style="dim",
        )
    return table
