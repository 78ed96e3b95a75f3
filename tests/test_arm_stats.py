"""The verdict's statistics over run directories (errsynth/train/arm_stats.py), no torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from errsynth.train.arm_stats import eval_current, load_rows, verdict_stats
from errsynth.train.taxonomy import FAILURE_KINDS


def _run(root: Path, name: str, ok: np.ndarray, ops: list[int], summary: dict, probe: dict | None) -> Path:  # fmt: skip
    run = root / name
    run.mkdir(parents=True)
    rows = [
        {"id": f"p{i}", "op": ops[i], "answer": "0" if i % 3 else "5", "correct": bool(v),
         "solution_ok": bool(v), "failure_type": None if v else FAILURE_KINDS[i % 3]}
        for i, v in enumerate(ok)
    ]  # fmt: skip
    (run / "eval.json").write_text(json.dumps({"rows": rows}))
    (run / "summary.json").write_text(json.dumps(summary))
    if probe is not None:
        (run / "probe.json").write_text(json.dumps(probe))
    return run


def test_verdict_over_synthetic_runs(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 400
    ops = [1 + i % 4 for i in range(n)]
    easy = rng.random(n)
    runs: dict[str, dict[str, Path]] = {"clean": {}, "retry": {}}
    for s in ("0", "1", "2"):
        clean = easy < 0.5
        better = clean | (rng.random(n) < 0.2)  # retry: right wherever clean is, and more
        full = {"tokens": 1000, "tokens_real": 800, "epochs": 1.5, "correct_step_tokens": 300}
        runs["clean"][s] = _run(tmp_path, f"clean-s{s}", clean, ops, full, {"p_marker_after_wrong": 0.1, "p_marker_after_right": 0.05, "auc": 0.7})  # fmt: skip
        runs["retry"][s] = _run(tmp_path, f"retry-s{s}", better, ops, {"tokens": 1000}, None)
    v = verdict_stats(runs, replicates=500)
    c, r = v["arms"]["clean"], v["arms"]["retry"]
    assert c["solution_ok"]["mean"] == pytest.approx(float(np.mean(easy < 0.5)), abs=1e-4)
    lo, hi = r["solution_ok"]["ci95"]
    assert lo <= r["solution_ok"]["mean"] <= hi
    comp = v["comparisons"]["retry_vs_clean"]
    assert comp["metric"] == "solution_ok" and comp["seeds"] == ["0", "1", "2"]
    assert comp["delta"] == pytest.approx(r["solution_ok"]["mean"] - c["solution_ok"]["mean"], abs=1e-4)  # fmt: skip
    assert comp["ci95"][0] > 0  # never worse on any problem: the paired interval excludes 0
    assert comp["delta_points"] == pytest.approx(100 * comp["delta"], abs=0.01)
    assert set(comp["by_op"]) == {"1", "2", "3", "4"} and comp["accuracy"]["delta"] == comp["delta"]
    assert sum(c["failures_by_type"].values()) == c["failures_total"] == int(3 * n - 3 * c["solution_ok"]["mean"] * n + 0.5)  # fmt: skip
    assert set(c["failures_by_type_by_op"]) == {"1", "2", "3", "4"}
    assert c["probe"]["auc"] == 0.7 and r["probe"]["auc"] is None  # absent: None, no failure
    assert c["training"]["epochs"] == 1.5 and c["training"]["correct_step_tokens"] == 300
    assert r["training"]["tokens_real"] is None and r["training"]["tokens"] == 1000
    base = v["baseline"]
    assert base["answer"] == "0" and base["accuracy"]["mean"] == pytest.approx(2 / 3, abs=0.01)
    assert base["by_op"]["1"]["n"] == n // 4 and base["solution_ok"] == 0.0


def test_old_evals_are_read_from_the_rows_file_and_are_not_current(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = tmp_path / "old"
    run.mkdir()
    (run / "eval.json").write_text(json.dumps({"overall": {}}))
    rows = [{"op": 1, "answer": "3", "correct": True, "solution_ok": True}] * 2
    pq.write_table(pa.Table.from_pylist(rows), run / "eval_rows.parquet")
    assert not eval_current(run)
    got = load_rows(run)
    assert [r["key"] for r in got] == ["row0#1", "row1#1"]
    (run / "eval.json").write_text(json.dumps({"rows": [{"id": "a"}, {"id": "a"}]}))
    assert eval_current(run)
    assert [r["key"] for r in load_rows(run)] == ["a#1", "a#2"]  # the same problem twice
