"""Canonical text of a value: ``"72"``, ``"-3"``, ``"0.5"``, ``"12.25"``, ``"1/3"``."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core import RawValue

#: Terminating decimals longer than this are written as ``a/b`` instead (2**-100 would
#: need 100 places; the fraction is shorter and just as canonical).
MAX_DECIMAL_PLACES = 40


_CHUNK = 10**4000


def int_text(n: int) -> str:
    """``str(n)`` without Python's 4300-digit conversion limit (values here stay smaller,
    but a caller may format any Fraction)."""
    if n.bit_length() < 14_000:
        return str(n)
    high, low = divmod(abs(n), _CHUNK)
    return ("-" if n < 0 else "") + int_text(high) + str(low).rjust(4000, "0")


def decimal_places(den: int) -> int | None:
    """Places needed to write ``1/den`` exactly, or None when it does not terminate."""
    twos = (den & -den).bit_length() - 1
    den >>= twos
    fives = 0
    while den % 5 == 0:
        den //= 5
        fives += 1
    return max(twos, fives) if den == 1 else None


def format_rational(num: int, den: int) -> str:
    if den == 1:
        return int_text(num)
    places = decimal_places(den)
    if places is None or places > MAX_DECIMAL_PLACES:
        return f"{int_text(num)}/{int_text(den)}"
    digits = int_text(abs(num) * 10**places // den).rjust(places + 1, "0")
    sign = "-" if num < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def format_value(v: RawValue) -> str:
    """Canonical text: integers plainly, terminating decimals as decimals, else ``a/b``.

    SymPy expressions use SymPy's own printer, which orders terms deterministically.
    """
    if type(v) is int:
        return int_text(v)
    if isinstance(v, Fraction):
        return format_rational(v.numerator, v.denominator)
    if isinstance(v, int):  # bool or an int subclass
        return int_text(int(v))
    if getattr(v, "is_Rational", False):
        return format_rational(int(v.p), int(v.q))  # type: ignore[union-attr]
    return str(v)
