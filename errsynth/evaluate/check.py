"""Judge one equation ``lhs = rhs``: exact, correctly rounded, wrong, or not judgeable."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .budget import Budget
from .core import RawValue, Syntax, parse, walk
from .errors import DEFAULT_LIMITS, EvalError, Limits
from .exact import NeedSymbolic, Rational, walk_exact
from .formatting import format_value
from .identity import agree_at_points, prove_identity, screen, variables
from .nodes import NAME, NEG, NUM, PCT, POS, POW, ROOT, SQRT, children, literal_decimals
from .polys import NotPolynomial, constant_value
from .rounding import is_rounding
from .surds import from_rational, walk_surd

if TYPE_CHECKING:
    from .nodes import Node


@dataclass(frozen=True, slots=True, init=False)
class Verdict:
    """The result of :func:`check_equation`.

    ``ok``: True (equal; ``reason`` ``"exact"``, ``"rounded"``, ``"percent_unit"``,
    ``"identity"`` or ``"numeric"``), False (``"mismatch"``), or None when it cannot be judged
    (``reason`` is the :class:`EvalError` reason, ``"symbolic"`` or ``"undecided"``).
    ``value``: canonical text of the left side's value (:func:`format_value`) when it is
    a rational number; for a mismatch also when it is irrational (SymPy's text, such as
    ``"2*sqrt(3)"``). None when the left side failed, or when its value is a surd, π or
    an expression in variables and the verdict is not a mismatch: printing those costs
    more than the rest of the check, and nothing downstream reads them.
    """

    ok: bool | None
    value: str | None
    reason: str

    def __init__(self, ok: bool | None, value: str | None, reason: str) -> None:
        # Frozen: the slots' own setters cost half of the generated object.__setattr__ calls.
        _set_ok(self, ok)
        _set_value(self, value)
        _set_reason(self, reason)


_set_ok = Verdict.__dict__["ok"].__set__
_set_value = Verdict.__dict__["value"].__set__
_set_reason = Verdict.__dict__["reason"].__set__


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

    Rational sides are judged with exact rationals. Surds and π are compared in an exact
    canonical form (:mod:`.surds`), and equations with variables are screened at rational
    points and proved on a grid (:mod:`.identity`); SymPy is asked only for what those
    cannot settle (nested radicals, roots of variables, mismatches of irrational values).
    """
    limits = limits or DEFAULT_LIMITS
    symbols = syntax == "latex"
    budget = Budget(limits)  # one budget for the whole equation
    try:
        left_node = parse(lhs, syntax=syntax, limits=limits)
        left = _rational_walk(left_node, budget, modulus)
    except EvalError as err:
        return Verdict(None, None, err.reason)
    try:
        right_node = parse(rhs, syntax=syntax, limits=limits)
        right = _rational_walk(right_node, budget, modulus)
    except EvalError as err:
        if left is None:  # the left side's full walk comes first and may fail itself
            return _left_then(left_node, err, limits, symbols)
        return Verdict(None, format_value(left), err.reason)
    if modulus is not None:  # residues: equal or not, no rounding
        return Verdict(left == right, format_value(left), "exact" if left == right else "mismatch")
    if left is not None and right is not None:
        ok, reason = _judge_rational(left, right, right_node)
        return Verdict(ok, format_value(left), reason)
    verdict = _judge_without_sympy(left_node, right_node, left, right, budget, symbols)
    if verdict is not None:
        return verdict
    return _check_with_sympy(left_node, right_node, limits, symbols)


_RATIONAL = (int, Fraction)


def _rational_walk(node: Node, budget: Budget, modulus: int | None) -> Rational | None:
    """The exact rational value of a tree, or None when it needs surds, π or variables."""
    if modulus is not None:
        return walk(node, budget, modulus=modulus, symbols=False)  # type: ignore[return-value]
    try:
        return walk_exact(node, budget)
    except NeedSymbolic:
        return None
    except RecursionError:  # only with limits raised far beyond the defaults
        raise EvalError("too_deep", "tree too deep to evaluate") from None


def _left_then(left_node: Node, err: EvalError, limits: Limits, symbols: bool) -> Verdict:
    """The verdict when the right side fails and the left side is not rational: the left
    side's own error if its (SymPy) walk fails, else the right side's."""
    try:
        left = walk(left_node, Budget(limits), modulus=None, symbols=symbols)
    except EvalError as left_err:
        return Verdict(None, None, left_err.reason)
    return Verdict(None, _text(left), err.reason)


def _text(value: RawValue | None) -> str | None:
    """The verdict's ``value``: rational values always; others only when asked for."""
    return format_value(value) if type(value) in _RATIONAL else None


def _judge_rational(left: Rational, right: Rational, right_node: Node) -> tuple[bool, str]:
    if left == right:
        return True, "exact"
    places = literal_decimals(right_node)
    if places is not None:
        if is_rounding(left, right, places):
            return True, "rounded"
        if _is_percent_literal(right_node) and _matches(left, right * 100, places - 2):
            return True, "percent_unit"
    return False, "mismatch"


def _judge_without_sympy(
    left_node: Node,
    right_node: Node,
    left: Rational | None,
    right: Rational | None,
    budget: Budget,
    symbols: bool,
) -> Verdict | None:
    """The verdict when exact arithmetic settles it without SymPy, else None.

    With variables: after the screen (:func:`~errsynth.evaluate.identity.screen`),
    ``"symbolic"`` when a point proves the sides differ and one of them is not constant
    (so SymPy could not have reduced both to numbers either); ``"identity"`` (or
    ``"symbolic"``) when :func:`~errsynth.evaluate.identity.prove_identity` decides it;
    sides whose variables cancel are judged as the numbers they equal. Without
    variables: ``"exact"`` when the canonical surd forms are equal. Everything else —
    mismatches of irrational values (their rounding and value text need SymPy), nested
    radicals, identities the proof cannot decide, the powers :func:`_scan` flags —
    returns None and goes to SymPy.
    """
    try:
        left_names, left_flag = _scan(left_node, budget.limits)
        right_names, right_flag = _scan(right_node, budget.limits)
        if left_names or right_names:
            if not symbols or left_flag or right_flag:
                return None
            names = sorted(left_names | right_names)
            agree, varies = screen(left_node, right_node, names, budget)
            if not varies:
                return _judge_constants(left_node, right_node, names, budget)
            if agree is False:
                return Verdict(None, _text(left), "symbolic")
            proof = prove_identity(left_node, right_node, budget, names)
            if proof is None:
                return None
            return (
                Verdict(True, None, "identity") if proof else Verdict(None, _text(left), "symbolic")
            )
        a = from_rational(left) if left is not None else walk_surd(left_node, budget)
        b = from_rational(right) if right is not None else walk_surd(right_node, budget)
    except (NeedSymbolic, EvalError, RecursionError):
        return None
    return Verdict(True, _text(left), "exact") if a == b else None


def _judge_constants(
    left_node: Node, right_node: Node, names: list[str], budget: Budget
) -> Verdict | None:
    """Both sides constant at the screening points: when the variables cancel exactly on
    both sides (``p - p + 1 = 1``, ``\\frac{2x^3}{(2x)^3} = \\frac14``), judge the two
    numbers as any rational equation; otherwise None."""
    try:
        a = constant_value(left_node, names, Budget(budget.limits))
        if a is None:
            return None
        b = constant_value(right_node, names, Budget(budget.limits))
    except (NotPolynomial, EvalError, RecursionError):
        return None
    if b is None:
        return None
    ok, reason = _judge_rational(a, b, right_node)
    return Verdict(ok, format_value(a), reason)


def _scan(node: Node, limits: Limits) -> tuple[set[str], bool]:
    """The variables of ``node``, and whether it holds a power SymPy's walker refuses
    where the screen would not: a constant power over ``max_symbolic_exponent`` of a
    compound expression in variables (``(2x)^{100}``: ``exponent_too_large``). A bare
    variable, or a root or power of one, is atomic and allowed, as in the walker."""
    names: set[str] = set()
    flag = False
    stack = [node]
    while stack:
        item = stack.pop()
        tag = item[0]
        if tag == NAME:
            names.add(item[1])
            continue
        if tag == POW and not flag:
            flag = _big_power(item, limits)
        stack.extend(children(item))
    return names, flag


def _big_power(item: Node, limits: Limits) -> bool:
    try:
        k = walk_exact(item[2], Budget(limits))
    except (NeedSymbolic, EvalError, RecursionError):
        k = None
    if k is not None and abs(k) <= limits.max_symbolic_exponent:
        return False
    base = item[1]
    constant_exponent = k is not None or not variables(item[2])
    return constant_exponent and not _atomic(base) and bool(variables(base))


def _atomic(node: Node) -> bool:
    """Bases the SymPy walker treats as atomic: a variable, or a root or power of one."""
    tag = node[0]
    if tag == NAME:
        return True
    if tag == SQRT:
        return node[1][0] == NAME
    if tag == ROOT:
        return node[2][0] == NAME and node[1][0] == NUM
    if tag == POW:
        return node[1][0] == NAME and node[2][0] == NUM
    return False


def _check_with_sympy(left_node: Node, right_node: Node, limits: Limits, symbols: bool) -> Verdict:
    """The general path: both sides as SymPy values when they are not rational."""
    budget = Budget(limits)  # a fresh budget: the fast path may have spent some
    try:
        left = walk(left_node, budget, modulus=None, symbols=symbols)
    except EvalError as err:
        return Verdict(None, None, err.reason)
    try:
        right = walk(right_node, budget, modulus=None, symbols=symbols)
    except EvalError as err:
        return Verdict(None, _text(left), err.reason)
    ok, reason = _judge(left, right, left_node, right_node, budget)
    return Verdict(ok, format_value(left) if ok is False else _text(left), reason)


def _judge(
    left: RawValue, right: RawValue, left_node: Node, right_node: Node, budget: Budget
) -> tuple[bool | None, str]:
    if type(left) in _RATIONAL and type(right) in _RATIONAL:
        return _judge_rational(left, right, right_node)  # type: ignore[arg-type]
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
    from .symbolic import approximate, to_sympy, zero_test  # SymPy: imported on first need

    a = to_sympy(left) if type(left) in _RATIONAL else left  # type: ignore[arg-type]
    b = to_sympy(right) if type(right) in _RATIONAL else right  # type: ignore[arg-type]
    if a.free_symbols or b.free_symbols:  # type: ignore[union-attr]
        agree = agree_at_points(left_node, right_node, budget)
        if agree is False:
            return None, "symbolic"
        if agree is True:  # near-certain; confirm exactly before calling it an identity
            proof = prove_identity(left_node, right_node, budget)
            if proof is not None:
                return (True, "identity") if proof else (None, "symbolic")
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
