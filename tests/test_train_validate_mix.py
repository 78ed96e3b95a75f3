"""validate-mix end to end at toy scale, and the shipped recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errsynth.train.config import TrainConfig
from errsynth.train.taxonomy import FAILURE_KINDS
from errsynth.train.validate_mix import (
    ValidateMixError,
    arm_recipe,
    build_test,
    load_spec,
    stratify_by_op,
)

pytest.importorskip("torch")
RECIPES = Path(__file__).resolve().parents[1] / "recipes"
TINY = [
    "train_source.generate.n=120", "test.generate.n=16", "seeds=[0, 1]", "parallel=0",
    "train.tokens=0", "train.max_steps=4", "train.batch_size=2", "train.log_every=2",
    "train.model.n_layer=1", "train.model.n_embd=16", "train.model.n_head=2",
    "train.model.block_size=128", "eval.max_new_tokens=12", "train.ckpt_every=0",
]  # fmt: skip


@pytest.mark.parametrize("name", ["validate_igsm_cpu.yaml", "validate_igsm_gpu.yaml"])
def test_shipped_recipes_load_and_make_valid_data_recipes(name: str, tmp_path: Path) -> None:
    import yaml

    from errsynth.recipe import load_recipe

    spec = load_spec(RECIPES / name)
    assert len(spec["seeds"]) >= 2 and "clean" in spec["arms"] and len(spec["arms"]) >= 2
    cfg = TrainConfig.from_dict(spec["train"])
    assert cfg.loss_on == "completion"
    for arm_name, arm in spec["arms"].items():
        rec = arm_recipe(spec, arm_name, arm or {})
        path = tmp_path / f"{arm_name}.yaml"
        path.write_text(yaml.safe_dump(rec))
        if "path" in rec["sources"][0] and not Path(rec["sources"][0]["path"]).exists():
            pytest.skip("shared corpus not present")
        load_recipe(path)  # raises on any problem


def test_validate_mix_toy_run(tmp_path: Path) -> None:
    from errsynth.train.validate_mix import validate_mix

    out = tmp_path / "vm"
    logs: list[str] = []
    rep = validate_mix(RECIPES / "validate_igsm_cpu.yaml", out, overrides=TINY, log=logs.append)
    assert set(rep["arms"]) == {"clean", "retry_0.5"}
    for arm in rep["arms"].values():
        assert set(arm["seeds"]) == {"0", "1"}
        assert 0 <= arm["accuracy"]["min"] <= arm["accuracy"]["mean"] <= arm["accuracy"]["max"] <= 1
        assert {s["tokens"] for s in arm["seeds"].values()} == {4 * 2 * 128}  # same budget
    assert "gain_vs_clean_same_seed" in rep["arms"]["retry_0.5"]
    stats = {a: json.loads((out / "data" / a / "stats.json").read_text()) for a in rep["arms"]}
    assert stats["clean"]["errors"] == 0 and stats["retry_0.5"]["errors"] > 0
    assert stats["clean"]["rows"] == stats["retry_0.5"]["rows"] == 120  # fill_clean: same problems
    test = pq.read_table(out / "test.parquet")
    assert 0 < test.num_rows <= 16
    md = (out / "report.md").read_text()
    assert "majority baseline" in md and "retry_0.5" in md
    assert (out / "accuracy_by_op.png").stat().st_size > 1000
    # the verdict keys of report.json (issue 13)
    saved = json.loads((out / "report.json").read_text())
    assert saved == json.loads(json.dumps(rep))
    for name, arm in saved["arms"].items():
        for metric in ("solution_ok", "accuracy"):
            m = arm[metric]
            assert 0 <= m["ci95"][0] <= m["mean"] <= m["ci95"][1] <= 1
        assert set(arm["failures_by_type"]) == set(FAILURE_KINDS)
        n_wrong = sum(1 - s["overall"]["solution_ok"] for s in arm["seeds"].values()) * test.num_rows  # fmt: skip
        assert sum(arm["failures_by_type"].values()) == round(n_wrong)
        probe = arm["probe"]
        assert set(probe) >= {"p_marker_after_wrong", "p_marker_after_right", "auc"}
        assert 0 <= probe["auc"] <= 1 and 0 <= probe["p_marker_after_wrong"] <= 1
        assert set(probe["seeds"]) == {"0", "1"}
        assert arm["training"]["tokens"] == 4 * 2 * 128
        assert set(arm["by_op_ci"]) == set(saved["baseline"]["by_op"])
        for s in ("0", "1"):
            run_dir = out / "runs" / f"{name}-s{s}"
            rows = json.loads((run_dir / "eval.json").read_text())["rows"]
            assert len(rows) == test.num_rows
            assert {"id", "op", "correct", "solution_ok", "failure_type"} <= set(rows[0])
            assert (run_dir / "probe.json").is_file()
    comp = saved["comparisons"]["retry_0.5_vs_clean"]
    assert comp["metric"] == "solution_ok" and comp["paired"] and comp["seeds"] == ["0", "1"]
    assert comp["ci95"][0] <= comp["delta"] <= comp["ci95"][1]
    assert comp["delta"] == pytest.approx(
        saved["arms"]["retry_0.5"]["solution_ok"]["mean"] - saved["arms"]["clean"]["solution_ok"]["mean"], abs=2e-4
    )  # fmt: skip
    base = saved["baseline"]
    assert base["n"] == test.num_rows and base["solution_ok"] == 0.0
    assert base["accuracy"]["mean"] == pytest.approx(
        saved["majority_baseline"]["overall"], abs=1e-4
    )
    assert saved["config"]["seeds"] == [0, 1] and "_dir" not in saved["config"]
    for heading in ("## Verdict", "## Failure taxonomy", "## Regret probe", "## Training"):
        assert heading in md
    assert (out / "probe_data.parquet").is_file()
    assert (out / "solution_ok_by_op.png").stat().st_size > 1000
    # finished: a second call reuses every run (no job starts) and gives the same report
    logs.clear()
    again = validate_mix(RECIPES / "validate_igsm_cpu.yaml", out, overrides=TINY, log=logs.append)
    assert not any(m.startswith(("start", "run ")) for m in logs)
    assert again["arms"]["clean"]["accuracy"] == rep["arms"]["clean"]["accuracy"]
    assert saved["command"].startswith("errsynth validate-mix ") and "--set parallel=0" in saved["command"]  # fmt: skip
    assert f"Reproduce: `{saved['command']}`" in md
    # a run evaluated before the per-row results, and one never probed: only those redo
    (out / "runs" / "clean-s0" / "probe.json").unlink()
    old_eval = json.loads((out / "runs" / "clean-s1" / "eval.json").read_text())
    del old_eval["rows"]
    (out / "runs" / "clean-s1" / "eval.json").write_text(json.dumps(old_eval))
    logs.clear()
    third = validate_mix(RECIPES / "validate_igsm_cpu.yaml", out, overrides=TINY, log=logs.append)
    assert sorted(m for m in logs if m.startswith("run ")) == [
        f"run clean seed 0 → {out / 'runs' / 'clean-s0'}",
        f"run clean seed 1 → {out / 'runs' / 'clean-s1'}",
    ]
    assert (out / "runs" / "clean-s0" / "probe.json").is_file()
    assert third["arms"]["clean"]["solution_ok"] == rep["arms"]["clean"]["solution_ok"]


def test_test_set_stratified_by_op(tmp_path: Path) -> None:
    spec = load_spec(RECIPES / "validate_igsm_cpu.yaml", ["test.generate.n=200", "test.per_op=7"])
    path = build_test(spec, tmp_path, [])
    ops = pq.read_table(path).column("op").to_pylist()
    assert {o: ops.count(o) for o in set(ops)} == dict.fromkeys(range(1, 5), 7)
    # unset: the old behaviour (the first rows, limit applies)
    spec = load_spec(RECIPES / "validate_igsm_cpu.yaml", ["test.generate.n=200", "test.limit=30"])
    (tmp_path / "old").mkdir()
    old = pq.read_table(build_test(spec, tmp_path / "old", [])).column("op").to_pylist()
    assert len(old) == 30 and old.count(1) > old.count(4)
    # stratify: op with a limit splits it evenly
    spec = load_spec(RECIPES / "validate_igsm_cpu.yaml", ["test.generate.n=200", "test.limit=20", "test.stratify=op"])  # fmt: skip
    (tmp_path / "even").mkdir()
    even = pq.read_table(build_test(spec, tmp_path / "even", [])).column("op").to_pylist()
    assert {o: even.count(o) for o in set(even)} == dict.fromkeys(range(1, 5), 5)


def test_stratify_keeps_file_order_and_short_ops() -> None:
    import pyarrow as pa

    table = pa.table({"op": [1, 2, 1, 1, 3, 2, 1], "i": list(range(7))})
    out = stratify_by_op(table, 2)
    assert out.column("i").to_pylist() == [0, 1, 2, 4, 5]  # op 3 has one row: kept
    with pytest.raises(ValidateMixError, match="'op' column"):
        stratify_by_op(pa.table({"x": [1]}), 2)
    with pytest.raises(ValidateMixError, match="per_op"):
        build_test({"test": {"per_op": 0, "path": "x"}, "_dir": "."}, Path("/nonexistent"), [])
