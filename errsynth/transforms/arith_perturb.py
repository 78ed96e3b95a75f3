"""The perturbation kinds of the arith transform: wrong numerals for one claimed result.

Each kind lists raw candidates cheaply (numeral strings; for `operator`, swapped
expressions) in a fixed order; the transform draws among them, turns a draw into a
numeral (:func:`operator_numeral`), filters it with :func:`acceptable` (not the
correct numeral, no leading zero, not zero where the result was not, under a
modulus an integer in `0..m-1`) and keeps the first one the evaluator proves wrong.
Only drawn candidates cost anything beyond string work.

* `offset`: the value moved by 1..max_offset units (a unit of 1, or of the last
  written decimal place for decimals);
* `digit`: one digit of the written form changed;
* `transpose`: two adjacent different digits swapped;
* `operator`: the value the left side would have with one binary operator swapped
  (`48/2` computed as `48*2`, `6^2` as `6*2`), evaluated exactly;
* `decimal`: the decimal point misplaced by one place (×10, ÷10) or dropped;
* `rounding`: the value rounded to a coarser unit (10, 100, 1000).

`decimal` and `rounding` are not used under a modulus (iGSM residues are small
integers with no decimal point to misplace).
"""

from __future__ import annotations

import re
from fractions import Fraction

from errsynth.evaluate import EvalError, evaluate
from errsynth.transforms.arith_text import (
    MAX_EXTRA_PLACES,
    Claim,
    Style,
    format_numeral,
    numeral_value,
)

KINDS: tuple[str, ...] = ("offset", "digit", "transpose", "operator", "decimal", "rounding")
MODULAR_KINDS = frozenset({"offset", "digit", "transpose", "operator"})

# Binary operators as written. Plain: "x" multiplies only between numbers ("12 x 4").
_PLAIN_OP = re.compile(r"\*\*|//|[-+*/×÷·^−–]|(?<=[0-9\s)%])[xX](?=\s*[0-9$(.])")
_LATEX_OP = re.compile(r"\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\\div(?![A-Za-z])|[-+/^]")
_PLAIN_CLASS = {"+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "×": "*", "·": "*", "x": "*"}
_PLAIN_CLASS.update({"X": "*", "/": "/", "÷": "/", "^": "^", "**": "^"})
_LATEX_CLASS = {"+": "+", "-": "-", "\\cdot": "*", "\\times": "*", "/": "/", "\\div": "/", "^": "^"}
_PLAIN_WRITE = {"+": "+", "-": "-", "*": "*", "/": "/"}
_LATEX_WRITE = {"+": "+", "-": "-", "*": "\\cdot ", "/": "/"}
# What may stand just before a binary operator (else it is a sign: "-3", "(-2)").
_OPERAND_END_PLAIN = frozenset("0123456789)%.")
_OPERAND_END_LATEX = frozenset("0123456789)}]%.")


def acceptable(claim: Claim, num: str | None, modulus: int | None) -> bool:
    """Whether `num` may stand for the wrong result (see the module docstring)."""
    if num is None or num == claim.num or not num:
        return False
    head = num.split(".", 1)[0].replace(",", "")
    if len(head) > 1 and head[0] == "0":
        return False
    value = numeral_value(num)
    if value == claim.value:
        return False
    if modulus is not None:
        return isinstance(value, int) and value < modulus
    return value != 0 or claim.value == 0


def offset_candidates(claim: Claim, max_offset: int, modulus: int | None) -> list[str]:
    v = claim.value
    if modulus is not None:
        base = int(v)
        return [str((base + k) % modulus) for k in range(-max_offset, max_offset + 1) if k]
    style = claim.style
    if style.places == 0 and not style.commas and v.denominator == 1:
        base = int(v)
        return [str(base + k) for k in range(-max_offset, max_offset + 1) if k and base + k >= 0]
    out: list[str] = []
    units = [Fraction(1)]
    if style.places:
        units.append(Fraction(1, 10**style.places))
    for unit in units:
        for k in range(-max_offset, max_offset + 1):
            w = v + k * unit
            if k and w >= 0:
                num = format_numeral(w, style, rounding=False)
                if num is not None:
                    out.append(num)
    return out


def digit_candidates(claim: Claim) -> list[str]:
    num = claim.num
    return [
        num[:i] + d + num[i + 1 :]
        for i, ch in enumerate(num)
        if ch.isdigit()
        for d in "0123456789"
        if d != ch
    ]


def transpose_candidates(claim: Claim) -> list[str]:
    num = claim.num
    return [
        num[:i] + num[i + 1] + num[i] + num[i + 2 :]
        for i in range(len(num) - 1)
        if num[i].isdigit() and num[i + 1].isdigit() and num[i] != num[i + 1]
    ]


def decimal_candidates(claim: Claim) -> list[str]:
    """The decimal point one place right (×10), left (÷10) or dropped; integers stay integers
    where they can (÷10 only for a trailing zero)."""
    v, style = claim.value, claim.style
    p = style.places
    if p == 0 and not style.commas and v.denominator == 1:  # the common case, without Fractions
        n = int(v)
        return [str(n * 10), str(n // 10)] if n % 10 == 0 else [str(n * 10)]
    out: list[str] = []
    v = Fraction(v)
    shifted = [(v * 10, max(p - 1, 0)), (v / 10, p + 1)]
    if p >= 2:
        shifted.append((v * 10**p, 0))
    for w, places in shifted:
        if p == 0 and w.denominator != 1:
            continue
        s = Style(places=places if p else 0, commas=style.commas, lead_zero=style.lead_zero)
        num = format_numeral(w, s, rounding=False)
        if num is not None:
            out.append(num)
    return out


def rounding_candidates(claim: Claim) -> list[str]:
    """Rounded half up to the nearest 10, 100, 1000 (in the claim's style) where that changes it.

    Rounding to whole units is left out: the evaluator accepts it as a legitimate
    rounding of the exact value, so it would never be proven wrong.
    """
    v = claim.value
    if claim.style.places == 0 and not claim.style.commas and v.denominator == 1:
        n = int(v)
        return [str((n + unit // 2) // unit * unit) for unit in (10, 100, 1000) if 2 * n >= unit]
    out: list[str] = []
    v = Fraction(v)
    for unit in (10, 100, 1000):
        if v * 2 < unit:
            break
        w = Fraction(int(v / unit + Fraction(1, 2)) * unit)
        num = format_numeral(w, claim.style, rounding=False)
        if num is not None:
            out.append(num)
    return out


def operator_swaps(expr: str, syntax: str, modulus: int | None) -> list[str]:
    """`expr` with one binary operator replaced by another, every way, in text order."""
    latex = syntax == "latex"
    pattern = _LATEX_OP if latex else _PLAIN_OP
    classes = _LATEX_CLASS if latex else _PLAIN_CLASS
    write = _LATEX_WRITE if latex else _PLAIN_WRITE
    operand_end = _OPERAND_END_LATEX if latex else _OPERAND_END_PLAIN
    out: list[str] = []
    for m in pattern.finditer(expr):
        op = classes.get(m.group())
        if op is None:  # "//"
            continue
        before = expr[: m.start()].rstrip()
        if not before or before[-1] not in operand_end or not expr[m.end() :].strip():
            continue
        alts = ["*"] if op == "^" else [a for a in ("+", "-", "*", "/") if a != op]
        if modulus is not None:
            alts = [a for a in alts if a != "/"]
        for alt in alts:
            new = expr[: m.start()] + write[alt] + expr[m.end() :]
            if new not in out:
                out.append(new)
    return out


def operator_numeral(
    claim: Claim, swapped: str, syntax: str, modulus: int | None, scale: int
) -> str | None:
    """The claim's numeral for the swapped expression's value, or None if not writable.

    Integer claims take integer results, or decimals of up to two places; decimal
    claims round longer results to their own places (as the writer rounded).
    """
    try:
        value = evaluate(swapped, syntax=syntax, modulus=modulus)  # type: ignore[arg-type]
    except EvalError:
        return None
    if not isinstance(value, Fraction):
        return None
    if modulus is not None:
        return str(int(value))
    magnitude = -value * scale if claim.negative else value * scale
    places = claim.style.places
    extra = 0 if places else MAX_EXTRA_PLACES  # as the claim's own rounding, or up to 2.5
    return format_numeral(magnitude, claim.style, rounding=places > 0, extra=extra)
