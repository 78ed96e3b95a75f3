"""Step segmentation of long, model-written solutions, and the model's own self-corrections.

A step is a span ``(start, end)`` of the text, stripped of surrounding whitespace, so
that ``text[start:end]`` is the step verbatim and the text between two steps is kept
as it was (a renderer can put a wrong attempt before a step and give the original text
back exactly by removing it).

Boundaries: every line break outside display math (``$$…$$``, ``\\[…\\]``,
``\\begin{…}…\\end{…}``) and code fences, so paragraphs, numbered steps (``1.``,
``Step 3:``), bullets and one-step-per-line solutions (GSM8K) all become steps. A display
block joins the line that leads into it when that line has no final punctuation ("so we
get"), and a line that goes on after it in lower case ("where …") joins it too. A text
of one line is cut into sentences by the LaTeX-aware splitter. Closing answer lines
(``#### 72``, ``The answer is: 72``) are not steps.

Self-corrections ("Wait,", "Let me double-check", "Actually,", "Hmm,", "But wait") are
found per step: :func:`self_correction_steps` lists the steps that open or contain one.
"""

from __future__ import annotations

import re

from errsynth.ingest.latex_text import split_steps

_DISPLAY_OPEN = re.compile(r"\$\$|\\\[|\\begin\{([A-Za-z*]+)\}|^```", re.MULTILINE)
# Every match of _DISPLAY_OPEN contains one of "$$", "\\[", "\\begin{", "```".
_NEWLINE = re.compile("\n")
_LINE_END_PUNCT = re.compile(r"[.!?:;)\]]\s*$|\\\\\s*$")
_CLOSING_LINE = re.compile(
    r"^\s*(?:####\s*\S.*"
    r"|[*_#>\s]*(?:the\s+)?(?:final\s+)?answer(?:\s+is)?\s*[:=]?[*_\s]*\S[^\n]{0,80}"
    r"|[*_#>\s]*(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*\S*\s*)$",
    re.IGNORECASE,
)

_CORRECTION_OPENERS = (
    r"but\s+wait|wait|no,?\s+wait|hmm+|hold\s+on|actually|oops|on\s+second\s+thought"
    r"|let\s+me\s+(?:double[-\s]?check|re-?check|verify|check(?:\s+(?:again|this|that))?"
    r"|re-?(?:examine|consider|compute|calculate|do|evaluate|think|read)|reconsider|recompute"
    r"|recalculate|go\s+back|correct)"
    r"|i\s+made\s+(?:a|an)\s+(?:mistake|error)|that(?:'s|\s+is)\s+(?:not\s+right|wrong|incorrect)"
    r"|correction\s*:"
)
_CORRECTION_START = re.compile(rf"^[\s*_>#-]*(?:{_CORRECTION_OPENERS})\b[,.!:\s]?", re.IGNORECASE)
# An opener after a sentence's end. Only whether it occurs is read, so the end mark is
# matched rather than looked behind for: a leading character class lets the regex
# engine skip to the candidates instead of trying a lookbehind at every position.
_CORRECTION_INSIDE = re.compile(rf"[.!?]\s+[*_]*(?:{_CORRECTION_OPENERS})\b[,.!:]", re.IGNORECASE)


def _protected_regions(text: str) -> list[tuple[int, int]]:
    """Display math blocks and code fences: no step boundary inside them."""
    regions: list[tuple[int, int]] = []
    if "$$" not in text and "\\[" not in text and "\\begin{" not in text and "```" not in text:
        return regions  # the common case, without a regex scan of every position
    pos = 0
    while (m := _DISPLAY_OPEN.search(text, pos)) is not None:
        token = m.group(0)
        if token == "$$":
            close = text.find("$$", m.end())
            end = close + 2 if close >= 0 else len(text)
        elif token == "\\[":
            close = text.find("\\]", m.end())
            end = close + 2 if close >= 0 else len(text)
        elif token == "```":
            close = text.find("```", m.end())
            end = close + 3 if close >= 0 else len(text)
        else:
            env = m.group(1)
            close_tag = f"\\end{{{env}}}"
            close = text.find(close_tag, m.end())
            end = close + len(close_tag) if close >= 0 else len(text)
        regions.append((m.start(), end))
        pos = max(end, m.end())
    return regions


def _lines(text: str, regions: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """Line spans ``(start, end, is_display)``, stripped, with line breaks inside regions
    ignored; blank lines dropped."""
    breaks: list[int] = []
    pos = 0
    for ra, rb in regions:  # line breaks between regions only
        breaks += [m.start() for m in _NEWLINE.finditer(text, pos, ra)]
        pos = max(pos, rb)
    breaks += [m.start() for m in _NEWLINE.finditer(text, pos)]
    marked: list[tuple[int, int, bool]] = []
    start = 0
    r = 0
    for end in [*breaks, len(text)]:
        line = text[start:end]
        stripped = line.strip()
        if stripped:
            lead = start + (len(line) - len(line.lstrip()))
            trail = lead + len(stripped)
            while r < len(regions) and regions[r][1] <= lead:
                r += 1
            display = r < len(regions) and regions[r][0] <= lead and trail <= regions[r][1]
            marked.append((lead, trail, display))
        start = end + 1
    return marked


def segment(text: str) -> list[tuple[int, int]]:
    """Step spans of a solution (see the module docstring); closing answer lines excluded."""
    regions = _protected_regions(text)
    lines = _lines(text, regions)
    while lines and _CLOSING_LINE.match(text[lines[-1][0] : lines[-1][1]]):
        lines.pop()
    if len(lines) == 1 and not lines[0][2]:
        a, b = lines[0][0], lines[0][1]
        return [(a + s, a + e) for s, e in split_steps(text[a:b]) if text[a + s : a + e].strip()]
    spans: list[list[int]] = []
    prev_display = False
    for a, b, display in lines:
        line = text[a:b]
        joins = spans and (
            (display and not _LINE_END_PUNCT.search(text[spans[-1][0] : spans[-1][1]]))
            or (prev_display and line[:1].islower())
        )
        if joins:
            spans[-1][1] = b
        else:
            spans.append([a, b])
        prev_display = display
    return [(a, b) for a, b in spans]


def is_self_correction(step: str) -> bool:
    """Whether a step opens or contains a self-correction ("Wait, ...", "Let me re-check")."""
    return bool(_CORRECTION_START.match(step) or _CORRECTION_INSIDE.search(step))


def self_correction_steps(steps: list[str]) -> list[int]:
    """Indices of the steps that open or contain a self-correction of the model's own."""
    return [i for i, step in enumerate(steps) if is_self_correction(step)]
