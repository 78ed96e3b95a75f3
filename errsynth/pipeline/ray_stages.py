"""The Ray engine's global stages: dedup and the mixture on Ray Data, with Ray's shuffles.

The local engine decides a dedup stage over the whole table's key columns in one
process and mixes with `errsynth.mix.mix_and_write`. Here the same decisions are
made by Ray Data pipelines built from the engine-independent steps, and they give
the same answers (`tests/test_pipeline_ray.py`):

`near_dedup_ray` (``dedup_minhash``)::

    key columns (id = global row number, _order, fields), one task per chunk
      --task: signature_batch + band_batch--> signature matrix (stays in the object store)
                                              band, band_hash, id, order, _part (28 bytes)
      --groupby(_part).map_groups(bucket_pairs)----> id, order, rep_id, rep_order, similarity
      --to_arrow_refs (links only: small)---------> driver: components (`_components`)

  Every LSH bucket is one (band, band_hash); ``_part`` is ``band_hash mod P``, so a
  group of the shuffle holds whole buckets (of any bands), and `bucket_pairs`
  links each bucket's members to its first member in keep order with the same
  leader-and-verify rounds as the local pass. The groupby key is that coarse
  ``_part`` rather than (band, band_hash) itself because Ray calls the group
  function once per group: one call per bucket would be one Python call per row
  and band. Verification needs the signatures of the rows of shared buckets; they
  are read from the signature blocks in the object store (`SignatureStore`:
  zero-copy on the node, fetched once per node elsewhere) instead of travelling
  with each of a row's `bands` band records: the shuffle carries 28 bytes per
  record rather than 28 + 4 × num_perm (540 for 128 permutations).

  Connected components run on the driver over the links (rows that share a
  verified bucket with another row) with the local pass's own tail: numpy
  min-label propagation with pointer jumping, the label being each component's
  first member in keep order (`_components`). The links are O(duplicates), not
  O(rows); besides them the driver holds one id per row, for the per-row
  `DedupResult` that `run.py` applies to each chunk.

`exact_dedup_ray` (``dedup_exact``): ``exact_keys_batch`` per block, then a groupby on
``key mod P``; each group keeps the first row of every key in (_order, id) order
and emits only the others with the id they duplicate.

`mix_ray`: the steps of `errsynth.mix.pipeline` on Ray Data, as in
``tests/test_mix_ray.py``: ``prepare_batch`` → per-batch partials merged on the
driver (`stream_totals`, `KeyHistogram`, `Refiner`, `MixCounts`) → ``plan_mix`` /
``Selection`` → ``select_batch`` → Ray's distributed sort on `SORT_KEYS` → one
`ShardWriter` on the driver fed in sorted order (``preserve_order``). The mix
rejects go through a second sort on (key, id, reason) into ``rejects/mix-*``.
Shards, rejects and manifest equal `mix_and_write`'s (timings aside).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from errsynth.dedup import steps
from errsynth.dedup.buckets import Edges
from errsynth.dedup.components import min_label_components
from errsynth.dedup.exact import exact_keys_batch
from errsynth.dedup.minhash import MinHasher
from errsynth.dedup.near import best_link_similarity
from errsynth.dedup.result import (
    EXACT_DUPLICATE,
    NEAR_DUPLICATE,
    DedupResult,
    result_from_representatives,
)
from errsynth.dedup.runs import first_of_runs, run_starts
from errsynth.mix.annotate import reject_rows, stream_totals
from errsynth.mix.columns import conform, input_schema, output_schema
from errsynth.mix.finish import (
    PhaseClock,
    count_input,
    prepare_output,
    reject_writer,
    shard_writer,
    write_mix_manifest,
)
from errsynth.mix.local import (
    _count_out,
    _reject_key,
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
from errsynth.pipeline.ops import ORDER, DedupExact, DedupMinhash, DedupOperator, chunk_offsets

PART = "_part"
REJECT_SORT_KEYS = [KEY_COLUMN, "id", "reason"]
ROWS_PER_PARTITION = 200_000  # shuffle rows (row x band for MinHash) per partition
MAX_PARTITIONS = 256
DRIVER_KEY_ROWS = 20_000_000  # exact dedup decided on the driver up to this many rows (16 B/row)
SHUFFLES = ("sort", "hash")


def _ray() -> Any:
    import ray

    return ray


def default_partitions(shuffle_rows: int) -> int:
    """Partitions of a shuffle of that many rows: about ROWS_PER_PARTITION each."""
    return max(1, min(MAX_PARTITIONS, math.ceil(shuffle_rows / ROWS_PER_PARTITION)))


def _blocks(tables: Sequence[pa.Table]) -> list[pa.Table]:
    return [t for t in tables if t.num_rows]


def _collect(ds: Any) -> pa.Table | None:
    """A (small) dataset's rows on the driver as one table; None when it has none."""
    ray = _ray()
    parts = [t for t in ray.get(ds.to_arrow_refs()) if t.num_rows]
    return pa.concat_tables(parts) if parts else None


@contextlib.contextmanager
def data_context(preserve_order: bool = True, shuffle: str = "sort") -> Iterator[Any]:
    """Ray Data settings of these stages, restored afterwards.

    `shuffle`: "sort" (Ray's pull-based sort shuffle: plain tasks that start at
    once, the better choice on a laptop or a small cluster) or "hash" (Ray's hash
    shuffle, run by aggregator actors; for large clusters). No progress bars, and
    ray.data's INFO lines go to Ray's log files only. `preserve_order` keeps block
    order (needed when a sorted dataset is iterated into the shard writer).
    """
    ray = _ray()
    from ray.data.context import ShuffleStrategy

    if shuffle not in SHUFFLES:
        raise ValueError(f"shuffle must be one of {SHUFFLES}, not {shuffle!r}")
    ctx = ray.data.DataContext.get_current()
    logger = logging.getLogger("ray.data")  # one "Starting execution" line per pass otherwise
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    old = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.shuffle_strategy)
    ctx.execution_options.preserve_order = preserve_order
    ctx.enable_progress_bars = False
    ctx.shuffle_strategy = (
        ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
        if shuffle == "sort"
        else ShuffleStrategy.HASH_SHUFFLE
    )
    try:
        yield ctx
    finally:
        (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.shuffle_strategy) = old
        logger.setLevel(level)


# --- dedup -----------------------------------------------------------------------------


def dedup_ray(
    op: DedupOperator,
    chunks: Sequence[pa.Table],
    partitions: int | None = None,
    shuffle: str = "sort",
) -> DedupResult:
    """`op.decide_batches` over the chunks' rows, computed with Ray tasks and shuffles."""
    if isinstance(op, DedupMinhash):
        return near_dedup_ray(op, chunks, partitions, shuffle)
    if isinstance(op, DedupExact):
        return exact_dedup_ray(op, chunks, partitions, shuffle)
    raise TypeError(f"no Ray stage for dedup operator {op.name!r}")


def _ids(chunks: Sequence[Any]) -> pa.Table:
    """The row names of the stage input: 0..n-1 (see `DedupOperator.keys`)."""
    return pa.table({"id": pa.array(np.arange(sum(c.num_rows for c in chunks), dtype=np.int64))})


def _no_links(ids: pa.Table, reason: str, similarity: bool, stats: dict[str, float]) -> DedupResult:
    col = ids.column("id").combine_chunks()
    n = len(col)
    sim = np.full(n, np.nan) if similarity else None
    return DedupResult(col, np.ones(n, dtype=bool), col, pa.nulls(n, col.type), reason, sim, stats)


def _signatures_and_bands(
    op: DedupMinhash, chunk: Any, offset: int, hasher: MinHasher, lsh: Any, parts: int
) -> tuple[np.ndarray, pa.Table, np.ndarray]:
    """Task: a chunk's key columns read where it runs, its signature matrix (kept in
    the object store), its band records (band, band_hash, id, order, _part: 28 bytes
    each; the signature stays behind) and its `_order` values."""
    keys = op.keys(chunk, offset)
    sig = steps.signature_batch(keys, tuple(op.params.fields), hasher, order_col=ORDER)
    bands = steps.band_batch(sig, lsh, keep_signature=False)
    part = bands.column("band_hash").to_numpy() % np.uint64(parts)
    bands = bands.append_column(PART, pa.array(part.astype(np.int64)))
    return steps.signature_matrix(sig), bands, keys.column(ORDER).to_numpy()


class SignatureStore:
    """Signatures of rows 0..n-1 (global row numbers), one object-store block per chunk.

    Group tasks read the blocks they need zero-copy from the node's object store
    (fetched once per node on a multi-node cluster), so a signature is stored once
    instead of travelling with each of its row's band records through the shuffle.
    """

    def __init__(self, refs: list[Any], offsets: list[int]) -> None:
        self.refs = refs
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self._blocks: list[np.ndarray] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"refs": self.refs, "offsets": self.offsets, "_blocks": None}

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        if self._blocks is None:
            self._blocks = _ray().get(self.refs)
        width = self._blocks[0].shape[1]
        out = np.empty((len(ids), width), dtype=np.uint32)
        block = np.searchsorted(self.offsets, ids, side="right") - 1
        for k in np.unique(block):
            at = block == k
            out[at] = self._blocks[k][ids[at] - self.offsets[k]]
        return out


def near_dedup_ray(
    op: DedupMinhash,
    chunks: Sequence[pa.Table],
    partitions: int | None = None,
    shuffle: str = "sort",
) -> DedupResult:
    """`DedupMinhash.decide_batches` (= local `near_dedup`) on Ray: signature tasks, groupby, components."""
    ray = _ray()
    cfg = op.config()
    lsh = cfg.lsh()
    hasher = MinHasher(cfg.minhash)
    ids = _ids(chunks)
    parts = partitions or default_partitions(ids.num_rows * lsh.bands)
    task = ray.remote(num_returns=3, max_retries=3)(_signatures_and_bands)
    sig_refs, band_refs, order_refs, offsets = [], [], [], []
    for chunk, offset in zip(chunks, chunk_offsets(chunks), strict=True):
        if chunk.num_rows:
            refs = task.remote(op, chunk, offset, hasher, lsh, parts)
            for acc, ref in zip((sig_refs, band_refs, order_refs), refs, strict=True):
                acc.append(ref)
            offsets.append(offset)
    store = SignatureStore(sig_refs, offsets) if lsh.verify_threshold is not None else None

    def pairs(group: pa.Table) -> pa.Table:
        return steps.bucket_pairs(group.drop_columns([PART]), lsh, signatures=store)

    with data_context(preserve_order=False, shuffle=shuffle):
        banded = ray.data.from_arrow_refs(band_refs)
        linked = banded.groupby(PART, num_partitions=parts).map_groups(
            pairs, batch_format="pyarrow"
        )
        links = _collect(linked)
    del sig_refs, band_refs
    stats = {
        "rows": float(ids.num_rows),
        "bands": float(lsh.bands),
        "rows_per_band": float(lsh.rows),
    }
    if links is None:
        return _no_links(ids, NEAR_DUPLICATE, True, {**stats, "links": 0.0, "removed": 0.0})
    return _components(np.concatenate(ray.get(order_refs)), ids, links, stats)


def _components(
    orders: np.ndarray, ids: pa.Table, links: pa.Table, stats: dict[str, float]
) -> DedupResult:
    """Driver step: connected components of the links, the local pass's own tail.

    Rows are named by global row number (`DedupOperator.keys`), so the links index
    numpy arrays directly: ranks in (_order, row) keep order, `min_label_components`
    and `result_from_representatives`, exactly as `near_dedup` finishes.
    """
    n = ids.num_rows
    rows = ids.column("id").to_numpy()
    perm = np.lexsort((rows, orders)).astype(np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[perm] = np.arange(n, dtype=np.int64)
    src = rank[links.column("id").to_numpy()]
    dst = rank[links.column("rep_id").to_numpy()]
    sim = links.column("similarity").to_numpy(zero_copy_only=False)
    rep_rank = min_label_components(n, src, dst)
    stats["links"] = float(np.unique(src * n + dst).size)
    stats["removed"] = float((rep_rank != np.arange(n)).sum())
    return result_from_representatives(
        ids.column("id").combine_chunks(),
        perm,
        rep_rank,
        NEAR_DUPLICATE,
        best_link_similarity(n, Edges(src, dst, sim)),
        stats,
    )


def _first_of_keys(group: pa.Table) -> pa.Table:
    """Group step of exact dedup: every row but the first (in (_order, id)) of each key."""
    t = group.sort_by([("key", "ascending"), (ORDER, "ascending"), ("id", "ascending")])
    keys = t.column("key").to_numpy()
    start = run_starts(keys)
    first = np.flatnonzero(start)
    run = np.cumsum(start) - 1
    rep = t.column("id").take(pa.array(first[run]))
    dup = pa.array(~start)
    return pa.table(
        {
            "id": t.column("id").filter(dup),
            "cluster_id": rep.filter(dup),
            "similarity": pa.array(np.full(int((~start).sum()), np.nan)),
        }
    )


def _exact_keys(op: DedupExact, chunk: Any, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Task: a chunk's exact keys and `_order` values (read where it runs)."""
    keys = op.keys(chunk, offset)
    key = exact_keys_batch(keys, tuple(op.params.fields)).to_numpy()
    return key, keys.column(ORDER).to_numpy()


def _exact_keyed(op: DedupExact, chunk: Any, offset: int, parts: int) -> pa.Table:
    """Task: `_exact_keys` as the shuffle's rows: id (row number), _order, key, _part."""
    key, orders = _exact_keys(op, chunk, offset)
    return pa.table(
        {
            "id": pa.array(np.arange(offset, offset + len(key), dtype=np.int64)),
            ORDER: pa.array(orders, pa.int64()),
            "key": pa.array(key, pa.uint64()),
            PART: pa.array((key % np.uint64(parts)).astype(np.int64)),
        }
    )


def _exact_on_driver(op: DedupExact, chunks: Sequence[Any], ids: pa.Table) -> DedupResult:
    """Keys computed by tasks, the decision made on the driver with the local pass's tail."""
    ray = _ray()
    task = ray.remote(max_retries=3)(_exact_keys)
    refs = [
        task.remote(op, chunk, offset)
        for chunk, offset in zip(chunks, chunk_offsets(chunks), strict=True)
        if chunk.num_rows
    ]
    parts = ray.get(refs)
    keys = np.concatenate([k for k, _ in parts])
    orders = np.concatenate([o for _, o in parts])
    rows = ids.column("id").to_numpy()
    perm = np.lexsort((rows, orders)).astype(np.int64)
    return result_from_representatives(
        ids.column("id").combine_chunks(), perm, first_of_runs(keys[perm]), EXACT_DUPLICATE
    )


def exact_dedup_ray(
    op: DedupExact,
    chunks: Sequence[pa.Table],
    partitions: int | None = None,
    shuffle: str = "sort",
) -> DedupResult:
    """`DedupExact.decide_batches` (= local `exact_dedup`): key tasks, then a groupby on the key.

    Up to `DRIVER_KEY_ROWS` rows (and no `partitions` asked for) the 8-byte keys come
    back to the driver, which keeps the first row of each key as the local pass
    does: a shuffle of a few MB costs more in Ray Data start-up than it saves.
    """
    ray = _ray()
    ids = _ids(chunks)
    if partitions is None and ids.num_rows <= DRIVER_KEY_ROWS:
        return _exact_on_driver(op, chunks, ids)
    parts = partitions or default_partitions(ids.num_rows)
    task = ray.remote(max_retries=3)(_exact_keyed)
    refs = [
        task.remote(op, chunk, offset, parts)
        for chunk, offset in zip(chunks, chunk_offsets(chunks), strict=True)
        if chunk.num_rows
    ]
    with data_context(preserve_order=False, shuffle=shuffle):
        dups = (
            ray.data.from_arrow_refs(refs)
            .groupby(PART, num_partitions=parts)
            .map_groups(lambda g: _first_of_keys(g.drop_columns([PART])), batch_format="pyarrow")
        )
        removed = _collect(dups)
    if removed is None:
        return _no_links(ids, EXACT_DUPLICATE, False, {})
    result = steps.apply_clusters(ids, removed, reason=EXACT_DUPLICATE)
    return dataclasses.replace(result, similarity=None)


# --- mix -------------------------------------------------------------------------------


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
    ray = _ray()
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
        return _reject_key(mix.seed, reject_rows(t.filter(pa.array(miss)), "no_stream"))

    def stream_counts(b: pa.Table) -> MixCounts:
        c = MixCounts()
        rows, toks = stream_totals(b)
        c.stream_rows.update(rows)
        c.stream_tokens.update(toks)
        return c

    def out_counts(b: pa.Table) -> MixCounts:
        c = MixCounts()
        _count_out(c, b)
        return c

    with data_context(preserve_order=True, shuffle=shuffle):
        source = ray.data.from_arrow(_blocks(tables) or tables[:1])
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
            return _reject_key(mix.seed, reject_rows(dropped, "over_quota"))

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
