"""One self-contained HTML report per run: funnel, mistakes, lengths, mixture, shards,
a sample browser, and the validate-mix and harvest outputs when they exist.

Reads only files (a run directory's manifest and accounting, its shards and rejects),
so it works on any finished run whatever made it. ``errsynth report RUN_DIR``.
"""

from __future__ import annotations

from errsynth.report.build import DEFAULT_SAMPLE_ROWS, ReportError, ReportResult, write_report

__all__ = ["DEFAULT_SAMPLE_ROWS", "ReportError", "ReportResult", "write_report"]
