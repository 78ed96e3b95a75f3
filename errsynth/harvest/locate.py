"""The first wrong step of a wrong solution, where the exact evaluator can decide it.

Walking the model's steps in order, step i is the first wrong one when

1. one of its equations is false (the evaluator computes the left side): ``arith_slip``,
   with the arith perturbation kind that turns the right result into the written one
   (:mod:`.subkind`);
2. a true equation of it uses a number that neither the question nor an earlier step
   wrote (the number flow is broken there):

   * the reference solution computes that number: used before it is computed,
     ``premature``;
   * it is a copy gone wrong of a number already known (one digit changed, two adjacent
     digits swapped, a digit dropped or doubled): ``copy_error``;

3. a true equation of it computes a value the reference solution never reaches, and it
   matches a reference equation

   * with the same operands combined differently: ``wrong_formula``;
   * with the same operations, one operand replaced by a quantity of the problem (or a
     number known by then) the reference does not use there: ``wrong_quantity``.

Numbers below :data:`SMALL` and common unit constants (60, 100, 365, ...) count as known:
a model may write them without a step producing them. Anything else is not decided here
(:func:`locate_exact` returns None with the reason), and goes to the judge when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from errsynth.harvest.subkind import classify
from errsynth.ingest.equations import step_equations
from errsynth.ingest.numberflow import NUMBER_RE, numbers_in

SMALL = 11  # 0..10 are known everywhere
UNIT_CONSTANTS = frozenset(
    {"12", "24", "30", "31", "52", "60", "100", "365", "1000", "3600", "0.5", "0.25"}
)


@dataclass(frozen=True)
class Located:
    """Where and how a solution first goes wrong."""

    step: int  # 0-based index into the model's steps
    kind: str  # errsynth.types.error_profile.KINDS
    located_by: str  # exact | igsm_checker | judge
    finding: str  # why, in words
    subkind: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-able


@dataclass(frozen=True)
class NotLocated:
    reason: str  # no_exact_evidence | ...
    detail: str


def _canonical(text: str) -> str | None:
    found = numbers_in(text)
    return found[-1] if len(found) == 1 else None


def _skeleton(expr: str) -> str:
    return re.sub(r"\s+", "", NUMBER_RE.sub("#", expr))


def _small(value: str) -> bool:
    try:
        v = Fraction(value)
    except (ValueError, ZeroDivisionError):
        return True  # not a plain number: nothing to say about it
    return v.denominator == 1 and 0 <= v < SMALL


def _known(value: str, available: set[str]) -> bool:
    return value in available or value in UNIT_CONSTANTS or _small(value)


def _shown(value: str | None) -> str:
    """A value for a finding: a fraction that is not a short decimal also as ≈ decimal."""
    if value is None or "/" not in value:
        return str(value)
    try:
        return f"{value} (≈{float(Fraction(value)):.6g})"
    except (ValueError, ZeroDivisionError):
        return value


def near_copy(value: str, known: str) -> bool:
    """Whether `value` is `known` copied wrong: one digit changed, two adjacent digits
    swapped, one digit dropped or doubled (both written as plain numerals)."""
    a, b = value, known
    if a == b or len(b) < 2:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return a[diff[0]].isdigit() and b[diff[0]].isdigit()
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            i = diff[0]
            return a[i] == b[i + 1] and a[i + 1] == b[i]
        return False
    if abs(len(a) - len(b)) == 1:
        long, short = (a, b) if len(a) > len(b) else (b, a)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    return False


@dataclass(frozen=True)
class RefEquation:
    step: int
    expr: str
    operands: tuple[str, ...]
    result: str
    skeleton: str


def reference_equations(reference: Mapping[str, Any]) -> list[RefEquation]:
    out = []
    for eq in reference.get("equations") or []:
        if eq.get("ok") is False:
            continue
        result = _canonical(eq["claimed"])
        if result is None:
            continue
        out.append(
            RefEquation(
                eq["step"], eq["expr"], tuple(numbers_in(eq["expr"])), result, _skeleton(eq["expr"])
            )
        )
    return out


_MACRO = re.compile(r"\\[A-Za-z]+")
_LETTER = re.compile(r"[A-Za-z]")


def numeric_only(expr: str) -> bool:
    """Whether an expression is arithmetic on numbers (no variables): only such equations
    carry the number flow; an algebraic identity writes coefficients no step computes."""
    return _LETTER.search(_MACRO.sub("", expr)) is None


def _syntax_of(eq: Mapping[str, Any]) -> str:
    return "latex" if eq["kind"] == "latex" else "plain"


def solution_equations(steps: Sequence[str], fmt: str | None) -> list[dict[str, Any]]:
    """The equations of model-written steps, judged: LaTeX for MATH-like problems, plain
    text elsewhere unless the step writes LaTeX macros (a ``$`` alone is money)."""
    out: list[dict[str, Any]] = []
    for i, step in enumerate(steps):
        latex = fmt == "math" or "\\" in step
        for eq in step_equations([step], syntax="latex" if latex else "plain"):
            out.append({**eq, "step": i})
    return out


def locate_exact(
    question: str, steps: Sequence[str], reference: Mapping[str, Any]
) -> Located | NotLocated:
    """The first wrong step of `steps` (see the module docstring), or why none was found."""
    equations = solution_equations(steps, reference.get("format"))
    by_step: dict[int, list[dict[str, Any]]] = {}
    for eq in equations:
        by_step.setdefault(eq["step"], []).append(eq)
    ref_eqs = reference_equations(reference)
    ref_results = {e.result: e.step for e in reversed(ref_eqs)}  # first step computing each
    given = set(numbers_in(question))
    available = set(given)
    unexplained: list[str] = []
    for i, text in enumerate(steps):
        eqs = by_step.get(i, [])
        for eq in eqs:
            if eq["ok"] is False:
                subkind, matches = classify(eq["expr"], eq["claimed"], eq["value"], _syntax_of(eq))
                return Located(
                    i,
                    "arith_slip",
                    "exact",
                    f"{eq['expr']} is {_shown(eq['value'])}, not {eq['claimed']}",
                    subkind,
                    {
                        "expr": eq["expr"],
                        "claimed": eq["claimed"],
                        "value": eq["value"],
                        "subkinds": matches,
                    },
                )
        for eq in eqs:
            if eq["ok"] is not True or not numeric_only(eq["expr"]):
                continue
            for v in numbers_in(eq["expr"]):
                if v in available:
                    continue
                if v in ref_results and not _small(v):  # even a "constant" the reference computes
                    return Located(
                        i,
                        "premature",
                        "exact",
                        f"uses {v} before any step computes it",
                        "",
                        {"value": v, "reference_step": ref_results[v], "premature": True},
                    )
                if _known(v, available):
                    continue
                if v in ref_results:
                    return Located(
                        i,
                        "premature",
                        "exact",
                        f"uses {v} before any step computes it",
                        "",
                        {"value": v, "reference_step": ref_results[v], "premature": True},
                    )
                source = next((u for u in sorted(available) if near_copy(v, u)), None)
                if source is not None:
                    return Located(
                        i,
                        "copy_error",
                        "exact",
                        f"{v} is {source} copied wrong",
                        "",
                        {"value": v, "meant": source},
                    )
                unexplained.append(f"step {i + 1}: {v}")
        for eq in eqs:
            found = _wrong_path(eq, ref_eqs, ref_results, available, given)
            if found is not None:
                kind, finding, evidence = found
                return Located(i, kind, "exact", finding, "", evidence)
        for eq in eqs:
            r = _canonical(eq["claimed"])
            if r is not None:
                available.add(r)
        available.update(numbers_in(text))
    detail = "no false equation and no number-flow contradiction"
    if unexplained:
        detail += "; numbers from nowhere (maybe constants): " + ", ".join(unexplained[:5])
    return NotLocated("no_exact_evidence", detail)


def _wrong_path(
    eq: Mapping[str, Any],
    ref_eqs: Sequence[RefEquation],
    ref_results: Mapping[str, int],
    available: set[str],
    given: set[str],
) -> tuple[str, str, dict[str, Any]] | None:
    if eq["ok"] is not True or not numeric_only(eq["expr"]):
        return None
    result = _canonical(eq["claimed"])
    if result is None or result in ref_results:
        return None
    operands = tuple(numbers_in(eq["expr"]))
    if len(operands) < 2:
        return None
    skeleton = _skeleton(eq["expr"])
    for ref in ref_eqs:
        if sorted(ref.operands) == sorted(operands) and ref.skeleton != skeleton:
            return (
                "wrong_formula",
                f"combines the right numbers wrongly: {eq['expr']} instead of {ref.expr}",
                {"expr": eq["expr"], "reference_expr": ref.expr, "value": result},
            )
    for ref in ref_eqs:
        if ref.skeleton != skeleton or len(ref.operands) != len(operands):
            continue
        diff = [k for k, (a, b) in enumerate(zip(operands, ref.operands, strict=True)) if a != b]
        if len(diff) != 1:
            continue
        used, meant = operands[diff[0]], ref.operands[diff[0]]
        if used in given or used in available:
            return (
                "wrong_quantity",
                f"uses {used} where {meant} belongs ({eq['expr']} instead of {ref.expr})",
                {
                    "expr": eq["expr"],
                    "reference_expr": ref.expr,
                    "quantity": used,
                    "instead_of": meant,
                    "value": result,
                    "from_problem": used in given,
                },
            )
    return None
