"""Near dedup as Arrow-table steps around a shuffle, for distributed engines.

    rows --map_batches(signature_batch)--> id, order, has_text, minhash
         --map_batches(band_batch)-------> band, band_hash, id, order[, minhash]
         --groupby(band, band_hash).map_groups(bucket_pairs)--> id, order, rep_id, rep_order, similarity
         --(collect; small) clusters_from_pairs--> id, order, cluster_id, cluster_order, similarity
         --apply_clusters(table, clusters)--> DedupResult

Every row is identified by (order, id), and (order, id) ascending is the keep
order. Row position means nothing across workers, so without an order column
`order` is 0 everywhere and ids alone decide. `bucket_pairs` runs the same
leader-and-verify procedure as the local engine on whole buckets, so with the
same order column both engines produce the same links and the same clusters.
Carrying `minhash` through the shuffle (verification) costs num_perm*4 bytes
per row and band; `band_batch(..., keep_signature=False)` drops it and links
every bucket member to its leader unverified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.dedup.buckets import Edges, bucket_edges
from errsynth.dedup.components import min_label_components
from errsynth.dedup.hashing import combine_columns
from errsynth.dedup.lsh import LshParams
from errsynth.dedup.minhash import MinHasher
from errsynth.dedup.near import best_link_similarity
from errsynth.dedup.normalize import normalize_fields
from errsynth.dedup.order import text_columns
from errsynth.dedup.result import NEAR_DUPLICATE, DedupResult

SIGNATURE = "minhash"
PAIR_SCHEMA_COLUMNS = ("id", "order", "rep_id", "rep_order", "similarity")


def _as_table(batch: pa.Table | pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch


def signature_matrix(table: pa.Table, column: str = SIGNATURE) -> np.ndarray:
    """A fixed-size-list<uint32> column as an (n, num_perm) numpy array."""
    col = table.column(column).combine_chunks()
    width = col.type.list_size
    return col.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)


def _order_array(table: pa.Table, order_col: str | None) -> pa.Array:
    if order_col is None:
        return pa.array(np.zeros(table.num_rows, dtype=np.int64))
    return table.column(order_col).combine_chunks().cast(pa.int64())


def signature_batch(
    batch: pa.Table | pa.RecordBatch,
    fields: str | Sequence[str],
    hasher: MinHasher,
    *,
    id_col: str = "id",
    order_col: str | None = None,
) -> pa.Table:
    """Map step: id, order, has_text, minhash (fixed_size_list<uint32>[num_perm])."""
    table = _as_table(batch)
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    cfg = hasher.params.normalize
    texts = [normalize_fields(vals, cfg) for vals in zip(*text_columns(table, names), strict=True)]
    sig = hasher.signatures_normalized(texts)
    flat = pa.array(sig.reshape(-1), pa.uint32())
    return pa.table(
        {
            "id": table.column(id_col).combine_chunks(),
            "order": _order_array(table, order_col),
            "has_text": pa.array([bool(t) for t in texts]),
            SIGNATURE: pa.FixedSizeListArray.from_arrays(flat, hasher.params.num_perm),
        }
    )


def band_batch(sig_table: pa.Table, lsh: LshParams, keep_signature: bool = True) -> pa.Table:
    """Map step: one row per (row with text, band): band, band_hash, id, order[, minhash]."""
    table = sig_table.filter(sig_table.column("has_text"))
    sig = signature_matrix(table)
    n = table.num_rows
    hashes = np.empty((lsh.bands, n), dtype=np.uint64)
    for j in range(lsh.bands):
        hashes[j] = combine_columns(sig[:, j * lsh.rows : (j + 1) * lsh.rows], salt=j)
    take = pa.array(np.tile(np.arange(n, dtype=np.int64), lsh.bands))
    cols = {
        "band": pa.array(np.repeat(np.arange(lsh.bands, dtype=np.int32), n)),
        "band_hash": pa.array(hashes.reshape(-1)),
        "id": table.column("id").take(take),
        "order": table.column("order").take(take),
    }
    if keep_signature:
        cols[SIGNATURE] = table.column(SIGNATURE).take(take)
    return pa.table(cols)


def _keep_ranks(table: pa.Table) -> np.ndarray:
    """Rank of each row in (order, id) ascending order."""
    idx = pc.sort_indices(table, sort_keys=[("order", "ascending"), ("id", "ascending")])
    rank = np.empty(table.num_rows, dtype=np.int64)
    rank[idx.to_numpy()] = np.arange(table.num_rows, dtype=np.int64)
    return rank


def bucket_pairs(
    group: pa.Table | pa.RecordBatch,
    lsh: LshParams,
    signatures: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pa.Table:
    """Group step: leader links of the whole buckets in `group` (any number of them).

    Verification takes each row's signature from the `minhash` column, or, when the
    band records travel without it, from `signatures(ids)` (the rows of shared
    buckets only: a bucket of one links nothing).
    """
    table = _as_table(group)
    verify = lsh.verify_threshold is not None and (
        signatures is not None or SIGNATURE in table.column_names
    )
    rank = _keep_ranks(table)
    band = table.column("band").to_numpy()
    keys = table.column("band_hash").to_numpy()
    sig = signature_matrix(table) if verify and signatures is None else None
    ids = table.column("id").to_numpy() if verify and signatures is not None else None
    parts = []
    for b in np.unique(band):
        rows = np.flatnonzero(band == b)
        if ids is not None:
            _, inverse, counts = np.unique(keys[rows], return_inverse=True, return_counts=True)
            rows = rows[counts[inverse] > 1]
            if rows.size == 0:
                continue
            row_sig = signatures(ids[rows])  # type: ignore[misc]
        else:
            row_sig = None if sig is None else sig[rows]
        e = bucket_edges(
            keys[rows],
            rank[rows],
            row_sig,
            lsh.verify_threshold if verify else None,
            lsh.max_rounds,
        )
        parts.append(Edges(rows[e.src], rows[e.dst], e.similarity))
    edges = Edges.concat(parts)
    src = pa.array(edges.src)
    dst = pa.array(edges.dst)
    return pa.table(
        {
            "id": table.column("id").take(src),
            "order": table.column("order").take(src),
            "rep_id": table.column("id").take(dst),
            "rep_order": table.column("order").take(dst),
            "similarity": pa.array(edges.similarity, pa.float64()),
        }
    )


def clusters_from_pairs(pairs: pa.Table) -> pa.Table:
    """Driver step: connected components of all links.

    One row per row that appears in a link: id, order, cluster_id and
    cluster_order (the component's first member in keep order), and the best
    similarity of the links it starts (NaN if none).
    """
    a = pairs.select(["id", "order"])
    b = pairs.select(["rep_id", "rep_order"]).rename_columns(["id", "order"])
    nodes = pa.concat_tables([a, b]).group_by(["id", "order"]).aggregate([])
    nodes = nodes.sort_by([("order", "ascending"), ("id", "ascending")])
    nodes = nodes.append_column("rank", pa.array(np.arange(nodes.num_rows, dtype=np.int64)))
    indexed = pairs.append_column("pair", pa.array(np.arange(pairs.num_rows, dtype=np.int64)))
    src_t = indexed.join(nodes, ["id", "order"]).sort_by("pair")
    dst_t = indexed.join(
        nodes.rename_columns(["rep_id", "rep_order", "rank"]), ["rep_id", "rep_order"]
    ).sort_by("pair")
    src = src_t.column("rank").to_numpy()
    dst = dst_t.column("rank").to_numpy()
    sim = src_t.column("similarity").to_numpy(zero_copy_only=False)
    n = nodes.num_rows
    labels = min_label_components(n, src, dst)
    best = best_link_similarity(n, Edges(src, dst, sim))
    take = pa.array(labels)
    return pa.table(
        {
            "id": nodes.column("id"),
            "order": nodes.column("order"),
            "cluster_id": nodes.column("id").take(take),
            "cluster_order": nodes.column("order").take(take),
            "similarity": pa.array(best),
        }
    )


def apply_clusters(
    table: pa.Table,
    clusters: pa.Table,
    *,
    id_col: str = "id",
    reason: str = NEAR_DUPLICATE,
) -> DedupResult:
    """Per-row verdict of `table` (input row order) from `clusters_from_pairs` output.

    Ids are assumed unique within the table (the join is on id alone).
    """
    ids = table.column(id_col).combine_chunks()
    left = pa.table({"id": ids, "row": pa.array(np.arange(table.num_rows, dtype=np.int64))})
    right = clusters.select(["id", "cluster_id", "similarity"])
    joined = left.join(right, "id", join_type="left outer").sort_by("row")
    cluster = pc.coalesce(joined.column("cluster_id"), joined.column("id")).combine_chunks()
    kept = pc.equal(cluster, ids).to_numpy(zero_copy_only=False)
    duplicate_of = pc.if_else(pa.array(kept), pa.nulls(len(ids), cluster.type), cluster)
    sim = (
        pc.fill_null(joined.column("similarity"), np.nan)
        .to_numpy(zero_copy_only=False)
        .astype(float)
    )
    sim[kept] = np.nan
    return DedupResult(ids, kept, cluster, duplicate_of, reason, sim)
