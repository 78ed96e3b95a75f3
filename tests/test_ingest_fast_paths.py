"""Shortcuts in ingest's per-step work give exactly what the straightforward code gave.

Each fast path is compared with the code it replaced (kept here verbatim) on generated
text: the number tokenizer and `numbers_in` of the number flow, the self-correction
test, the prefilters before the LaTeX and display-math regexes, and the frozen records
built through their slot setters.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.evaluate import FoundEquation, Verdict, check_equation, format_value
from errsynth.ingest import segment as segment_module
from errsynth.ingest.numberflow import NUMBER_RE, numbers_in
from errsynth.ingest.readers.chat import _LATEX_IN_STEP, _may_hold_latex
from errsynth.ingest.segment import (
    _CORRECTION_OPENERS,
    _DISPLAY_OPEN,
    _protected_regions,
    is_self_correction,
)

# The code before the fast paths.
_OLD_NUMBER_RE = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_LATEX_FRAC_RE = re.compile(r"\\[dt]?frac\{(\d+)\}\{(\d+)\}")
_OLD_CORRECTION_INSIDE = re.compile(
    rf"(?<=[.!?])\s+[*_]*(?:{_CORRECTION_OPENERS})\b[,.!:]", re.IGNORECASE
)
_OLD_CORRECTION_START = re.compile(
    rf"^[\s*_>#-]*(?:{_CORRECTION_OPENERS})\b[,.!:\s]?", re.IGNORECASE
)


def _old_canonical_token(token: str) -> str:
    if token.isdigit():
        return token.lstrip("0") or "0"
    return format_value(Fraction(token))


def _old_numbers_in(text: str) -> list[str]:
    out: list[str] = []
    if "frac" in text:
        for m in _LATEX_FRAC_RE.finditer(text):
            num, den = int(m.group(1)), int(m.group(2))
            if den:
                out.append(format_value(Fraction(num, den)))
    for token in _OLD_NUMBER_RE.findall(text):
        if token.isdigit():
            out.append(token if token[0] != "0" else (token.lstrip("0") or "0"))
        elif "," in token:
            token = token.rstrip(",")
            if _THOUSANDS_RE.fullmatch(token):
                out.append(_old_canonical_token(token.replace(",", "")))
            else:
                out.extend(_old_canonical_token(t) for t in token.split(",") if t)
        else:
            out.append(_old_canonical_token(token))
    return out


def _old_protected_regions(text: str) -> list[tuple[int, int]]:
    """`_protected_regions` without its prefilter: the regex loop on every text."""
    regions: list[tuple[int, int]] = []
    pos = 0
    while (m := _DISPLAY_OPEN.search(text, pos)) is not None:
        token = m.group(0)
        closer = {"$$": "$$", "\\[": "\\]", "```": "```"}.get(token)
        if closer is None:
            closer = f"\\end{{{m.group(1)}}}"
        close = text.find(closer, m.end())
        end = close + len(closer) if close >= 0 else len(text)
        regions.append((m.start(), end))
        pos = max(end, m.end())
    return regions


_NUMBER_PIECES = st.sampled_from(
    [*"0123456789", "00", "1,200", ",", ".", ".5", "3.", " ", "a", "x", "\n", "٣", "²", "$"]
)
_NUMBER_TEXT = st.lists(_NUMBER_PIECES, max_size=30).map("".join)
_LATEX_TEXT = st.lists(
    st.sampled_from(
        ["$", "$5", " + ", "=", "^", "_", "{", "}", "\\", "\\frac{1}{2}", "\\(", "x", "\n", " "]
    ),
    max_size=20,
).map("".join)
_PROSE = st.lists(
    st.sampled_from(
        [
            "Wait, ",
            "wait",
            "Actually,",
            "Let me double-check.",
            "let me re-check:",
            "Hmm,",
            "But wait!",
            "I made a mistake.",
            "Correction:",
            ". ",
            "!",
            "?",
            "  ",
            "\n",
            "**",
            "_",
            "So 3 x 4 = 12",
            "waiting",
            "actually",
            ",",
        ]
    ),
    max_size=12,
).map("".join)
_DISPLAY_TEXT = st.lists(
    st.sampled_from(
        ["$$", "$", "\\[", "\\]", "\\begin{align}", "\\end{align}", "```", "\n", "x = 1", "a"]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(_NUMBER_TEXT)
def test_number_tokens_and_values_as_before(text: str) -> None:
    assert NUMBER_RE.findall(text) == _OLD_NUMBER_RE.findall(text)
    assert numbers_in(text) == _old_numbers_in(text)


@settings(max_examples=300, deadline=None)
@given(_LATEX_TEXT)
def test_numbers_with_latex_fractions_as_before(text: str) -> None:
    assert numbers_in(text) == _old_numbers_in(text)


@pytest.mark.parametrize(
    "text",
    ["12 x 4", "007 + 0", "$40 - $4", "1,200 / 3", "3,4", ".5 * 2", "\\frac{1}{4} of 8", ""],
)
def test_numbers_in_examples(text: str) -> None:
    assert numbers_in(text) == _old_numbers_in(text)


@settings(max_examples=600, deadline=None)
@given(_PROSE)
def test_self_correction_as_before(text: str) -> None:
    old = bool(_OLD_CORRECTION_START.match(text) or _OLD_CORRECTION_INSIDE.search(text))
    assert is_self_correction(text) == old


@settings(max_examples=600, deadline=None)
@given(_LATEX_TEXT)
def test_latex_prefilter_never_hides_a_match(text: str) -> None:
    if _LATEX_IN_STEP.search(text):
        assert _may_hold_latex(text)


@settings(max_examples=400, deadline=None)
@given(_DISPLAY_TEXT)
def test_display_regions_as_without_the_prefilter(text: str) -> None:
    assert _protected_regions(text) == _old_protected_regions(text)
    assert segment_module.segment(text) is not None


def test_records_stay_frozen_values() -> None:
    eq = FoundEquation("12 x 4", "48", 3, 14, "inline", "plain")
    assert eq == FoundEquation("12 x 4", "48", 3, 14, "inline", "plain")
    assert hash(eq) == hash(FoundEquation("12 x 4", "48", 3, 14, "inline", "plain"))
    assert (eq.expr, eq.claimed, eq.start, eq.end, eq.kind, eq.syntax) == (
        "12 x 4",
        "48",
        3,
        14,
        "inline",
        "plain",
    )
    assert pickle.loads(pickle.dumps(eq)) == eq
    assert dataclasses.replace(eq, claimed="49").claimed == "49"
    with pytest.raises(dataclasses.FrozenInstanceError):
        eq.expr = "1"  # type: ignore[misc]
    verdict = check_equation("12 x 4", "48")
    assert verdict == Verdict(True, "48", "exact")
    assert repr(verdict) == "Verdict(ok=True, value='48', reason='exact')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.ok = False  # type: ignore[misc]
