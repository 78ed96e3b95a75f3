"""Integer helpers for exact roots and sizes."""

from __future__ import annotations

from fractions import Fraction
from math import isqrt


def iroot(n: int, k: int) -> int:
    """Floor of the ``k``-th root of ``n >= 0`` (Newton's method on integers)."""
    if n < 2 or k == 1:
        return n
    if k == 2:
        return isqrt(n)
    x = 1 << -(-n.bit_length() // k)  # a power of two at or above the root
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def exact_root(n: int, k: int) -> int | None:
    """The integer ``k``-th root of ``n >= 0`` when ``n`` is a perfect power, else None."""
    r = iroot(n, k)
    return r if r**k == n else None


def rational_root(v: int | Fraction, k: int) -> int | Fraction | None:
    """Exact real ``k``-th root of a rational (odd ``k`` allows negatives), else None.

    The caller rejects even roots of negative numbers before calling.
    """
    sign = -1 if v < 0 else 1
    if type(v) is int:
        r = exact_root(abs(v), k)
        return None if r is None else sign * r
    num = exact_root(abs(v.numerator), k)
    if num is None:
        return None
    den = exact_root(v.denominator, k)
    return None if den is None else Fraction(sign * num, den)


def bits(v: int | Fraction) -> int:
    """Bit length of the larger of numerator and denominator."""
    if type(v) is int:
        return v.bit_length()
    return max(v.numerator.bit_length(), v.denominator.bit_length())
