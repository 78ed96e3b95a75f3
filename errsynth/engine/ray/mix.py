"""The Ray engine's mixture: `mix_ray`: the steps of `errsynth.mix.pipeline` on Ray Data, as in
``tests/test_mix_ray.py``: ``prepare_batch`` → per-batch partials merged on the
driver (`stream_totals`, `KeyHistogram`, `Refiner`, `MixCounts`) → ``plan_mix`` /
``Selection`` → ``select_batch`` → Ray's distributed sort on `SORT_KEYS` → one
`ShardWriter` on the driver fed in sorted order (``preserve_order``). The mix
rejects go through a second sort on (key, id, reason) into ``rejects/mix-*``.
Shards, rejects and manifest equal `mix_and_write`'s (timings aside).
"""

from __future__ import annotations

import pickle
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from errsynth.engine.ray.data import (
    REJECT_SORT_KEYS,
    blocks,
    data_context,
    ray_module,
)
from errsynth.mix.annotate import reject_rows, stream_totals
from errsynth.mix.columns import conform, input_schema, output_schema
from errsynth.mix.finish import (
    PhaseClock,
    count_input,
    count_out,
    prepare_output,
    reject_key,
    reject_writer,
    shard_writer,
    write_mix_manifest,
)
from errsynth.mix.manifest import MixCounts, count_values
from errsynth.mix.pipeline import prepare_batch, select_batch
from errsynth.mix.select import KeyHistogram, Refiner, Selection
from errsynth.mix.shuffle import KEY_COLUMN, SORT_KEYS
from errsynth.mix.spec import MixJob
from errsynth.mix.streams import NO_STREAM, assign_streams
from errsynth.mix.tokenizers import get_tokenizer
from errsynth.mix.weights import plan_mix
from errsynth.mix.writer import ShardWriter


def _partials(ds: Any, fn: Callable[[pa.Table], Any]) -> list[Any]:
    """``fn`` of every block on the workers; the pickled results brought to the driver."""
    parts = ds.map_batches(
        lambda b: pa.table({"p": [pickle.dumps(fn(b))]}), batch_format="pyarrow", batch_size=None
    )
    return [pickle.loads(r["p"]) for r in parts.take_all()]


def _write_sorted(ds: Any, keys: list[str], writer: ShardWriter, batch_rows: int) -> list[Any]:
    try:
        for b in ds.sort(keys).iter_batches(batch_format="pyarrow", batch_size=batch_rows):
            writer.write(b.drop_columns([KEY_COLUMN]))
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def mix_ray(
    tables: Sequence[pa.Table],
    out_dir: Path | str,
    spec: Mapping[str, Any] | MixJob,
    *,
    recipe: Any = None,
    seed: int | None = None,
    overwrite: bool = False,
    batch_rows: int = 8192,
    extra_manifest: Mapping[str, Any] | None = None,
    shuffle: str = "sort",
) -> dict[str, Any]:
    """`mix_and_write` of the sample tables on Ray Data; same shards, rejects and manifest."""
    ray = ray_module()
    t0 = time.perf_counter()
    job = spec if isinstance(spec, MixJob) else MixJob.from_dict(spec, seed=seed)
    mix, output = job.mix, job.output
    tok = get_tokenizer(mix.tokenizer)
    tok.check()
    tables = list(tables)
    in_schema = input_schema([t.schema for t in tables])
    out_schema = output_schema(in_schema)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prepare_output(out_dir, overwrite)
    clock = PhaseClock()

    def input_counts(b: pa.Table) -> MixCounts:
        return count_input(MixCounts(), b)

    def no_stream(b: pa.Table) -> pa.Table:
        t = conform(b, in_schema)
        miss = assign_streams(t, mix.streams) == NO_STREAM
        return reject_key(mix.seed, reject_rows(t.filter(pa.array(miss)), "no_stream"))

    def stream_counts(b: pa.Table) -> MixCounts:
        c = MixCounts()
        rows, toks = stream_totals(b)
        c.stream_rows.update(rows)
        c.stream_tokens.update(toks)
        return c

    def out_counts(b: pa.Table) -> MixCounts:
        c = MixCounts()
        count_out(c, b)
        return c

    with data_context(preserve_order=True, shuffle=shuffle):
        source = ray.data.from_arrow(blocks(tables) or tables[:1])
        # (1) annotate: stream, tokens; totals; no_stream rejects
        prepared = source.map_batches(
            lambda b: prepare_batch(b, in_schema, mix, tok)[0],
            batch_format="pyarrow",
            batch_size=batch_rows,
        ).materialize()
        counts = MixCounts()
        for c in [*_partials(source, input_counts), *_partials(prepared, stream_counts)]:
            counts.merge(c)
        kept_rows = sum(counts.stream_rows.values())
        clock.lap("read_annotate_tokenize")
        available = counts.stream_tokens if mix.weight_by == "tokens" else counts.stream_rows
        plan = plan_mix(mix, available)
        # (2, 3) the partial epochs' cuts, from merged per-block histograms and refiners
        hist = KeyHistogram()
        refiner = Refiner({})
        if any(q.remainder > 0 for q in plan.quotas):

            def histogram(b: pa.Table) -> KeyHistogram:
                h = KeyHistogram()
                h.update(plan, b)
                return h

            for h in _partials(prepared, histogram):
                hist.merge(h)
            crossings = hist.crossings(plan)

            def refine(b: pa.Table) -> Refiner:
                r = Refiner(crossings)
                r.update(plan, b)
                return r

            refiner = Refiner(crossings)
            for r in _partials(prepared, refine):
                refiner.merge(r)
        selection = Selection(plan, refiner.cuts(plan))
        clock.lap("plan_select")

        # (4) select, expand repeats, shuffle keys
        def over_quota(b: pa.Table) -> pa.Table:
            dropped = b.filter(pa.array(selection.multiplicity(b) == 0))
            return reject_key(mix.seed, reject_rows(dropped, "over_quota"))

        keyed = prepared.map_batches(
            lambda b: select_batch(b, selection, out_schema)[0],
            batch_format="pyarrow",
            batch_size=batch_rows,
        ).materialize()
        for c in _partials(keyed, out_counts):
            counts.merge(c)
        rejects = source.map_batches(no_stream, batch_format="pyarrow", batch_size=batch_rows)
        rejects = rejects.union(
            prepared.map_batches(over_quota, batch_format="pyarrow", batch_size=batch_rows)
        ).materialize()
        by_reason: Counter[str] = Counter()
        for c in _partials(rejects, lambda b: count_values(b.column("reason"))):
            by_reason += c
        if counts.rows_in:  # the local engine's keys: present (maybe 0) once rows were seen
            counts.rejected["no_stream"] = by_reason["no_stream"]
        if kept_rows:
            counts.rejected["over_quota"] = by_reason["over_quota"]
        counts.rows_selected = kept_rows - by_reason["over_quota"]
        clock.lap("expand_key_bucket")
        # (5) shards in shuffle order (Ray's sort), rejects in key order
        writer = shard_writer(out_dir, out_schema, job)
        sort_keys = [k for k, _ in SORT_KEYS]
        if counts.rows_out:
            shards = _write_sorted(keyed, sort_keys, writer, batch_rows)
        else:
            shards = writer.close()
        clock.lap("sort_write_shards")
        reject_files = None
        if output.write_rejects:
            rw = reject_writer(out_dir, job)
            if counts.rows_rejected:
                reject_files = _write_sorted(rejects, REJECT_SORT_KEYS, rw, batch_rows)
            else:
                reject_files = rw.close()
            clock.lap("write_rejects")
    return write_mix_manifest(
        out_dir,
        job,
        counts=counts,
        plan=plan,
        shards=shards,
        tokenizer=tok.spec,
        recipe=recipe,
        rejects=reject_files,
        elapsed_s=time.perf_counter() - t0,
        extra={"phases_s": clock.times, **(extra_manifest or {})},
    )
