"""Assemble the report page for a run directory, a validate-mix directory or a sample table.

The page is one HTML file with its CSS, script and SVG charts inline and a Content
Security Policy that forbids every fetch, so it opens from disk with no network. Every
number is in server-rendered tables; the script only filters and pages the samples.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path

import errsynth.report.charts as charts
from errsynth.report.html import section
from errsynth.report.run_sections import (
    funnel_section,
    mixture_section,
    overview,
    rates_table,
    shards_section,
)
from errsynth.report.rundir import RunFiles, is_run_dir, read_json, read_run
from errsynth.report.sample_sections import browser_section, lengths_section, mistakes_section
from errsynth.report.scan import ScanError, scan_table
from errsynth.report.train_sections import (
    harvest_section,
    harvest_stats_path,
    is_validate_mix_dir,
    validate_mix_section,
)

DEFAULT_SAMPLE_ROWS = 400
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


NO_CHARTS = (
    '<p class="intro" role="note">Charts need matplotlib (<code>pip install matplotlib</code>); '
    "every number is in the tables.</p>"
)


class ReportError(ValueError):
    """The path is not something a report can be made of."""


@dataclass
class ReportResult:
    path: Path
    bytes: int
    seconds: float
    rows: int
    sampled: int


def _asset(name: str) -> str:
    return resources.files("errsynth.report").joinpath("assets", name).read_text("utf-8")


def _page(title: str, subtitle: str, facts: list[tuple[str, str]], sections: list[str]) -> str:
    toc = "".join(
        f'<a href="#{anchor}">{escape(label)}</a>'
        for anchor, label in (
            ("funnel", "Funnel"),
            ("mistakes", "Mistakes"),
            ("lengths", "Lengths"),
            ("mixture", "Mixture"),
            ("shards", "Shards"),
            ("samples", "Samples"),
            ("validate-mix", "validate-mix"),
            ("harvest", "Harvest"),
            ("augment", "Augment"),
        )
        if any(f'<section id="{anchor}"' in s for s in sections)
    )
    fact_html = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_asset('report.css')}</style></head><body>"
        '<a class="skip" href="#main">Skip to the report</a>'
        f'<header class="top"><h1>{escape(title)}</h1><div class="path">{escape(subtitle)}</div>'
        f'<dl class="facts">{fact_html}</dl></header>'
        f'<nav class="toc" aria-label="Sections">{toc}</nav>'
        f'<main id="main">{NO_CHARTS if not charts.AVAILABLE else ""}{"".join(sections)}</main>'
        f"<script>{_asset('report.js')}</script></body></html>\n"
    )


def _augment_section(manifest: dict) -> str:
    """An `errsynth augment` output's per-transform counts, shaped like a run's stage."""
    stage = {"stage": "augment", "per_transform": manifest.get("per_transform") or {}}
    fake = RunFiles(Path("."), manifest, {}, [stage], [], [])
    return section("augment", "Augment", rates_table(fake))


def build_page(
    path: Path,
    page_dir: Path,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[str, int, int]:
    """The page's HTML for `path`, and the rows scanned and sampled."""
    if is_validate_mix_dir(path):
        arm_reports = {}
        for run_dir in sorted((path / "data").glob("*/run")):
            if is_run_dir(run_dir):
                out = run_dir / "report.html"
                write_report(run_dir, out, sample_rows=min(sample_rows, 120))
                arm_reports[run_dir.parent.name] = out
        spec = read_json(path / "spec.json") or {}
        body = [validate_mix_section(path, page_dir, arm_reports)]
        facts = [("arms", str(len(spec.get("arms") or {}))), ("seeds", str(spec.get("seeds")))]
        return _page(f"validate-mix: {spec.get('name', path.name)}", str(path), facts, body), 0, 0
    try:
        if is_run_dir(path):
            run = read_run(path)
            stats = scan_table(path / "shards", sample_rows, on_batch=on_batch)
            name = (run.manifest.get("recipe") or {}).get("name", path.name)
            body = [
                funnel_section(run, page_dir),
                mistakes_section(stats, rates_table(run)),
                lengths_section(stats),
                mixture_section(run),
                shards_section(run, page_dir),
                browser_section(stats),
            ]
            page = _page(f"errsynth run report: {name}", str(path), overview(run.manifest), body)
            return page, stats.rows, len(stats.sample)
        stats = scan_table(path, sample_rows, on_batch=on_batch)
    except ScanError as exc:
        raise ReportError(str(exc)) from exc
    body = []
    manifest = read_json(path / "manifest.json") if path.is_dir() else None
    if manifest and manifest.get("per_transform"):
        body.append(_augment_section(manifest))
    harvest = harvest_stats_path(path)
    if harvest is not None:
        body.append(harvest_section(harvest))
    body += [mistakes_section(stats), lengths_section(stats), browser_section(stats)]
    facts = [("rows", f"{stats.rows:,}"), ("files", f"{len(stats.files):,}")]
    return (
        _page(f"errsynth report: {path.name}", str(path), facts, body),
        stats.rows,
        len(stats.sample),
    )


def default_output(path: Path) -> Path:
    return path / "report.html" if path.is_dir() else path.with_suffix(".report.html")


def write_report(
    path: str | Path,
    out: str | Path | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    on_batch: Callable[[int], None] | None = None,
) -> ReportResult:
    """Write the report of `path` (run dir, validate-mix dir, sample table) to `out`."""
    start = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise ReportError(f"{path}: no such file or directory")
    target = Path(out) if out is not None else default_output(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    html, rows, sampled = build_page(path, target.parent.resolve(), sample_rows, on_batch)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return ReportResult(target, len(html.encode()), time.perf_counter() - start, rows, sampled)
