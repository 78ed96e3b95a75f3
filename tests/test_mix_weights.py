"""Quotas, selection cuts and repeats: exact for rows, within half a row for tokens."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.mix.hashing import row_key
from errsynth.mix.select import KeyHistogram, Refiner, Selection, expand, select_in_memory
from errsynth.mix.spec import MixSpec
from errsynth.mix.weights import MixPlanError, largest_remainder, plan_mix


def _spec(weights: dict[str, float], **over: Any) -> MixSpec:
    d: dict[str, Any] = {
        "streams": [{"name": n, "where": {"s": n}, "weight": w} for n, w in weights.items()]
    }
    d.update(over)
    return MixSpec.from_dict(d)


def _annotated(sizes: dict[str, list[int]]) -> pa.Table:
    ids, streams, toks = [], [], []
    for name, tokens in sizes.items():
        for i, t in enumerate(tokens):
            ids.append(f"{name}-{i}")
            streams.append(name)
            toks.append(t)
    return pa.table({"id": ids, "stream": streams, "n_tokens": pa.array(toks, pa.int32())})


@given(st.lists(st.integers(0, 50), min_size=1, max_size=6), st.integers(0, 10_000))
def test_largest_remainder_sums_exactly(ws: list[int], total: int) -> None:
    if sum(ws) == 0:
        ws = [*ws, 1]
    shares = [Fraction(w, sum(ws)) for w in ws]
    got = largest_remainder(shares, total)
    assert sum(got) == total
    assert all(abs(g - s * total) < 1 for g, s in zip(got, shares, strict=True))


def test_plan_all_is_limited_by_scarcest_stream() -> None:
    plan = plan_mix(_spec({"a": 1, "b": 3}), {"a": 100, "b": 1000})
    q = {x.name: x for x in plan.quotas}
    assert plan.target == 400 and q["a"].quota == 100 and q["b"].quota == 300
    assert q["a"].full_epochs == 1 and q["a"].remainder == 0  # all of it, no cut
    assert q["b"].full_epochs == 0 and q["b"].remainder == 300


def test_plan_shortfall_error_shrink_and_repeat() -> None:
    with pytest.raises(MixPlanError, match=r"'a' needs 500 rows, holds 100.*allow_repeat"):
        plan_mix(_spec({"a": 1, "b": 1}, target=1000), {"a": 100, "b": 1000})
    shrunk = plan_mix(
        _spec({"a": 1, "b": 1}, target=1000, on_shortfall="shrink"), {"a": 100, "b": 1000}
    )
    assert shrunk.target == 200
    rep = plan_mix(_spec({"a": 1, "b": 1}, target=1000, allow_repeat=True), {"a": 120, "b": 1000})
    qa = rep.quotas[0]
    assert (qa.quota, qa.full_epochs, qa.remainder) == (500, 4, 20)
    with pytest.raises(MixPlanError, match="holds no rows"):
        plan_mix(_spec({"a": 1, "b": 1}), {"a": 0, "b": 10})


def _brute_force(sizes: dict[str, list[int]], plan_: Any, unit: str) -> dict[str, int]:
    """Copies per id by walking every stream's rows in (key, id) order."""
    out = {}
    for q in plan_.quotas:
        rows = [(f"{q.name}-{i}", t) for i, t in enumerate(sizes[q.name])]
        for rid, _ in rows:
            out[rid] = q.full_epochs
        if not q.remainder:
            continue
        order = sorted(
            rows, key=lambda r: (row_key(plan_.seed, q.name, r[0], q.partial_epoch), r[0])
        )
        total = 0
        for rid, t in order:
            u = 1 if unit == "rows" else t
            if total >= q.remainder:
                break
            after = total + u
            if after > q.remainder and after - q.remainder > q.remainder - total:
                break
            out[rid] += 1
            total = after
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.lists(st.integers(0, 300), min_size=1, max_size=80),
        min_size=1,
    ),
    st.sampled_from(["rows", "tokens"]),
    st.integers(1, 30_000),
    st.integers(0, 3),
    st.integers(1, 7),
)
def test_selection_matches_brute_force(
    sizes: dict[str, list[int]], unit: str, target: int, seed: int, n_parts: int
) -> None:
    names = sorted(sizes)
    if unit == "tokens" and any(sum(sizes[n]) == 0 for n in names):
        sizes = {n: [*v, 5] for n, v in sizes.items()}
    spec = _spec(
        {n: i + 1 for i, n in enumerate(names)},
        weight_by=unit,
        target=target,
        allow_repeat=True,
        seed=seed,
    )
    table = _annotated(sizes)
    avail = {n: (len(sizes[n]) if unit == "rows" else sum(sizes[n])) for n in names}
    plan_ = plan_mix(spec, avail)
    # Partitioned, merged accumulators give the same cut as one pass.
    parts = [
        table.slice(
            i * table.num_rows // n_parts,
            (i + 1) * table.num_rows // n_parts - i * table.num_rows // n_parts,
        )
        for i in range(n_parts)
    ]
    hist = KeyHistogram()
    for p in parts:
        h = KeyHistogram()
        h.update(plan_, p)
        hist.merge(h)
    ref = Refiner(hist.crossings(plan_))
    for p in reversed(parts):
        r = Refiner(ref.crossings)
        r.update(plan_, p)
        ref.merge(r)
    sel = Selection(plan_, ref.cuts(plan_))
    copies = sel.multiplicity(table)
    want = _brute_force(sizes, plan_, unit)
    assert dict(zip(table.column("id").to_pylist(), copies.tolist(), strict=True)) == want
    assert select_in_memory(plan_, [table]).cuts == sel.cuts
    # What each stream got, against its quota.
    tok = table.column("n_tokens").to_numpy()
    for q in plan_.quotas:
        m = np.array([s == q.name for s in table.column("stream").to_pylist()])
        got = int((copies[m] * (1 if unit == "rows" else tok[m])).sum())
        if unit == "rows":
            assert got == q.quota
        else:
            assert abs(got - q.quota) <= tok[m].max() // 2  # the crossing row, halved


def test_token_weights_within_tolerance() -> None:
    """Each stream lands within half its largest row of its token quota; shares follow."""
    rng = np.random.default_rng(0)
    sizes = {n: rng.integers(20, 400, 3000).tolist() for n in ("a", "b", "c")}
    spec = _spec({"a": 0.6, "b": 0.3, "c": 0.1}, weight_by="tokens", target=600_000, seed=1)
    plan_ = plan_mix(spec, {n: sum(v) for n, v in sizes.items()})
    table = _annotated(sizes)
    copies = select_in_memory(plan_, [table]).multiplicity(table)
    tok = table.column("n_tokens").to_numpy()
    streams = np.array(table.column("stream").to_pylist())
    got = {n: int((copies * tok)[streams == n].sum()) for n in sizes}
    total = sum(got.values())
    for q in plan_.quotas:
        assert abs(got[q.name] - q.quota) <= 200  # max row 399 tokens -> at most 199.5 off
        # share error <= (3 * 200) / 600_000 = 0.1 percentage point
        assert abs(got[q.name] / total - float(q.share)) <= 0.001


def test_expand_repeats_get_distinct_indices() -> None:
    t = pa.table({"id": ["x", "y", "z"]})
    out = expand(t, np.array([2, 0, 3]))
    assert out.column("id").to_pylist() == ["x", "x", "z", "z", "z"]
    assert out.column("repeat").to_pylist() == [0, 1, 0, 1, 2]
