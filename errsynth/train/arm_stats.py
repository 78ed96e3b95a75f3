"""The statistics of a validate-mix verdict: CIs, paired comparisons, taxonomy, probe.

Reads what each run left behind (``eval.json`` with its per-row results, ``probe.json``,
``summary.json``) and computes, per arm, the primary metric ``solution_ok`` (every step
right) and final-answer accuracy with 95% bootstrap intervals over problems and seeds,
per-op tables with intervals, the failure taxonomy summed over seeds, the regret probe
averaged over seeds and the training-fidelity figures; and per arm against ``clean`` the
paired difference with its interval (same seeds, same problems in every replicate; see
:mod:`errsynth.train.bootstrap`). No torch here.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from errsynth.train.bootstrap import DEFAULT_REPLICATES, bootstrap_diff, bootstrap_mean
from errsynth.train.taxonomy import FAILURE_KINDS

PROBE_KEYS = ("p_marker_after_wrong", "p_marker_after_right", "auc")
FIDELITY_KEYS = ("tokens_real", "epochs", "correct_step_tokens")


def eval_current(run: Path) -> bool:
    """Whether ``run/eval.json`` exists and holds the per-row results the verdict reads.

    An eval.json from before the failure taxonomy (no ``rows``) is evaluated again when
    validate-mix is repeated, so a resumed experiment gets the verdict for every run.
    """
    path = run / "eval.json"
    if not path.exists():
        return False
    try:
        return "rows" in json.loads(path.read_text())
    except json.JSONDecodeError:
        return False


def load_rows(run: Path) -> list[dict[str, Any]]:
    """A run's per-row eval results (``eval.json`` rows, else ``eval_rows.parquet``)."""
    ev = json.loads((run / "eval.json").read_text())
    rows = ev.get("rows")
    if rows is None and (run / "eval_rows.parquet").exists():  # an eval from before ids
        rows = pq.read_table(run / "eval_rows.parquet").to_pylist()
    rows = rows or []
    seen: Counter[str] = Counter()
    out = []
    for i, r in enumerate(rows):
        base = str(r.get("id") or f"row{i}")
        seen[base] += 1  # the same problem twice in a test file: two keys
        out.append({**r, "key": f"{base}#{seen[base]}"})
    return out


def _matrix(
    runs: dict[str, list[dict[str, Any]]], seeds: list[str], keys: list[str], field: str
) -> np.ndarray | None:
    """seeds × problems of 0/1 outcomes; None when any row lacks the field (not iGSM)."""
    m = np.zeros((len(seeds), len(keys)))
    for a, s in enumerate(seeds):
        by_key = {r["key"]: r for r in runs[s]}
        for b, k in enumerate(keys):
            v = by_key[k].get(field)
            if v is None:
                return None
            m[a, b] = float(bool(v))
    return m


def _mean_of(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return round(statistics.fmean(vals), 4) if vals else None


def verdict_stats(
    arm_runs: dict[str, dict[str, Path]],
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"arms": {arm: {...}}, "comparisons": {...}, "baseline": {...}}`` for the report.

    ``arm_runs``: arm → seed → run directory (finished: ``eval.json`` present).
    """
    rows = {a: {s: load_rows(r) for s, r in runs.items()} for a, runs in arm_runs.items()}
    key_sets = [{r["key"] for r in rs} for by_seed in rows.values() for rs in by_seed.values()]
    first = next((rs for by_seed in rows.values() for rs in by_seed.values()), [])
    common = set.intersection(*key_sets) if key_sets else set()
    keys = [r["key"] for r in first if r["key"] in common]
    op_of = {r["key"]: r.get("op") for r in first}
    ops = sorted({op_of[k] for k in keys if op_of[k] is not None})
    cols = {op: [i for i, k in enumerate(keys) if op_of[k] == op] for op in ops}
    kw = {"replicates": replicates, "seed": seed}
    arms: dict[str, Any] = {}
    mats: dict[str, dict[str, np.ndarray | None]] = {}
    for arm, by_seed in rows.items():
        seeds = sorted(by_seed, key=lambda s: (len(s), s))
        mats[arm] = {f: _matrix(by_seed, seeds, keys, f) if keys else None for f in ("correct", "solution_ok")}  # fmt: skip
        entry: dict[str, Any] = {"n_problems": len(keys), "seeds": seeds}
        for f, m in mats[arm].items():
            entry[f] = bootstrap_mean(m, **kw) if m is not None else {"mean": None, "ci95": None}
        entry["by_op"] = {
            str(op): {
                "n": len(c),
                **{
                    f: bootstrap_mean(m[:, c], **kw) if m is not None else None
                    for f, m in mats[arm].items()
                },
            }
            for op, c in cols.items()
        }
        entry.update(_failures(by_seed, set(keys)))
        entry["probe"] = _probe(arm_runs[arm])
        entry["training"] = _fidelity(arm_runs[arm])
        arms[arm] = entry
    return {
        "arms": arms,
        "comparisons": _comparisons(arms, mats, cols, kw),
        "baseline": _baseline(first, keys, cols, kw),
    }


def _failures(by_seed: dict[str, list[dict[str, Any]]], keys: set[str]) -> dict[str, Any]:
    total: Counter[str] = Counter()
    by_op: dict[str, Counter[str]] = defaultdict(Counter)
    wrong = 0
    for rs in by_seed.values():
        for r in rs:
            kind = r.get("failure_type")
            if r["key"] not in keys or not kind:
                continue
            wrong += 1
            total[kind] += 1
            by_op[str(r.get("op"))][kind] += 1
    return {
        "failures_by_type": {k: total.get(k, 0) for k in FAILURE_KINDS},
        "failures_by_type_by_op": {
            op: {k: c.get(k, 0) for k in FAILURE_KINDS}
            for op, c in sorted(by_op.items(), key=lambda kv: (len(kv[0]), kv[0]))
        },
        "failures_total": wrong,
    }


def _probe(runs: dict[str, Path]) -> dict[str, Any]:
    per_seed = {}
    for s, run in runs.items():
        path = run / "probe.json"
        if path.exists():
            per_seed[s] = json.loads(path.read_text())
    out: dict[str, Any] = {k: _mean_of([p.get(k) for p in per_seed.values()]) for k in PROBE_KEYS}
    out["seeds"] = {s: {k: p.get(k) for k in (*PROBE_KEYS, "wrong_heads", "right_heads")} for s, p in per_seed.items()}  # fmt: skip
    return out


def _fidelity(runs: dict[str, Path]) -> dict[str, Any]:
    """Real tokens, epochs and correct-step tokens seen, per seed and mean (when recorded)."""
    per_seed: dict[str, dict[str, Any]] = {}
    for s, run in runs.items():
        path = run / "summary.json"
        sm = json.loads(path.read_text()) if path.exists() else {}
        per_seed[s] = {k: sm.get(k) for k in ("tokens", *FIDELITY_KEYS)}
    out: dict[str, Any] = {k: _mean_of([p[k] for p in per_seed.values()]) for k in ("tokens", *FIDELITY_KEYS)}  # fmt: skip
    out["seeds"] = per_seed
    return out


def _comparisons(
    arms: dict[str, Any],
    mats: dict[str, dict[str, np.ndarray | None]],
    cols: dict[int, list[int]],
    kw: dict[str, Any],
) -> dict[str, Any]:
    if "clean" not in arms:
        return {}
    out = {}
    for arm in arms:
        if arm == "clean":
            continue
        seeds = [s for s in arms[arm]["seeds"] if s in arms["clean"]["seeds"]]
        if not seeds:
            continue
        ia = [arms[arm]["seeds"].index(s) for s in seeds]
        ic = [arms["clean"]["seeds"].index(s) for s in seeds]
        diffs: dict[str, Any] = {}
        for f in ("solution_ok", "correct"):
            ma, mc = mats[arm][f], mats["clean"][f]
            if ma is None or mc is None or ma.shape[1] == 0:
                diffs[f] = None
                continue
            a, c = ma[ia], mc[ic]
            d = bootstrap_diff(a, c, **kw)
            d["by_op"] = {str(op): bootstrap_diff(a[:, k], c[:, k], **kw) for op, k in cols.items()}
            diffs[f] = d
        primary = "solution_ok" if diffs["solution_ok"] else "correct"
        main = diffs[primary]
        if main is None:
            continue
        out[f"{arm}_vs_clean"] = {
            "metric": "solution_ok" if primary == "solution_ok" else "accuracy",
            "delta": main["delta"],
            "ci95": main["ci95"],
            "delta_points": round(100 * main["delta"], 2),
            "ci95_points": [round(100 * x, 2) for x in main["ci95"]],
            "paired": True,
            "seeds": seeds,
            "by_op": main["by_op"],
            "accuracy": diffs["correct"],
        }
    return out


def _baseline(
    rows: list[dict[str, Any]], keys: list[str], cols: dict[int, list[int]], kw: dict[str, Any]
) -> dict[str, Any]:
    """The best constant answer (overall and per op) on the compared problems, with its CI."""
    by_key = {r["key"]: r for r in rows}
    answers = [str(by_key[k].get("answer")) for k in keys]
    if not answers or all(a == "None" for a in answers):
        return {"answer": None, "accuracy": None, "solution_ok": 0.0, "by_op": {}, "n": 0}
    top = Counter(answers).most_common(1)[0][0]
    hit = np.array([[float(a == top) for a in answers]])
    by_op = {}
    for op, c in cols.items():
        sub = [answers[i] for i in c]
        ans = Counter(sub).most_common(1)[0][0]
        by_op[str(op)] = {"answer": ans, "accuracy": round(sub.count(ans) / len(sub), 4), "n": len(sub)}  # fmt: skip
    return {
        "answer": top,
        "accuracy": bootstrap_mean(hit, **kw),
        "solution_ok": 0.0,  # a constant answer writes no solution
        "by_op": by_op,
        "n": len(answers),
    }


__all__ = ["FIDELITY_KEYS", "PROBE_KEYS", "eval_current", "load_rows", "verdict_stats"]
