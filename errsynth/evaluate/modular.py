"""Arithmetic modulo ``m`` (iGSM solutions compute mod 23).

``+ - *`` reduce mod ``m``; ``a / b`` multiplies by the modular inverse of ``b``; a
decimal literal ``p/q`` is ``p * q^-1``; ``%`` multiplies by ``100^-1``. Exponents are
evaluated exactly (not reduced: ``a^(m+1)`` is not ``a^1``) and must be integers.
Roots, floor division, factorials mod ``m`` of non-literals and variables are refused.
"""

from __future__ import annotations

from fractions import Fraction

from .budget import Budget
from .errors import EvalError
from .exact import NeedSymbolic, binomial, int_factorial, walk_exact
from .nodes import BINOM, FACT, NEG, NUM, PCT, POS, POW, PROD, SUM, Node


def inverse(b: int, m: int) -> int:
    try:
        return pow(b, -1, m)
    except ValueError:
        raise EvalError("division_by_zero", f"{b} has no inverse mod {m}") from None


def reduce_rational(v: int | Fraction, m: int) -> int:
    if type(v) is int:
        return v % m
    return v.numerator * inverse(v.denominator, m) % m


def walk_mod(node: Node, m: int, budget: Budget) -> int:
    """Value of ``node`` in ``0..m-1``."""
    tag = node[0]
    if tag == NUM:
        return reduce_rational(node[1], m)
    budget.charge()
    if tag == SUM:
        acc = walk_mod(node[1], m, budget)
        for k in range(2, len(node), 2):
            v = walk_mod(node[k + 1], m, budget)
            acc = (acc + v if node[k] == "+" else acc - v) % m
        return acc
    if tag == PROD:
        acc = walk_mod(node[1], m, budget)
        for k in range(2, len(node), 2):
            v = walk_mod(node[k + 1], m, budget)
            op = node[k]
            if op == "*":
                acc = acc * v % m
            elif op == "/":
                acc = acc * inverse(v, m) % m
            else:
                raise EvalError("unsupported", "floor division under a modulus")
        return acc
    if tag == NEG:
        return -walk_mod(node[1], m, budget) % m
    if tag == POS:
        return walk_mod(node[1], m, budget)
    if tag == PCT:
        return walk_mod(node[1], m, budget) * inverse(100, m) % m
    if tag == POW:
        base = walk_mod(node[1], m, budget)
        exponent = _exact_int(node[2], budget)
        if abs(exponent) > budget.limits.max_exponent:
            raise EvalError("exponent_too_large", f"|exponent| over {budget.limits.max_exponent}")
        if exponent < 0:
            return pow(inverse(base, m), -exponent, m)
        return pow(base, exponent, m)
    if tag == FACT:
        return int_factorial(_exact_int(node[1], budget), budget.limits) % m
    if tag == BINOM:
        n, k = _exact_int(node[1], budget), _exact_int(node[2], budget)
        return binomial(n, k, budget.limits) % m
    raise EvalError("unsupported", f"{tag!r} under a modulus")


def _exact_int(node: Node, budget: Budget) -> int:
    """An integer computed without the modulus (exponents, factorial arguments)."""
    try:
        v = walk_exact(node, budget)
    except NeedSymbolic:
        raise EvalError("unsupported", "non-rational value under a modulus") from None
    if type(v) is not int:
        raise EvalError("unsupported", "non-integer exponent under a modulus")
    return v
