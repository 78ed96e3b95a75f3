"""Identical input records share a content id: dedup must still keep exactly one of them.

Regression: the dedup stages decided by `id`, so two byte-identical records (same
content id) were both removed by the local engine, and the Ray engine refused the
input ("dedup needs unique row ids").
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errsynth.engine import LocalExecutor, RayExecutor
from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe

DATA = Path(__file__).parent / "data" / "gsm8k_mini.jsonl"


def _recipe(tmp_path: Path, op: str) -> Path:
    lines = DATA.read_text().splitlines()
    corpus = tmp_path / "dup.jsonl"
    # 4 distinct records, then a byte-identical copy of the second and of the fourth
    corpus.write_text("\n".join([*lines, lines[1], lines[3], lines[1]]) + "\n")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"""name: identical
seed: 0
sources:
  - {{name: mini, path: {json.dumps(str(corpus))}, format: gsm8k}}
process:
  - {op}: {{fields: question}}
"""
    )
    return recipe


def _check(out: Path, op: str) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    src = manifest["sources"]["mini"]
    assert src["rows_in"] == 7
    assert src["rows_out_clean"] == 4, src
    assert src["rows_rejected"] == 3
    rejects = pq.read_table(out / "rejects" / f"stage-00-{op}.parquet").to_pylist()
    dup = [r for r in rejects if r["reason"].endswith("duplicate")]
    assert len(dup) == 3
    for r in dup:  # each removed copy names the kept record, which has the same content id
        assert r["detail"] == f"duplicate of {r['id']}"
    texts = [
        t
        for p in sorted((out / "shards").glob("*.parquet"))
        for t in pq.read_table(p)["question"].to_pylist()
    ]
    assert len(texts) == len(set(texts)) == 4


@pytest.mark.parametrize("op", ["dedup_exact", "dedup_minhash"])
def test_identical_records_keep_one_local(tmp_path: Path, op: str) -> None:
    out = tmp_path / "run"
    run_recipe(load_recipe(_recipe(tmp_path, op)), out, executor=LocalExecutor())
    _check(out, op)


@pytest.mark.parametrize("op", ["dedup_exact", "dedup_minhash"])
def test_identical_records_keep_one_ray(tmp_path: Path, op: str, ray_local) -> None:
    out = tmp_path / "run"
    run_recipe(load_recipe(_recipe(tmp_path, op)), out, executor=RayExecutor())
    _check(out, op)
    local = tmp_path / "local"
    run_recipe(load_recipe(_recipe(tmp_path, op)), local, executor=LocalExecutor())
    for a, b in zip(
        sorted((out / "shards").glob("*.parquet")),
        sorted((local / "shards").glob("*.parquet")),
        strict=True,
    ):
        assert a.read_bytes() == b.read_bytes()
