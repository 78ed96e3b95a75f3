"""Exact rational evaluation of a tree: ``int`` while possible, ``Fraction`` otherwise.

This is the hot path. SymPy is never touched here: a node that needs it (an irrational
root, π, a variable) raises :class:`NeedSymbolic` and the caller re-walks the tree with
:mod:`errsynth.evaluate.symbolic`. Every power is size-checked before it is computed.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb, factorial, lgamma, log

from .budget import Budget
from .errors import EvalError, Limits
from .intmath import bits, rational_root
from .nodes import BINOM, FACT, NEG, NUM, PCT, POS, POW, PROD, ROOT, SQRT, SUM, Node

Rational = int | Fraction


class NeedSymbolic(Exception):
    """Internal signal: the exact value is not rational (or has symbols)."""


def check_size(v: Rational, limits: Limits) -> Rational:
    """``v`` itself, or ``EvalError("number_too_large")`` if it is over ``max_bits``."""
    if bits(v) > limits.max_bits:
        raise EvalError("number_too_large", f"intermediate value over {limits.max_bits} bits")
    return v


def divide(a: Rational, b: Rational) -> Rational:
    if not b:
        raise EvalError("division_by_zero", "division by zero")
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        return q if not r else Fraction(a, b)
    q = Fraction(a) / b
    return q.numerator if q.denominator == 1 else q


def floor_divide(a: Rational, b: Rational) -> int:
    if not b:
        raise EvalError("division_by_zero", "division by zero")
    return a // b  # type: ignore[return-value]  # int // int and Fraction // x give int


def int_power(base: Rational, n: int, limits: Limits) -> Rational:
    """``base ** n`` for an integer ``n``, refused before computing when too large."""
    if abs(n) > limits.max_exponent:
        raise EvalError("exponent_too_large", f"|exponent| over {limits.max_exponent}")
    if not base:
        if n < 0:
            raise EvalError("division_by_zero", "0 to a negative power")
        return 0 if n else 1
    if bits(base) * abs(n) > limits.max_bits:
        raise EvalError("number_too_large", f"power over {limits.max_bits} bits")
    if n >= 0:
        return base**n
    value = Fraction(1) / Fraction(base) ** -n
    return value.numerator if value.denominator == 1 else value


def rational_power(base: Rational, exponent: Rational, limits: Limits) -> Rational:
    """``base ** exponent`` when the result is rational; NeedSymbolic when it is not."""
    if type(exponent) is int:
        return int_power(base, exponent, limits)
    p, q = exponent.numerator, exponent.denominator
    if abs(exponent) > limits.max_exponent:
        raise EvalError("exponent_too_large", f"|exponent| over {limits.max_exponent}")
    if q > limits.max_root_degree:
        raise EvalError("exponent_too_large", f"root degree over {limits.max_root_degree}")
    if base < 0 and q % 2 == 0:
        raise EvalError("domain", "even root of a negative number")
    root = rational_root(base, q)
    if root is None:
        raise NeedSymbolic
    return int_power(root, p, limits)


def nth_root(v: Rational, n: Rational, limits: Limits) -> Rational:
    """Real ``n``-th root for a positive integer degree ``n``."""
    if type(n) is not int or n < 1:
        raise EvalError("domain", "root degree must be a positive integer")
    if n > limits.max_root_degree:
        raise EvalError("exponent_too_large", f"root degree over {limits.max_root_degree}")
    if v < 0 and n % 2 == 0:
        raise EvalError("domain", "even root of a negative number")
    root = rational_root(v, n)
    if root is None:
        raise NeedSymbolic
    return root


def int_factorial(v: Rational, limits: Limits) -> int:
    """``v!`` for a non-negative integer, refused before computing when over ``max_bits``."""
    if type(v) is not int or v < 0:
        raise EvalError("domain", "factorial of a non-integer or negative number")
    if v > limits.max_bits or (v > 2 and lgamma(v + 1) / log(2) > limits.max_bits):
        raise EvalError("number_too_large", f"{v}! is over {limits.max_bits} bits")
    return factorial(v)


def binomial(n: Rational, k: Rational, limits: Limits) -> int:
    """``C(n, k)`` for integers ``n >= 0`` (0 when ``k`` is outside ``0..n``)."""
    if type(n) is not int or type(k) is not int or n < 0:
        raise EvalError("domain", "binomial of a non-integer or negative number")
    if k < 0 or k > n:
        return 0
    if n > limits.max_bits:  # C(n, k) < 2**n
        raise EvalError("number_too_large", f"binomial over {limits.max_bits} bits")
    return comb(n, k)


def walk_exact(node: Node, budget: Budget) -> Rational:
    """Exact value of ``node``; raises NeedSymbolic for irrational or symbolic parts."""
    tag = node[0]
    if tag == NUM:
        return node[1]
    limits = budget.limits
    if tag == SUM:
        n = len(node)
        budget.charge(n >> 1)
        child = node[1]
        acc = child[1] if child[0] == NUM else walk_exact(child, budget)
        for k in range(2, n, 2):
            child = node[k + 1]  # number children are read inline: most children are
            v = child[1] if child[0] == NUM else walk_exact(child, budget)
            acc = acc + v if node[k] == "+" else acc - v
            if type(acc) is not int:
                budget.check_time()
                check_size(acc, limits)
        if type(acc) is Fraction and acc.denominator == 1:
            return acc.numerator
        return acc
    if tag == PROD:
        n = len(node)
        budget.charge(n >> 1)
        child = node[1]
        acc = child[1] if child[0] == NUM else walk_exact(child, budget)
        for k in range(2, n, 2):
            child = node[k + 1]
            v = child[1] if child[0] == NUM else walk_exact(child, budget)
            op = node[k]
            if op == "*":
                acc = acc * v
                if type(acc) is Fraction and acc.denominator == 1:
                    acc = acc.numerator
            elif op == "/":
                acc = divide(acc, v)
            else:
                acc = floor_divide(acc, v)
            check_size(acc, limits)
            if type(acc) is not int:
                budget.check_time()
        return acc
    if tag == NEG:
        return -walk_exact(node[1], budget)
    if tag == POS:
        return walk_exact(node[1], budget)
    if tag == PCT:
        budget.charge()
        return divide(walk_exact(node[1], budget), 100)
    if tag == POW:
        budget.charge()
        budget.check_time()
        base = walk_exact(node[1], budget)
        return rational_power(base, walk_exact(node[2], budget), limits)
    if tag == SQRT:
        budget.charge()
        return nth_root(walk_exact(node[1], budget), 2, limits)
    if tag == ROOT:
        budget.charge()
        degree = walk_exact(node[1], budget)
        return nth_root(walk_exact(node[2], budget), degree, limits)
    if tag == FACT:
        budget.charge()
        budget.check_time()
        return int_factorial(walk_exact(node[1], budget), limits)
    if tag == BINOM:
        budget.charge()
        budget.check_time()
        top = walk_exact(node[1], budget)
        return binomial(top, walk_exact(node[2], budget), limits)
    raise NeedSymbolic  # NAME, PI
