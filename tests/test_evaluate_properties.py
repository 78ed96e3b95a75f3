"""Property tests: random expression trees, rendered as plain text and as LaTeX, evaluate to
what Fraction arithmetic computes directly; the checker accepts right results and refuses
perturbed ones; modular arithmetic matches Python's ``%``; no text crashes anything."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from errsynth.evaluate import (
    EvalError,
    answers_equal,
    check_equation,
    evaluate,
    find_equations,
    format_value,
    normalize_answer,
    parse_number,
)
from errsynth.evaluate.formatting import decimal_places


@dataclass(frozen=True)
class Leaf:
    value: Fraction


@dataclass(frozen=True)
class Op:
    op: str  # "+", "-", "*", "/", "neg"
    left: Expr
    right: Expr | None = None


Expr = Leaf | Op

_leaf = st.one_of(
    st.integers(0, 60).map(lambda n: Leaf(Fraction(n))),
    st.integers(0, 999).map(lambda n: Leaf(Fraction(n, 10))),  # decimals like 12.5
    st.integers(0, 999).map(lambda n: Leaf(Fraction(n, 100))),
)
trees = st.recursive(
    _leaf,
    lambda sub: st.one_of(
        st.builds(Op, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(Op, st.just("neg"), sub),
    ),
    max_leaves=12,
)


def value(e: Expr) -> Fraction:
    if isinstance(e, Leaf):
        return e.value
    a = value(e.left)
    if e.op == "neg":
        return -a
    assert e.right is not None
    b = value(e.right)
    if e.op == "+":
        return a + b
    if e.op == "-":
        return a - b
    if e.op == "*":
        return a * b
    return a / b  # ZeroDivisionError is filtered by the tests


def leaf_text(v: Fraction) -> str:
    return format_value(v)  # "12", "12.5", "0.07": every leaf is a terminating decimal


def plain(e: Expr, style: int) -> str:
    if isinstance(e, Leaf):
        return leaf_text(e.value)
    if e.op == "neg":
        return f"-({plain(e.left, style)})"
    assert e.right is not None
    sym = {"+": "+", "-": "-", "*": ["*", " x ", "×"][style % 3], "/": ["/", "÷"][style % 2]}
    return f"({plain(e.left, style)}{sym[e.op]}{plain(e.right, style)})"


def latex(e: Expr, style: int) -> str:
    if isinstance(e, Leaf):
        return leaf_text(e.value)
    if e.op == "neg":
        return rf"-\left({latex(e.left, style)}\right)"
    assert e.right is not None
    a, b = latex(e.left, style), latex(e.right, style)
    if e.op == "/":
        return rf"\frac{{{a}}}{{{b}}}" if style % 2 else rf"\left({a} \div {b}\right)"
    sym = {"+": "+", "-": "-", "*": [r"\cdot", r"\times"][style % 2]}[e.op]
    return rf"\left({a} {sym} {b}\right)" if style % 3 else f"{{({a}) {sym} ({b})}}"


def fixed(v: Fraction, places: int) -> str:
    """``v`` written with exactly ``places`` decimals (``v`` terminates within them)."""
    scaled = abs(v) * 10**places
    assert scaled.denominator == 1
    digits = str(scaled.numerator).rjust(places + 1, "0")
    body = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return f"-{body}" if v < 0 else body


def exact_or_skip(e: Expr) -> Fraction:
    try:
        return value(e)
    except ZeroDivisionError:
        assume(False)
        raise


@settings(max_examples=300, deadline=None)
@given(trees, st.integers(0, 5))
def test_plain_rendering_evaluates_exactly(e: Expr, style: int) -> None:
    expected = exact_or_skip(e)
    assume(max(expected.numerator.bit_length(), expected.denominator.bit_length()) < 5000)
    assert evaluate(plain(e, style)) == expected


@settings(max_examples=300, deadline=None)
@given(trees, st.integers(0, 5))
def test_latex_rendering_evaluates_exactly(e: Expr, style: int) -> None:
    expected = exact_or_skip(e)
    assume(max(expected.numerator.bit_length(), expected.denominator.bit_length()) < 5000)
    assert evaluate(latex(e, style), syntax="latex") == expected


@settings(max_examples=200, deadline=None)
@given(trees, st.integers(0, 5), st.sampled_from([1, -1, 2, 7]))
def test_checker_accepts_results_and_refuses_perturbed_ones(
    e: Expr, style: int, nudge: int
) -> None:
    expected = exact_or_skip(e)
    assume(max(expected.numerator.bit_length(), expected.denominator.bit_length()) < 2000)
    text = plain(e, style)
    claimed = format_value(expected)
    assert check_equation(text, claimed).ok is True
    assert check_equation(latex(e, style), claimed, syntax="latex").ok is True
    # Off by whole units in the last written place: never a rounding of the exact value.
    places = decimal_places(expected.denominator)
    if places is not None and places <= 40:
        wrong = fixed(expected + Fraction(nudge, 10**places), places)
    else:
        wrong = format_value(expected + nudge)  # "a/b": not a literal, so never "rounded"
    verdict = check_equation(text, wrong)
    assert verdict.ok is False
    assert verdict.reason == "mismatch"
    assert verdict.value == claimed


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
    st.lists(st.sampled_from(["+", "-", "*", "/"]), min_size=7, max_size=7),
)
def test_modular_arithmetic_matches_python(numbers: list[int], ops: list[str]) -> None:
    m = 23
    text = str(numbers[0])
    expected = numbers[0] % m
    for n, op in zip(numbers[1:], ops, strict=False):
        if op == "/" and n % m == 0:
            op = "+"
        text = f"({text}) {op} {n}"
        if op == "+":
            expected = (expected + n) % m
        elif op == "-":
            expected = (expected - n) % m
        elif op == "*":
            expected = (expected * n) % m
        else:
            expected = expected * pow(n, -1, m) % m
    assert evaluate(text, modulus=m) == expected
    assert check_equation(text, str(expected), modulus=m).ok is True
    assert check_equation(text, str((expected + 1) % m), modulus=m).ok is False


@settings(max_examples=300, deadline=None)
@given(st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**12))
def test_format_value_round_trips(v: Fraction) -> None:
    text = format_value(v)
    assert evaluate(text) == v
    assert parse_number(text) == v
    assert answers_equal(text, text)
    if v.denominator == 1:
        assert text == str(v.numerator)


_ALPHABET = st.sampled_from(list("0123456789+-*/^%()[]{}=<>.,$ x\\fracsqrtpi!_&;\n"))


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=80) | st.text(max_size=80))
def test_any_text_returns_or_raises_eval_error(text: str) -> None:
    for syntax in ("plain", "latex"):
        with contextlib.suppress(EvalError):
            evaluate(text, syntax=syntax, symbols=True)  # type: ignore[arg-type]
        verdict = check_equation(text, text, syntax=syntax)  # type: ignore[arg-type]
        assert verdict.ok in (True, None)  # a side always equals itself, or is unjudgeable
    for kind in ("annotation", "inline", "latex"):
        for eq in find_equations(text, kind=kind):  # type: ignore[arg-type]
            assert 0 <= eq.start < eq.end <= len(text)
    normalize_answer(text)
    parse_number(text)
