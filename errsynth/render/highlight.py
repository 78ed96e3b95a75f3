"""Colour a rendered sample for a terminal: wrong parts red, markers yellow, corrections green.

Works on a sample row (SAMPLE_SCHEMA: text, style, errors). The correct step after each
attempt is taken from the row's `corrections` when present (a :class:`Rendered` has
them); sample rows read from Parquet do not store them, so they are found from the
layout: in the inline styles the step right after the marker, in lema and cac the
step numbered `step` in the final correct solution.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from errsynth.core.terminal_text import neutralize
from errsynth.render.cac import ANSWER_GAP
from errsynth.render.config import INLINE_STYLES
from errsynth.render.lema import CORRECT
from errsynth.render.result import Rendered

WRONG = "bold red"
ATTEMPT = "red"
MARKER = "bold yellow"
FIX = "bold green"

_SENTENCE_END = re.compile(r"\.(?= |$)")
# rich drops some control characters (\r, \b, \f, ...), which would shift every span after
# them, and passes ESC and C1 controls to the terminal: errsynth.cli.ui.safe_output draws each as a
# symbol, one character for one, so the spans stay valid.
visible = neutralize


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the steps of text[start:end]: lines when it has several, else sentences."""
    chunk = text[start:end]
    spans: list[tuple[int, int]] = []
    if "\n" in chunk:
        pos = start
        for line in chunk.split("\n"):
            spans.append((pos, pos + len(line)))
            pos += len(line) + 1
        return spans
    pos = start
    for m in _SENTENCE_END.finditer(chunk):
        spans.append((pos, start + m.end()))
        pos = start + m.end() + 1
    if pos < end:
        spans.append((pos, end))
    return spans


def _inline_fix(text: str, e: Mapping[str, Any], starts: set[int]) -> tuple[int, int] | None:
    start = e["marker_end"] + 1  # past the separator
    if start in starts:  # another attempt follows; the last one in the run gets the colour
        return None
    later = [s for s in starts if s > start]
    end = min(later) if later else len(text)
    if text[e["marker_end"] : start] == "\n":
        nl = text.find("\n", start, end)
        return (start, nl if nl >= 0 else end)
    m = _SENTENCE_END.search(text, start, end)
    return (start, m.end() if m else end)


def _final_fix(
    text: str, style: str, errors: Sequence[Mapping[str, Any]], e: Mapping[str, Any]
) -> tuple[int, int] | None:
    if style == "lema":
        at = text.find(CORRECT, e["marker_end"])
        if at < 0:
            return None
        start = at + len(CORRECT)
    else:
        start = max(x["marker_end"] for x in errors) + len(ANSWER_GAP)
    steps = _pieces(text, start, len(text))
    return steps[e["step"]] if 0 <= e["step"] < len(steps) else None


def correction_spans(row: Mapping[str, Any]) -> list[tuple[int, int] | None]:
    """Per error, the span of the correct step that follows it (None when not found)."""
    errors = list(row.get("errors") or [])
    given = row.get("corrections")
    if given is not None and len(given) == len(errors):
        return [(c["start"], c["end"]) for c in given]
    text, style = row["text"], row.get("style", "back")
    if style in INLINE_STYLES:
        starts = {x["attempt_start"] for x in errors}
        return [_inline_fix(text, e, starts) for e in errors]
    return [_final_fix(text, style, errors, e) for e in errors]


ROLE_STYLES = {"attempt": ATTEMPT, "wrong": WRONG, "marker": MARKER, "fix": FIX}


def highlight_spans(rendered_row: Mapping[str, Any] | Rendered) -> list[tuple[int, int, str, int]]:
    """(start, end, role, error index) of every part to colour, in drawing order (later wins).

    Roles: ``attempt`` (the whole wrong attempt), ``wrong`` (its wrong part), ``marker``
    (the retraction) and ``fix`` (the correct step). The terminal view and the HTML
    report both draw these spans.
    """
    if isinstance(rendered_row, Rendered):
        rendered_row = {**rendered_row.columns(), "corrections": rendered_row.corrections}
    spans: list[tuple[int, int, str, int]] = []
    errors = list(rendered_row.get("errors") or [])
    for i, (e, fix) in enumerate(zip(errors, correction_spans(rendered_row), strict=True)):
        spans.append((e["attempt_start"], e["attempt_end"], "attempt", i))
        spans.append((e["start"], e["end"], "wrong", i))
        spans.append((e["marker_start"], e["marker_end"], "marker", i))
        if fix is not None:
            spans.append((fix[0], fix[1], "fix", i))
    return spans


def highlight(rendered_row: Mapping[str, Any] | Rendered) -> Text:
    """The row's text as rich Text with the attempts, markers and corrections coloured."""
    if isinstance(rendered_row, Rendered):
        rendered_row = {**rendered_row.columns(), "corrections": rendered_row.corrections}
    text = Text(visible(rendered_row["text"]))
    for start, end, role, _ in highlight_spans(rendered_row):
        text.stylize(ROLE_STYLES[role], start, end)
    return text
