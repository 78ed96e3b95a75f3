"""Identity tests for equations with variables, without SymPy for the usual cases.

1. **Screen** (:func:`screen`): evaluate both sides at three fixed rational points, then
   at up to three more with every variable positive while those do not settle it.
   Rational functions of the variables (π counted as one) are evaluated exactly modulo the
   prime 2**61 - 1: residues that differ prove the rational values differ. Sides with
   roots or fractional or variable exponents are evaluated in floating point with a
   rigorous error bound, only where every root and fractional power has a provably
   positive argument (there the real and the principal value agree); such a screen can
   prove a difference, never an agreement. Points where a side is undefined (a zero
   divisor) are skipped. A point where the sides differ proves the equation is not an
   identity — it is a condition such as ``2x + 3 = 7``. Agreement at the points makes an
   identity near-certain (Schwartz–Zippel) but proves nothing, so:
2. **Proof** (:func:`prove_identity`): both sides are expanded exactly into numerator and
   denominator polynomials and compared by cross-multiplication (:mod:`.polys`; π is one
   more variable, roots and fractional powers are atoms). When that is inconclusive and
   the sides are rational functions with surd coefficients (``x\\sqrt{5}``), the proof is
   a grid: with ``D_v`` a bound on the degree of variable ``v`` in the numerator of
   ``left - right``, both sides are evaluated exactly (rationals and surds,
   :mod:`.surds`) on ``Π (D_v + 1)`` points; a polynomial of degree at most ``D_v`` in each
   ``v`` that vanishes on such a grid is zero. The grid values are fixed pseudo-random
   rationals (seeded); a grid with an undefined point is retried once on other values.

Anything else — roots of variables whose expansions differ, factorials of variables,
variable exponents, expansions over ``Limits.max_expand_terms`` terms, grids over
:data:`MAX_GRID_POINTS` — returns None, and the caller asks SymPy.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from fractions import Fraction
from functools import lru_cache
from math import prod

from .budget import Budget
from .errors import EvalError, Limits
from .exact import NeedSymbolic, Rational, walk_exact
from .nodes import (
    BINOM,
    FACT,
    NAME,
    NEG,
    NUM,
    PCT,
    PI,
    POS,
    POW,
    PROD,
    ROOT,
    SQRT,
    SUM,
    Node,
    children,
    variables,
)
from .polys import NotPolynomial, compare
from .surds import Surd, as_rational, walk_surd

# Screening points: ratios of distinct primes, so no variable gets 0, ±1 or a small
# integer that special-cases a formula. Trial t gives the k-th variable _VALUES[3t + k].
_VALUES = (
    Fraction(13, 7),
    Fraction(-29, 11),
    Fraction(47, 17),
    Fraction(-61, 23),
    Fraction(83, 31),
    Fraction(-101, 37),
    Fraction(127, 41),
    Fraction(-151, 43),
)
_TRIALS = 3
# More points, used while the first three do not settle the screen (too few usable, no
# side varied yet, or only floats that cannot agree): every variable positive, as roots
# and fractional powers need, large, small (below 1) and moderate.
_EXTRA = (
    lambda k: Fraction(1009 + 97 * k, 7),
    lambda k: Fraction(k + 2, 2 * k + 7),
    lambda k: Fraction(29 + 13 * k, 3),
)


def _point(trial: int, k: int) -> Fraction:
    """The value of the ``k``-th variable (in sorted order) at screening point ``trial``."""
    if trial < _TRIALS:
        return _VALUES[(trial * 3 + k) % len(_VALUES)]
    return _EXTRA[trial - _TRIALS](k)


#: Largest grid :func:`prove_identity` evaluates; bigger degrees go to SymPy.
MAX_GRID_POINTS = 64


def _grid_values(seed: int, n: int) -> tuple[Fraction, ...]:
    """``n`` distinct non-integer rationals drawn with a fixed seed."""
    rng = random.Random(seed)
    out: dict[Fraction, None] = {}
    while len(out) < n:
        v = Fraction(rng.randint(-999, 999), rng.randint(2, 97))
        if v.denominator > 1:
            out[v] = None
    return tuple(out)


_GRID = (_grid_values(20240607, MAX_GRID_POINTS), _grid_values(7, MAX_GRID_POINTS))

Value = Rational | Surd  # a rational, or an irrational surd (never a rational-valued dict)


def substitute(node: Node, env: dict[str, Fraction]) -> Node:
    """``node`` with each variable replaced by a number literal from ``env``."""
    tag = node[0]
    if tag == NAME:
        value = env[node[1]]
        return (NUM, value, str(value))
    if tag == NUM or len(node) == 1:
        return node
    return tuple(part if isinstance(part, str) else substitute(part, env) for part in node)


def value_at(node: Node, env: dict[str, Fraction], budget: Budget) -> Value:
    """Exact value of ``node`` with its variables set by ``env``.

    Rational arithmetic first; surd arithmetic when a part is irrational. Raises
    NeedSymbolic when neither can represent it, EvalError where it is undefined.
    """
    try:
        return walk_exact(substitute(node, env), budget)
    except NeedSymbolic:
        value = walk_surd(node, budget, env)
        rational = as_rational(value)
        return value if rational is None else rational


_P = (1 << 61) - 1  # a prime: screening values of rational functions are computed mod _P
_PI_MOD = 1_135_791_357_913_579_111 % _P  # π is transcendental: any fixed residue will do


@lru_cache(maxsize=256)
def _residue(v: Fraction) -> int:
    return v.numerator * pow(v.denominator, -1, _P) % _P


class _Undefined(Exception):
    """A division by a residue that is zero: the point is not usable."""


class _NotModular(Exception):
    """A side is not a rational function: screen it in floating point instead."""


class _ModWalker:
    """Value mod ``_P`` of a rational function of the variables at one point.

    ``a ≢ b (mod p)`` implies ``a ≠ b`` for the rationals ``a`` and ``b``, and a divisor
    that is zero over the rationals is zero mod ``p``, so a difference seen here is a
    difference of the exact values, at integer speed. Irrational constants, roots,
    factorials of variables, variable exponents and floor division raise NeedSymbolic:
    the floating-point screen takes them.
    """

    __slots__ = ("budget", "env", "limits")

    def __init__(self, env: dict[str, int], budget: Budget) -> None:
        self.env = env
        self.budget = budget
        self.limits = budget.limits

    def walk(self, node: Node) -> int:
        tag = node[0]
        if tag == NUM:
            v = node[1]
            if type(v) is int:
                return v % _P
            return _divide(v.numerator, v.denominator)
        if tag == NAME:
            return self.env[node[1]]
        if tag == PI:
            return _PI_MOD
        self.budget.charge()
        if tag == SUM:
            acc = self.walk(node[1])
            for k in range(2, len(node), 2):
                v = self.walk(node[k + 1])
                acc = (acc + v) % _P if node[k] == "+" else (acc - v) % _P
            return acc
        if tag == PROD:
            acc = self.walk(node[1])
            for k in range(2, len(node), 2):
                op = node[k]
                v = self.walk(node[k + 1])
                if op == "*":
                    acc = acc * v % _P
                elif op == "/":
                    acc = _divide(acc, v)
                else:
                    raise NeedSymbolic
            return acc
        if tag == NEG:
            return -self.walk(node[1]) % _P
        if tag == POS:
            return self.walk(node[1])
        if tag == PCT:
            return _divide(self.walk(node[1]), 100)
        if tag == POW:
            k = walk_exact(node[2], self.budget)  # NeedSymbolic for variable or irrational ones
            if type(k) is not int:
                return self._constant(node)
            if abs(k) > self.limits.max_exponent:
                raise EvalError("exponent_too_large", f"|exponent| over {self.limits.max_exponent}")
            base = self.walk(node[1])
            if k < 0:
                base, k = _divide(1, base), -k
            return pow(base, k, _P)
        return self._constant(node)  # SQRT, ROOT, FACT, BINOM: only of constants

    def _constant(self, node: Node) -> int:
        v = walk_exact(node, self.budget)  # NeedSymbolic when it holds a variable
        if type(v) is int:
            return v % _P
        return _divide(v.numerator, v.denominator)


def _divide(a: int, b: int) -> int:
    b %= _P
    if not b:
        raise _Undefined
    return a * pow(b, -1, _P) % _P


class _Unusable(Exception):
    """The float screen cannot evaluate this point safely."""


_U = 2.0**-50  # rounding allowance per operation: a few ulps of a double
_PI_FLOAT = (math.pi, 1e-15)


class _FloatWalker:
    """Value of any real tree at one point as ``(v, e)``: a double and a bound on its error.

    Every operation widens the bound by a rounding allowance, so ``|a - b| > ea + eb``
    proves the exact values differ. Only the principal real branch is used: a root or a
    fractional power of a value that is not provably positive, a division by a value not
    provably nonzero, a factorial of a variable or an overflow makes the point unusable.
    It cannot prove two values equal; that is the proof's job.
    """

    __slots__ = ("budget", "env")

    def __init__(self, env: dict[str, float], budget: Budget) -> None:
        self.env = env
        self.budget = budget

    def walk(self, node: Node) -> tuple[float, float]:
        tag = node[0]
        if tag == NUM:
            v = float(node[1])
            return v, abs(v) * _U
        if tag == NAME:
            v = self.env[node[1]]
            return v, abs(v) * _U
        if tag == PI:
            return _PI_FLOAT
        self.budget.charge()
        if tag == SUM:
            v, e = self.walk(node[1])
            for k in range(2, len(node), 2):
                b, eb = self.walk(node[k + 1])
                v = v + b if node[k] == "+" else v - b
                e = e + eb + abs(v) * _U
            return _finite(v, e)
        if tag == PROD:
            v, e = self.walk(node[1])
            for k in range(2, len(node), 2):
                b, eb = self.walk(node[k + 1])
                op = node[k]
                if op == "*":
                    v, e = v * b, abs(v) * eb + abs(b) * e + e * eb
                elif op == "/":
                    if abs(b) <= eb * 2:
                        raise _Unusable
                    v = v / b
                    e = (e + abs(v) * eb) / (abs(b) - eb)
                else:
                    raise _Unusable
                v, e = _finite(v, e + abs(v) * _U)
            return v, e
        if tag == NEG:
            v, e = self.walk(node[1])
            return -v, e
        if tag == POS:
            return self.walk(node[1])
        if tag == PCT:
            v, e = self.walk(node[1])
            return v / 100, e / 100 + abs(v / 100) * _U
        limits = self.budget.limits
        if tag == POW:
            # The exact walkers' bounds, so that what they refuse stays refused.
            try:
                k = walk_exact(node[2], self.budget)
            except NeedSymbolic:  # a variable or irrational exponent
                k = None
            if k is not None:
                if abs(k) > limits.max_exponent:
                    raise _Unusable
                if type(k) is int:
                    return self._int_power(self.walk(node[1]), k)
                if k.denominator > limits.max_root_degree:
                    raise _Unusable
            exp = self.walk(node[2])
            if abs(exp[0]) + exp[1] > limits.max_exponent:
                raise _Unusable
            return self._real_power(self.walk(node[1]), exp)
        if tag == SQRT:
            return self._root(self.walk(node[1]), 2)
        if tag == ROOT:
            try:
                n = walk_exact(node[1], self.budget)
            except NeedSymbolic:
                raise _Unusable from None
            if type(n) is not int or n < 1 or n > limits.max_root_degree:
                raise _Unusable
            return self._root(self.walk(node[2]), n)
        try:  # FACT, BINOM: of constants only
            v = float(walk_exact(node, self.budget))
        except NeedSymbolic:
            raise _Unusable from None
        return _finite(v, abs(v) * _U)

    def _int_power(self, base: tuple[float, float], k: int) -> tuple[float, float]:
        a, ea = base
        if k < 0:
            if abs(a) <= ea * 2:
                raise _Unusable
            a, ea = 1 / a, ea / (abs(a) * (abs(a) - ea)) + abs(1 / a) * _U
            k = -k
        if k == 0:
            return 1.0, 0.0
        m = abs(a) + ea
        v = a**k
        return _finite(v, k * m ** (k - 1) * ea + abs(v) * k * _U)

    def _real_power(
        self, base: tuple[float, float], exp: tuple[float, float]
    ) -> tuple[float, float]:
        a, ea = base
        x, ex = exp
        if a - ea <= 0:
            raise _Unusable  # only positive bases: there the real and principal values agree
        corners = [p**q for p in (a - ea, a + ea) for q in (x - ex, x + ex)]
        lo, hi = min(corners), max(corners)
        v = (lo + hi) / 2
        return _finite(v, (hi - lo) / 2 + abs(v) * 4 * _U)

    def _root(self, value: tuple[float, float], n: int) -> tuple[float, float]:
        a, ea = value
        if a - ea <= 0:
            raise _Unusable  # not provably positive (the principal root of a negative is complex)
        lo, hi = (a - ea) ** (1 / n), (a + ea) ** (1 / n)
        v = (lo + hi) / 2
        return _finite(v, (hi - lo) / 2 + abs(v) * 4 * _U)


def _finite(v: float, e: float) -> tuple[float, float]:
    if not (math.isfinite(v) and math.isfinite(e)):
        raise _Unusable
    return v, e


def _screen_with(
    ev: Callable[[Node, int], object],
    left: Node,
    right: Node,
    differ: Callable[[object, object], bool],
) -> tuple[bool | None, bool]:
    """``agree``/``varies`` over the trials; ``differ(a, b)`` proves two values unequal.

    For exact values (residues) not differing means equal; for floats it means unknown,
    so ``agree`` is then never True.
    """
    usable = 0
    exact = differ is _residues_differ
    agree: bool | None = None
    first: tuple[object, object] | None = None
    varies = False
    for trial in range(_TRIALS + len(_EXTRA)):
        if trial >= _TRIALS and varies and (agree is not None or (exact and usable >= 2)):
            break  # decided; the extra points are for unusable points and constant values
        try:
            a = ev(left, trial)
            if agree is False and first is not None and differ(a, first[0]):
                return False, True  # the left side alone is not constant
            b = ev(right, trial)
        except NeedSymbolic:
            if agree is None:
                return None, varies
            break
        except (_Undefined, _Unusable, ArithmeticError):
            continue
        except EvalError as err:
            if err.reason == "budget":
                raise
            continue
        if first is None:
            first = (a, b)
        elif differ(a, first[0]) or differ(b, first[1]):
            varies = True
        if agree is None:
            if differ(a, b):
                agree = False
            else:
                usable += 1
        if agree is False and varies:
            break
    if agree is None and exact:
        agree = True if usable >= 2 else None
    return agree, varies


def _residues_differ(a: object, b: object) -> bool:
    return a != b


def _floats_differ(a: object, b: object) -> bool:
    (x, ex), (y, ey) = a, b  # type: ignore[misc]
    return abs(x - y) > (ex + ey) * 1.01


def screen(left: Node, right: Node, names: list[str], budget: Budget) -> tuple[bool | None, bool]:
    """``(agree, varies)`` from both sides at the three screening points.

    ``agree``: False when a point proves the sides differ; True when they are equal at
    every usable point (at least two); None when not known. ``varies``: a side provably
    took two different values (so it is not a constant, whatever SymPy would make of it).
    Budget errors propagate; other errors make a point unusable.

    Rational functions are evaluated exactly mod a large prime (the same points, as
    residues), where agreement means equality at the point. Anything else — roots,
    fractional or variable exponents — in floating point with a rigorous error bound,
    which can prove a difference but never an agreement (``agree`` is then not True).
    """
    table = _point_table(len(names))

    def modular(node: Node, trial: int) -> int:
        try:
            return _ModWalker(dict(zip(names, table[trial][1], strict=True)), budget).walk(node)
        except NeedSymbolic:
            raise _NotModular from None

    try:
        return _screen_with(modular, left, right, _residues_differ)
    except _NotModular:
        pass
    return _screen_with(
        lambda node, trial: _FloatWalker(
            dict(zip(names, table[trial][2], strict=True)), budget
        ).walk(node),
        left,
        right,
        _floats_differ,
    )


@lru_cache(maxsize=64)
def _point_table(
    n: int,
) -> tuple[tuple[tuple[Fraction, ...], tuple[int, ...], tuple[float, ...]], ...]:
    """Per screening point, the values of ``n`` variables: exact, as residues, as floats."""
    out = []
    for trial in range(_TRIALS + len(_EXTRA)):
        values = tuple(_point(trial, k) for k in range(n))
        out.append((values, tuple(map(_residue, values)), tuple(map(float, values))))
    return tuple(out)


def agree_at_points(left: Node, right: Node, budget: Budget) -> bool | None:
    """True: equal at every usable screening point (at least two); False: a point tells
    them apart; None: no verdict (see :func:`screen`)."""
    return screen(left, right, sorted(variables(left) | variables(right)), budget)[0]


class _NotRational(Exception):
    """A side is not a rational function of its variables."""


Degrees = tuple[dict[str, int], dict[str, int]]  # bounds per variable: numerator, denominator


def _merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for v, d in b.items():
        out[v] = out.get(v, 0) + d
    return out


def _sum_degrees(x: Degrees, y: Degrees) -> Degrees:
    """``n1/d1 + n2/d2 = (n1 d2 + n2 d1) / (d1 d2)``."""
    left, right = _merge(x[0], y[1]), _merge(y[0], x[1])
    numerator = {v: max(left.get(v, 0), right.get(v, 0)) for v in left.keys() | right.keys()}
    return numerator, _merge(x[1], y[1])


def _degrees(node: Node, limits: Limits) -> Degrees:
    """Degree bounds of the numerator and denominator that evaluating ``node`` builds."""
    tag = node[0]
    if tag == NAME:
        return {node[1]: 1}, {}
    if tag in (NUM, PI):
        return {}, {}
    if tag in (NEG, POS, PCT):
        return _degrees(node[1], limits)
    if tag == SUM:
        acc = _degrees(node[1], limits)
        for k in range(3, len(node), 2):
            acc = _sum_degrees(acc, _degrees(node[k], limits))
        return acc
    if tag == PROD:
        num, den = _degrees(node[1], limits)
        for k in range(2, len(node), 2):
            n2, d2 = _degrees(node[k + 1], limits)
            if node[k] == "*":
                num, den = _merge(num, n2), _merge(den, d2)
            elif node[k] == "/":
                num, den = _merge(num, d2), _merge(den, n2)
            elif num or den or n2 or d2:
                raise _NotRational  # floor division of a variable expression
        return num, den
    if tag == POW:
        num, den = _degrees(node[1], limits)
        if not num and not den:
            if variables(node[2]):
                raise _NotRational  # 2^n
            return {}, {}
        if variables(node[2]):
            raise _NotRational
        try:
            k = walk_exact(node[2], Budget(limits))
        except (NeedSymbolic, EvalError):
            raise _NotRational from None
        if type(k) is not int:
            raise _NotRational  # x^{1/2}
        if k < 0:
            num, den, k = den, num, -k
        return {v: d * k for v, d in num.items()}, {v: d * k for v, d in den.items()}
    if tag in (SQRT, ROOT, FACT, BINOM):
        if any(variables(child) for child in children(node)):
            raise _NotRational
        return {}, {}
    raise _NotRational


def degree_bounds(left: Node, right: Node, limits: Limits) -> dict[str, int] | None:
    """Per variable, a bound on its degree in the numerator of ``left - right``."""
    try:
        nl, dl = _degrees(left, limits)
        nr, dr = _degrees(right, limits)
    except (_NotRational, RecursionError):
        return None
    a, b = _merge(nl, dr), _merge(nr, dl)
    return {v: max(a.get(v, 0), b.get(v, 0)) for v in a.keys() | b.keys()}


def prove_identity(
    left: Node, right: Node, budget: Budget, names: list[str] | None = None
) -> bool | None:
    """True: ``left`` and ``right`` are the same rational function; False: they are not;
    None: not decided here (not rational functions, or too big).

    Rational coefficients (π included): expanded exactly (:mod:`.polys`). Surd
    coefficients: the grid. Either way under a budget of its own, since an expansion
    can take more operations than evaluating the sides did. ``names``: the sorted
    variables of both sides, when the caller has them.
    """
    limits = budget.limits
    if names is None:
        names = sorted(variables(left) | variables(right))
    try:
        outcome = compare(left, right, names, Budget(limits))
    except NotPolynomial:
        outcome = None
    except (EvalError, RecursionError):
        return None
    if outcome is not None:
        return outcome
    try:
        return _prove_on_grid(left, right, Budget(limits))
    except (EvalError, RecursionError):
        return None


def _prove_on_grid(left: Node, right: Node, budget: Budget) -> bool | None:
    bounds = degree_bounds(left, right, budget.limits)
    if bounds is None:
        return None
    names = sorted(bounds)
    if prod(bounds[v] + 1 for v in names) > MAX_GRID_POINTS:
        return None
    for values in _GRID:
        complete = True
        for point in _grid(names, [bounds[v] + 1 for v in names], values):
            try:
                a = value_at(left, point, budget)
                b = value_at(right, point, budget)
            except NeedSymbolic:
                return None
            except EvalError as err:
                if err.reason == "budget":
                    raise
                complete = False  # a denominator vanishes here: try other values
                break
            if a != b:
                return False
        if complete:
            return True
    return None


def _grid(
    names: list[str], sizes: list[int], values: tuple[Fraction, ...]
) -> Iterator[dict[str, Fraction]]:
    """Every point of ``values[:s1] x values[:s2] x ...`` as an environment."""
    if not names:
        yield {}
        return
    head, rest = names[0], names[1:]
    for v in values[: sizes[0]]:
        for env in _grid(rest, sizes[1:], values):
            yield {head: v, **env}
