"""Judge one equation ``lhs = rhs``: exact, correctly rounded, wrong, or not judgeable."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .budget import Budget
from .core import RawValue, Syntax, parse, walk
from .errors import DEFAULT_LIMITS, EvalError, Limits
from .formatting import format_value
from .nodes import NEG, NUM, PCT, POS, literal_decimals
from .rounding import is_rounding

if TYPE_CHECKING:
    from .nodes import Node


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of :func:`check_equation`.

    ``ok``: True (equal; ``reason`` ``"exact"``, ``"rounded"``, ``"percent_unit"``,
    ``"identity"`` or ``"numeric"``), False (``"mismatch"``), or None when it cannot be judged
    (``reason`` is the :class:`EvalError` reason, ``"symbolic"`` or ``"undecided"``).
    ``value``: canonical text of the left side's value, when it was computed.
    """

    ok: bool | None
    value: str | None
    reason: str


def check_equation(
    lhs: str,
    rhs: str,
    *,
    syntax: Syntax = "plain",
    modulus: int | None = None,
    limits: Limits | None = None,
) -> Verdict:
    """Check that ``lhs`` evaluates to ``rhs``.

    Both sides are expressions in ``syntax``. A right side that is a bare decimal literal
    may be a rounding of the exact value (see :mod:`errsynth.evaluate.rounding`). A right
    side ``N%`` also passes when the left side equals ``N`` itself (``"percent_unit"``):
    prose writes ``100 - 40 = 60%``, using ``%`` as a unit after multiplying by 100. LaTeX
    allows variables: an equation with variables is ok only when it is an identity
    (``"identity"``); otherwise it is a condition, not an error, and ``ok`` is None
    (``"symbolic"``). With ``modulus`` both sides are compared mod ``m``, with no rounding.
    """
    limits = limits or DEFAULT_LIMITS
    symbols = syntax == "latex"
    budget = Budget(limits)  # one budget for the whole equation
    try:
        left_node = parse(lhs, syntax=syntax, limits=limits)
        left = walk(left_node, budget, modulus=modulus, symbols=symbols)
    except EvalError as err:
        return Verdict(None, None, err.reason)
    value = format_value(left)
    try:
        right_node = parse(rhs, syntax=syntax, limits=limits)
        right = walk(right_node, budget, modulus=modulus, symbols=symbols)
    except EvalError as err:
        return Verdict(None, value, err.reason)
    if modulus is not None:  # residues: equal or not, no rounding
        return Verdict(left == right, value, "exact" if left == right else "mismatch")
    ok, reason = _judge(left, right, left_node, right_node, budget)
    return Verdict(ok, value, reason)


_RATIONAL = (int, Fraction)


def _judge(
    left: RawValue, right: RawValue, left_node: Node, right_node: Node, budget: Budget
) -> tuple[bool | None, str]:
    if type(left) in _RATIONAL and type(right) in _RATIONAL:
        if left == right:
            return True, "exact"
        places = literal_decimals(right_node)
        if places is not None:
            if is_rounding(left, right, places):  # type: ignore[arg-type]
                return True, "rounded"
            if _is_percent_literal(right_node) and _matches(left, right * 100, places - 2):  # type: ignore[operator]
                return True, "percent_unit"
        return False, "mismatch"
    try:
        return _judge_symbolic(left, right, left_node, right_node, budget)
    except EvalError as err:
        return None, err.reason


def _is_percent_literal(node: Node) -> bool:
    while node[0] in (NEG, POS):
        node = node[1]
    return node[0] == PCT and node[1][0] == NUM


def _matches(exact: int | Fraction, claimed: int | Fraction, places: int) -> bool:
    return exact == claimed or is_rounding(exact, claimed, places)


def _judge_symbolic(
    left: RawValue, right: RawValue, left_node: Node, right_node: Node, budget: Budget
) -> tuple[bool | None, str]:
    from .identity import agree_at_points
    from .symbolic import approximate, to_sympy, zero_test

    a = to_sympy(left) if type(left) in _RATIONAL else left  # type: ignore[arg-type]
    b = to_sympy(right) if type(right) in _RATIONAL else right  # type: ignore[arg-type]
    if a.free_symbols or b.free_symbols:  # type: ignore[union-attr]
        agree = agree_at_points(left_node, right_node, budget)
        if agree is not None:
            return (True, "identity") if agree else (None, "symbolic")
        outcome = zero_test(a - b, budget.limits)  # type: ignore[operator]
        return (True, "identity") if outcome == "zero" else (None, "symbolic")
    outcome = zero_test(a - b, budget.limits)  # type: ignore[operator]
    if outcome == "zero":
        return True, "exact"
    if outcome == "numeric_zero":
        return True, "numeric"
    if outcome == "unknown":
        return None, "undecided"
    places = literal_decimals(right_node)
    if places is not None and type(right) in _RATIONAL:
        near = approximate(a, places + 30)  # type: ignore[arg-type]
        if near is not None and is_rounding(near, right, places):  # type: ignore[arg-type]
            return True, "rounded"
    return False, "mismatch"
