"""Exact arithmetic with surds and π, without SymPy: the fast path for ``\\sqrt{8} = 2\\sqrt{2}``.

A value is a finite sum ``Σ c · π^k · p1^e1 · p2^e2 ···`` with rational ``c``, integer
``k``, distinct primes ``p`` and exponents ``0 < e < 1`` — a dict from the *monomial*
``(k, ((p1, e1), (p2, e2), ...))`` to its coefficient. Integer parts of exponents move
into the coefficient, so the form is canonical: positive real radicals whose ratios are
irrational are linearly independent over the rationals (Besicovitch; Mordell), and π is
transcendental over them, so two values are equal exactly when their dicts are equal.

Only what stays cheap and exact is done here: sums, products, integer powers, rational
powers and roots of a single monomial, and inverses of a single monomial or of a sum of
square roots (by conjugates). Anything else — a root of a sum (``\\sqrt{3+2\\sqrt{2}}``),
``π`` to a fractional power, a radicand that does not factor over small primes, a
variable — raises :class:`~errsynth.evaluate.exact.NeedSymbolic`, and the caller asks
SymPy instead. Variables may be given values (``env``), which is how
:mod:`errsynth.evaluate.identity` evaluates sides such as ``x\\sqrt{5} + 1`` at points.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

from .budget import Budget
from .errors import EvalError, Limits
from .exact import (
    NeedSymbolic,
    Rational,
    binomial,
    check_size,
    int_factorial,
    rational_power,
)
from .nodes import BINOM, FACT, NAME, NEG, NUM, PCT, PI, POS, POW, PROD, ROOT, SQRT, SUM, Node

Factors = tuple[tuple[int, Fraction], ...]  # ((prime, exponent in (0, 1)), ...) by prime
Monomial = tuple[int, Factors]  # (power of π, radical factors)
Surd = dict[Monomial, Rational]  # monomial -> nonzero coefficient; {} is zero

UNIT: Monomial = (0, ())
_PI: Monomial = (1, ())
_HALF = Fraction(1, 2)


def _small_primes(limit: int) -> tuple[int, ...]:
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\x00\x00"
    for i in range(2, isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return tuple(i for i, flag in enumerate(sieve) if flag)


_PRIMES = _small_primes(1000)
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
_MR_LIMIT = 3_317_044_064_679_887_385_961_981  # these bases decide primality below it


def _is_prime(n: int) -> bool:
    """Deterministic Miller–Rabin for ``1000 < n < _MR_LIMIT`` (no factor below 1000)."""
    d, s = n - 1, 0
    while not d & 1:
        d >>= 1
        s += 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def factor(n: int) -> dict[int, int]:
    """Prime factorization of ``n >= 1``; NeedSymbolic when it is not cheap."""
    out: dict[int, int] = {}
    for p in _PRIMES:
        if p * p > n:
            break
        if n % p == 0:
            k = 0
            while n % p == 0:
                n //= p
                k += 1
            out[p] = k
    if n > 1:
        if n > _PRIMES[-1] ** 2 and (n >= _MR_LIMIT or not _is_prime(n)):
            raise NeedSymbolic  # a large cofactor: leave it to SymPy
        out[n] = out.get(n, 0) + 1
    return out


def from_rational(v: Rational) -> Surd:
    return {UNIT: v} if v else {}


def as_rational(s: Surd) -> Rational | None:
    """The rational equal to ``s``, or None when ``s`` is irrational."""
    if not s:
        return 0
    if len(s) == 1 and UNIT in s:
        return s[UNIT]
    return None


def _norm(c: Rational) -> Rational:
    if type(c) is Fraction and c.denominator == 1:
        return c.numerator
    return c


def _radical(pi: int, exps: dict[int, Fraction], coef: Rational, limits: Limits) -> Surd:
    """``coef · π^pi · Π p^e`` for any rational ``e``: integer parts go to the coefficient."""
    factors = []
    for p in sorted(exps):
        e = exps[p]
        whole = e.numerator // e.denominator  # floor
        if whole:
            if p.bit_length() * abs(whole) > limits.max_bits:
                raise NeedSymbolic  # SymPy keeps such powers unevaluated
            coef = coef * p**whole if whole > 0 else Fraction(coef) / p**-whole
            e -= whole
        if e:
            factors.append((p, e))
    coef = _norm(coef)
    check_size(coef, limits)
    return {(pi, tuple(factors)): coef} if coef else {}


def _mono_mul(a: Monomial, b: Monomial, coef: Rational, limits: Limits) -> Surd:
    if not a[1] or not b[1]:
        return {(a[0] + b[0], a[1] or b[1]): coef}
    exps: dict[int, Fraction] = dict(a[1])
    for p, e in b[1]:
        exps[p] = exps.get(p, 0) + e
    return _radical(a[0] + b[0], exps, coef, limits)


def add(a: Surd, b: Surd, sign: int = 1) -> Surd:
    out = dict(a)
    for k, c in b.items():
        v = _norm(out.get(k, 0) + (c if sign > 0 else -c))
        if v:
            out[k] = v
        else:
            out.pop(k, None)
    return out


def neg(a: Surd) -> Surd:
    return {k: -c for k, c in a.items()}


def mul(a: Surd, b: Surd, limits: Limits) -> Surd:
    if len(a) * len(b) > limits.max_expand_terms:
        raise NeedSymbolic
    out: Surd = {}
    for ka, ca in a.items():
        for kb, cb in b.items():
            for k, c in _mono_mul(ka, kb, _norm(ca * cb), limits).items():
                v = _norm(out.get(k, 0) + c)
                if v:
                    out[k] = v
                else:
                    out.pop(k, None)
    for c in out.values():
        check_size(c, limits)
    return out


def inverse(a: Surd, limits: Limits) -> Surd:
    """``1 / a``: a single monomial, or a sum of square roots made rational by conjugates."""
    if not a:
        raise EvalError("division_by_zero", "division by zero")
    if len(a) == 1:
        (((pi, factors), c),) = a.items()
        exps = {p: -e for p, e in factors}
        return _radical(-pi, exps, _norm(Fraction(1) / c), limits)
    numerator: Surd = {UNIT: 1}
    while True:
        # The largest prime under a square root; stop when none is left.
        primes = {p for (pi, fs) in a for p, e in fs if e == _HALF and not pi}
        if any(pi or any(e != _HALF for _, e in fs) for (pi, fs) in a):
            raise NeedSymbolic  # cube roots or π in a sum: not by conjugates
        if not primes:
            break
        p = max(primes)
        conj = {k: (-c if any(q == p for q, _ in k[1]) else c) for k, c in a.items()}
        numerator = mul(numerator, conj, limits)
        a = mul(a, conj, limits)
        if not a:  # a was zero after all (the canonical form says it cannot be)
            raise EvalError("division_by_zero", "division by zero")
    r = as_rational(a)
    if r is None:  # pragma: no cover - conjugates leave a rational
        raise NeedSymbolic
    return {k: _norm(c / Fraction(r)) for k, c in numerator.items()}


def int_power(a: Surd, n: int, limits: Limits) -> Surd:
    if abs(n) > limits.max_exponent:
        raise EvalError("exponent_too_large", f"|exponent| over {limits.max_exponent}")
    if n < 0:
        a = inverse(a, limits)
        n = -n
    if len(a) == 1:  # a monomial: exponents scale, no expansion
        (((pi, factors), c),) = a.items()
        r = rational_power(c, n, limits)
        return _radical(pi * n, {p: e * n for p, e in factors}, r, limits)
    if n > limits.max_symbolic_exponent:
        raise NeedSymbolic  # SymPy refuses or keeps these; let it decide
    out: Surd = {UNIT: 1}
    base = a
    while n:
        if n & 1:
            out = mul(out, base, limits)
        n >>= 1
        if n:
            base = mul(base, base, limits)
    return out


def frac_power(a: Surd, exp: Fraction, limits: Limits) -> Surd:
    """``a ** exp`` for a non-integer rational ``exp``: only a single real monomial."""
    if abs(exp) > limits.max_exponent:
        raise EvalError("exponent_too_large", f"|exponent| over {limits.max_exponent}")
    if exp.denominator > limits.max_root_degree:
        raise EvalError("exponent_too_large", "root degree too large")
    if not a:
        if exp < 0:
            raise EvalError("division_by_zero", "0 to a negative power")
        return {}
    if len(a) != 1:
        raise NeedSymbolic  # a root of a sum: nested radicals are SymPy's job
    (((pi, factors), c),) = a.items()
    if pi:
        raise NeedSymbolic
    sign = 1
    if c < 0:
        if exp.denominator % 2 == 0:
            raise EvalError("domain", "even root of a negative number")
        sign = -1 if exp.numerator % 2 else 1
        c = -c
    exps: dict[int, Fraction] = {p: e * exp for p, e in factors}
    c = Fraction(c)
    for p, k in factor(c.numerator).items():
        exps[p] = exps.get(p, 0) + k * exp
    for p, k in factor(c.denominator).items():
        exps[p] = exps.get(p, 0) - k * exp
    return _radical(0, exps, sign, limits)


class _Walker:
    __slots__ = ("budget", "env", "limits")

    def __init__(self, budget: Budget, env: dict[str, Fraction] | None) -> None:
        self.budget = budget
        self.limits = budget.limits
        self.env = env

    def rational(self, node: Node) -> Rational:
        value = as_rational(self.walk(node))
        if value is None:
            raise NeedSymbolic
        return value

    def walk(self, node: Node) -> Surd:
        tag = node[0]
        if tag == NUM:
            return from_rational(node[1])
        if tag == NAME:
            if self.env is None or node[1] not in self.env:
                raise NeedSymbolic
            return from_rational(self.env[node[1]])
        if tag == PI:
            return {_PI: 1}
        budget = self.budget
        budget.charge()
        budget.check_time()
        limits = self.limits
        if tag == SUM:
            acc = self.walk(node[1])
            for k in range(2, len(node), 2):
                budget.charge()
                acc = add(acc, self.walk(node[k + 1]), 1 if node[k] == "+" else -1)
            return acc
        if tag == PROD:
            acc = self.walk(node[1])
            for k in range(2, len(node), 2):
                budget.charge()
                budget.check_time()
                op, value = node[k], self.walk(node[k + 1])
                if op == "*":
                    acc = mul(acc, value, limits)
                elif op == "/":
                    acc = mul(acc, inverse(value, limits), limits)
                else:
                    raise NeedSymbolic  # floor division of surds
            return acc
        if tag == NEG:
            return neg(self.walk(node[1]))
        if tag == POS:
            return self.walk(node[1])
        if tag == PCT:
            return mul(self.walk(node[1]), {UNIT: Fraction(1, 100)}, limits)
        if tag == POW:
            base = self.walk(node[1])
            exp = as_rational(self.walk(node[2]))
            if exp is None:
                raise NeedSymbolic  # 2^{\sqrt{2}}, 2^\pi
            if type(exp) is int:
                return int_power(base, exp, limits)
            if len(base) == 1 and UNIT not in base and next(iter(base.values())) < 0:
                # SymPy's walker refuses a fractional power of a negative surd.
                raise EvalError("domain", "non-integer power of a negative number")
            return frac_power(base, exp, limits)
        if tag == SQRT:
            return frac_power(self.walk(node[1]), _HALF, limits)
        if tag == ROOT:
            degree = as_rational(self.walk(node[1]))
            if type(degree) is not int or degree < 1:
                raise EvalError("domain", "root degree must be a positive integer")
            if degree > limits.max_root_degree:
                raise EvalError("exponent_too_large", "root degree too large")
            value = self.walk(node[2])
            return value if degree == 1 else frac_power(value, Fraction(1, degree), limits)
        if tag == FACT:
            return from_rational(int_factorial(self.rational(node[1]), limits))
        if tag == BINOM:
            n = self.rational(node[1])
            return from_rational(binomial(n, self.rational(node[2]), limits))
        raise EvalError("syntax", f"unknown node {tag!r}")


def walk_surd(node: Node, budget: Budget, env: dict[str, Fraction] | None = None) -> Surd:
    """Exact value of ``node`` in canonical surd form; NeedSymbolic when out of reach.

    ``env`` gives variables rational values; a variable without one raises NeedSymbolic.
    """
    return _Walker(budget, env).walk(node)
