"""What a dedup or decontamination pass says about each row (in input row order)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
CONTAMINATED = "contaminated"


@dataclass(frozen=True)
class DedupResult:
    """Per-row verdict of exact or near dedup.

    `cluster_id` is the id of the cluster's representative, the first member in
    keep order (a row alone is its own cluster); `duplicate_of` is that id for
    removed rows and null for kept ones, so a removed row always points at a kept
    row of its own cluster. `similarity` is the estimated Jaccard similarity of a
    removed row to the row it was linked to (near dedup only; NaN when kept).
    `stats` holds pass counters for manifests (candidate pairs, clusters, ...).
    """

    ids: pa.Array
    kept_mask: np.ndarray
    cluster_id: pa.Array
    duplicate_of: pa.Array
    reason: str
    similarity: np.ndarray | None = None
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return len(self.kept_mask)

    @property
    def num_removed(self) -> int:
        return int((~self.kept_mask).sum())

    def reasons(self) -> pa.Array:
        """`reason` for removed rows, null for kept rows."""
        return pa.array([None if k else self.reason for k in self.kept_mask.tolist()], pa.string())

    def to_arrow(self) -> pa.Table:
        """id, kept, cluster_id, duplicate_of, reason (and similarity for near dedup)."""
        cols: dict[str, pa.Array] = {
            "id": self.ids,
            "kept": pa.array(self.kept_mask),
            "cluster_id": self.cluster_id,
            "duplicate_of": self.duplicate_of,
            "reason": self.reasons(),
        }
        if self.similarity is not None:
            sim = pa.array(self.similarity, pa.float32(), mask=np.isnan(self.similarity))
            cols["similarity"] = sim
        return pa.table(cols)


def result_from_representatives(
    ids: pa.Array,
    perm: np.ndarray,
    rep_rank: np.ndarray,
    reason: str,
    similarity_by_rank: np.ndarray | None = None,
    stats: dict[str, float] | None = None,
) -> DedupResult:
    """Build a result from rank space (`rep_rank[r]` = rank of r's representative).

    `perm[rank] = row` maps ranks back to input rows.
    """
    n = perm.shape[0]
    rank = np.empty_like(perm)
    rank[perm] = np.arange(n, dtype=perm.dtype)
    rep_row = perm[rep_rank[rank]]
    rows = np.arange(n, dtype=perm.dtype)
    kept = rep_row == rows
    cluster = ids.take(pa.array(rep_row))
    duplicate_of = pc.if_else(pa.array(kept), pa.nulls(n, cluster.type), cluster)
    similarity = None
    if similarity_by_rank is not None:
        similarity = similarity_by_rank[rank].astype(np.float64)
        similarity[kept] = np.nan
    return DedupResult(ids, kept, cluster, duplicate_of, reason, similarity, dict(stats or {}))


def id_array(table: pa.Table, id_col: str = "id") -> pa.Array:
    """The id column as one array, or row numbers when the table has none."""
    if id_col in table.column_names:
        return table.column(id_col).combine_chunks()
    return pa.array(np.arange(table.num_rows, dtype=np.int64))
