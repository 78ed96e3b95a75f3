"""Shuffle keys and the bounded-memory external sort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.mix.hashing import row_key, row_keys
from errsynth.mix.shuffle import (
    KEY_COLUMN,
    ExternalSorter,
    add_shuffle_key,
    buckets_for,
    shuffle_keys,
    sort_table,
)
from errsynth.mix.spool import Spool


def test_keys_are_stable_and_vectorized_equals_scalar() -> None:
    ids = ["a", "b", "é", ""]
    vec = row_keys(3, "clean", ids, 2)
    assert vec.dtype == np.uint64
    assert [int(k) for k in vec] == [row_key(3, "clean", i, 2) for i in ids]
    assert row_key(0, "clean", "abc") != row_key(1, "clean", "abc")
    assert row_key(0, "clean", "abc") != row_key(0, "clean", "abc", 1)
    assert row_key(0, "clean", "abc") != row_key(0, "retry", "abc")
    ks = shuffle_keys(0, ["x", "x"], np.array([0, 1]))
    assert ks[0] != ks[1]


def test_key_value_is_pinned() -> None:
    """The key is BLAKE2b-64 of a fixed layout: changing it changes every mix ever made."""
    import hashlib

    h = hashlib.blake2b(b"errsynth-mix\x1f0\x1fclean\x1f0\x1fabc", digest_size=8)
    assert row_key(0, "clean", "abc") == int.from_bytes(h.digest(), "big")


def test_buckets_for() -> None:
    assert buckets_for(0, 100) == 1
    assert buckets_for(50, 100) == 1
    assert buckets_for(51, 100) == 2
    assert buckets_for(1000, 100) == 32


def _keyed(n: int, seed: int) -> pa.Table:
    ids = [f"r{i}" for i in range(n)]
    t = pa.table(
        {
            "id": ids,
            "repeat": pa.array([i % 3 for i in range(n)], pa.int32()),
            "payload": ["x" * (i % 50) for i in range(n)],
        }
    )
    return add_shuffle_key(seed, t)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 3000), st.sampled_from([1, 2, 8, 64]), st.integers(1, 5000), st.integers(1, 9)
)
def test_external_sort_equals_in_memory_sort(
    n: int, buckets: int, memory: int, n_chunks: int
) -> None:
    t = _keyed(n, 7)
    want = sort_table(t)
    sorter = ExternalSorter(t.schema, buckets, memory)
    try:
        step = max(1, n // n_chunks)
        for i in range(0, n, step):
            sorter.add(t.slice(i, step))
        assert sorter.rows == n
        got = pa.concat_tables([t.schema.empty_table(), *sorter.sorted_tables()])
    finally:
        sorter.close()
    assert got.equals(want)
    keys = got.column(KEY_COLUMN).to_numpy()
    assert (np.diff(keys.astype(np.float64)) >= 0).all()


def test_spool_spills_and_projects(tmp_path: Path) -> None:
    t = _keyed(1000, 1)
    s = Spool(tmp_path / "s.arrow", t.schema, memory_bytes=2000)
    for i in range(0, 1000, 100):
        s.append(t.slice(i, 100))
    assert s.spilled and s.rows == 1000
    assert pa.concat_tables(s.batches()).equals(t)
    assert pa.concat_tables(s.batches(["id"])).column_names == ["id"]
    s.discard()
    assert not (tmp_path / "s.arrow").exists()
