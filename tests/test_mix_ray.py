"""The engine contract under Ray Data: same shard bytes as the local engine.

Uses only the public per-batch steps and mergeable results of errsynth.mix, the
way a Ray engine would: map_batches, a groupby, merged partial histograms, and
Ray's distributed sort on SORT_KEYS feeding one ShardWriter.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from synthetic_samples import synthetic_samples

from errsynth.engine.local import mix_and_write
from errsynth.mix import (
    KEY_COLUMN,
    SORT_KEYS,
    KeyHistogram,
    MixJob,
    Refiner,
    Selection,
    ShardWriter,
    get_tokenizer,
    input_schema,
    output_schema,
    plan_mix,
    prepare_batch,
    select_batch,
)

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")

SPEC: dict[str, Any] = {
    "mix": {
        "seed": 5,
        "weight_by": "tokens",
        "target": {"tokens": 40_000},
        "allow_repeat": True,
        "streams": [
            {"name": "clean", "where": {"kind": "clean"}, "weight": 0.5},
            {"name": "reorder_back", "where": {"kind": "reorder", "style": "back"}, "weight": 0.3},
            {"name": "retry", "where": {"kind": {"in": ["arith", "igsm_retry"]}}, "weight": 0.2},
        ],
    },
    "output": {"shard_rows": 400, "row_group_rows": 128},
}


@pytest.fixture(scope="module")
def ray_session(ray_local: Any) -> Iterator[None]:
    ctx = ray.data.DataContext.get_current()
    old = ctx.execution_options.preserve_order
    ctx.execution_options.preserve_order = True  # iter_batches after sort keeps the order
    yield
    ctx.execution_options.preserve_order = old


def _merged(ds: Any, fn: Any) -> list[Any]:
    """Run ``fn`` per batch on the workers; bring the pickled partial results back."""
    parts = ds.map_batches(
        lambda b: pa.table({"p": [pickle.dumps(fn(b))]}), batch_format="pyarrow", batch_size=500
    )
    return [pickle.loads(r["p"]) for r in parts.take_all()]


def test_ray_data_gives_the_local_engine_bytes(ray_session: None, tmp_path: Path) -> None:
    table = synthetic_samples(3000, seed=11)
    job = MixJob.from_dict(SPEC)
    tok = get_tokenizer(job.mix.tokenizer)
    in_schema = input_schema([table.schema])
    out_schema = output_schema(in_schema)
    ds = ray.data.from_arrow(table).repartition(7)
    prepared = ds.map_batches(
        lambda b: prepare_batch(b, in_schema, job.mix, tok)[0],
        batch_format="pyarrow",
        batch_size=300,
    ).materialize()
    totals = prepared.groupby("stream").sum("n_tokens").take_all()
    plan = plan_mix(job.mix, {r["stream"]: r["sum(n_tokens)"] for r in totals})

    def hist(b: pa.Table) -> KeyHistogram:
        h = KeyHistogram()
        h.update(plan, b)
        return h

    merged = KeyHistogram()
    for h in _merged(prepared, hist):
        merged.merge(h)
    crossings = merged.crossings(plan)

    def refine(b: pa.Table) -> Refiner:
        r = Refiner(crossings)
        r.update(plan, b)
        return r

    refiner = Refiner(crossings)
    for r in _merged(prepared, refine):
        refiner.merge(r)
    selection = Selection(plan, refiner.cuts(plan))
    keyed = prepared.map_batches(
        lambda b: select_batch(b, selection, out_schema)[0], batch_format="pyarrow", batch_size=333
    )
    ordered = keyed.sort([k for k, _ in SORT_KEYS])
    o = job.output
    writer = ShardWriter(
        tmp_path / "ray", out_schema, target_rows=o.shard_rows, row_group_rows=o.row_group_rows
    )
    for b in ordered.iter_batches(batch_format="pyarrow", batch_size=250):
        writer.write(b.drop_columns([KEY_COLUMN]))
    shards = writer.close()
    local = mix_and_write(table, tmp_path / "local", SPEC)
    assert local["rows_repeated"] > 0
    assert [s.sha256 for s in shards] == [s["sha256"] for s in local["shards"]]
