"""Find equations in the math of LaTeX text: ``$...$``, ``$$...$$``, ``\\[...\\]``,
``\\(...\\)`` and ``align``-like environments.

Each math region is cut into statements at ``\\\\`` row breaks and at ``\\implies``,
``\\Rightarrow``, ``\\quad`` and the like; a statement is split at its top-level ``=``
signs and every adjacent pair becomes a candidate (``a = b = c`` gives ``a = b`` and
``b = c``; an ``align`` row starting with ``&=`` continues the previous row's chain).
A candidate is kept only if both sides parse as LaTeX expressions, which drops every
piece holding ``<``, ``\\le``, ``\\approx``, ``\\ne``, ``\\text``, functions, and so on.
"""

from __future__ import annotations

import re
from itertools import pairwise

from .core import parse
from .errors import EvalError
from .found import FoundEquation

_ENVS = r"align\*?|aligned|alignat\*?|equation\*?|eqnarray\*?|gather\*?|gathered|split|multline\*?"
# Opening delimiters; each region ends at the matching closer found by a forward search.
_OPENER = re.compile(rf"\$\$|\\\[|\\\(|\\begin\{{({_ENVS})\}}|(?<!\\)\$")
_DOLLAR = re.compile(r"(?<!\\)\$")
# Statement separators inside one region (replaced by a NUL of the same length).
_BREAK = re.compile(
    r"\\\\(?:\s{0,20}\[[^\]\n]{0,20}\])?"
    r"|\\(?:implies|Rightarrow|Longrightarrow|Leftrightarrow|iff|quad|qquad|text\{\s*and\s*\}"
    r"|label\{[^}]{0,200}\}|tag\{[^}]{0,200}\}|nonumber|notag)(?![A-Za-z])"
    r"|(?<!\\);"
)
_ENV_MARK = re.compile(r"\\(?:begin|end)\{[A-Za-z*]+\}")
_ALIGN_MARK = re.compile(r"(?<!\\)&")
# Regions whose "=" is not arithmetic equality of what we would parse: matrices and
# tables (cells run together once "&" is dropped) and congruences.
_SKIP_REGION = re.compile(
    r"\\begin\{(?:[pbvBV]?matrix|smallmatrix|array|cases|tabular)\}"
    r"|\\(?:pmod|bmod|mod|equiv)(?![A-Za-z])"
)
# Prose just before a region that puts its "=" in another number system or modulus:
# "in base $7$ we have $44 \\times 55 = 3506$", "so $50^{-1} = 24$" after a \\pmod.
_SKIP_CONTEXT = re.compile(
    r"\\(?:pmod|bmod|mod|equiv)(?![A-Za-z])|\bmodulo\b|\bmod\b"
    r"|\bbase[- ]?\$?\s*(?:\\boxed\{)?(?:[0-9]+|[a-z])\b"
)
_CONTEXT_CHARS = 300
# An operator in the prose right before or after a region means the math continues a
# larger expression ("$(3)$ x $(5) = 64$"), so the outermost piece is a fragment.
_OPERATOR_BEFORE = re.compile(r"(?:[-+*/=×÷^]|(?<![A-Za-z])[xX])\s*$")
_OPERATOR_AFTER = re.compile(r"\s*(?:[-+*/=×÷^]|[xX](?![A-Za-z])|(?:cents?|percent)\b)")
_BOXED = re.compile(r"\\boxed\s*\{")
_LEADING_OPERATOR = re.compile(r"\s*(?:[-+*/]|\\(?:cdot|times|div)(?![A-Za-z]))")
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
_NOT_EQUALS_BEFORE = frozenset("<>!:\\")
_CUT = "\x00"


def _find_closer(text: str, closer: str, pos: int) -> int:
    if closer == "$":
        m = _DOLLAR.search(text, pos)
        return -1 if m is None else m.start()
    return text.find(closer, pos)


def _regions(text: str) -> list[tuple[int, int, int, str]]:
    """``(region_start, region_end, content_offset, content)`` of each math region.

    Linear time even for hostile text: once a closer is missing after some position it
    is missing after every later one, so each kind of closer is searched for in vain
    at most once.
    """
    out = []
    missing: set[str] = set()
    pos = 0
    while (m := _OPENER.search(text, pos)) is not None:
        opener = m.group()
        if m.group(1) is not None:
            closer = f"\\end{{{m.group(1)}}}"
        else:
            closer = {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}.get(opener, "$")
        end = -1 if closer in missing else _find_closer(text, closer, m.end())
        if end < 0:
            missing.add(closer)
            pos = m.end()
            continue
        if end > m.end():
            out.append((m.start(), end + len(closer), m.end(), text[m.end() : end]))
        pos = end + len(closer)
    return out


def _statements(content: str) -> list[tuple[int, str]]:
    """Cut a region into statements; ``&`` and environment markers become spaces."""
    # Each substitution is skipped when the characters it needs are absent (most regions).
    if "\\begin{" in content or "\\end{" in content:
        content = _ENV_MARK.sub(lambda m: " " * len(m.group()), content)
    if "&" in content:
        content = _ALIGN_MARK.sub(" ", content)
    if "\\" in content or ";" in content:
        content = _BREAK.sub(lambda m: _CUT * len(m.group()), content)
    else:
        return [(0, content)] if content.strip() else []
    out, pos = [], 0
    for piece in content.split(_CUT):
        if piece.strip():
            out.append((pos, piece))
        pos += len(piece) + 1
    return out


_SPLIT_CHARS = re.compile(r"[{}()\[\]=]")


def _split_equals(statement: str) -> list[tuple[int, int]]:
    """Spans of the top-level pieces between ``=`` signs (not ``<=``, ``:=``, ``\\=``)."""
    if "=" not in statement:
        return [(0, len(statement))]
    spans, depth, begin = [], 0, 0
    for m in _SPLIT_CHARS.finditer(statement):
        ch = m.group()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif depth == 0:  # "=" at the top level
            i = m.start()
            if i and statement[i - 1] in _NOT_EQUALS_BEFORE:
                return []  # a relation we do not check; skip the whole statement
            if i + 1 < len(statement) and statement[i + 1] == "=":
                return []
            spans.append((begin, i))
            begin = i + 1
    spans.append((begin, len(statement)))
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _parses(expr: str) -> bool:
    try:
        parse(expr, syntax="latex")
    except EvalError:
        return False
    return True


Piece = tuple[int, int, str]  # start and end in the text, and the cleaned piece


def _rows(text: str, start: int, end: int, offset: int, content: str) -> list[list[Piece]]:
    """The ``=``-separated pieces of each statement of one region."""
    rows = []
    for s_off, statement in _statements(content):
        base = offset + s_off
        spans = (_trimmed(statement, a, b) for a, b in _split_equals(statement))
        rows.append([(base + a, base + b, statement[a:b]) for a, b in spans])
    rows = [_unbox_last(row) for row in rows if row]
    if rows and _OPERATOR_BEFORE.search(text, max(0, start - 20), start):
        rows[0] = [(rows[0][0][0], rows[0][0][0], ""), *rows[0][1:]]  # first piece: fragment
    if rows and _OPERATOR_AFTER.match(text, end):
        rows[-1] = rows[-1][:-1]
    return rows


def _unbox_last(row: list[Piece]) -> list[Piece]:
    """A row ending in ``= \\boxed{64}`` claims 64; elsewhere ``\\boxed`` stays unknown
    (problems define ``\\boxed{n}`` as a function of ``n``), so only a whole last piece
    is unwrapped."""
    start, end, piece = row[-1]
    m = _BOXED.match(piece)
    if m is None or len(row) < 2:
        return row
    depth = 0
    for i in range(m.end() - 1, len(piece)):
        depth += {"{": 1, "}": -1}.get(piece[i], 0)
        if depth == 0:
            if i != len(piece) - 1:
                return row  # something follows the box
            return [*row[:-1], (start, end, piece[m.end() : i])]
    return row


def _region_links(rows: list[list[Piece]]) -> list[FoundEquation]:
    found: list[FoundEquation] = []
    chain: list[Piece] = []  # pieces of the current a = b = c chain
    for k, row in enumerate(rows):
        pieces = row
        if len(pieces) > 1 and not pieces[0][2] and chain:
            pieces = [chain[-1], *pieces[1:]]  # a row "&= ..." continues the chain
        # A following row without "=" may continue this row's last expression over a
        # line break (a row "+ c" after "&= a + b"), so that piece cannot be trusted.
        if k + 1 < len(rows) and len(rows[k + 1]) == 1:
            pieces = pieces[:-1]
        for (a0, _, lhs), (_, b1, rhs) in pairwise(pieces):
            if lhs and rhs and _parses(lhs) and _parses(rhs):
                found.append(FoundEquation(lhs, rhs, a0, b1, "latex", "latex"))
        if len(pieces) > 1:
            chain = pieces
        elif len(row) == 1 and pieces and not _LEADING_OPERATOR.match(pieces[0][2]):
            chain = pieces  # a lone expression row can be the left side of "&= ..." rows
        else:
            chain = []
    return found


def _may_skip(text: str, lo: int, hi: int) -> bool:
    """Whether ``text[lo:hi]`` holds a word the skip patterns need ("mod", "equiv", "base",
    "\\begin"): a cheap test before the regular expressions."""
    return (
        text.find("mod", lo, hi) >= 0
        or text.find("equiv", lo, hi) >= 0
        or text.find("base", lo, hi) >= 0
        or text.find("\\begin", lo, hi) >= 0
    )


def find_latex(text: str) -> list[FoundEquation]:
    """Every checkable ``a = b`` link in the math regions of ``text``.

    ``expr``/``claimed`` are the pieces with alignment ``&`` and environment markers
    blanked out; ``[start, end)`` is their span in ``text`` as written. Regions holding
    matrices, tables or congruences, or preceded by talk of a modulus or a number base,
    are skipped.
    """
    found: list[FoundEquation] = []
    if "=" not in text:
        return found  # every candidate lies between "=" signs
    for start, end, offset, content in _regions(text):
        if "=" not in content or (
            _may_skip(content, 0, len(content)) and _SKIP_REGION.search(content)
        ):
            continue
        lo = max(0, start - _CONTEXT_CHARS)
        if _may_skip(text, lo, start) and _SKIP_CONTEXT.search(text, lo, start):
            continue
        found.extend(_region_links(_rows(text, start, end, offset, content)))
    return found
