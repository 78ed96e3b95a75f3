"""Deterministic global shuffle: order rows by ``shuffle key = hash(seed, id, repeat)``.

Ties (a 64-bit collision, or the same id twice) fall back to (id, repeat), so
the order is total for unique (id, repeat). Another engine reproduces the same
order by computing `shuffle_keys` into a column and sorting on `SORT_KEYS`
(Ray Data: ``ds.sort(["_mix_key", "id", "repeat"])``).

`ExternalSorter` is the local engine's bounded-memory sort. The keys are
uniform hashes, so splitting the key range into 2**k equal buckets gives
buckets of nearly equal size: rows are spooled to their bucket (spilling to
disk past the memory budget), then each bucket is sorted alone, in key order.
"""

from __future__ import annotations

import itertools
import math
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.mix.hashing import SHUFFLE_NAMESPACE, row_keys_repeats
from errsynth.mix.spool import Spool

KEY_COLUMN = "_mix_key"
SORT_KEYS = [(KEY_COLUMN, "ascending"), ("id", "ascending"), ("repeat", "ascending")]


def shuffle_keys(seed: int, ids: list[str], repeats: np.ndarray) -> np.ndarray:
    """uint64 sort key of each (id, repeat)."""
    return row_keys_repeats(seed, SHUFFLE_NAMESPACE, ids, repeats)


def add_shuffle_key(seed: int, table: pa.Table) -> pa.Table:
    """``table`` (with id and repeat) plus the `KEY_COLUMN` column."""
    keys = shuffle_keys(seed, table.column("id").to_pylist(), table.column("repeat").to_numpy())
    return table.append_column(
        pa.field(KEY_COLUMN, pa.uint64(), nullable=False), pa.array(keys, pa.uint64())
    )


def sort_table(table: pa.Table, sort_keys: list[tuple[str, str]] | None = None) -> pa.Table:
    """``table`` in shuffle order (in memory)."""
    keys = sort_keys or [k for k in SORT_KEYS if k[0] in table.schema.names]
    return table.take(pc.sort_indices(table, sort_keys=keys))


def buckets_for(total_bytes: int, memory_bytes: int) -> int:
    """Power-of-two bucket count so that one bucket takes about half the memory budget."""
    need = math.ceil(2 * total_bytes / max(memory_bytes, 1))
    return 1 << max(0, math.ceil(math.log2(need))) if need > 1 else 1


class ExternalSorter:
    """Sort tables carrying `KEY_COLUMN` in bounded memory; yields sorted tables in order."""

    def __init__(
        self,
        schema: pa.Schema,
        num_buckets: int,
        memory_bytes: int,
        tmp_dir: Path | None = None,
        sort_keys: list[tuple[str, str]] | None = None,
    ) -> None:
        if num_buckets < 1 or num_buckets & (num_buckets - 1):
            raise ValueError("num_buckets must be a power of two")
        self.schema = schema
        self.bits = num_buckets.bit_length() - 1
        self.sort_keys = sort_keys
        self._own_tmp = tmp_dir is None
        self.tmp = Path(tempfile.mkdtemp(prefix="errsynth-sort-")) if tmp_dir is None else tmp_dir
        per = max(memory_bytes // num_buckets, 1)
        self.spools = [
            Spool(self.tmp / f"bucket-{i:05d}.arrow", schema, per) for i in range(num_buckets)
        ]

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.spools)

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self.bits == 0:
            self.spools[0].append(table)
            return
        keys = table.column(KEY_COLUMN).to_numpy()
        bucket = (keys >> np.uint64(64 - self.bits)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(len(self.spools) + 1))
        ordered = table.take(pa.array(order))
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            if hi > lo:
                self.spools[i].append(ordered.slice(int(lo), int(hi - lo)))

    def sorted_tables(self) -> Iterator[pa.Table]:
        """Each bucket, sorted, in key order; a bucket's storage is freed once yielded."""
        for s in self.spools:
            if s.rows:
                yield sort_table(s.read_all(), self.sort_keys)
            s.discard()

    def close(self) -> None:
        for s in self.spools:
            s.discard()
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
