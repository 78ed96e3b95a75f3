"""The pipeline end to end on the real GSM8K and MATH files, with planted duplicates and overlaps."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import corpus

from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe, source_solutions

pytestmark = pytest.mark.corpora


def test_gsm8k_and_math_with_planted_duplicates_and_overlaps(tmp_path: Path) -> None:
    gsm = [json.loads(x) for x in corpus("gsm8k/train.jsonl").read_text().splitlines()][:3000]
    rng = random.Random(0)
    planted = rng.sample(range(len(gsm)), 100)
    copies = []
    for i in planted:  # near-duplicates: case, spacing and one word changed
        q = (
            gsm[i]["question"].replace(" the ", " The ", 1).replace(". ", ".  ", 1)
            + " Show your work."
        )
        copies.append({"question": q, "answer": gsm[i]["answer"]})
    held_out = rng.sample([i for i in range(len(gsm)) if i not in planted], 30)
    (tmp_path / "gsm.jsonl").write_text("\n".join(json.dumps(r) for r in gsm + copies) + "\n")
    (tmp_path / "eval.jsonl").write_text(
        "\n".join(json.dumps({"id": f"e{i}", "question": gsm[i]["question"]}) for i in held_out)
        + "\n"
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"""
name: corpora
sources:
  - {{name: gsm8k, path: gsm.jsonl, format: gsm8k}}
  - {{name: math, path: {corpus("math/math_test_4500.jsonl")}, format: math, limit: 1500}}
process:
  - decontaminate: {{eval: [eval.jsonl], ngram: 13}}
  - dedup_exact: {{fields: question}}
  - dedup_minhash: {{fields: question, threshold: 0.5}}
  - augment:
      transforms: [{{reorder: {{rate: 0.2}}}}]
      include_clean: true
output: {{shard_rows: 5000}}
engine: {{chunk_rows: 2000}}
"""
    )
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run")
    for name, s in manifest["sources"].items():
        assert s["rows_in"] == s["rows_out_clean"] + s["rows_rejected"], name
    rejects = {
        p.name: pq.read_table(p).to_pylist()
        for p in (tmp_path / "run" / "rejects").glob("stage-*.parquet")
    }
    contaminated = rejects["stage-00-decontaminate.parquet"]
    assert len(contaminated) >= 30  # the 30 held-out questions (and copies of them, if planted)
    assert all(r["reason"] == "contaminated" for r in contaminated)
    near = [r for k, v in rejects.items() if "dedup" in k for r in v if r["source"] == "gsm8k"]
    ids = {r["id"] for r in source_solutions(tmp_path / "run", "gsm8k", ["id"]).to_pylist()[3000:]}
    found = sum(1 for r in near if r["id"] in ids)
    held_copies = sum(1 for i in planted if i in held_out)
    assert found / (len(planted) - held_copies) >= 0.99
    assert len(near) - found <= 0.01 * len(gsm)  # GSM8K originals removed: at most 1%
    # MATH near-duplicates exist in the data (problems differing in one formula); they are
    # recorded, each naming the row it duplicates
    math = [r for k, v in rejects.items() if "dedup" in k for r in v if r["source"] == "math"]
    assert all(r["detail"].startswith("duplicate of ") for r in math)
    assert manifest["rows_out"] == sum(s["rows"] for s in manifest["shards"]) > 0
