"""highlight: wrong parts red, markers yellow, the correct step after each attempt green."""

from __future__ import annotations

import random

from rich.text import Text

from errsynth.render import StyleConfig, render
from errsynth.render.highlight import FIX, MARKER, WRONG, correction_spans, highlight
from errsynth.types.candidates import Candidate, WrongAttempt

ROW = {
    "format": "gsm8k",
    "question": "q",
    "steps": ["She has 3 + 4 = 7 apples.", "After eating, 7 - 2 = 5 are left."],
}
A = WrongAttempt(
    at=1, kind="arith", steps=("After eating, 7 - 2 = 4 are left.",), finding="5, not 4"
)
B = WrongAttempt(at=1, kind="arith", steps=("7 - 2 = 6.",), finding="5, not 6")


def _styled(text: Text, style: str) -> list[str]:
    return [text.plain[s.start : s.end] for s in text.spans if s.style == style]


def test_highlight_colours_each_part() -> None:
    r = render(Candidate(row=ROW, transform="t", attempts=(A,)), StyleConfig(), random.Random(0))
    text = highlight(r)
    assert _styled(text, WRONG) == ["After eating, 7 - 2 = 4 are left."]
    assert _styled(text, MARKER) == ["[BACK]"]
    assert _styled(text, FIX) == ["After eating, 7 - 2 = 5 are left."]


def test_highlight_on_a_parquet_shaped_row_without_corrections() -> None:
    r = render(
        Candidate(row=ROW, transform="t", attempts=(A, B)),
        StyleConfig(name="natural"),
        random.Random(0),
    )
    row = {"text": r.text, "style": "natural", "errors": r.errors}
    # two attempts in a row: only the last one is followed by the correct step
    assert correction_spans(row) == [None, (r.corrections[1]["start"], r.corrections[1]["end"])]
    text = highlight(row)
    assert _styled(text, FIX) == ["After eating, 7 - 2 = 5 are left."]
    assert len(_styled(text, MARKER)) == 2


def test_highlight_lema_and_cac() -> None:
    cand = Candidate(row=ROW, transform="t", attempts=(A,))
    for name in ("lema", "cac"):
        r = render(cand, StyleConfig(name=name), random.Random(0))  # type: ignore[arg-type]
        row = {"text": r.text, "style": name, "errors": r.errors}
        assert _styled(highlight(row), FIX) == ["After eating, 7 - 2 = 5 are left."]


def test_highlight_of_a_clean_row_is_plain() -> None:
    text = highlight({"text": "just text", "style": "back", "errors": []})
    assert text.plain == "just text" and not text.spans
