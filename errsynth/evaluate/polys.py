"""Exact rational functions in a few variables, for proving identities without SymPy.

A polynomial is a dict from an exponent tuple (one entry per variable, in a fixed order)
to a nonzero rational coefficient; a side of an equation becomes a pair ``(numerator,
denominator)`` built by the same operations the tree performs. ``π`` is one more
variable: it is transcendental, so a polynomial identity in ``π`` and the variables is
an identity of real functions and conversely. ``left == right`` as rational functions
exactly when ``N_l · D_r == N_r · D_l`` term by term — no gcd, no ``cancel``.

Roots and fractional powers (``\\sqrt{x^2+1}``, ``x^{3/2}``, ``\\sqrt{5}``) become *atoms*:
one more variable per distinct ``(degree, radicand)``, radicands compared as rational
functions. Atoms are not independent (``\\sqrt{5}^2 = 5``), so equal expansions prove an
identity but unequal ones prove nothing when atoms are present (:func:`compare` then
returns None). Factorials of variables, variable or irrational exponents, floor
division and expansions past ``Limits.max_expand_terms`` terms raise
:class:`NotPolynomial`.
"""

from __future__ import annotations

from fractions import Fraction

from .budget import Budget
from .errors import EvalError
from .exact import NeedSymbolic, Rational, walk_exact
from .intmath import bits
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

Poly = dict[tuple[int, ...], Rational]
RatFunc = tuple[Poly, Poly]

_PI_NAME = "\\pi"  # cannot clash with a parsed variable name


class NotPolynomial(Exception):
    """The tree is not a rational function that is cheap to expand exactly."""


def _norm(c: Rational) -> Rational:
    if type(c) is Fraction and c.denominator == 1:
        return c.numerator
    return c


class _Builder:
    __slots__ = ("atoms", "budget", "index", "limits", "reduce", "size", "zero")

    def __init__(self, names: list[str], n_atoms: int, budget: Budget) -> None:
        self.index = {name: k for k, name in enumerate(names)}
        self.size = len(names) + n_atoms  # atoms take the slots after the names
        self.zero = (0,) * self.size
        self.budget = budget
        self.limits = budget.limits
        self.atoms: list[tuple[int, Poly, Poly]] = []  # (degree, radicand num, den)
        # Atoms whose radicand is a polynomial P (a constant denominator): (slot, q, P),
        # for the rule atom^q = P.
        self.reduce: list[tuple[int, int, Poly]] = []

    def atom(self, degree: int, radicand: RatFunc) -> Poly:
        """The monomial of the atom ``radicand ** (1/degree)`` (reused when equal)."""
        num, den = radicand
        index = len(self.atoms)
        for k, (d2, n2, m2) in enumerate(self.atoms):
            if d2 == degree and (
                (num == n2 and den == m2) or self.mul(num, m2) == self.mul(n2, den)
            ):
                index = k
                break
        else:
            self.atoms.append((degree, num, den))
            if len(den) == 1 and self.zero in den:
                scale = Fraction(1) / den[self.zero]
                poly = {m: _norm(c * scale) for m, c in num.items()}
                self.reduce.append((len(self.index) + index, degree, poly))
        m = [0] * self.size
        m[len(self.index) + index] = 1
        return {tuple(m): 1}

    def const(self, c: Rational) -> Poly:
        return {self.zero: c} if c else {}

    def add(self, a: Poly, b: Poly, sign: int = 1) -> Poly:
        out = dict(a)
        for m, c in b.items():
            v = _norm(out.get(m, 0) + (c if sign > 0 else -c))
            if v:
                out[m] = v
            else:
                del out[m]
        self._check(out)
        return out

    def mul(self, a: Poly, b: Poly) -> Poly:
        if len(a) == 1 and self.zero in a and a[self.zero] == 1:
            return b
        if len(b) == 1 and self.zero in b and b[self.zero] == 1:
            return a
        self.budget.charge(len(a) * len(b) // 8 + 1)
        out: Poly = {}
        get = out.get
        for ma, ca in a.items():
            for mb, cb in b.items():
                m = tuple(x + y for x, y in zip(ma, mb, strict=True))
                v = _norm(get(m, 0) + ca * cb)
                if v:
                    out[m] = v
                else:
                    out.pop(m, None)
        if self.reduce:
            self._reduce(out)
        self._check(out)
        return out

    def _reduce(self, p: Poly) -> None:
        """Rewrite ``atom^q`` as its radicand, in place, until no power reaches ``q``.

        A radicand holds only atoms made before its own, so this terminates.
        """
        changed = True
        while changed:
            changed = False
            for slot, degree, radicand in self.reduce:
                hits = [(m, c) for m, c in p.items() if m[slot] >= degree]
                if not hits:
                    continue
                changed = True
                self.budget.charge(len(hits) * len(radicand) // 8 + 1)
                for m, c in hits:
                    del p[m]
                    base = (*m[:slot], m[slot] - degree, *m[slot + 1 :])
                    for mr, cr in radicand.items():
                        mm = tuple(x + y for x, y in zip(base, mr, strict=True))
                        v = _norm(p.get(mm, 0) + c * cr)
                        if v:
                            p[mm] = v
                        else:
                            p.pop(mm, None)
                if len(p) > self.limits.max_expand_terms:
                    raise NotPolynomial

    def _check(self, p: Poly) -> None:
        if len(p) > self.limits.max_expand_terms:
            raise NotPolynomial
        max_bits = self.limits.max_bits
        for c in p.values():
            if bits(c) > max_bits:
                raise NotPolynomial
        self.budget.check_time()

    def power(self, a: Poly, n: int) -> Poly:
        out = self.const(1)
        while n:
            if n & 1:
                out = self.mul(out, a)
            n >>= 1
            if n:
                a = self.mul(a, a)
        return out

    def build(self, node: Node) -> RatFunc:
        tag = node[0]
        one = self.const(1)
        if tag == NUM:
            return self.const(node[1]), one
        if tag in (NAME, PI):
            name = node[1] if tag == NAME else _PI_NAME
            m = [0] * self.size
            m[self.index[name]] = 1
            return {tuple(m): 1}, one
        self.budget.charge()
        if tag in (NEG, POS, PCT):
            num, den = self.build(node[1])
            if tag == NEG:
                return {m: -c for m, c in num.items()}, den
            if tag == PCT:
                return num, self.mul(den, self.const(100))
            return num, den
        if tag == SUM:
            num, den = self.build(node[1])
            for k in range(2, len(node), 2):
                n2, d2 = self.build(node[k + 1])
                sign = 1 if node[k] == "+" else -1
                if d2 == den:
                    num = self.add(num, n2, sign)
                else:
                    num = self.add(self.mul(num, d2), self.mul(n2, den), sign)
                    den = self.mul(den, d2)
            return num, den
        if tag == PROD:
            num, den = self.build(node[1])
            for k in range(2, len(node), 2):
                n2, d2 = self.build(node[k + 1])
                if node[k] == "*":
                    num, den = self.mul(num, n2), self.mul(den, d2)
                elif node[k] == "/":
                    if not n2:
                        raise NotPolynomial  # a zero divisor: SymPy's walker reports it
                    num, den = self.mul(num, d2), self.mul(den, n2)
                else:
                    raise NotPolynomial  # floor division
            return num, den
        if tag == POW:
            k = self._constant(node[2])
            if abs(k) > self.limits.max_exponent:
                raise NotPolynomial
            if type(k) is int:
                num, den = self.build(node[1])
            else:  # x^{p/q} = (x^{1/q})^p
                if k.denominator > self.limits.max_root_degree:
                    raise NotPolynomial
                num, den = self._root(node[1], k.denominator, node)
                k = k.numerator
            if k < 0:
                if not num:
                    raise NotPolynomial  # 0 to a negative power
                num, den, k = den, num, -k
            return self.power(num, k), self.power(den, k)
        if tag == SQRT:
            return self._root(node[1], 2, node)
        if tag == ROOT:
            degree = self._constant(node[1])
            if type(degree) is not int or not 1 <= degree <= self.limits.max_root_degree:
                raise NotPolynomial
            return self._root(node[2], degree, node)
        if tag in (FACT, BINOM):
            return self.const(self._constant(node)), one
        raise NotPolynomial

    def _root(self, radicand: Node, degree: int, whole: Node) -> RatFunc:
        """``radicand ** (1/degree)``: a rational constant when it is one, else an atom."""
        one = self.const(1)
        if degree == 1:
            return self.build(radicand)
        if not variables(radicand):
            try:
                return self.const(walk_exact(whole, self.budget)), one
            except NeedSymbolic:
                pass
            except EvalError as err:
                if err.reason == "budget":
                    raise
                raise NotPolynomial from None
        return self.atom(degree, self.build(radicand)), one

    def _constant(self, node: Node) -> Rational:
        """The rational value of a variable-free subtree."""
        try:
            return walk_exact(node, self.budget)
        except (NeedSymbolic, EvalError) as err:
            if isinstance(err, EvalError) and err.reason == "budget":
                raise
            raise NotPolynomial from None


def compare(left: Node, right: Node, names: list[str], budget: Budget) -> bool | None:
    """Whether two trees are the same rational function of ``names``, π and atoms.

    True: equal (an identity). False: different, and no atoms took part, so not an
    identity. None: different expansions with atoms, which proves nothing. Raises
    :class:`NotPolynomial` when a side cannot be expanded.
    """
    n_atoms = _count_roots(left) + _count_roots(right)
    builder = _Builder([*names, _PI_NAME], n_atoms, budget)
    nl, dl = builder.build(left)
    nr, dr = builder.build(right)
    if not dl or not dr:  # pragma: no cover - zero divisors are refused while building
        raise NotPolynomial
    same = nl == nr if dl == dr else builder.mul(nl, dr) == builder.mul(nr, dl)
    if same:
        return True
    return None if builder.atoms else False


def _count_roots(node: Node) -> int:
    stack, count = [node], 0
    while stack:
        item = stack.pop()
        if item[0] in (SQRT, ROOT, POW):
            count += 1
        stack.extend(children(item))
    return count


def constant_value(node: Node, names: list[str], budget: Budget) -> Rational | None:
    """The rational number ``node`` equals for every value of its variables, or None.

    ``p - p + 1`` gives 1, ``\\frac{2x^3}{(2x)^3}`` gives 1/4; a side that still depends
    on a variable or on π after expansion, or that holds a root, gives None. Raises
    :class:`NotPolynomial` when it cannot be expanded.
    """
    builder = _Builder([*names, _PI_NAME], _count_roots(node), budget)
    num, den = builder.build(node)
    if builder.atoms:
        # A root whose argument is negative everywhere would cancel here while SymPy's
        # walker refuses it (``domain``): leave roots to SymPy.
        return None
    if not den:  # pragma: no cover - zero divisors are refused while building
        raise NotPolynomial
    if not num:
        return 0
    # Constant exactly when the numerator is a rational multiple of the denominator.
    m0, d0 = next(iter(den.items()))
    if m0 not in num or len(num) != len(den):
        return None
    ratio = Fraction(num[m0]) / d0
    if any(num.get(m) != c * ratio for m, c in den.items()):
        return None
    return _norm(ratio)
