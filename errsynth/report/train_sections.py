"""Sections for the trainer's outputs: a validate-mix directory and a harvest profile.

validate-mix writes ``report.json`` (see ``errsynth/train/validate_mix.py: aggregate``)
and per arm ``data/ARM/stats.json``; harvest writes its counts beside its Parquet
output as ``NAME.stats.json``. Only these files are read.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import errsynth.report.charts as charts
from errsynth.report.html import Cell, figure, fmt, section, subsection, table
from errsynth.report.rundir import read_json


def _spread(m: dict[str, Any] | None, scale: float = 100.0) -> str:
    if not m or m.get("mean") is None:
        return "–"
    return (
        f"{scale * m['mean']:.1f} ± {scale * (m.get('std') or 0):.1f} "
        f"[{scale * m['min']:.1f}, {scale * m['max']:.1f}]"
    )


def _ci(m: dict[str, Any] | None) -> str:
    """``mean [lo, hi]`` in % of a {mean, ci95} block (report.json of validate-mix)."""
    if not m or m.get("mean") is None:
        return "–"
    ci = m.get("ci95")
    if not ci:
        return f"{100 * m['mean']:.1f}"
    return f"{100 * m['mean']:.1f} [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _delta(d: dict[str, Any] | None) -> str:
    if not d or d.get("delta") is None:
        return "–"
    lo, hi = d["ci95"]
    verdict = "excludes 0" if lo > 0 or hi < 0 else "includes 0"
    return f"{100 * d['delta']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] ({verdict})"


def _num(x: float | None, digits: int | None = None) -> str:
    if x is None:
        return "–"
    return f"{x:.{digits}f}" if digits is not None else fmt(round(x))


def _verdict_parts(rep: dict[str, Any]) -> list[str]:
    """Tables for the verdict keys: CIs, paired comparisons, taxonomy, probe, training."""
    arms = rep.get("arms") or {}
    comps = rep.get("comparisons") or {}
    if not any("ci95" in (a.get("solution_ok") or {}) for a in arms.values()):
        return []  # a report.json from before the verdict keys
    base = rep.get("baseline") or {}
    rows = []
    for name, a in arms.items():
        c = comps.get(f"{name}_vs_clean") or {}
        rows.append(
            [
                name,
                Cell(_ci(a.get("solution_ok")), f"arms.{name}.solution_ok"),
                Cell(
                    _delta(c if c.get("metric") == "solution_ok" else None),
                    f"comparisons.{name}_vs_clean",
                ),
                _ci(a.get("accuracy")),
                _delta(c.get("accuracy")),
            ]
        )
    verdict = table(
        ["arm", "solution_ok % [95% CI]", "Δ solution_ok vs clean (paired)", "accuracy % [95% CI]",
         "Δ accuracy vs clean (paired)"],
        rows,
        caption="Primary metric solution_ok (every step right); percentile bootstrap over problems "
        f"and seeds; majority baseline {_ci(base.get('accuracy'))} accuracy "
        f"(answer {base.get('answer')!r}), 0 solution_ok",
    )  # fmt: skip
    kinds: list[str] = []
    for a in arms.values():
        for k in a.get("failures_by_type") or {}:
            if k not in kinds:
                kinds.append(k)
    tax_rows = []
    for name, a in arms.items():
        fb = a.get("failures_by_type") or {}
        total = sum(fb.values())
        tax_rows.append(
            [
                name,
                Cell(total),
                *[
                    Cell(
                        f"{fb.get(k, 0):,} ({100 * fb.get(k, 0) / total:.0f}%)" if total else "0",
                        f"arms.{name}.failures_by_type.{k}",
                    )
                    for k in kinds
                ],
            ]
        )
    taxonomy = table(
        ["arm", "wrong solutions", *[k.replace("_", " ") for k in kinds]],
        tax_rows,
        caption="First mistake of each wrong solution, all seeds (premature: a parameter whose "
        "inputs are not defined yet)",
    )
    chart = figure(
        charts.grouped_bars(
            "First mistakes",
            [k.replace("_", " ") for k in kinds],
            {
                name: [(a.get("failures_by_type") or {}).get(k, 0) for k in kinds]
                for name, a in arms.items()
            },
            "wrong solutions",
            horizontal=True,
        )
        if kinds
        else None,
        "Failure taxonomy per arm.",
    )
    probe_rows = []
    for name, a in arms.items():
        p = a.get("probe") or {}
        probe_rows.append(
            [name, Cell(_num(p.get("p_marker_after_wrong"), 4), f"arms.{name}.probe.p_marker_after_wrong"),
             Cell(_num(p.get("p_marker_after_right"), 4), f"arms.{name}.probe.p_marker_after_right"),
             Cell(_num(p.get("auc"), 3), f"arms.{name}.probe.auc")]
        )  # fmt: skip
    probe = table(
        ["arm", "p(marker) after wrong head", "p(marker) after right head", "AUC"],
        probe_rows,
        caption="Regret probe, teacher-forced on held-out retry samples; mean over seeds",
    )
    train_rows = []
    for name, a in arms.items():
        t = a.get("training") or {}
        train_rows.append(
            [name, _num(t.get("tokens")), _num(t.get("tokens_real")), _num(t.get("epochs"), 2),
             _num(t.get("correct_step_tokens"))]
        )  # fmt: skip
    training = table(
        ["arm", "tokens (budget)", "real tokens", "epochs", "correct-step tokens seen"],
        train_rows,
        caption="Training per arm, mean over seeds (summary.json)",
    )
    return [
        subsection("Verdict", verdict),
        subsection("Failure taxonomy", taxonomy, chart),
        subsection("Regret probe", probe),
        subsection("Training", training),
    ]


def is_validate_mix_dir(path: Path) -> bool:
    return path.is_dir() and (path / "report.json").is_file() and (path / "spec.json").is_file()


def validate_mix_section(root: Path, page_dir: Path, arm_reports: dict[str, Path]) -> str:
    rep = read_json(root / "report.json") or {}
    base = rep.get("majority_baseline") or {}
    arms = rep.get("arms") or {}
    rows = []
    for name, a in arms.items():
        rows.append(
            [
                name,
                Cell(_spread(a.get("accuracy")), f"arms.{name}.accuracy"),
                Cell(None if base.get("overall") is None else round(100 * base["overall"], 1)),
                _spread(a.get("gain_vs_clean_same_seed")),
                _spread(a.get("solution_ok")),
                _spread(a.get("retraction_rate")),
                _spread(a.get("correct_after_retraction")),
                _spread(a.get("final_loss"), scale=1.0),
            ]
        )
    overall = table(
        [
            "arm",
            "accuracy %",
            "majority baseline %",
            "gain vs clean (same seed)",
            "solution fully right %",
            "retraction rate %",
            "correct after retraction %",
            "final loss",
        ],
        rows,
        caption=f"{len(rep.get('seeds') or [])} seed(s), {fmt(rep.get('tokens_per_arm'))} training "
        f"tokens per run, {fmt(base.get('n'))} test problems; mean ± std [min, max] over seeds",
    )
    ops = sorted(base.get("by_op") or {}, key=int)
    op_rows = []
    for name, a in arms.items():
        op_rows.append([name, *[_spread((a.get("by_op") or {}).get(k)) for k in ops]])
    op_rows.append(["majority baseline", *[f"{100 * base['by_op'][k]:.1f}" for k in ops]])
    by_op = table(
        ["arm", *[f"op {k} (n={fmt((base.get('n_by_op') or {}).get(k))})" for k in ops]],
        op_rows,
        caption="Accuracy % by number of operations",
    )
    chart = figure(
        charts.lines(
            f"{rep.get('name', 'validate-mix')}: accuracy by operations",
            [int(k) for k in ops],
            {
                name: [((a.get("by_op") or {}).get(k) or {}).get("mean") or 0.0 for k in ops]
                for name, a in arms.items()
            },
            "operations",
            "accuracy (%)",
            percent=True,
            baseline=[base["by_op"][k] for k in ops],
            baseline_label="majority answer",
            ylim=(0, 100),
        )
        if ops
        else None,
        "Mean accuracy over seeds per number of operations; black dash-dot line: the majority answer.",
    )
    data_rows = []
    for arm in sorted(p.name for p in (root / "data").glob("*") if p.is_dir()):
        st = read_json(root / "data" / arm / "stats.json") or {}
        link = arm_reports.get(arm)
        href = (
            f'<a href="{escape(Path(os.path.relpath(link, page_dir)).as_posix())}">run report</a>'
            if link
            else "–"
        )
        data_rows.append(
            [arm, Cell(st.get("rows")), Cell(st.get("errors")),
             ", ".join(f"{k} {v:,}" for k, v in (st.get("kinds") or {}).items()),
             Cell(href, raw_html=True)]
        )  # fmt: skip
    data = table(
        ["arm", "training rows", "wrong attempts", "kinds", "data"],
        data_rows,
        caption="Training data per arm (data/ARM/stats.json)",
    )
    return section(
        "validate-mix",
        "validate-mix",
        *_verdict_parts(rep),
        overall,
        chart,
        subsection("By number of operations", by_op),
        subsection("Training data", data),
        intro="Clean vs mixture arms trained on the same token budget and evaluated on the "
        f"same held-out problems (majority answer {escape(repr(base.get('answer')))}).",
    )


def harvest_stats_path(table_path: Path) -> Path | None:
    """The harvest counts written beside a harvest output file, when there are any."""
    if table_path.is_file():
        candidate = table_path.with_suffix(".stats.json")
        return candidate if candidate.is_file() else None
    return None


def harvest_section(stats_path: Path) -> str:
    stats = read_json(stats_path) or {}
    plain = [(k, v) for k, v in stats.items() if isinstance(v, int) and ":" not in k]
    first = {k.split(":", 1)[1]: v for k, v in stats.items() if k.startswith("first_wrong:")}
    skipped = {k.split(":", 1)[1]: v for k, v in stats.items() if k.startswith("skipped:")}
    emitted = {k.split(":", 1)[1]: v for k, v in stats.items() if k.startswith("emitted:")}
    counts = table(
        ["what", "count"], [[k, Cell(v, f"harvest.{k}")] for k, v in plain], caption="Generations"
    )
    by_count = sorted(first.items(), key=lambda kv: -kv[1])
    kinds = table(
        ["first wrong step", "generations", "emitted as samples"],
        [[k, Cell(v), Cell(emitted.get(k, 0))] for k, v in by_count],
        caption="Kind of the first wrong step",
    )
    skip = table(
        ["not emitted because", "generations"],
        [[k, Cell(v)] for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])],
        caption="Mistakes with no retry form",
    ) if skipped else ""  # fmt: skip
    names = sorted(first, key=lambda k: -first[k])
    chart = figure(
        charts.grouped_bars("First wrong step", names, {"generations": [first[k] for k in names]}, "generations", horizontal=True),
        "How the model's generations first went wrong.",
    )  # fmt: skip
    return section(
        "harvest",
        "Harvest profile",
        counts,
        subsection("First wrong steps", kinds, chart, skip),
        intro="The model's own mistakes, found by the exact checker (errsynth harvest).",
    )
