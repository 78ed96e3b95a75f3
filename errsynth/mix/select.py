"""Which rows (and how many copies) each stream contributes, decided by key order.

For a stream with quota Q over A available units (rows or tokens):
``full_epochs = Q // A`` passes take every row; one more pass (the *partial
epoch*, index ``full_epochs``) takes rows in the order of their key
``row_key(seed, stream, id, full_epochs)`` until the remainder ``R = Q % A`` is
met. Each pass has its own keys, so a repeat picks a fresh sample.

"Until met": rows are taken while the running total is below R; the row that
crosses R is kept only if that lands closer to R than stopping short. Rows:
exactly R. Tokens: within half the crossing row's tokens of R.

The cut is found in bounded memory and is mergeable across workers: a
histogram of the partial-epoch keys over their top 16 bits (`KeyHistogram`)
finds the bucket in which R is crossed; only that bucket's rows are then
collected (`Refiner`) and walked in (key, id) order. The result (`Selection`)
is a pure per-row function, so any engine can apply it batch by batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.mix.hashing import row_keys
from errsynth.mix.weights import MixPlan, StreamQuota

BUCKET_BITS = 16
N_BUCKETS = 1 << BUCKET_BITS
_SHIFT = np.uint64(64 - BUCKET_BITS)


def _units(plan: MixPlan, n_tokens: np.ndarray) -> np.ndarray:
    return np.ones(len(n_tokens), dtype=np.int64) if plan.weight_by == "rows" else n_tokens


def _partial(plan: MixPlan) -> dict[str, StreamQuota]:
    return {q.name: q for q in plan.quotas if q.remainder > 0}


def _by_stream(
    stream: pa.Array | pa.ChunkedArray, names: Sequence[str]
) -> list[tuple[str, np.ndarray]]:
    """(name, row indices) for each wanted stream present in a batch."""
    idx = pc.index_in(stream, value_set=pa.array(list(names), pa.string()))
    arr = _numpy(pc.fill_null(idx, -1))
    out = []
    for i, name in enumerate(names):
        rows = np.flatnonzero(arr == i)
        if len(rows):
            out.append((name, rows))
    return out


def _numpy(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    return col.to_numpy(zero_copy_only=False)


def _columns(batch: pa.RecordBatch | pa.Table) -> tuple[list[str], pa.Array, np.ndarray]:
    ids = batch.column("id").to_pylist()
    return ids, batch.column("stream"), _numpy(batch.column("n_tokens")).astype(np.int64)


@dataclass
class KeyHistogram:
    """Units per top-16-bit key bucket of each partial-epoch stream; ``merge`` adds."""

    hist: dict[str, np.ndarray] = field(default_factory=dict)

    def update(self, plan: MixPlan, batch: pa.RecordBatch | pa.Table) -> None:
        """Add a batch with columns id, stream, n_tokens."""
        partial = _partial(plan)
        if not partial:
            return
        ids, stream, tok = _columns(batch)
        units = _units(plan, tok)
        for name, rows in _by_stream(stream, list(partial)):
            q = partial[name]
            keys = row_keys(plan.seed, name, [ids[i] for i in rows], q.partial_epoch)
            h = np.bincount(
                (keys >> _SHIFT).astype(np.int64), weights=units[rows], minlength=N_BUCKETS
            )
            self.hist.setdefault(name, np.zeros(N_BUCKETS, dtype=np.int64))
            self.hist[name] += np.rint(h).astype(np.int64)

    def merge(self, other: KeyHistogram) -> KeyHistogram:
        for name, h in other.hist.items():
            self.hist.setdefault(name, np.zeros(N_BUCKETS, dtype=np.int64))
            self.hist[name] += h
        return self

    def crossings(self, plan: MixPlan) -> dict[str, tuple[int, int]]:
        """Per partial stream: (bucket in which R is crossed, units in the buckets before)."""
        out = {}
        for name, q in _partial(plan).items():
            cum = np.cumsum(self.hist[name])
            b = int(np.searchsorted(cum, q.remainder, side="left"))
            out[name] = (b, int(cum[b - 1]) if b else 0)
        return out


@dataclass
class Refiner:
    """Collects the rows of each crossing bucket; ``merge`` concatenates (order is irrelevant)."""

    crossings: dict[str, tuple[int, int]]
    rows: dict[str, list[tuple[int, str, int]]] = field(default_factory=dict)

    def update(self, plan: MixPlan, batch: pa.RecordBatch | pa.Table) -> None:
        partial = _partial(plan)
        if not partial:
            return
        ids, stream, tok = _columns(batch)
        units = _units(plan, tok)
        for name, rows in _by_stream(stream, list(partial)):
            bucket = self.crossings[name][0]
            sub = [ids[i] for i in rows]
            keys = row_keys(plan.seed, name, sub, partial[name].partial_epoch)
            hit = np.flatnonzero((keys >> _SHIFT) == np.uint64(bucket))
            got = self.rows.setdefault(name, [])
            got.extend((int(keys[j]), sub[j], int(units[rows[j]])) for j in hit)

    def merge(self, other: Refiner) -> Refiner:
        for name, r in other.rows.items():
            self.rows.setdefault(name, []).extend(r)
        return self

    def cuts(self, plan: MixPlan) -> dict[str, Cut]:
        out = {}
        for name, q in _partial(plan).items():
            bucket, before = self.crossings[name]
            total = before
            cut = Cut(bucket << (64 - BUCKET_BITS), None)  # nothing of the bucket yet
            for key, rid, u in sorted(self.rows.get(name, [])):
                if total >= q.remainder:
                    break
                after = total + u
                if after > q.remainder and after - q.remainder > q.remainder - total:
                    break  # stopping short is closer
                cut, total = Cut(key, rid), after
            out[name] = cut
        return out


@dataclass(frozen=True)
class Cut:
    """The partial epoch takes rows with (key, id) <= (key, row_id); row_id None: key < key."""

    key: int
    row_id: str | None

    def take(self, keys: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        out = keys < np.uint64(self.key)
        if self.row_id is not None:
            for j in np.flatnonzero(keys == np.uint64(self.key)):
                out[j] = ids[j] <= self.row_id
        return out


@dataclass(frozen=True)
class Selection:
    """Copies of each row in the output: a pure function of (plan, cuts, stream, id)."""

    plan: MixPlan
    cuts: Mapping[str, Cut]

    def multiplicity(self, batch: pa.RecordBatch | pa.Table) -> np.ndarray:
        """int64 copies per row of a batch with columns id and stream."""
        ids = batch.column("id").to_pylist()
        out = np.zeros(batch.num_rows, dtype=np.int64)
        quotas = {q.name: q for q in self.plan.quotas}
        for name, rows in _by_stream(batch.column("stream"), list(quotas)):
            q = quotas[name]
            out[rows] = q.full_epochs
            if q.remainder:
                sub = [ids[i] for i in rows]
                keys = row_keys(self.plan.seed, name, sub, q.partial_epoch)
                out[rows] += self.cuts[name].take(keys, sub)
        return out


def expand(batch: pa.Table, copies: np.ndarray) -> pa.Table:
    """Repeat each row ``copies`` times and add ``repeat`` (0, 1, …) to tell copies apart."""
    n = int(copies.sum())
    src = np.repeat(np.arange(len(copies), dtype=np.int64), copies)
    starts = np.repeat(np.cumsum(copies) - copies, copies)
    repeat = (np.arange(n, dtype=np.int64) - starts).astype(np.int32)
    out = batch.take(pa.array(src))
    return out.append_column(pa.field("repeat", pa.int32(), nullable=False), pa.array(repeat))


def select_in_memory(plan: MixPlan, batches: Sequence[pa.Table]) -> Selection:
    """The two passes over (id, stream, n_tokens) batches that produce the cuts."""
    hist = KeyHistogram()
    for b in batches:
        hist.update(plan, b)
    ref = Refiner(hist.crossings(plan))
    for b in batches:
        ref.update(plan, b)
    return Selection(plan, ref.cuts(plan))
