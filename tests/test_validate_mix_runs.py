"""validate-mix in pieces: arm data built in parallel, finished runs kept when resumed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errsynth.train.validate_mix import build_all_data, load_spec, validate_mix

pytest.importorskip("torch")
RECIPES = Path(__file__).resolve().parents[1] / "recipes"
TINY = [
    "train_source.generate.n=80", "test.generate.n=10", "seeds=[0]", "parallel=0",
    "train.tokens=0", "train.max_steps=3", "train.batch_size=2", "train.log_every=1",
    "train.model.n_layer=1", "train.model.n_embd=16", "train.model.n_head=2",
    "train.model.block_size=128", "eval.max_new_tokens=8", "train.ckpt_every=0",
]  # fmt: skip
WEAK = (
    "arms.retry_weak_0_5={transforms: [{igsm_retry: {rate: 0.5, rule: retry_weak, min_errors: 0}}]}"
)


def test_arm_data_built_in_parallel_equals_one_after_another(tmp_path: Path) -> None:
    spec = load_spec(RECIPES / "validate_igsm_cpu.yaml", TINY)
    arms = {k: (v or {}) for k, v in spec["arms"].items()}
    one = build_all_data(spec, arms, tmp_path / "one", 1, lambda m: None)
    logs: list[str] = []
    two = build_all_data(spec, arms, tmp_path / "two", 2, logs.append)
    assert any("2 at a time" in m for m in logs)
    for name in arms:
        assert pq.read_table(one[name]).equals(pq.read_table(two[name])), name


def test_resume_keeps_finished_runs_and_runs_only_what_is_new(tmp_path: Path) -> None:
    """Run the experiment in pieces: a later call with one more arm trains only that arm."""
    out = tmp_path / "vm"
    validate_mix(RECIPES / "validate_igsm_cpu.yaml", out, overrides=TINY, log=lambda m: None)
    done = {p.parent.name: p.read_text() for p in (out / "runs").glob("*/eval.json")}
    assert set(done) == {"clean-s0", "retry_0.5-s0"}
    logs: list[str] = []
    rep = validate_mix(
        RECIPES / "validate_igsm_cpu.yaml", out, overrides=[*TINY, WEAK], log=logs.append
    )
    started = [m for m in logs if m.startswith("run ")]
    assert len(started) == 1 and "retry_weak_0_5" in started[0]
    for name, text in done.items():  # finished runs untouched
        assert (out / "runs" / name / "eval.json").read_text() == text
    assert set(rep["arms"]) == {"clean", "retry_0.5", "retry_weak_0_5"}
    summary = json.loads((out / "runs" / "retry_weak_0_5-s0" / "summary.json").read_text())
    for key in ("tokens_real", "tokens_padded", "epochs", "correct_step_tokens"):
        assert key in summary


@pytest.mark.parametrize("name", ["validate_igsm_experiment.yaml", "validate_igsm_gpu.yaml"])
def test_issue_recipes_have_the_four_arms_and_valid_data_recipes(name: str, tmp_path: Path) -> None:
    import yaml

    from errsynth.recipe import load_recipe
    from errsynth.train.config import TrainConfig
    from errsynth.train.validate_mix import arm_recipe

    spec = load_spec(RECIPES / name)
    assert set(spec["arms"]) == {"clean", "retry_0_2", "retry_0_5", "retry_weak_0_5"}
    rules = {
        a: [t["igsm_retry"]["rule"], t["igsm_retry"]["rate"]]
        for a, v in spec["arms"].items() if v for t in v["transforms"]
    }  # fmt: skip
    assert rules == {"retry_0_2": ["retry", 0.2], "retry_0_5": ["retry", 0.5], "retry_weak_0_5": ["retry_weak", 0.5]}  # fmt: skip
    cfg = TrainConfig.from_dict(spec["train"])
    assert cfg.doc_mask and cfg.token_budget == "real" and cfg.loss_on == "completion"
    assert spec["eval"] and len(spec["seeds"]) >= (3 if "experiment" in name else 2)
    if "experiment" in name:
        assert spec["test"]["limit"] >= 2000 and spec["train_source"]["generate"]["n"] >= 40000
        assert spec["train_source"]["generate"]["max_ops"] == 6
        assert spec["train_source"]["generate"]["distractors"] == 3
    else:
        assert cfg.device == "auto" and cfg.compile == "auto"  # bf16 + compile on CUDA
    for arm_name, arm in spec["arms"].items():
        rec = arm_recipe(spec, arm_name, arm or {})
        path = tmp_path / f"{arm_name}.yaml"
        path.write_text(yaml.safe_dump(rec))
        if "path" in rec["sources"][0] and not Path(rec["sources"][0]["path"]).exists():
            pytest.skip("shared corpus not present")
        load_recipe(path)  # raises on any problem
