"""A Mistake Log in the terminal: where the logged model errs, by step position and token kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table

from errsynth.types.mistake_log import summarize_log


def render_summary(path: str | Path, last: float = 0.25) -> Any:
    """Rich renderables: where the logged model errs, by step position and token kind."""
    s = summarize_log(path, last)
    kinds = list(s["by_kind"])
    t = Table(
        title=f"Mistake Log {path}: train steps {s['train_steps']}, {s['tokens']:,} solution "
        "tokens. all: mean 1-p(gold) / top-1 error; per kind: mean 1-p(gold)"
    )
    t.add_column("step")
    t.add_column("all", justify="right")
    for k in kinds:
        t.add_column(k, justify="right")
    for step, v in s["by_step"].items():
        cells = []
        for k in kinds:
            c = s["by_step_kind"].get(f"{step}:{k}")
            cells.append(f"{c['mean_gap']:.2f}" if c else "")
        t.add_row(str(step), f"{v['mean_gap']:.2f} / {v['top1_error']:.0%} (n={v['n']})", *cells)
    parts: list[Any] = [t]
    if s["retraction"]:
        r = s["retraction"]
        parts.append(f"inside retracted attempts: mean gap {r['mean_gap']:.2f}, top-1 error {r['top1_error']:.0%} (n={r['n']})")  # fmt: skip
    if s["confusions"]:
        c = Table(title="most frequent top-1 confusions, variable letters aside (gold → predicted)")
        c.add_column("gold")
        c.add_column("predicted")
        c.add_column("count", justify="right")
        for (g, p), n in s["confusions"]:
            c.add_row(repr(g), repr(p), str(n))
        parts.append(c)
    return Group(*parts)
