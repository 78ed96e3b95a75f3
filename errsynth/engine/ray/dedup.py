"""The Ray engine's dedup passes: the dedup steps' decisions with Ray tasks and shuffles.

The local engine decides a dedup step over the key columns in one process
(`engine.local.executor`); here the same decisions come from Ray tasks and Ray
Data shuffles built from the engine-independent dedup pieces, and they give the
same answers (`tests/test_pipeline_ray.py`).

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
  `DedupResult` that `DedupStep.split` applies to each chunk.

`exact_dedup_ray` (``dedup_exact``): ``exact_keys_batch`` per block, then a groupby on
``key mod P``; each group keeps the first row of every key in (_order, id) order
and emits only the others with the id they duplicate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from errsynth.core.chunks import ORDER, chunk_offsets
from errsynth.dedup import batches
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
from errsynth.engine.ray.data import (
    DRIVER_KEY_ROWS,
    PART,
    collect,
    data_context,
    default_partitions,
    ray_module,
)
from errsynth.steps.dedup import DedupExact, DedupMinhash


def _ids(chunks: Sequence[Any]) -> pa.Table:
    """The row names of the stage input: 0..n-1 (see `DedupStep.keys`)."""
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
    sig = batches.signature_batch(keys, tuple(op.params.fields), hasher, order_col=ORDER)
    bands = batches.band_batch(sig, lsh, keep_signature=False)
    part = bands.column("band_hash").to_numpy() % np.uint64(parts)
    bands = bands.append_column(PART, pa.array(part.astype(np.int64)))
    return batches.signature_matrix(sig), bands, keys.column(ORDER).to_numpy()


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
            self._blocks = ray_module().get(self.refs)
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
    ray = ray_module()
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
        return batches.bucket_pairs(group.drop_columns([PART]), lsh, signatures=store)

    with data_context(preserve_order=False, shuffle=shuffle):
        banded = ray.data.from_arrow_refs(band_refs)
        linked = banded.groupby(PART, num_partitions=parts).map_groups(
            pairs, batch_format="pyarrow"
        )
        links = collect(linked)
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

    Rows are named by global row number (`DedupStep.keys`), so the links index
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
    ray = ray_module()
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
    ray = ray_module()
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
        removed = collect(dups)
    if removed is None:
        return _no_links(ids, EXACT_DUPLICATE, False, {})
    result = batches.apply_clusters(ids, removed, reason=EXACT_DUPLICATE)
    return dataclasses.replace(result, similarity=None)
