"""Entry points: text → tree (:func:`parse`) and tree or text → exact value (:func:`evaluate`).

SymPy is imported lazily, on the first expression that needs it, so the rational fast path
(and importing this package) does not pay for it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeAlias

from .budget import Budget
from .errors import DEFAULT_LIMITS, EvalError, Limits
from .exact import NeedSymbolic, walk_exact
from .latex import parse_latex
from .modular import walk_mod
from .nodes import Node, validate_tree
from .plain import parse_plain

if TYPE_CHECKING:
    import sympy

Syntax: TypeAlias = Literal["plain", "latex"]
#: An exact value: a rational, or a SymPy expression for surds, π and variables.
Value: TypeAlias = "Fraction | sympy.Expr"
#: What the walkers return: like Value, but integers stay ``int`` (cheaper to compare).
RawValue: TypeAlias = "int | Fraction | sympy.Expr"

_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")


def _refuse_long(text: str, limits: Limits) -> EvalError:
    """The error for text over ``max_len``: ``too_deep`` if its head already nests too deep.

    Only the first ``max_len`` characters are scanned, so a 10 MB string costs no more
    than a maximal legal one.
    """
    depth = 0
    for ch in text[: limits.max_len]:
        if ch in _OPENERS:
            depth += 1
            if depth > limits.max_depth:
                return EvalError("too_deep", f"nesting deeper than {limits.max_depth}")
        elif ch in _CLOSERS:
            depth -= 1
    return EvalError("too_long", f"expression longer than {limits.max_len} characters")


#: Recent parses with the default limits: ``(syntax, text) -> tree or (reason, args)``.
#: The equation finders parse every candidate side to see whether it is an expression,
#: and :func:`~errsynth.evaluate.check_equation` then parses the same text again; trees
#: are immutable tuples, so the second parse can be a lookup. Cleared when full.
_PARSED: dict[tuple[str, str], object] = {}
_PARSED_MAX = 8192
_PARSED_MAX_TEXT = 500  # longer texts are rare and not worth keeping


class _Refused(NamedTuple):
    reason: str
    args: tuple[object, ...]


def parse(text: str, *, syntax: Syntax = "plain", limits: Limits | None = None) -> Node:
    """Parse expression text (no ``=``) into a tree; see :mod:`errsynth.evaluate.nodes`.

    Single-letter variables are parsed; :func:`evaluate` decides whether they are allowed.
    Raises :class:`EvalError` (``too_long``, ``too_deep``, ``syntax``, ``unknown_name``,
    ``number_too_large``).
    """
    if limits is None or limits is DEFAULT_LIMITS:
        if type(text) is str and len(text) <= _PARSED_MAX_TEXT:
            key = (syntax, text)
            hit = _PARSED.get(key)
            if hit is None:
                try:
                    hit = _parse(text, syntax, DEFAULT_LIMITS)
                except EvalError as err:
                    hit = _Refused(err.reason, err.args)
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[key] = hit
            if type(hit) is _Refused:
                err = EvalError(hit.reason)
                err.args = hit.args  # the same message as the first time
                raise err
            return hit  # type: ignore[return-value]
        limits = DEFAULT_LIMITS
    return _parse(text, syntax, limits)


def _parse(text: str, syntax: str, limits: Limits) -> Node:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if len(text) > limits.max_len:
        raise _refuse_long(text, limits)
    if syntax == "plain":
        return parse_plain(text, limits)
    if syntax == "latex":
        return parse_latex(text, limits)
    raise ValueError(f"unknown syntax {syntax!r}")


def raw_value(
    expr: str | Node,
    *,
    syntax: Syntax = "plain",
    modulus: int | None = None,
    symbols: bool = False,
    limits: Limits | None = None,
) -> RawValue:
    """Like :func:`evaluate` but integers come back as ``int`` (the checker's fast path)."""
    limits = limits or DEFAULT_LIMITS
    if isinstance(expr, str):
        node = parse(expr, syntax=syntax, limits=limits)
    else:
        validate_tree(expr, limits)
        node = expr
    return walk(node, Budget(limits), modulus=modulus, symbols=symbols)


def walk(node: Node, budget: Budget, *, modulus: int | None, symbols: bool) -> RawValue:
    """Value of a tree that came from our parser (or passed :func:`validate_tree`)."""
    try:
        if modulus is not None:
            if type(modulus) is not int or modulus < 2:
                raise EvalError("unsupported", f"modulus must be an int >= 2, got {modulus!r}")
            return walk_mod(node, modulus, budget)
        try:
            return walk_exact(node, budget)
        except NeedSymbolic:
            pass
        from .symbolic import to_rational, walk_symbolic

        budget.restart_clock()  # the first call pays for importing SymPy; do not bill it
        result = walk_symbolic(node, budget, symbols)
        rational = to_rational(result)
        return result if rational is None else rational
    except RecursionError:  # only with limits raised far beyond the defaults
        raise EvalError("too_deep", "tree too deep to evaluate") from None


def evaluate(
    expr: str | Node,
    *,
    syntax: Syntax = "plain",
    modulus: int | None = None,
    symbols: bool = False,
    limits: Limits | None = None,
) -> Value:
    """Exact value of an expression (text in ``syntax``, or a tree from :func:`parse`).

    Rational results are ``Fraction``; surds and π give SymPy expressions. ``modulus``
    computes in integers mod ``m`` (result in ``0..m-1``, as a ``Fraction``). Variables
    are refused (``unknown_name``) unless ``symbols=True``, when they become SymPy
    symbols. Every failure is an :class:`EvalError` with a ``reason`` code.
    """
    value = raw_value(expr, syntax=syntax, modulus=modulus, symbols=symbols, limits=limits)
    return Fraction(value) if type(value) is int else value
