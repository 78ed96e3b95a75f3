"""The Mistake Log's file format and its readers (pyarrow only, no torch).

The trainer writes ``RUN/mistake_log/part-NNNNN.parquet`` (rows of `LOG_SCHEMA`, see
:mod:`errsynth.train.mistake_log`); :func:`summarize_log` reads it back for
``errsynth inspect``, and :func:`step_weights` turns it into the per-step weights
that the ``igsm_retry`` option ``mistake_log`` places fake errors by.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

LOG_SCHEMA = pa.schema(
    [
        ("train_step", pa.int32()),
        ("sample_id", pa.string()),
        ("sample_kind", pa.string()),
        ("token_index", pa.int32()),
        ("solution_step", pa.int32()),  # clean step the token belongs to (-1: in the prompt)
        ("in_retraction", pa.bool_()),  # inside a retracted attempt (" Define X as BACK.")
        ("token_kind", pa.string()),
        ("gold", pa.string()),
        ("p_gold", pa.float32()),
        ("gap", pa.float32()),  # 1 - p(gold)
        ("top1_ok", pa.bool_()),
        ("top_tokens", pa.list_(pa.string())),
        ("top_probs", pa.list_(pa.float32())),
    ]
)


def log_files(path: str | Path) -> list[Path]:
    p = Path(path)
    if p.is_file():
        return [p]
    if (p / "mistake_log").is_dir():
        p = p / "mistake_log"
    return sorted(p.glob("part-*.parquet"))


def is_mistake_log(path: str | Path) -> bool:
    files = log_files(path)
    return bool(files) and "gap" in pq.read_schema(files[0]).names


def read_log(path: str | Path, last: float = 0.25) -> pa.Table:
    """The logged rows of the last ``last`` fraction of logged training steps."""
    files = log_files(path)
    if not files:
        raise FileNotFoundError(f"{path}: no mistake log (part-*.parquet)")
    table = pa.concat_tables(pq.read_table(f) for f in files)
    steps = sorted(set(table.column("train_step").to_pylist()))
    if last < 1.0 and steps:
        cut = steps[min(len(steps) - 1, int(len(steps) * (1 - last)))]
        table = table.filter(pc.greater_equal(table.column("train_step"), cut))
    return table


def summarize_log(path: str | Path, last: float = 0.25) -> dict[str, Any]:
    """Mean gap and top-1 error by solution step, by token kind, and their cross table."""
    table = read_log(path, last)
    rows = table.select(
        [
            "train_step",
            "solution_step",
            "in_retraction",
            "token_kind",
            "gap",
            "top1_ok",
            "gold",
            "top_tokens",
        ]
    ).to_pylist()

    def agg(key) -> dict[Any, dict[str, float]]:
        acc: dict[Any, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        for r in rows:
            k = key(r)
            if k is None:
                continue
            a = acc[k]
            a[0] += 1
            a[1] += r["gap"]
            a[2] += not r["top1_ok"]
        return {
            k: {"n": a[0], "mean_gap": a[1] / a[0], "top1_error": a[2] / a[0]}
            for k, a in sorted(acc.items(), key=lambda kv: str(kv[0]))
        }

    clean = lambda r: None if r["in_retraction"] or r["solution_step"] < 0 else r  # noqa: E731
    by_step = agg(lambda r: r["solution_step"] if clean(r) else None)
    by_kind = agg(lambda r: r["token_kind"] if clean(r) else None)
    cross = agg(lambda r: (r["solution_step"], r["token_kind"]) if clean(r) else None)
    retraction = agg(lambda r: "in_retraction" if r["in_retraction"] else None)
    confusions: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        if clean(r) and not r["top1_ok"] and r["token_kind"] != "variable":  # letters: random
            confusions[(r["gold"], r["top_tokens"][0])] += 1
    steps = sorted(set(table.column("train_step").to_pylist()))
    return {
        "train_steps": [steps[0], steps[-1]] if steps else [],
        "tokens": len(rows),
        "by_step": {int(k): v for k, v in by_step.items()},
        "by_kind": by_kind,
        "by_step_kind": {f"{k[0]}:{k[1]}": v for k, v in cross.items()},
        "retraction": retraction.get("in_retraction"),
        "confusions": sorted(confusions.items(), key=lambda kv: -kv[1])[:10],
    }


DECISION_KINDS = ("name", "number")


def step_weights(
    path: str | Path,
    last: float = 0.25,
    floor: float = 0.1,
    kinds: tuple[str, ...] = DECISION_KINDS,
) -> list[float]:
    """Per clean solution step, how much the logged model errs there, normalized to mean 1.

    Weight of step i ∝ the mean gap of step i's tokens of the given kinds (by default the
    parameter names and numbers, where a step's decisions are; the fresh variable letters
    are random by design and would only add noise), floored at ``floor`` times the mean
    so no step is never chosen. Steps past the last logged one use the last weight.
    """
    cross = summarize_log(path, last)["by_step_kind"]
    acc: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, v in cross.items():
        step, _, kind = key.partition(":")
        if kind in kinds:
            acc[int(step)][0] += v["mean_gap"] * v["n"]
            acc[int(step)][1] += v["n"]
    if not acc:
        raise ValueError(f"{path}: the mistake log has no {'/'.join(kinds)} tokens in solutions")
    n = max(acc) + 1
    gaps = [acc[i][0] / acc[i][1] if acc.get(i) and acc[i][1] else 0.0 for i in range(n)]
    mean = sum(gaps) / n or 1.0
    w = [max(g / mean, floor) for g in gaps]
    z = sum(w) / n
    return [x / z for x in w]
