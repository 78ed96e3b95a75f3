"""Recognise text that is just one number: ``"$1,200"``, ``"25%"``, ``"2/3"``, ``"\\frac{1}{2}"``."""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import DEFAULT_LIMITS, EvalError
from .literals import literal_value

_DECIMAL = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+"
_SIGNED_INT = r"[-+]?[0-9]+"
_NUMBER = re.compile(
    rf"""
    (?P<sign>[-+]?)
    (?:\\?\$)?
    (?P<sign2>[-+]?)
    (?:
        (?P<dec>{_DECIMAL})
        (?:/(?P<den>{_DECIMAL}))?
      | \\frac\{{(?P<fnum>{_SIGNED_INT})\}}\{{(?P<fden>{_SIGNED_INT})\}}
      | \\frac(?P<fnum1>[0-9])(?P<fden1>[0-9])
    )
    (?P<pct>\\?%)?
    """,
    re.X,
)
# "2\\frac{1}{2}": as a whole answer, a mixed number (inside expressions the parser
# refuses it as ambiguous).
_MIXED = re.compile(
    r"(?P<sign>[-+]?)(?P<whole>[0-9]{1,30})\\frac\{(?P<num>[0-9]{1,30})\}\{(?P<den>[0-9]{1,30})\}"
)
_DIGIT_GAP = re.compile(r"[0-9]\s+[0-9]")
_SPACING = re.compile(r"\s+|\\[,!;: ]|\\(?:left|right)(?![A-Za-z])|(?<=[0-9])\{,\}(?=[0-9]{3})")
_FRAC_ALIAS = re.compile(r"\\[dtc]frac(?![A-Za-z])")


def parse_number(text: str) -> Fraction | None:
    """The exact value of ``text`` if it is a single plain number, else None.

    Accepts an optional sign and ``$``/``\\$``, thousands commas, decimals, ``1e3``,
    ``a/b``, ``\\frac{a}{b}`` (and ``\\dfrac``/``\\tfrac``, ``\\frac12``), mixed numbers
    ``2\\frac{1}{2}`` (5/2) and a trailing
    ``%``/``\\%`` (``25%`` → 1/4). Numbers beyond the evaluator's literal limits give None.
    """
    if len(text) > DEFAULT_LIMITS.max_len or _DIGIT_GAP.search(text):
        return None
    text = _FRAC_ALIAS.sub(r"\\frac", _SPACING.sub("", text)).replace("−", "-")
    mixed = _MIXED.fullmatch(text)
    if mixed is not None and 0 < int(mixed["num"]) < int(mixed["den"]):
        value = int(mixed["whole"]) + Fraction(int(mixed["num"]), int(mixed["den"]))
        return -value if mixed["sign"] == "-" else value
    m = _NUMBER.fullmatch(text)
    if m is None or (m["sign"] and m["sign2"]):
        return None
    try:
        if m["dec"] is not None:
            value = Fraction(literal_value(m["dec"], DEFAULT_LIMITS))
            if m["den"] is not None:
                den = literal_value(m["den"], DEFAULT_LIMITS)
                if not den:
                    return None
                value /= den
        else:
            num = m["fnum"] if m["fnum"] is not None else m["fnum1"]
            den_text = m["fden"] if m["fden"] is not None else m["fden1"]
            if (
                len(num) > DEFAULT_LIMITS.max_literal_digits
                or len(den_text) > DEFAULT_LIMITS.max_literal_digits
            ):
                return None
            if not int(den_text):
                return None
            value = Fraction(int(num), int(den_text))
    except EvalError:
        return None
    if "-" in (m["sign"], m["sign2"]):
        value = -value
    if m["pct"]:
        value /= 100
    return value
