"""Sources parsed as parallel jobs: limits across parts, resume, accounting, bad records."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import errsynth.runner.sources as sources
from errsynth.engine import LocalExecutor
from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe, source_solutions

DATA = Path(__file__).parent / "data"


def _recipe(tmp_path: Path, chunk_rows: int, limit: int | None = None) -> Path:
    bad = tmp_path / "bad.jsonl"
    good = (DATA / "gsm8k_mini.jsonl").read_text().splitlines()
    bad.write_text("\n".join([good[0], "{not json", '{"question": "no answer"}', good[2]]) + "\n")
    lim = f", limit: {limit}" if limit else ""
    recipe = tmp_path / f"recipe-{chunk_rows}-{limit}.yaml"
    recipe.write_text(
        f"""name: sources
seed: 3
sources:
  - {{name: mini, path: [{json.dumps(str(DATA / "gsm8k_mini.jsonl"))}, {json.dumps(str(bad))}], format: gsm8k{lim}}}
  - {{name: gen, generate: {{n: 40, max_ops: 4, seed: 1}}}}
process:
  - augment:
      transforms: [{{reorder: {{rate: 0.5}}}}]
      style: {{name: back}}
engine: {{chunk_rows: {chunk_rows}}}
output: {{shard_rows: 50}}
"""
    )
    return recipe


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    }


def test_parts_give_the_same_shards_and_accounting_as_one_part(tmp_path: Path) -> None:
    one = run_recipe(load_recipe(_recipe(tmp_path, 1000)), tmp_path / "one")
    many = run_recipe(load_recipe(_recipe(tmp_path, 3)), tmp_path / "many")
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "many")
    assert one["sources"] == many["sources"]
    mini = many["sources"]["mini"]
    assert mini["rows_in"] == 8 and mini["ingest_rejected"] == 2
    assert (
        mini["ingest_rejected_by_reason"] == {"bad_json": 1, "missing_field": 1}
        or sum(mini["ingest_rejected_by_reason"].values()) == 2
    )
    m = json.loads((tmp_path / "many" / "sources" / "mini" / "manifest.json").read_text())
    assert [f["rows_in"] for f in m["files"]] == [4, 4]
    assert [f["rows_rejected"] for f in m["files"]] == [0, 2]
    assert len(m["chunks"]) == 4  # 4 + 4 records in parts of 3: per file 3 + 1
    rejects = pq.read_table(tmp_path / "many" / "rejects" / "ingest-mini.parquet").to_pylist()
    assert [r["record"] for r in rejects] == [1, 2]
    assert all(r["file"].endswith("bad.jsonl") for r in rejects)
    sol = source_solutions(tmp_path / "many", "mini", ["question"])
    assert sol.num_rows == 6


def test_limit_across_parts(tmp_path: Path) -> None:
    one = run_recipe(load_recipe(_recipe(tmp_path, 1000, limit=5)), tmp_path / "one")
    many = run_recipe(load_recipe(_recipe(tmp_path, 2, limit=5)), tmp_path / "many")
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "many")
    assert one["sources"] == many["sources"]
    mini = many["sources"]["mini"]
    assert mini["rows_out_clean"] == 5
    assert mini["ingest_rejected_by_reason"]["over_limit"] == 1
    assert mini["rows_in"] == mini["rows_out_clean"] + mini["rows_rejected"]
    over = [
        r
        for r in pq.read_table(tmp_path / "many" / "rejects" / "ingest-mini.parquet").to_pylist()
        if r["reason"] == "over_limit"
    ]
    assert len(over) == 1 and over[0]["detail"] == "source limit 5"
    last = source_solutions(tmp_path / "many", "mini", ["id"]).column("id").to_pylist()
    first_five = source_solutions(tmp_path / "one", "mini", ["id"]).column("id").to_pylist()
    assert last == first_five and len(last) == 5


def test_killed_mid_ingest_resumes_without_reparsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = _recipe(tmp_path, 2, limit=5)
    ref = tmp_path / "ref"
    run_recipe(load_recipe(recipe), ref)
    out = tmp_path / "run"
    run_recipe(load_recipe(recipe), out)
    # as if killed after the first two parts of `mini` were parsed: later parts, the
    # source's manifest and everything after ingest are gone
    parts = out / "sources" / "mini" / "parts"
    for p in sorted(parts.glob("part-*.json"))[2:]:
        p.unlink()
    for p in [*parts.glob("limit-*"), out / "sources" / "mini" / "manifest.json"]:
        p.unlink()
    shutil.rmtree(out / "sources" / "gen")
    for p in [out / "stages" / "input" / "done.json", out / "manifest.json"]:
        p.unlink()
    for d in (out / "stages").glob("0*"):
        shutil.rmtree(d)
    shutil.rmtree(out / "shards")
    shutil.rmtree(out / "rejects")
    parsed: list[int] = []
    real = sources.parse_batch

    def counting(records, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(len(records))
        return real(records, *args, **kwargs)

    monkeypatch.setattr(sources, "parse_batch", counting)
    run_recipe(load_recipe(recipe), out, executor=LocalExecutor())
    assert sum(parsed) == 8 - 4 + 40  # mini: the 4 records of the two lost parts; gen: all
    assert _hashes(out) == _hashes(ref)
    assert (
        json.loads((out / "manifest.json").read_text())["sources"]
        == json.loads((ref / "manifest.json").read_text())["sources"]
    )
