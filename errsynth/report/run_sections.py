"""The sections made from a run's accounting files: funnel, rates, mixture, shards."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import errsynth.report.charts as charts
from errsynth.report.html import Cell, figure, fmt, pair, pct, section, subsection, table
from errsynth.report.rundir import RunFiles, requested_rates


def _link(path: Path, page_dir: Path) -> str:
    href = Path(os.path.relpath(path, page_dir)).as_posix()
    return f'<a href="{escape(href)}">{escape(path.name)}</a>'


def funnel_section(run: RunFiles, page_dir: Path) -> str:
    m = run.manifest
    totals = table(
        ["what", "rows"],
        [
            ["rows in (all sources)", Cell(m.get("rows_in"), "rows_in")],
            ["rows out (shards)", Cell(m.get("rows_out"), "rows_out")],
            [
                "rows rejected (sources, before augment)",
                Cell(m.get("rows_rejected"), "rows_rejected"),
            ],
            ["samples into the mixture", Cell(m.get("mix_rows_in"), "mix_rows_in")],
            [
                "samples not selected by the mixture",
                Cell(m.get("mix_rows_rejected"), "mix_rows_rejected"),
            ],
        ],
        caption="Run totals (manifest.json)",
    )
    source_rows = []
    for name, s in (m.get("sources") or {}).items():
        source_rows.append(
            [
                name,
                Cell(s.get("rows_in"), f"sources.{name}.rows_in"),
                Cell(s.get("ingest_rejected"), f"sources.{name}.ingest_rejected"),
                Cell(s.get("stage_rejected"), f"sources.{name}.stage_rejected"),
                Cell(s.get("rows_rejected"), f"sources.{name}.rows_rejected"),
                Cell(s.get("rows_out_clean"), f"sources.{name}.rows_out_clean"),
            ]
        )
    sources = table(
        ["source", "rows in", "rejected at ingest", "rejected by stages", "rejected", "clean out"],
        source_rows,
        caption="Per source: rows in = clean out + rejected",
    )
    stage_rows = []
    reason_rows = []
    for st in run.stages:
        name = st.get("stage", "?")
        stage_rows.append(
            [
                name,
                Cell(st.get("rows_in"), f"stages.{name}.rows_in"),
                Cell(st.get("rows_out"), f"stages.{name}.rows_out"),
                Cell(st.get("rows_rejected"), f"stages.{name}.rows_rejected"),
                Cell(st.get("elapsed_s")),
            ]
        )
        for reason, n in sorted(
            (st.get("rejected_by_reason") or {}).items(), key=lambda kv: -kv[1]
        ):
            reason_rows.append(
                [name, reason, Cell(n, f"stages.{name}.rejected_by_reason.{reason}")]
            )
    for name, s in (m.get("sources") or {}).items():
        for reason, n in (s.get("ingest_rejected_by_reason") or {}).items():
            reason_rows.append([f"ingest {name}", reason, Cell(n)])
    for reason, n in (m.get("rejected_by_reason") or {}).items():
        reason_rows.append(["mix", reason, Cell(n, f"rejected_by_reason.{reason}")])
    stages = table(
        ["stage", "rows in", "rows out", "rejected", "seconds"],
        stage_rows,
        caption="Per stage (augment emits several samples per input row)",
    )
    reasons = table(["where", "reason", "rows"], reason_rows, caption="Rejections by reason")
    flow_rows = []
    for flow in run.flows:
        for src in sorted(set(flow.rows_in) | set(flow.rows_out) | set(flow.rejected)):
            flow_rows.append(
                [
                    f"{flow.stage} · {src}",
                    Cell(flow.rows_in[src]),
                    Cell(flow.rows_out[src]),
                    Cell(flow.rejected[src]),
                ]
            )
    mix_sources = m.get("per_source") or {}
    for src, s in mix_sources.items():
        flow_rows.append([f"mix · {src}", Cell(s.get("rows_in")), Cell(s.get("rows_out")),
                          Cell((s.get("rows_in") or 0) - (s.get("rows_out") or 0))])  # fmt: skip
    flows = (
        table(
            ["stage · source", "rows in", "rows out", "rejected"],
            flow_rows,
            caption="Per stage and source (counted in the stage chunk files)",
        )
        if flow_rows
        else ""
    )
    rejects = table(
        ["file", "rows", "reasons", "sources"],
        [
            [
                Cell(_link(r.path, page_dir), raw_html=True),
                Cell(r.rows),
                ", ".join(f"{k} {v:,}" for k, v in r.by_reason.most_common(6)),
                ", ".join(f"{k} {v:,}" for k, v in r.by_source.most_common(6)),
            ]
            for r in run.rejects
        ],
        caption="Rejects files (Parquet, one row per rejected row with its reason)",
    )
    names = [st.get("stage", "?") for st in run.stages] + (["mix"] if "mix_rows_in" in m else [])
    series = {
        "in": [st.get("rows_in") or 0 for st in run.stages] + ([m.get("mix_rows_in") or 0] if "mix_rows_in" in m else []),
        "out": [st.get("rows_out") or 0 for st in run.stages] + ([m.get("rows_out") or 0] if "mix_rows_in" in m else []),
        "rejected": [st.get("rows_rejected") or 0 for st in run.stages] + ([m.get("mix_rows_rejected") or 0] if "mix_rows_in" in m else []),
    }  # fmt: skip
    chart = figure(
        charts.grouped_bars(
            "Rows through the stages",
            names,
            series,
            "rows",
            horizontal=True,
            colors=(charts.OKABE_ITO[0], charts.OKABE_ITO[2], charts.OKABE_ITO[3]),
        ),
        "Rows in, out and rejected per stage and in the mixture (numbers in the tables).",
    )
    return section(
        "funnel",
        "Funnel",
        pair(totals + sources, chart),
        subsection("Stages", stages),
        subsection("Rejections by reason", reasons),
        subsection("Stages by source", flows),
        subsection("Rejects files", rejects),
        intro="Where the rows went: every input row is kept or rejected with a reason.",
    )


def rates_table(run: RunFiles) -> str:
    rows = []
    for st in run.stages:
        per = st.get("per_transform") or {}
        if not per:
            continue
        asked = requested_rates(st)
        for name, t in per.items():
            eligible = t.get("eligible_steps") or 0
            realised = (t.get("steps_with_attempt") or 0) / eligible if eligible else None
            errors = t.get("errors") or 0
            rows.append(
                [
                    f"{st.get('stage')} · {name}",
                    Cell(asked.get(name)),
                    Cell(None if realised is None else round(realised, 4)),
                    Cell(None if not eligible else round(errors / eligible, 4)),
                    Cell(t.get("tried")),
                    Cell(
                        t.get("emitted"), f"stages.{st.get('stage')}.per_transform.{name}.emitted"
                    ),
                    Cell(t.get("rejected")),
                    Cell(errors),
                    pct((t.get("premature") or 0) / errors if errors else None),
                ]
            )
    if not rows:
        return ""
    return table(
        [
            "stage · transform",
            "requested rate",
            "realised rate",
            "attempts per eligible step",
            "tried",
            "emitted",
            "rejected",
            "attempts",
            "premature",
        ],
        rows,
        caption="Requested vs realised rates (realised: steps with an attempt / eligible steps)",
    )


def mixture_section(run: RunFiles) -> str:
    mix = run.manifest.get("mix") or {}
    streams = mix.get("streams") or {}
    if not streams:
        return ""
    weight_by = mix.get("weight_by", "tokens")
    rows = []
    for name, s in streams.items():
        rows.append(
            [
                name,
                pct(s.get("requested_share")),
                pct(s.get("row_share"), 2),
                pct(s.get("token_share"), 2),
                Cell(s.get("rows_out"), f"mix.streams.{name}.rows_out"),
                Cell(s.get("tokens_out"), f"mix.streams.{name}.tokens_out"),
                Cell(s.get("available_rows")),
                Cell(s.get("available_tokens")),
                Cell(s.get("full_epochs")),
            ]
        )
    shares = table(
        [
            "stream",
            f"requested ({weight_by})",
            "realised (rows)",
            "realised (tokens)",
            "rows",
            "tokens",
            "rows available",
            "tokens available",
            "full epochs",
        ],
        rows,
        caption=f"Requested vs realised shares; target {fmt(mix.get('target'))}, achieved "
        f"{fmt(mix.get('achieved'))} ({weight_by})",
    )
    names = list(streams)
    chart = figure(
        charts.grouped_bars(
            "Mixture shares",
            names,
            {
                "requested": [streams[n].get("requested_share") or 0 for n in names],
                "realised, rows": [streams[n].get("row_share") or 0 for n in names],
                "realised, tokens": [streams[n].get("token_share") or 0 for n in names],
            },
            "share (%)",
            percent=True,
        ),
        f"Requested share (by {weight_by}) beside the realised share by rows and by tokens.",
    )
    kinds = run.manifest.get("per_kind") or {}
    kind_rows = [
        [k, Cell(v.get("rows_in")), Cell(v.get("rows_out"), f"per_kind.{k}.rows_out"), Cell(v.get("tokens_out"))]
        for k, v in kinds.items()
    ]  # fmt: skip
    per_kind = table(
        ["kind", "candidates", "rows out", "tokens out"], kind_rows, caption="Per kind"
    )
    return section(
        "mixture",
        "Mixture",
        shares,
        pair(per_kind, chart),
        intro=f"Tokenizer: {escape(str(run.manifest.get('tokenizer', '–')))}.",
    )


def shards_section(run: RunFiles, page_dir: Path) -> str:
    shards = run.manifest.get("shards") or []
    if not shards:
        return ""
    rows = []
    for s in shards:
        path = run.root / s.get("path", "")
        rows.append(
            [
                Cell(_link(path, page_dir), raw_html=True),
                Cell(s.get("rows")),
                Cell(s.get("bytes")),
                Cell(s.get("uncompressed_bytes")),
                Cell(f"<code>{escape(str(s.get('sha256', '')))}</code>", raw_html=True),
            ]
        )
    total_rows = sum(s.get("rows") or 0 for s in shards)
    total_bytes = sum(s.get("bytes") or 0 for s in shards)
    rows.append([Cell("<b>total</b>", raw_html=True), Cell(total_rows), Cell(total_bytes), "", ""])
    return section(
        "shards",
        "Shards",
        table(
            ["shard", "rows", "bytes", "uncompressed bytes", "sha256"],
            rows,
            caption="Parquet shards",
        ),
        intro=f"{len(shards):,} shard(s), compression "
        f"{escape(str((run.manifest.get('output') or {}).get('compression', '–')))}.",
    )


def overview(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Key facts of a run for the page's header."""
    recipe = manifest.get("recipe") or {}
    return [
        ("recipe", str(recipe.get("name", "–"))),
        ("seed", fmt(manifest.get("seed"))),
        ("engine", str(manifest.get("engine", "–"))),
        ("rows out", fmt(manifest.get("rows_out"))),
        ("tokens out", fmt(manifest.get("tokens_out"))),
        ("shards", fmt(len(manifest.get("shards") or []))),
        ("run time", f"{fmt(manifest.get('elapsed_s'))} s"),
        ("errsynth", str(manifest.get("errsynth_version", "–"))),
    ]
