"""SymPy evaluation for the few trees that are not rational: surds, π and variables.

SymPy objects are built from the tree (``Integer``, ``Rational``, ``Symbol``, ``sqrt``),
never from strings, and values are never ``Float`` (since SymPy 1.13 ``Float(10.0) !=
Integer(10)``): ``evalf`` appears only inside numeric comparisons with a tolerance.
Exponents and root degrees are bounded before SymPy sees them, the clock is checked after
every SymPy call, and identity checks estimate the size of an expansion before running it.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb

import sympy

from .budget import Budget
from .errors import EvalError, Limits
from .exact import (
    NeedSymbolic,
    Rational,
    binomial,
    check_size,
    floor_divide,
    int_factorial,
    rational_power,
)
from .nodes import BINOM, FACT, NAME, NEG, NUM, PCT, PI, POS, POW, PROD, ROOT, SQRT, SUM, Node


def to_sympy(v: Rational) -> sympy.Expr:
    if type(v) is int:
        return sympy.Integer(v)
    return sympy.Rational(v.numerator, v.denominator)


def to_rational(e: sympy.Expr) -> Rational | None:
    """The ``int``/``Fraction`` equal to a SymPy rational number, else None."""
    if e.is_Rational:
        p, q = int(e.p), int(e.q)
        return p if q == 1 else Fraction(p, q)
    return None


def _is_atomic(e: sympy.Expr) -> bool:
    """Bases whose integer powers stay small: numbers, symbols, π and surds like √2."""
    if e.is_Atom:
        return True
    return bool(e.is_Pow and e.base.is_Atom and e.exp.is_Rational)


class _Walker:
    """Evaluates a tree to a SymPy expression under a :class:`Budget`."""

    __slots__ = ("budget", "limits", "symbols")

    def __init__(self, budget: Budget, symbols: bool) -> None:
        self.budget = budget
        self.limits = budget.limits
        self.symbols = symbols

    def _done(self, e: sympy.Expr) -> sympy.Expr:
        """Post-operation checks: time, a finite real result, and the size of its numbers."""
        self.budget.check_time()
        if e.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
            raise EvalError("domain", "result is not a finite real number")
        # Every rational inside the result obeys the size limit, not only a rational result:
        # SymPy keeps 999!**2 as the coefficient of 999!**2 * 6**(1/3).
        for number in e.atoms(sympy.Rational):
            r = to_rational(number)
            if r is not None:
                check_size(r, self.limits)
        return e

    def walk(self, node: Node) -> sympy.Expr:
        tag = node[0]
        if tag == NUM:
            return to_sympy(node[1])
        if tag == NAME:
            if not self.symbols:
                raise EvalError("unknown_name", f"variable {node[1]!r} not allowed")
            return sympy.Symbol(node[1])
        if tag == PI:
            return sympy.pi
        self.budget.charge()
        if tag == SUM:
            return self._done(self._sum(node))
        if tag == PROD:
            return self._done(self._product(node))
        if tag == NEG:
            return -self.walk(node[1])
        if tag == POS:
            return self.walk(node[1])
        if tag == PCT:
            return self._done(self.walk(node[1]) / 100)
        if tag == POW:
            return self._done(self._power(self.walk(node[1]), self.walk(node[2])))
        if tag == SQRT:
            return self._done(self._root(self.walk(node[1]), 2))
        if tag == ROOT:
            degree = to_rational(self.walk(node[1]))
            if type(degree) is not int or degree < 1:
                raise EvalError("domain", "root degree must be a positive integer")
            if degree > self.limits.max_root_degree:
                raise EvalError("exponent_too_large", "root degree too large")
            return self._done(self._root(self.walk(node[2]), degree))
        if tag == FACT:
            return to_sympy(int_factorial(self._rational(node[1]), self.limits))
        if tag == BINOM:
            n, k = self._rational(node[1]), self._rational(node[2])
            return to_sympy(binomial(n, k, self.limits))
        raise EvalError("syntax", f"unknown node {tag!r}")

    def _rational(self, node: Node) -> Rational:
        """A sub-tree that must be a rational number (factorial and binomial arguments)."""
        value = to_rational(self.walk(node))
        if value is None:
            raise EvalError("unsupported", "factorial or binomial of a non-rational value")
        return value

    def _sum(self, node: Node) -> sympy.Expr:
        """One ``Add`` for the whole chain: adding term by term re-sorts the sum each time."""
        terms = [self.walk(node[1])]
        for k in range(2, len(node), 2):
            self.budget.charge()
            term = self.walk(node[k + 1])
            terms.append(term if node[k] == "+" else -term)
            self.budget.check_time()
        return sympy.Add(*terms)

    def _product(self, node: Node) -> sympy.Expr:
        """One ``Mul`` per run of ``*`` and ``/`` (``//`` needs the product so far)."""
        factors = [self.walk(node[1])]
        for k in range(2, len(node), 2):
            self.budget.charge()
            op, value = node[k], self.walk(node[k + 1])
            if op == "*":
                factors.append(value)
            else:
                self._check_divisor(value)
                if op == "/":
                    factors.append(sympy.Pow(value, -1))
                else:
                    factors = [self._floor_divide(sympy.Mul(*factors), value)]
            self.budget.check_time()
        return sympy.Mul(*factors)

    @staticmethod
    def _check_divisor(b: sympy.Expr) -> None:
        if b.is_zero is False:  # cached on numbers and symbols
            return
        if b.free_symbols:
            # SymPy's assumption system settles ``is_zero`` of an expression in variables
            # only for what its automatic simplification already made 0 (``x - x``), and
            # asking costs more than the rest of the walk; a zero that it does not
            # simplify is not found either way.
            if b == 0:
                raise EvalError("division_by_zero", "division by zero")
            return
        if b.is_zero or (
            b.is_zero is None and b.is_number and abs(b.evalf(30)) < sympy.Rational(1, 10**25)
        ):
            raise EvalError("division_by_zero", "division by zero")

    @staticmethod
    def _floor_divide(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        ra, rb = to_rational(a), to_rational(b)
        if ra is not None and rb is not None:
            return sympy.Integer(floor_divide(ra, rb))
        if a.is_number and b.is_number:
            return sympy.floor(a / b)
        raise EvalError("unsupported", "floor division of symbolic values")

    def _power(self, base: sympy.Expr, exp: sympy.Expr) -> sympy.Expr:
        limits = self.limits
        rb, re_ = to_rational(base), to_rational(exp)
        if re_ is not None:
            if rb is not None:
                try:
                    return to_sympy(rational_power(rb, re_, limits))
                except NeedSymbolic:
                    return _real_rational_power(rb, re_)
            if abs(re_) > limits.max_exponent:
                raise EvalError("exponent_too_large", f"|exponent| over {limits.max_exponent}")
            if type(re_) is int:
                if not _is_atomic(base) and abs(re_) > limits.max_symbolic_exponent:
                    raise EvalError("exponent_too_large", "power of a compound expression")
                if re_ < 0 and base.is_zero:
                    raise EvalError("division_by_zero", "0 to a negative power")
                return base**re_
            if re_.denominator > limits.max_root_degree:
                raise EvalError("exponent_too_large", "root degree too large")
        elif exp.is_number and abs(exp.evalf(15)) > limits.max_exponent:
            # An irrational numeric exponent: bounded by its numeric size.
            raise EvalError("exponent_too_large", f"|exponent| over {limits.max_exponent}")
        if _is_negative(base):
            raise EvalError("domain", "non-integer power of a negative number")
        return sympy.Pow(base, exp)

    def _root(self, v: sympy.Expr, n: int) -> sympy.Expr:
        if _is_negative(v):
            if n % 2 == 0:
                raise EvalError("domain", "even root of a negative number")
            return -sympy.root(-v, n)
        return sympy.sqrt(v) if n == 2 else sympy.root(v, n)


def _is_negative(e: sympy.Expr) -> bool:
    """``e.is_negative``, without asking the assumption system about expressions in
    variables: our symbols carry no assumptions, so such an expression is never known to
    be real, let alone negative, and the query only costs time."""
    if e.free_symbols:
        return False
    return bool(e.is_negative)


def _real_rational_power(base: Rational, exp: Fraction) -> sympy.Expr:
    """Real value of ``base ** (p/q)`` (odd ``q`` when ``base < 0``; checked by the caller)."""
    p, q = exp.numerator, exp.denominator
    magnitude = sympy.Pow(to_sympy(abs(base)), sympy.Rational(p, q))
    return -magnitude if base < 0 and p % 2 else magnitude


def walk_symbolic(node: Node, budget: Budget, symbols: bool) -> sympy.Expr:
    """SymPy value of ``node``; ``symbols`` allows variables (``NAME`` nodes)."""
    return _Walker(budget, symbols).walk(node)


def expansion_terms(e: sympy.Expr, cap: int) -> int:
    """Upper estimate of the number of terms ``sympy.expand(e)`` would produce.

    Sums add, products multiply, an integer power ``(t1+...+tk)**n`` gives at most
    ``C(n+k-1, k-1)`` monomials. Estimates are clamped at ``cap + 1`` so they stay small.
    """

    def clamp(n: int) -> int:
        return min(n, cap + 1)

    if e.is_Add:
        return clamp(sum(expansion_terms(a, cap) for a in e.args))
    if e.is_Mul:
        total = 1
        for a in e.args:
            total = clamp(total * expansion_terms(a, cap))
        return total
    if e.is_Pow and e.exp.is_Integer:
        n = abs(int(e.exp))
        k = expansion_terms(e.base, cap)
        if k > cap:
            return cap + 1
        return clamp(comb(n + k - 1, k - 1)) if k > 1 else 1
    return 1


_MAX_CANCEL_OPS = 60  # sympy.cancel on bigger rational functions can take seconds


def zero_test(diff: sympy.Expr, limits: Limits) -> str:
    """Whether an expression is identically zero.

    ``"zero"``: zero after a size-bounded ``expand`` (or ``cancel`` for rational
    functions). For expressions without variables the difference is also evaluated at 60
    digits: ``"numeric_zero"`` when it is below 1e-40 — for the short algebraic
    expressions here that settles what ``expand`` cannot, such as
    ``sqrt(3+2*sqrt(2)) - 1 - sqrt(2)`` — and ``"nonzero"`` otherwise. ``"unknown"``
    when variables remain or the number cannot be evaluated.
    """
    if diff == 0:
        return "zero"
    if expansion_terms(diff, limits.max_expand_terms) > limits.max_expand_terms:
        raise EvalError("budget", "expansion too large")
    expanded = sympy.expand(diff)
    if expanded == 0:
        return "zero"
    if expanded.free_symbols:
        small = sympy.count_ops(expanded) <= _MAX_CANCEL_OPS
        if small and expanded.is_rational_function() and sympy.cancel(expanded) == 0:
            return "zero"
        return "unknown"
    approx = expanded.evalf(60)
    if not approx.is_number or not approx.is_real:
        return "unknown"
    return "numeric_zero" if abs(approx) < sympy.Rational(1, 10**40) else "nonzero"


def approximate(e: sympy.Expr, digits: int) -> Fraction | None:
    """``e`` truncated to ``digits`` decimal places, exactly, for real numbers ``e``."""
    if not e.is_real:
        return None
    scale = 10**digits
    floor = sympy.floor(e * scale)
    if not floor.is_Integer:
        return None
    return Fraction(int(floor), scale)


def _warm_up() -> None:
    """Run each kind of SymPy call once at import.

    SymPy's first symbolic addition, ``expand`` and ``evalf`` in a process take tens of
    milliseconds (caches and lazy imports); without this the first evaluation of a
    session could exceed the time budget that later ones meet easily.
    """
    x = sympy.Symbol("x")
    e = (x + sympy.sqrt(2)) ** 2 - x * sympy.pi / 3
    sympy.expand(e - 1)
    sympy.cancel(sympy.together(1 / (x + 1) - e))
    (sympy.sqrt(3) + sympy.pi).evalf(60)
    sympy.floor(sympy.sqrt(2) * 100)


_warm_up()
