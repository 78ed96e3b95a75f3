"""Which of the arith transform's perturbation kinds a wrong claimed result is.

A model wrote ``expr = wrong`` where the evaluator says ``expr`` is ``right``. The wrong
numeral is matched against the candidates the ``arith`` transform itself would draw for
the right one (:mod:`errsynth.transforms.arith_perturb`): ``offset`` (moved by 1..3
units), ``digit`` (one digit changed), ``transpose`` (two adjacent digits swapped),
``operator`` (the value of ``expr`` with one operator swapped), ``decimal`` (the point
moved or dropped), ``rounding`` (rounded to 10/100/1000). A numeral several kinds would
produce (24 → 25 is an offset and a digit change) takes the first in :data:`PRIORITY`,
and every match is reported; one no kind produces is ``other``.
"""

from __future__ import annotations

from fractions import Fraction

from errsynth.transforms.arith_perturb import (
    decimal_candidates,
    digit_candidates,
    offset_candidates,
    operator_numeral,
    operator_swaps,
    rounding_candidates,
    transpose_candidates,
)
from errsynth.transforms.arith_text import Claim, numeral_style, numeral_value, parse_claim

MAX_OFFSET = 3  # the arith transform's default max_offset
PRIORITY: tuple[str, ...] = ("operator", "transpose", "decimal", "rounding", "offset", "digit")


def _right_claim(right: str, wrong: Claim) -> Claim | None:
    """The right value written as the wrong numeral is written (places, commas)."""
    try:
        value = Fraction(right)
    except (ValueError, ZeroDivisionError):
        return None
    if value < 0:
        value = -value
    places = wrong.style.places
    scaled = value * 10**places
    if scaled.denominator != 1:
        if not places:
            return None
        scaled = Fraction(int(scaled + Fraction(1, 2)))  # as the writer rounded, half up
    digits = str(scaled.numerator)
    if places:
        digits = digits.rjust(places + 1, "0")
        num = f"{digits[:-places]}.{digits[-places:]}"
    else:
        num = digits
    if wrong.style.commas and "." not in num:
        num = f"{int(num):,}"
    claim = parse_claim(num)
    if claim is None:
        return None
    return claim


def matching_kinds(expr: str, wrong_text: str, right: str, syntax: str) -> list[str]:
    """Every arith kind whose candidates for `right` include `wrong_text`, in PRIORITY order."""
    wrong = parse_claim(wrong_text.strip())
    if wrong is None:
        return []
    claim = _right_claim(right, wrong)
    if claim is None:
        return []
    num = wrong.num
    target = numeral_value(num)
    found: set[str] = set()
    if num in offset_candidates(claim, MAX_OFFSET, None):
        found.add("offset")
    if num in digit_candidates(claim):
        found.add("digit")
    if num in transpose_candidates(claim):
        found.add("transpose")
    if num in decimal_candidates(claim):
        found.add("decimal")
    if num in rounding_candidates(claim):
        found.add("rounding")
    for swapped in operator_swaps(expr, syntax, None):
        got = operator_numeral(claim, swapped, syntax, None, 1)
        if got is not None and numeral_value(got) == target:
            found.add("operator")
            break
    return [k for k in PRIORITY if k in found]


def classify(expr: str, wrong_text: str, right: str | None, syntax: str) -> tuple[str, list[str]]:
    """(subkind, all matching kinds): the first match in PRIORITY, or ``other``."""
    if right is None:
        return "other", []
    kinds = matching_kinds(expr, wrong_text, right, syntax)
    return (kinds[0] if kinds else "other"), kinds


__all__ = ["MAX_OFFSET", "PRIORITY", "classify", "matching_kinds", "numeral_style"]
