"""Exact dedup, keep-first order and the components helper."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.dedup.components import min_label_components
from errsynth.dedup.exact import exact_dedup, exact_keys_batch
from errsynth.dedup.normalize import EXACT, normalize_fields
from errsynth.dedup.runs import first_of_runs


def test_exact_dedup_keeps_first_in_order_column() -> None:
    table = pa.table(
        {
            "id": [10, 11, 12, 13, 14],
            "order": [5, 1, 3, 2, 0],
            "question": ["Two  apples", "two apples", "pears", "TWO APPLES", "two apples."],
        }
    )
    res = exact_dedup(table, "question", order_col="order")
    # 11 has the smallest order among the three spellings of "two apples"
    assert res.kept_mask.tolist() == [False, True, True, False, True]
    assert res.duplicate_of.to_pylist() == [11, None, None, 11, None]
    assert res.cluster_id.to_pylist() == [11, 11, 12, 11, 14]
    assert res.to_arrow().column("reason").to_pylist() == [
        "exact_duplicate",
        None,
        None,
        "exact_duplicate",
        None,
    ]
    # without an order column the row order is the keep order
    res = exact_dedup(table, "question")
    assert res.duplicate_of.to_pylist() == [None, 10, None, 10, None]


def test_exact_dedup_several_fields_and_no_id_column() -> None:
    table = pa.table({"question": ["q", "q", "q"], "answer": ["1", "1", "2"]})
    res = exact_dedup(table, ["question", "answer"], id_col="id")
    assert res.kept_mask.tolist() == [True, False, True]
    assert res.duplicate_of.to_pylist() == [None, 0, None]  # row numbers stand in for ids
    keys = exact_keys_batch(table.to_batches()[0], ["question", "answer"])
    assert keys.type == pa.uint64() and keys[0] == keys[1] != keys[2]


def test_first_of_runs() -> None:
    keys = np.array([5, 3, 5, 7, 3, 5], dtype=np.uint64)
    assert first_of_runs(keys).tolist() == [0, 1, 0, 3, 1, 0]
    assert first_of_runs(np.empty(0, dtype=np.uint64)).tolist() == []


def test_min_label_components_chain_and_star() -> None:
    # chain 4-3-2-1-0 given in the worst order, plus a separate pair 6-5, and 7 alone
    src = np.array([4, 3, 2, 1, 6])
    dst = np.array([3, 2, 1, 0, 5])
    assert min_label_components(8, src, dst).tolist() == [0, 0, 0, 0, 0, 5, 5, 7]
    assert min_label_components(
        3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    ).tolist() == [0, 1, 2]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 60), st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=80))
def test_min_label_components_matches_union_find(n: int, pairs: list[tuple[int, int]]) -> None:
    pairs = [(a % n, b % n) for a, b in pairs]
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    expected = [min(j for j in range(n) if find(j) == find(i)) for i in range(n)]
    src = np.array([a for a, _ in pairs], dtype=np.int64)
    dst = np.array([b for _, b in pairs], dtype=np.int64)
    assert min_label_components(n, src, dst).tolist() == expected


WORDS = st.sampled_from(["apple", "Apple", "pear", "3", "4", "  ", "sold", "\u00a0"])
TEXTS = st.lists(st.lists(WORDS, min_size=0, max_size=4).map(" ".join), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.randoms(use_true_random=False))
def test_exact_dedup_properties(texts: list[str], rnd) -> None:
    n = len(texts)
    orders = rnd.sample(range(1000), n)
    table = pa.table({"id": [f"id{i}" for i in range(n)], "order": orders, "question": texts})
    res = exact_dedup(table, "question", order_col="order")
    by_id = _verdicts(res)

    # independent of input row order
    perm = rnd.sample(range(n), n)
    shuffled = exact_dedup(table.take(pa.array(perm)), "question", order_col="order")
    assert _verdicts(shuffled) == by_id

    norm = {f"id{i}": normalize_fields([t], EXACT) for i, t in enumerate(texts)}
    order = dict(zip(table.column("id").to_pylist(), orders, strict=True))
    for rid, (kept, cluster, dup) in by_id.items():
        if kept:
            assert dup is None and cluster == rid
        else:
            # points at a kept row of the same cluster, with the same text, earlier in order
            assert dup == cluster and by_id[dup][0] and by_id[dup][1] == cluster
            assert norm[dup] == norm[rid] and order[dup] < order[rid]
    # exact duplicates are always found: one kept row per distinct normalized text
    assert sum(k for k, _, _ in by_id.values()) == len(set(norm.values()))


def _verdicts(res) -> dict[str, tuple[bool, str, str | None]]:
    return {
        rid: (bool(k), c, d)
        for rid, k, c, d in zip(
            res.ids.to_pylist(),
            res.kept_mask.tolist(),
            res.cluster_id.to_pylist(),
            res.duplicate_of.to_pylist(),
            strict=True,
        )
    }
