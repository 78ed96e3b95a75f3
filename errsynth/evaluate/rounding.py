"""When a claimed decimal counts as a correct rounding of an exact value.

Policy (chosen against GSM8K's calculator annotations, where people write ``10/3=3.33``,
``2/3=0.67`` or ``2/3=0.66``): a claim with ``d`` decimal places is accepted when, at
that precision, it is

* the truncation of the exact value toward zero, or
* within half a unit of the last place — which covers round-half-up, round-half-down and
  round-half-even at once (they differ only on exact ties, and all three are accepted).

So ``10/3 = 3.33`` and ``2/3 = 0.66`` pass, ``10/3 = 3.34`` and ``2/3 = 0.65`` do not.
Integer claims (``d = 0``) of a non-integer exact value follow the same rule: ``7/2 = 3``
(truncation), ``7/2 = 4`` (half-up) and ``10/3 = 3`` pass, ``10/3 = 4`` does not.
Word problems round to whole people, boxes and dollars all the time, and a real slip in
the arithmetic almost never lands within half a unit of the true value.
"""

from __future__ import annotations

from fractions import Fraction

_HALF = Fraction(1, 2)


def is_rounding(exact: int | Fraction, claimed: int | Fraction, places: int) -> bool:
    """Whether ``claimed`` (written with ``places`` decimals) rounds or truncates ``exact``."""
    scale = 10**places
    target = claimed * scale
    if type(target) is not int and target.denominator != 1:
        return False  # the claim has more precision than its text says (not a literal)
    scaled = exact * scale
    if abs(scaled - target) <= _HALF:
        return True
    return int(scaled) == target  # int() truncates toward zero
