"""The Ray engine's global stages: dedup through Ray's groupby, the mix through Ray's sort.

`RayExecutor.dedup` must give the local `DedupResult` (kept set, cluster ids,
duplicate_of, similarity, stats), `RayExecutor.mix` the local shards, rejects and
manifest, and a whole run the local run's bytes, also when a worker dies mid-task.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from synthetic_samples import synthetic_samples

from errsynth.core.chunks import ORDER, Chunk
from errsynth.dedup.result import DedupResult
from errsynth.engine import LocalExecutor, RayExecutor
from errsynth.engine.local import mix_and_write
from errsynth.igsm.generator import generate
from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe
from errsynth.steps import make_step

pytestmark = pytest.mark.slow
pytest.importorskip("ray")

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
SMALL = ["sources.0.generate.n=300", "output.shard_rows=200", "engine.chunk_rows=100"]
N_PLANTED = 60  # copies of the first generated problems: every third verbatim, the rest edited


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))
    }


def _planted_source(folder: Path) -> None:
    """Near and exact duplicates of the quickstart's generated problems, as a second source.

    A near duplicate swaps two adjacent sentences of the problem (it still parses as
    iGSM; only the 3-grams across the two boundaries change).
    """
    planted = []
    for i, row in enumerate(generate(N_PLANTED, 6, 0, names="full")):
        row = dict(row)
        if i % 3:
            s = re.split(r"(?<=\.) ", row["problem"])
            j = i % max(1, len(s) - 2)
            s[j], s[j + 1] = s[j + 1], s[j]
            row["problem"] = " ".join(s)
        planted.append(row)
    pq.write_table(pa.Table.from_pylist(planted), folder / "planted.parquet")


def _recipe(folder: Path) -> Path:
    """The quickstart with the planted source, a filter and three dedup stages."""
    data = yaml.safe_load((RECIPES / "quickstart.yaml").read_text())
    data["sources"].append({"name": "planted", "path": "planted.parquet", "format": "igsm"})
    augment = next(e for e in data["process"] if "augment" in e)
    data["process"] = [
        {"filter": {"min_steps": 1}},
        {"dedup_exact": {"fields": "question"}},
        {"dedup_minhash": {"fields": "question", "threshold": 0.5}},
        augment,
        {"dedup_exact": {"fields": "text"}},
    ]
    folder.mkdir(parents=True, exist_ok=True)
    _planted_source(folder)
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _without_timings(manifest: dict[str, Any]) -> dict[str, Any]:
    m = json.loads(json.dumps(manifest))
    for key in ("elapsed_s", "phases_s", "engine"):
        m.pop(key, None)
    for stage in m.get("stages", []):
        stage.pop("elapsed_s", None)
    return m


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """(recipe, run directory, manifest) of the test recipe on the local engine."""
    base = tmp_path_factory.mktemp("pipeline_ray")
    recipe = _recipe(base / "recipe")
    out = base / "local"
    manifest = run_recipe(load_recipe(recipe, SMALL), out, executor=LocalExecutor())
    return recipe, out, manifest


def _assert_same_run(local: Path, remote: Path) -> None:
    assert _hashes(remote / "shards") == _hashes(local / "shards") and _hashes(local / "shards")
    assert _hashes(remote / "rejects") == _hashes(local / "rejects")
    for done in sorted((local / "stages").glob("*/done.json")):
        a = json.loads(done.read_text())
        b = json.loads((remote / done.relative_to(local)).read_text())
        a.pop("elapsed_s", None), b.pop("elapsed_s", None)
        assert a == b, done.parent.name


def _assert_same_result(a: DedupResult, b: DedupResult) -> None:
    assert a.reason == b.reason and a.ids.equals(b.ids)
    np.testing.assert_array_equal(a.kept_mask, b.kept_mask)
    assert a.cluster_id.equals(b.cluster_id)
    assert a.duplicate_of.equals(b.duplicate_of)
    if a.similarity is None:
        assert b.similarity is None
    else:
        assert b.similarity is not None
        np.testing.assert_array_equal(a.similarity, b.similarity)
    assert a.stats == b.stats


def test_ray_dedup_gives_the_local_verdicts(ray_local: Any) -> None:
    problems = [r["problem"] for r in generate(150, 6, 0, names="full")]
    rng = np.random.default_rng(4)
    texts: list[str | None] = [*problems, *problems[:25]]  # exact copies
    for q in problems[25:70]:  # near copies: a sentence dropped, one word changed
        s = q.split(". ")
        del s[rng.integers(len(s))]
        texts.append(". ".join(s).replace(" each ", " every ", 1))
    texts += ["", None, ""]
    perm = rng.permutation(len(texts))  # keep order (_order) unrelated to row position
    table = pa.table(
        {
            "id": [f"row{i}" for i in range(len(texts))],
            ORDER: pa.array(perm, pa.int64()),
            "question": texts,
        }
    )
    chunks = [table.slice(i, 60) for i in range(0, table.num_rows, 60)]
    cases = [
        ({"dedup_minhash": {"fields": "question", "threshold": 0.5}}, None, "sort"),
        ({"dedup_minhash": {"fields": "question", "threshold": 0.4}}, 3, "sort"),
        ({"dedup_minhash": {"fields": "question", "bands": 16, "rows": 8}}, 2, "hash"),
        ({"dedup_exact": {"fields": "question"}}, None, "sort"),
        ({"dedup_exact": {"fields": "question"}}, 3, "sort"),
    ]
    for entry, partitions, shuffle in cases:
        op = make_step(entry, "test")
        local = op.decide(LocalExecutor(), chunks)
        remote = op.decide(RayExecutor(partitions=partitions, shuffle=shuffle), chunks)
        assert local.num_removed >= 25, entry
        _assert_same_result(local, remote)


def test_ray_mix_gives_the_local_shards_rejects_and_manifest(
    ray_local: Any, tmp_path: Path
) -> None:
    table = synthetic_samples(3000, seed=11)
    spec = {
        "mix": {
            "seed": 5,
            "weight_by": "tokens",
            "target": {"tokens": 40_000},
            "allow_repeat": True,
            "streams": [
                {"name": "clean", "where": {"kind": "clean"}, "weight": 0.5},
                {"name": "reorder", "where": {"kind": "reorder", "style": "back"}, "weight": 0.3},
                {
                    "name": "retry",
                    "where": {"kind": {"in": ["arith", "igsm_retry"]}},
                    "weight": 0.2,
                },
            ],
        },
        "output": {"shard_rows": 400, "row_group_rows": 128},
    }
    local = mix_and_write(table, tmp_path / "local", spec, overwrite=True)
    parts = []
    for i in range(0, table.num_rows, 700):  # the executor mixes chunk files
        parts.append(tmp_path / f"part-{i}.parquet")
        pq.write_table(table.slice(i, 700), parts[-1])
    remote = RayExecutor().mix([Chunk.at(p) for p in parts], tmp_path / "ray", spec)
    assert local["rows_repeated"] > 0
    assert set(local["rejected_by_reason"]) == {"no_stream", "over_quota"}
    assert _without_timings(remote) == _without_timings(local)
    assert _hashes(tmp_path / "ray" / "shards") == _hashes(tmp_path / "local" / "shards")
    assert _hashes(tmp_path / "ray" / "rejects") == _hashes(tmp_path / "local" / "rejects")


def test_run_with_dedup_on_ray_gives_the_local_bytes_and_resumes(
    ray_local: Any, local_run: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    recipe, local_out, local = local_run
    by_reason = {s["stage"]: s["rejected_by_reason"] for s in local["stages"]}
    assert by_reason["01-dedup_exact"] == {"exact_duplicate": N_PLANTED // 3}
    assert by_reason["02-dedup_minhash"]["near_duplicate"] >= N_PLANTED * 2 // 3
    out = tmp_path / "ray"
    remote = run_recipe(load_recipe(recipe, SMALL), out, executor=RayExecutor(partitions=2))
    assert remote["engine"] == "ray"
    assert _without_timings(remote) == _without_timings(local)
    _assert_same_run(local_out, out)
    # killed after the near-dedup decision wrote one chunk: resume redoes the rest
    stage = out / "stages" / "02-dedup_minhash"
    for p in [stage / "done.json", *sorted((stage / "data").glob("chunk-*"))[1:]]:
        p.unlink()
    for later in sorted((out / "stages").glob("0[3-9]-*")):
        shutil.rmtree(later)
    for p in [out / "manifest.json", *(out / "shards").glob("*"), *(out / "rejects").glob("*")]:
        p.unlink()
    run_recipe(load_recipe(recipe, SMALL), out, executor=RayExecutor())
    _assert_same_run(local_out, out)


def _crash_once(fn: Callable[[Any], Any], before: str, after: str) -> Callable[[Any], Any]:
    """`fn`, except that the first task to start dies at once and the first to finish
    dies before returning its result (os._exit: the worker process is gone)."""

    def job(args: Any) -> Any:
        try:
            os.close(os.open(before, os.O_CREAT | os.O_EXCL))
            os._exit(1)
        except FileExistsError:
            pass
        result = fn(args)
        try:
            os.close(os.open(after, os.O_CREAT | os.O_EXCL))
            os._exit(1)
        except FileExistsError:
            pass
        return result

    return job


class CrashingExecutor(RayExecutor):
    """Ray tasks of which two die mid-run, once each (markers in `folder`)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(max_retries=3)
        self.before = str(folder / "died-before")
        self.after = str(folder / "died-after")

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        return super().map(_crash_once(fn, self.before, self.after), jobs)


def test_a_worker_killed_mid_task_is_retried_and_nothing_is_lost(
    ray_local: Any, local_run: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    recipe, local_out, local = local_run
    executor = CrashingExecutor(tmp_path)
    out = tmp_path / "ray"
    remote = run_recipe(load_recipe(recipe, SMALL), out, executor=executor)
    assert Path(executor.before).exists() and Path(executor.after).exists()  # both died
    assert _without_timings(remote) == _without_timings(local)
    _assert_same_run(local_out, out)
