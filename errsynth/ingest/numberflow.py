"""The number flow of an arithmetic solution: which step first produced a value a later step uses.

Understanding-free transforms need to know whether a step can be computed at a
given position. For arithmetic corpora we track values, not names:

* a step *produces* the results of its equations; a step without equations
  produces the numbers it writes that appear neither in the question nor in an
  earlier step (a value it introduced, e.g. "So she has 24 left.");
* a step *uses* every number it writes (equation operands included, its own
  results excluded) that an earlier step produced; the producer is the latest
  such step.

Numbers given in the question are inputs, not flow. This over-approximates
dependencies when a small value (2, 10) is produced early and reused later as
an unrelated constant; it never misses a produced value that is written again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from typing import Any

from errsynth.evaluate import format_value, parse_number

# A number as written in prose or an annotation: 1,200  3.50  .5  (a simple pattern, as
# this runs on every step; thousands groups are checked after the match). Signs are
# ignored: the flow tracks magnitudes. Written as one character class and then the two
# cases (`\d[\d,]*(?:\.\d+)?|\.\d+`), so the regex engine skips to candidate characters
# by that class instead of trying both alternatives at every position of a long text.
NUMBER_RE = re.compile(r"[\d.](?:(?<=\d)[\d,]*(?:\.\d+)?|(?<=\.)\d+)")
_DIGIT_RUN = re.compile(r"\d+")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_LATEX_FRAC_RE = re.compile(r"\\[dt]?frac\{(\d+)\}\{(\d+)\}")


@lru_cache(maxsize=65536)
def _canonical_token(token: str) -> str:
    if token.isdigit():  # the common case, without a Fraction
        return token.lstrip("0") or "0"
    return format_value(Fraction(token))


def numbers_in(text: str) -> list[str]:
    """Canonical value of every number written in `text`, in order."""
    if "," not in text and "." not in text and "frac" not in text:
        # Digits only (most equation sides): NUMBER_RE's tokens are the runs of digits.
        return [t if t[0] != "0" else (t.lstrip("0") or "0") for t in _DIGIT_RUN.findall(text)]
    out: list[str] = []
    if "frac" in text:
        for m in _LATEX_FRAC_RE.finditer(text):
            num, den = int(m.group(1)), int(m.group(2))
            if den:
                out.append(format_value(Fraction(num, den)))
    for token in NUMBER_RE.findall(text):
        if token.isdigit():  # the common case, inline and without a Fraction
            out.append(token if token[0] != "0" else (token.lstrip("0") or "0"))
        elif "," in token:
            token = token.rstrip(",")
            if _THOUSANDS_RE.fullmatch(token):
                out.append(_canonical_token(token.replace(",", "")))
            else:  # "3,4" is a list of numbers, not 34
                out.extend(_canonical_token(t) for t in token.split(",") if t)
        else:
            out.append(_canonical_token(token))
    return out


def _canonical(text: str) -> str | None:
    if text.isdigit():
        return text.lstrip("0") or "0"
    if len(text) <= _CACHED_TEXT:
        return _cached_magnitude(text)
    return _magnitude(text)


def _magnitude(text: str) -> str | None:
    value = parse_number(text)
    return None if value is None else format_value(abs(value))


# Claimed results such as "$24" or "3.50" recur in every corpus; a short one is looked up.
_CACHED_TEXT = 64
_cached_magnitude = lru_cache(maxsize=65536)(_magnitude)


def arithmetic_flow(
    question: str, steps: list[str], equations: Iterable[dict[str, Any]]
) -> tuple[list[list[str]], list[list[dict[str, Any]]]]:
    """`produces` and `uses` per step (see the module docstring)."""
    given = set(numbers_in(question))
    results: list[list[str]] = [[] for _ in steps]
    operands: list[list[str]] = [[] for _ in steps]
    for eq in equations:
        value = _canonical(eq["claimed"])
        if value is not None:
            results[eq["step"]].append(value)
        operands[eq["step"]].extend(numbers_in(eq["expr"]))

    producer: dict[str, int] = {}
    produces: list[list[str]] = []
    uses: list[list[dict[str, Any]]] = []
    for i, text in enumerate(steps):
        own = results[i]
        own_set = set(own)  # sets, not list scans: a step may hold 10^5 numbers
        # operands are uses even when equal to this step's result ("24 - 0 = 24")
        written = operands[i] + [v for v in numbers_in(text) if v not in own_set]
        step_uses: list[dict[str, Any]] = []
        used: set[str] = set()
        made: list[str] = []
        made_set: set[str] = set()
        for value in written:
            source = producer.get(value)
            if source is not None:
                if value not in used:
                    used.add(value)
                    step_uses.append({"ref": value, "step": source})
            elif not own and value not in given and value not in made_set:
                # a step without equations introduces the new numbers it writes;
                # one with equations produces its results only (operands are constants)
                made.append(value)
                made_set.add(value)
        for value in own:
            if value not in producer and value not in made_set:
                made.append(value)
                made_set.add(value)
        for value in made:
            producer[value] = i
        produces.append(made)
        uses.append(step_uses)
    return produces, uses
