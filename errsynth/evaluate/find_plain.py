"""Find calculator annotations (``<<48/2=24>>``) and prose equations (``12 x 4 = 48``)."""

from __future__ import annotations

import re
from itertools import pairwise

from .core import parse
from .errors import EvalError
from .found import FoundEquation
from .nodes import NEG, NUM, PCT, POS

# Without "<"/">" inside, so a text of a million "<<" is scanned in linear time; an
# oversized annotation is still found, and the evaluator refuses it as too_long.
ANNOTATION = re.compile(r"<<([^<>\n]*)>>")

# Numbers with a leading zero ("0900", clock times) are not read as numbers.
_NUM = r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3}){1,6}(?![0-9])|0|[1-9][0-9]{0,30})(?:\.[0-9]{1,30})?|\.[0-9]{1,30}"
_OPERAND = rf"(?:\$\s?)?(?:{_NUM})(?:[ \t]?%)?"
# "x" multiplies only between an operand and a number/bracket: "12 x 4", "3x(2)";
# an en dash is a minus only with spaces around it ("$40 – $4"), not in "3–5".
_OP = (
    r"(?:\*\*|[-+*/×÷·^−]|(?<=\s)–(?=\s)"
    r"|(?<=[0-9\s)%])[xX](?=[ \t]{0,3}[0-9$(.]))"
)
_GAP = r"[ \t]{0,3}"
# Every repetition is bounded, so each start position costs a bounded amount of work.
_TERM = rf"(?:\(\s?){{0,8}}(?:[-−]\s?)?{_OPERAND}(?:\s?\)){{0,8}}"
_SIDE = rf"{_TERM}(?:{_GAP}{_OP}{_GAP}{_TERM}){{0,24}}"
_CHAIN = re.compile(rf"{_SIDE}(?:{_GAP}={_GAP}{_SIDE}){{1,8}}")
# A chain reaches at most this far before and after its first "=" (see the bounds above).
_REACH = 800
_AHEAD = 3000
# What may not follow the chain: more of a number (digits, "16 000", a decimal tail, a
# mixed number "3 1/2" or "5 and 2/3"), a glued letter ("8th"), an operator that
# continues the expression ("= 4 + x"), or a unit that rescales it ("= 50 cents").
_BAD_TAIL = re.compile(
    r"[0-9A-Za-z_]|[.,][0-9]"
    r"|[ \t]*(?:[*/×÷^+]|[-−–][ \t]*[0-9A-Za-z$(]|[xX][ \t]*[0-9$(.])"
    r"|[ \t]+(?:and[ \t]+)?\(?[$0-9]"
    r"|[ \t]*(?:cents?|percent|pennies)\b"
)
# The characters a _BAD_TAIL match can start with.
_TAIL_FIRST = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.,")
_TAIL_FIRST |= frozenset(" \t*/×÷^+-−–")
# The last non-space character before the chain must not be an operator, a digit or a
# bracket: the match would be a fragment of a longer expression. ("=" is fine: it ends
# the side before, as in iGSM's "L = 2 * h = 2 * 1 = 2".)
_BAD_BEFORE = frozenset("+-*/×÷·^−–<>0123456789)%")
# A chain may not start right after one of these (ASCII letters and digits, "_", ".",
# ",", "$"): it would be glued to a word or a number ("a5 = 5", "1.5 = 1.5").
_GLUED_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.,$")
# "12 x 1 and 1/4", "60 students x 2/3", "+ . 84", "14, 400": a mixed number, a word
# "x" operator, a stray decimal point or a thousands group just before us.
_BAD_WORDS_BEFORE = re.compile(r"(?:[0-9][ \t]+and|(?<![A-Za-z])[xX]|(?:^|[\s+*/=-])\.|[0-9],)$")
# The last characters _BAD_WORDS_BEFORE can match on (the text it reads is stripped).
_BAD_WORDS_LAST = frozenset("dxX.,")
# After a word, a leading minus ("40 marbles - 3") continues the prose's own number.
_DASHES = frozenset("-−–")
# "25 / 1/3": a spaced and an unspaced "/" together, so the writer grouped by spacing.
_SPACED_SLASH = re.compile(r"\s/|/\s")
_TIGHT_SLASH = re.compile(r"[^\s]/[^\s]")
# Every character a chain's left side can hold (numbers, operators, brackets, $, %, space);
# matched on the reversed text from an "=", it gives the run a chain through it starts in.
_RUN_CHARS = re.compile(r"[0-9.,$%()+\-*/×÷·^−–xX\s]*")
# Where a chain is tried: a character a term can start with (see _TERM), not right after
# a glued character (a digit, letter, "$", "."), since _links refuses such a chain unless
# it opens with a bracket that _links drops. One leading character class (the engine
# skips to its characters), then the glued test on the character before it; lookbehind
# sees text before `pos`.
_CHAIN_START = re.compile(r"[-−$.0-9(](?:(?<=\()|(?<![0-9A-Za-z_.,$].))")
_MASK = "\x00"


def find_annotations(text: str) -> list[FoundEquation]:
    """Every link of every ``<<a=b>>`` / ``<<a=b=c>>`` annotation."""
    found: list[FoundEquation] = []
    for m in ANNOTATION.finditer(text):
        parts = [p.strip() for p in m.group(1).split("=")]
        for expr, claimed in pairwise(parts):
            if expr and claimed:
                found.append(
                    FoundEquation(expr, claimed, m.start(), m.end(), "annotation", "plain")
                )
    return found


def mask_annotations(text: str) -> str:
    """``text`` with every ``<<...>>`` replaced by NUL characters of the same length."""
    return ANNOTATION.sub(lambda m: _MASK * len(m.group()), text)


def find_inline(text: str) -> list[FoundEquation]:
    """Conservative search for ``expr = result`` in prose.

    A run of numbers, operators, brackets, ``$``, ``%`` and spaces with ``=`` signs is a
    chain ``a = b = c``; every link whose left side has an operator and whose sides both
    parse is returned. A chain must not continue an expression or a word on either side
    (nothing is cut out of ``a*2 + 3 = 9``), sides grouped by spacing (``25 / 1/3``) are
    dropped, and text inside ``<<...>>`` annotations is never used.
    """
    masked = mask_annotations(text) if "<<" in text else text
    found: list[FoundEquation] = []
    if "=" not in masked:
        return found
    pos, size = 0, len(masked)
    # The run before an "=" is read backwards: a forward search for "run + end" would try
    # every position of the window before each "=".
    backwards = masked[::-1]
    while (eq := masked.find("=", pos)) >= 0:
        # Only text near an "=" can hold an equation: a chain through this "=" starts in
        # the run of characters a chain can hold just before it.
        run = _RUN_CHARS.match(backwards, size - eq, size - max(pos, eq - _REACH))
        start = eq - (run.end() - run.start())
        # A chain that starts after this "=" belongs to a later "=" (handled in its turn):
        # only the starts before this "=" are tried, not a scan of the whole window.
        end = min(size, eq + _AHEAD)
        links = None
        at = start
        while (cand := _CHAIN_START.search(masked, at, eq)) is not None:
            at = cand.start()
            m = _CHAIN.match(masked, at, end)
            if m is not None:
                links = _links(masked, m)
                if links is not None:
                    break
            at += 1
        if links is None:
            pos = eq + 1
            continue
        found.extend(links)
        pos = m.end()
    return found


def _sides(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the ``=``-separated sides of the chain ``text[start:end]`` (each side
    without the spaces and tabs around its ``=``)."""
    spans, begin = [], start
    while (eq := text.find("=", begin, end)) >= 0:
        left = eq
        while left > begin and text[left - 1] in " \t":
            left -= 1
        spans.append((begin, left))
        begin = eq + 1
        while begin < end and text[begin] in " \t":
            begin += 1
    spans.append((begin, end))
    return spans


def _links(text: str, m: re.Match[str]) -> list[FoundEquation] | None:
    """The equations of one chain match, or None when the chain starts in the wrong place."""
    m_start, m_end = m.span()
    sides = _sides(text, m_start, m_end)
    start, first_end = sides[0]
    chain = text[m_start:m_end]
    brackets = "(" in chain or ")" in chain  # most chains have none: skip the counting
    if brackets:
        # Drop surplus opening brackets that belong to the prose: "(3 + 4 = 7)".
        surplus = text.count("(", start, first_end) - text.count(")", start, first_end)
        while surplus > 0 and text[start] == "(":
            start += 1
            while text[start].isspace():
                start += 1
            surplus -= 1
        if surplus:
            return None
    if start > 0 and text[start - 1] in _GLUED_CHARS:
        return None
    if not _prose_before(text, start):
        return None
    sides[0] = (start, first_end)
    last_start, end = sides[-1]
    surplus = 0
    if brackets:
        surplus = text.count(")", last_start, end) - text.count("(", last_start, end)
        while surplus > 0 and text[end - 1] == ")":  # "(3 + 4 = 7)": the ")" is the prose's
            end -= 1
            while text[end - 1].isspace():
                end -= 1
            surplus -= 1
        sides[-1] = (last_start, end)
    if surplus or (
        m_end < len(text) and text[m_end] in _TAIL_FIRST and _BAD_TAIL.match(text, m_end)
    ):
        sides.pop()  # the last side continues past the match: it is not a whole value
    found = []
    for (a0, a1), (b0, b1) in pairwise(sides):
        expr, claimed = text[a0:a1], text[b0:b1]
        if _is_link(expr, claimed):
            found.append(FoundEquation(expr, claimed, a0, b1, "inline", "plain"))
    return found


def _prose_before(text: str, start: int) -> bool:
    """Whether what precedes a chain starting at ``start`` lets it stand on its own: not
    an operator, digit or bracket (open brackets just before are prose only if no
    operator precedes them), no mixed number, word "x", stray point or thousands group,
    and no "word - 3" (the prose's own number)."""
    if start >= 2 and text[start - 1] == " ":
        last = text[start - 2]
        if last not in _BAD_WORDS_LAST and last.isalpha():
            # The common "... costs 3 x 4 = 12": a word and one space before the chain.
            return text[start] not in _DASHES
    before = text[max(0, start - 80) : start].rstrip().rstrip("(").rstrip()
    if before and (
        before[-1] in _BAD_BEFORE
        or (before[-1] in _BAD_WORDS_LAST and _BAD_WORDS_BEFORE.search(before))
    ):
        return False
    return not (before and before[-1].isalpha() and text[start] in _DASHES)


def _is_link(expr: str, claimed: str) -> bool:
    for side in (expr, claimed):
        if "/" in side and _SPACED_SLASH.search(side) and _TIGHT_SLASH.search(side):
            return False
    try:
        left = parse(expr)
        parse(claimed)
    except EvalError:
        return False
    return left[0] != NUM and not (left[0] in (NEG, POS, PCT) and left[1][0] == NUM)
