"""MinHash near dedup on one machine: signatures -> band buckets -> components.

This is the local engine's path, on numpy arrays in keep order (row `i` of every
array is the row of rank `i`). The distributed path runs the same three steps as
Arrow-table functions (`errsynth.dedup.batches`) around a shuffle, and gives the
same edges, hence the same clusters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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


class SignatureBuffer:
    """Signature rows appended batch by batch into one array (grown by doubling when
    the expected row count is unknown or exceeded)."""

    def __init__(self, width: int, expected_rows: int | None = None) -> None:
        self.data = np.empty((max(expected_rows or 0, 1024), width), dtype=np.uint32)
        self.size = 0

    def append(self, rows: np.ndarray) -> None:
        end = self.size + rows.shape[0]
        if end > self.data.shape[0]:
            grown = np.empty((max(end, 2 * self.data.shape[0]), self.data.shape[1]), np.uint32)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : end] = rows
        self.size = end

    def in_order(self, perm: np.ndarray) -> np.ndarray:
        """The rows in keep order (a view when they already are)."""
        rows = self.data[: self.size]
        self.data = np.empty((0, rows.shape[1]), dtype=np.uint32)
        if np.array_equal(perm, np.arange(len(perm))):
            return rows
        return rows[perm]


def band_edges(
    signatures: np.ndarray, lsh: LshParams, candidates: np.ndarray | None = None
) -> Iterator[Edges]:
    """Each band's verified leader links, positions = keep-order ranks.

    `candidates` (a bool mask) leaves rows out of bucketing, e.g. empty texts,
    whose all-max signature would otherwise put them all in one bucket.
    """
    n = signatures.shape[0]
    rows = np.arange(n, dtype=np.int64) if candidates is None else np.flatnonzero(candidates)
    sig = signatures if candidates is None else signatures[rows]
    for j in range(lsh.bands):
        keys = combine_columns(sig[:, j * lsh.rows : (j + 1) * lsh.rows], salt=j)
        e = bucket_edges(keys, rows, sig, lsh.verify_threshold, lsh.max_rounds)
        yield Edges(rows[e.src], rows[e.dst], e.similarity)


def lsh_edges(
    signatures: np.ndarray, lsh: LshParams, candidates: np.ndarray | None = None
) -> Edges:
    """The links of all bands (`band_edges`), each pair once."""
    n = signatures.shape[0]
    # Most pairs are found in several bands: fold the bands' edges into the unique set
    # as they come (whenever the pending ones outnumber it), so memory follows the
    # unique pairs rather than pairs x bands.
    unique = Edges.empty()
    pending: list[Edges] = []
    pending_size = 0
    for e in band_edges(signatures, lsh, candidates):
        pending.append(e)
        pending_size += len(e)
        if pending_size > max(1 << 18, len(unique)):
            unique = _unique_pairs(Edges.concat([unique, *pending]), n)
            pending, pending_size = [], 0
    return _unique_pairs(Edges.concat([unique, *pending]), n)


def _unique_pairs(edges: Edges, n: int) -> Edges:
    """Each (src, dst) pair once (its similarity is the same whichever band found it)."""
    if len(edges) == 0:
        return edges
    _, first = np.unique(edges.src * n + edges.dst, return_index=True)
    return Edges(edges.src[first], edges.dst[first], edges.similarity[first])


def lsh_components(
    signatures: np.ndarray, lsh: LshParams, candidates: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """`band_edges` folded band by band into components, without keeping the edges.

    Returns per rank the rank of its component's first member, the best similarity
    of the links it starts (NaN if none), and the number of distinct links. The
    state is O(rows) plus one uint64 per distinct link, however many bands find
    a pair: the same answer as `min_label_components` over `lsh_edges`.
    """
    n = signatures.shape[0]
    nodes = np.arange(n, dtype=np.int64)
    labels = nodes.copy()
    best = np.full(n, -np.inf)
    seen = np.empty(0, dtype=np.int64)  # distinct links as src * n + dst, sorted
    pending: list[np.ndarray] = []
    pending_size = 0
    for e in band_edges(signatures, lsh, candidates):
        if len(e) == 0:
            continue
        _raise_best(best, e)
        pending.append(e.src * n + e.dst)
        pending_size += len(e)
        if pending_size > max(1 << 18, seen.size):
            seen = np.unique(np.concatenate([seen, *pending]))
            pending, pending_size = [], 0
        moved = np.flatnonzero(labels != nodes)  # earlier components, as edges to their label
        labels = min_label_components(
            n, np.concatenate([e.src, moved]), np.concatenate([e.dst, labels[moved]])
        )
    links = np.unique(np.concatenate([seen, *pending])).size
    best[np.isneginf(best)] = np.nan
    return labels, best, links


def _raise_best(best: np.ndarray, edges: Edges) -> None:
    """`best[src]` raised to each link's similarity (unverified links count as -inf)."""
    np.maximum.at(best, edges.src, np.nan_to_num(edges.similarity, nan=-np.inf))


def best_link_similarity(n: int, edges: Edges) -> np.ndarray:
    """Per node, the highest similarity of a link it starts (NaN if none)."""
    best = np.full(n, -np.inf)
    if len(edges):
        _raise_best(best, edges)
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
    total_rows: int | None = None,
) -> DedupResult:
    """`near_dedup` of the concatenated batches, reading one batch at a time.

    Only the signatures (num_perm × 4 bytes per row), the ids and the order stay in
    memory; each batch's texts are dropped once hashed. Rows are the batches' rows
    in order. `total_rows`, when known, lets the signatures go straight into one
    array instead of being concatenated at the end (half the peak).
    """
    cfg = config or NearDedupConfig()
    lsh = cfg.lsh()
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    hasher = MinHasher(cfg.minhash)
    norm_cfg = cfg.minhash.normalize
    sigs = SignatureBuffer(cfg.minhash.num_perm, total_rows)
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
    signatures = sigs.in_order(perm)
    nonempty = in_rank_order(flags, perm, (0,), bool)
    n = signatures.shape[0]
    rep_rank, best, links = lsh_components(signatures, lsh, None if nonempty.all() else nonempty)
    del signatures
    stats = {
        "rows": float(n),
        "bands": float(lsh.bands),
        "rows_per_band": float(lsh.rows),
        "links": float(links),
        "removed": float((rep_rank != np.arange(n)).sum()),
    }
    return result_from_representatives(
        id_array(key_table, id_col) if n else pa.array([], pa.int64()),
        perm,
        rep_rank,
        NEAR_DUPLICATE,
        best,
        stats,
    )
