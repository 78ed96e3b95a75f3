"""End-of-run summary tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from errsynth.cli.ui.safe_output import plain
from errsynth.ingest.run import IngestStats


def ingest_summary(stats: IngestStats, out_dir: str | Path) -> Table:
    """Rows in/out/rejected per file and by reason, equation verdicts, speed."""
    rate = stats.rows_in / stats.elapsed_s if stats.elapsed_s else 0.0
    table = Table(title=plain(f"ingest → {out_dir}  ({stats.elapsed_s:.1f} s, {rate:,.0f} rows/s)"))
    table.add_column("file")
    table.add_column("format")
    for name in ("in", "out", "rejected"):
        table.add_column(name, justify="right")
    for f in stats.files:
        table.add_row(
            plain(Path(f["path"]).name),
            plain(f["format"]),
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
        table.add_row(plain(f"  rejected: {reason}"), "", "", "", f"{count:,}", style="red")
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


def augment_summary(manifest: dict[str, Any], out_dir: str | Path) -> Table:
    """Per transform: tried, emitted, rejected by reason, errors and the realized rate."""
    rate = manifest["rows_in"] / manifest["elapsed_s"] if manifest["elapsed_s"] else 0.0
    table = Table(
        title=plain(f"augment → {out_dir}  ({manifest['elapsed_s']:.1f} s, {rate:,.0f} rows/s)")
    )
    for name, justify in (
        ("transform", "left"),
        ("tried", "right"),
        ("emitted", "right"),
        ("rejected", "right"),
        ("errors", "right"),
        ("premature", "right"),
        ("realized rate", "right"),
    ):
        table.add_column(name, justify=justify, min_width=26 if name == "transform" else None)  # type: ignore[arg-type]
    for name, st in manifest["per_transform"].items():
        realized = st["realized_rate"]
        table.add_row(
            plain(name),
            f"{st['tried']:,}",
            f"{st['emitted']:,}",
            f"{st['rejected']:,}",
            f"{st['errors']:,}",
            f"{st['premature']:,}",
            "-" if realized is None else f"{realized:.3f}",
        )
        for reason, count in sorted(st["rejected_by_reason"].items(), key=lambda kv: -kv[1]):
            table.add_row(
                plain(f"  rejected: {reason}"), "", "", f"{count:,}", "", "", "", style="red"
            )
    if manifest["per_kind"].get("clean"):
        table.add_row(
            "clean", "", f"{manifest['per_kind']['clean']:,}", "", "", "", "", style="dim"
        )
    return table


def run_summary(manifest: dict[str, Any], out_dir: str | Path) -> Table:
    """Per source: in / clean out / rejected; per stage: rejections; per stream: rows and tokens."""
    table = Table(
        title=plain(
            f"run → {out_dir}  ({manifest['elapsed_s']:.1f} s, {manifest['engine']} engine)"
        )
    )
    table.add_column("what", min_width=28)
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("rejected", justify="right")
    for name, s in manifest["sources"].items():
        table.add_row(
            plain(f"source {name}"),
            f"{s['rows_in']:,}",
            f"{s['rows_out_clean']:,}",
            f"{s['rows_rejected']:,}",
        )
        for reason, n in s["ingest_rejected_by_reason"].items():
            table.add_row(plain(f"  ingest: {reason}"), "", "", f"{n:,}", style="red")
    table.add_section()
    for st in manifest["stages"]:
        table.add_row(
            plain(f"stage {st['stage']}"),
            f"{st['rows_in']:,}",
            f"{st['rows_out']:,}",
            f"{st['rows_rejected']:,}",
        )
        for reason, n in st["rejected_by_reason"].items():
            table.add_row(plain(f"  {reason}"), "", "", f"{n:,}", style="red")
    table.add_section()
    for name, s in (manifest.get("streams") or {}).items():
        rows = s.get("rows_out", s.get("rows", ""))
        tokens = s.get("tokens_out", s.get("tokens", ""))
        table.add_row(
            plain(f"stream {name}"),
            "",
            f"{rows:,} rows" if isinstance(rows, int) else str(rows),
            f"{tokens:,} tokens" if isinstance(tokens, int) else str(tokens),
            style="cyan",
        )
    shards = manifest.get("shards") or []
    table.add_row(
        "shards", "", f"{len(shards)} files, {manifest['rows_out']:,} rows", "", style="bold"
    )
    return table
