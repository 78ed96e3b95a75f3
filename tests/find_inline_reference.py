"""The prose equation finder as it was before its speed-up (errsynth 940d27d), kept
verbatim as the reference the fast `find_inline` must agree with, equation for equation.

Not used by errsynth itself: tests compare `find_plain.find_inline` against it.
"""

from __future__ import annotations

import re
from itertools import pairwise

from errsynth.evaluate.core import parse
from errsynth.evaluate.errors import EvalError
from errsynth.evaluate.find_plain import (
    _AHEAD,
    _BAD_BEFORE,
    _BAD_TAIL,
    _BAD_WORDS_BEFORE,
    _CHAIN,
    _REACH,
    _SPACED_SLASH,
    _TIGHT_SLASH,
    mask_annotations,
)
from errsynth.evaluate.found import FoundEquation
from errsynth.evaluate.nodes import NEG, NUM, PCT, POS

_GLUED_BEFORE = re.compile(r"[0-9A-Za-z_.,$]")
_PROSE_DASH = re.compile(r"[-−–]")
_EQUALS = re.compile(r"[ \t]*=[ \t]*")
_RUN_BEFORE_REF = re.compile(r"[0-9.,$%()+\-*/×÷·^−–xX\s]+\Z")


def find_inline_reference(text: str) -> list[FoundEquation]:
    """Conservative search for ``expr = result`` in prose.

    A run of numbers, operators, brackets, ``$``, ``%`` and spaces with ``=`` signs is a
    chain ``a = b = c``; every link whose left side has an operator and whose sides both
    parse is returned. A chain must not continue an expression or a word on either side
    (nothing is cut out of ``a*2 + 3 = 9``), sides grouped by spacing (``25 / 1/3``) are
    dropped, and text inside ``<<...>>`` annotations is never used.
    """
    masked = mask_annotations(text) if "<<" in text else text
    found: list[FoundEquation] = []
    pos, size = 0, len(masked)
    while (eq := masked.find("=", pos)) >= 0:
        # Only text near an "=" can hold an equation: a chain through this "=" starts in
        # the run of characters a chain can hold just before it.
        run = _RUN_BEFORE_REF.search(masked, max(pos, eq - _REACH), eq)
        start = run.start() if run is not None else eq
        # A chain that starts after this "=" belongs to a later "=" (handled in its turn):
        # only the starts up to this "=" are tried, not a scan of the whole window.
        end = min(size, eq + _AHEAD)
        m = None
        for at in range(start, eq + 1):
            m = _CHAIN.match(masked, at, end)
            if m is not None:
                break
        if m is None:
            pos = eq + 1
            continue
        links = links_reference(masked, m)
        if links is None:
            pos = m.start() + 1
            continue
        found.extend(links)
        pos = m.end()
    return found


def links_reference(text: str, m: re.Match[str]) -> list[FoundEquation] | None:
    """The equations of one chain match, or None when the chain starts in the wrong place."""
    sides = _sides(text, m.start(), m.end())
    start, first_end = sides[0]
    # Drop surplus opening brackets that belong to the prose: "(3 + 4 = 7)".
    surplus = text.count("(", start, first_end) - text.count(")", start, first_end)
    while surplus > 0 and text[start] == "(":
        start += 1
        while text[start].isspace():
            start += 1
        surplus -= 1
    if surplus:
        return None
    if start > 0 and _GLUED_BEFORE.match(text, start - 1):
        return None
    # Open brackets just before us are prose only if no operator precedes them.
    before = text[max(0, start - 80) : start].rstrip().rstrip("(").rstrip()
    if (before and before[-1] in _BAD_BEFORE) or _BAD_WORDS_BEFORE.search(before):
        return None
    if before and before[-1].isalpha() and _PROSE_DASH.match(text, start, first_end):
        return None  # "40 marbles - 3 - 5 = 32"
    sides[0] = (start, first_end)
    last_start, end = sides[-1]
    surplus = text.count(")", last_start, end) - text.count("(", last_start, end)
    while surplus > 0 and text[end - 1] == ")":  # "(3 + 4 = 7)": the ")" is the prose's
        end -= 1
        while text[end - 1].isspace():
            end -= 1
        surplus -= 1
    sides[-1] = (last_start, end)
    if surplus or _BAD_TAIL.match(text, m.end()):
        sides.pop()  # the last side continues past the match: it is not a whole value
    found = []
    for (a0, a1), (b0, b1) in pairwise(sides):
        expr, claimed = text[a0:a1], text[b0:b1]
        if is_link_reference(expr, claimed):
            found.append(FoundEquation(expr, claimed, a0, b1, "inline", "plain"))
    return found


def is_link_reference(expr: str, claimed: str) -> bool:
    for side in (expr, claimed):
        if _SPACED_SLASH.search(side) and _TIGHT_SLASH.search(side):
            return False
    try:
        left = parse(expr)
        parse(claimed)
    except EvalError:
        return False
    return left[0] != NUM and not (left[0] in (NEG, POS, PCT) and left[1][0] == NUM)


def _sides(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the ``=``-separated sides of the chain ``text[start:end]``."""
    spans, begin = [], start
    for eq in _EQUALS.finditer(text, start, end):
        spans.append((begin, eq.start()))
        begin = eq.end()
    spans.append((begin, end))
    return spans
