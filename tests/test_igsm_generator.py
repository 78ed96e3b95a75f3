"""Our iGSM-style generator: every row checks, parses, is deterministic and in range."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.igsm.checker import check
from errsynth.igsm.generator import GeneratorConfig, generate, generate_row
from errsynth.igsm.opdist import op_probabilities
from errsynth.igsm.text import parse_problem, parse_solution, recompute
from errsynth.igsm.vocab import FULL_HIERARCHIES, vocabulary_lookup

configs = st.builds(
    GeneratorConfig,
    max_ops=st.integers(1, 24),
    names=st.sampled_from(["full", "short"]),
    distractors=st.one_of(st.none(), st.integers(0, 6)),
)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**40), index=st.integers(0, 10**6), cfg=configs)
def test_rows_check_parse_and_are_in_range(seed: int, index: int, cfg: GeneratorConfig) -> None:
    row = generate_row(seed, index, cfg)
    assert row == generate_row(seed, index, cfg)  # deterministic
    problem = parse_problem(str(row["problem"]))
    steps = parse_solution(str(row["solution"]))
    recompute(steps)
    assert 1 <= int(row["op"]) <= cfg.max_ops  # type: ignore[call-overload]
    assert sum(max(1, s.n_arith) for s in steps) == row["op"]
    assert row["answer"] == str(steps[-1].value) and 0 <= int(str(row["answer"])) < 23
    assert steps[-1].param == problem.query
    assert problem.params, "a problem always states something"
    if cfg.distractors is not None:
        assert row["n_distractors"] <= cfg.distractors
    for lookup in (vocabulary_lookup, None):  # with our vocabulary and from text + solution
        result = check(str(row["problem"]), str(row["solution"]), str(row["answer"]), lookup=lookup)
        assert result.ok, result.reason


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), max_ops=st.integers(1, 15))
def test_stream_is_deterministic(seed: int, max_ops: int) -> None:
    a = list(generate(5, max_ops, seed))
    assert a == list(generate(5, max_ops, seed))
    assert a[2:] == list(generate(3, max_ops, seed, start=2))  # rows depend on (seed, i) only
    assert [r["index"] for r in a] == list(range(5))


def test_op_distribution_follows_the_paper() -> None:
    n = 4000
    ops = Counter(int(r["op"]) for r in generate(n, 15, seed=5))  # type: ignore[call-overload]
    for k, p in op_probabilities(15).items():
        assert abs(ops[k] / n - p) < 0.02, (k, ops[k] / n, p)
    assert set(ops) <= set(range(1, 16))


def test_short_names_are_single_words() -> None:
    for row in generate(200, 10, seed=9, names="short"):
        problem = parse_problem(str(row["problem"]))
        for name in problem.mentioned:
            owner, item = name.split("'s ")
            assert re.fullmatch(r"[A-D]\d*", owner) and re.fullmatch(r"[A-D]\d*", item)


def test_distractor_knob() -> None:
    zero = list(generate(200, 8, seed=3, distractors=0))
    assert all(r["n_distractors"] == 0 for r in zero)
    full = list(generate(200, 8, seed=3))
    assert sum(int(r["n_distractors"]) for r in full) > 200  # type: ignore[call-overload]


def test_vocabulary_is_unambiguous() -> None:
    seen: set[str] = set()
    for h in FULL_HIERARCHIES:
        for layer, (cat, items) in enumerate(zip(h.categories, h.items, strict=True)):
            assert len(items) >= 10
            for name in (cat, *items):
                assert name not in seen and vocabulary_lookup(name) == layer
                seen.add(name)
    assert vocabulary_lookup("C12") == 2 and vocabulary_lookup("D") == 3
    assert vocabulary_lookup("Erewhon Market") is None


@pytest.mark.parametrize(
    "kwargs",
    [{"max_ops": 0}, {"max_ops": 53}, {"names": "tiny"}, {"distractors": -1}, {"modulus": 1}],
)
def test_config_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(**kwargs)


def test_large_op_counts() -> None:
    cfg = GeneratorConfig(max_ops=40)
    for i in range(10):
        row = generate_row(1, i, cfg)
        assert check(str(row["problem"]), str(row["solution"]), str(row["answer"])).ok


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), modulus=st.sampled_from([5, 7, 29, 101]))
def test_other_moduli(seed: int, modulus: int) -> None:
    row = generate_row(seed, 0, GeneratorConfig(max_ops=10, modulus=modulus))
    assert 0 <= int(str(row["answer"])) < modulus and row["modulus"] == modulus
    assert check(str(row["problem"]), str(row["solution"]), str(row["answer"]), modulus=modulus).ok
    recompute(parse_solution(str(row["solution"])), modulus=modulus)
