"""MinHash near dedup on one machine: signatures -> band buckets -> components.

This is the local engine's path, on numpy arrays in keep order (row `i` of every
array is the row of rank `i`). The distributed path runs the same three steps as
Arrow-table functions (`errsynth.dedup.steps`) around a shuffle, and gives the
same edges, hence the same clusters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from errsynth.dedup.buckets import Edges, bucket_edges
from errsynth.dedup.components import min_label_components
from errsynth.dedup.hashing import combine_columns
from errsynth.dedup.lsh import LshParams
from errsynth.dedup.minhash import MinHasher, MinHashParams
from errsynth.dedup.normalize import normalize_fields
from errsynth.dedup.order import in_rank_order, keep_permutation, key_columns, text_columns
from errsynth.dedup.result import NEAR_DUPLICATE, DedupResult, id_array, result_from_representatives


@dataclass(frozen=True, slots=True)
class NearDedupConfig:
    """MinHash and LSH settings of a near-dedup pass.

    `bands`/`rows` override the choice made from `threshold`; `verify` drops
    candidates whose signature agreement is below `threshold`. The default 0.5
    on word 3-grams (rather than the web-scale 0.8 on word 5-grams) comes from
    planted edits of GSM8K problems: see errsynth/dedup/README.md.
    """

    minhash: MinHashParams = field(default_factory=MinHashParams)
    threshold: float = 0.5
    bands: int | None = None
    rows: int | None = None
    verify: bool = True
    false_positive_weight: float = 0.5
    false_negative_weight: float = 0.5
    max_rounds: int = 4

    def lsh(self) -> LshParams:
        """The banding actually used."""
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither")
        if self.bands is not None and self.rows is not None:
            params = LshParams(
                self.bands, self.rows, self.threshold if self.verify else None, self.max_rounds
            )
        else:
            params = LshParams.for_threshold(
                self.threshold,
                self.minhash.num_perm,
                false_positive_weight=self.false_positive_weight,
                false_negative_weight=self.false_negative_weight,
                verify=self.verify,
                max_rounds=self.max_rounds,
            )
        params.check(self.minhash.num_perm)
        return params


def lsh_edges(
    signatures: np.ndarray, lsh: LshParams, candidates: np.ndarray | None = None
) -> Edges:
    """Verified leader links over all bands, positions = keep-order ranks.

    `candidates` (a bool mask) leaves rows out of bucketing, e.g. empty texts,
    whose all-max signature would otherwise put them all in one bucket. Pairs
    found in several bands appear once.
    """
    n = signatures.shape[0]
    rows = np.arange(n, dtype=np.int64) if candidates is None else np.flatnonzero(candidates)
    sig = signatures if candidates is None else signatures[rows]
    parts = []
    for j in range(lsh.bands):
        keys = combine_columns(sig[:, j * lsh.rows : (j + 1) * lsh.rows], salt=j)
        e = bucket_edges(keys, rows, sig, lsh.verify_threshold, lsh.max_rounds)
        parts.append(Edges(rows[e.src], rows[e.dst], e.similarity))
    edges = Edges.concat(parts)
    if len(edges) == 0:
        return edges
    pair = edges.src * n + edges.dst
    _, first = np.unique(pair, return_index=True)
    return Edges(edges.src[first], edges.dst[first], edges.similarity[first])


def best_link_similarity(n: int, edges: Edges) -> np.ndarray:
    """Per node, the highest similarity of a link it starts (NaN if none)."""
    best = np.full(n, -np.inf)
    if len(edges):
        np.maximum.at(best, edges.src, np.nan_to_num(edges.similarity, nan=-np.inf))
    best[np.isneginf(best)] = np.nan
    return best


def near_dedup(
    table: pa.Table,
    fields: str | Sequence[str] = "question",
    *,
    id_col: str = "id",
    order_col: str | None = None,
    config: NearDedupConfig | None = None,
) -> DedupResult:
    """Cluster near duplicates and keep the first row of each cluster.

    Every removed row's `duplicate_of` is its cluster's first row in keep order.
    Several fields are normalized separately and shingled as one text.
    """
    return near_dedup_batches([table], fields, id_col=id_col, order_col=order_col, config=config)


def near_dedup_batches(
    batches: Iterable[pa.Table],
    fields: str | Sequence[str] = "question",
    *,
    id_col: str = "id",
    order_col: str | None = None,
    config: NearDedupConfig | None = None,
) -> DedupResult:
    """`near_dedup` of the concatenated batches, reading one batch at a time.

    Only the signatures (num_perm × 4 bytes per row), the ids and the order stay in
    memory; each batch's texts are dropped once hashed. Rows are the batches' rows
    in order.
    """
    cfg = config or NearDedupConfig()
    lsh = cfg.lsh()
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    hasher = MinHasher(cfg.minhash)
    norm_cfg = cfg.minhash.normalize
    sigs: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    keys: list[pa.Table] = []
    for batch in batches:
        texts = [
            normalize_fields(vals, norm_cfg)
            for vals in zip(*text_columns(batch, names), strict=True)
        ]
        flags.append(np.fromiter((bool(t) for t in texts), dtype=bool, count=len(texts)))
        sigs.append(hasher.signatures_normalized(texts))
        del texts
        keys.append(key_columns(batch, id_col, order_col))
    key_table = pa.concat_tables(keys) if keys else pa.table({})
    perm = keep_permutation(key_table, id_col, order_col)
    signatures = in_rank_order(sigs, perm, (0, cfg.minhash.num_perm), np.uint32)
    nonempty = in_rank_order(flags, perm, (0,), bool)
    edges = lsh_edges(signatures, lsh, None if nonempty.all() else nonempty)
    n = signatures.shape[0]
    del signatures
    rep_rank = min_label_components(n, edges.src, edges.dst)
    stats = {
        "rows": float(n),
        "bands": float(lsh.bands),
        "rows_per_band": float(lsh.rows),
        "links": float(len(edges)),
        "removed": float((rep_rank != np.arange(n)).sum()),
    }
    return result_from_representatives(
        id_array(key_table, id_col) if n else pa.array([], pa.int64()),
        perm,
        rep_rank,
        NEAR_DUPLICATE,
        best_link_similarity(n, edges),
        stats,
    )
