"""Property tests of arith on random rows of simple equations (annotations, inline, LaTeX)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errsynth.ingest.base import READERS, ReaderOptions
from errsynth.ingest.readers import ensure_registered
from errsynth.ingest.run import solution_row
from errsynth.transforms.arith import KINDS, ArithTransform
from errsynth.transforms.base import Skip, row_rng
from errsynth.validate.arith import validate_arith

OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
OPS["/"] = lambda a, b: a / b


def written(v: Fraction) -> str:
    """How a solution writes a value: exact when short, else rounded to 2 places."""
    if v.denominator == 1:
        return str(v.numerator)
    cents = round(v * 100)
    if cents == v * 100:
        return f"{cents / 100:.2f}".rstrip("0")
    return f"{cents / 100:.2f}"


@st.composite
def operand(draw: st.DrawFn, earlier: list[str]) -> str:
    if earlier and draw(st.booleans()):
        return draw(st.sampled_from(earlier))
    if draw(st.integers(0, 4)) == 0:
        return f"{draw(st.integers(0, 99))}.{draw(st.integers(1, 99)):02d}".rstrip("0")
    return str(draw(st.integers(0, 500)))


@st.composite
def solutions(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    style = draw(st.sampled_from(["annotation", "inline", "latex"]))
    steps: list[str] = []
    results: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        a, b = draw(operand(results)), draw(operand(results))
        op = draw(st.sampled_from(sorted(OPS)))
        va, vb = Fraction(a), Fraction(b)
        if op == "/" and vb == 0:
            op = "+"
        if op == "-" and va < vb:
            a, b, va, vb = b, a, vb, va
        r = written(OPS[op](va, vb))
        unit = draw(st.sampled_from(["apples", "dollars", "pages"]))
        if style == "annotation":
            steps.append(f"So {a}{op}{b} = <<{a}{op}{b}={r}>>{r} {unit}.")
        elif style == "inline":
            sym = {"*": "x", "/": "/", "+": "+", "-": "-"}[op]
            steps.append(f"So {a} {sym} {b} = {r} {unit}.")
        else:
            sym = {"*": "\\cdot", "/": "/", "+": "+", "-": "-"}[op]
            steps.append(f"So ${a} {sym} {b} = {r}$ {unit}.")
        if draw(st.booleans()):
            steps[-1] += f" That makes {r} in all."
        results.append(r)
    question = draw(st.sampled_from(["How many?", "She has 12 apples and 3 bags. How many?"]))
    if style == "latex":
        return "math", {"problem": question, "solution": " ".join(steps) + f" $\\boxed{{{r}}}$"}
    return "gsm8k", {"question": question, "answer": "\n".join(steps) + f"\n#### {r}"}


def row_of(fmt: str, record: dict[str, Any]) -> dict[str, Any]:
    ensure_registered()
    return solution_row(READERS[fmt].parse(record, ReaderOptions()), fmt, fmt)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    solution=solutions(),
    seed=st.integers(0, 2**32),
    propagate=st.integers(0, 3),
    rate=st.sampled_from([0.0, 0.2, 0.6]),
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, unique=True),
)
def test_random_rows(
    solution: tuple[str, dict[str, Any]], seed: int, propagate: int, rate: float, kinds: list[str]
) -> None:
    row = row_of(*solution)
    t = ArithTransform(propagate=propagate, rate=rate, kinds=kinds)
    try:
        cand = t.apply(row, row_rng(seed, row["id"], "arith"))
    except Skip as exc:
        assert exc.reason in {"no_equation", "no_numeric_equation", "no_perturbation"}
        return
    again = t.apply(row, row_rng(seed, row["id"], "arith"))
    assert cand == again  # deterministic for the same seed
    assert validate_arith(cand) == []
    assert len(cand.attempts) >= 1  # min_errors defaults to 1
    for a in cand.attempts:
        assert a.detail["perturbation"] in kinds
        assert a.steps[0] != row["steps"][a.at]
        assert len(a.detail["propagated_steps"]) <= propagate


@settings(max_examples=100, deadline=None)
@given(solution=solutions(), seed=st.integers(0, 2**32))
def test_attempts_only_touch_numbers(solution: tuple[str, dict[str, Any]], seed: int) -> None:
    """Removing every digit, the wrong and propagated steps read as the clean ones."""
    row = row_of(*solution)
    try:
        cand = ArithTransform(propagate=2).apply(row, row_rng(seed, row["id"], "arith"))
    except Skip:
        return

    def shape(text: str) -> str:
        return "".join("#" if ch.isdigit() or ch in ".," else ch for ch in text)

    for a in cand.attempts:
        for j, text in enumerate(a.steps):
            clean = row["steps"][a.at + j]
            assert shape(text).replace("#", "") == shape(clean).replace("#", "")
