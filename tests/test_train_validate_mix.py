"""validate-mix end to end at toy scale, and the shipped recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errsynth.train.config import TrainConfig
from errsynth.train.validate_mix import arm_recipe, load_spec

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
    # finished: a second call reuses every run (no job starts) and gives the same report
    logs.clear()
    again = validate_mix(RECIPES / "validate_igsm_cpu.yaml", out, overrides=TINY, log=logs.append)
    assert not any(m.startswith(("start", "run ")) for m in logs)
    assert again["arms"]["clean"]["accuracy"] == rep["arms"]["clean"]["accuracy"]
