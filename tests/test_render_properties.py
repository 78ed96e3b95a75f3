"""Property tests: random rows and attempts, every style and output.

Step texts mix arbitrary unicode with the layouts' own words (the ``[BACK]`` marker,
``BACK.``, retraction phrases, chat role labels, lema headings, separators), so any
span found by searching the text instead of by position would go wrong.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.render import (
    OUTPUTS,
    STYLES,
    StyleConfig,
    render,
    render_clean,
    round_trip_ok,
    strip_attempts,
)
from errsynth.render.highlight import highlight, visible
from errsynth.render.phrases import NATURAL_PHRASES
from errsynth.types.candidates import Candidate, WrongAttempt

TRAPS = [
    "[BACK]",
    "BACK.",
    " BACK.",
    "<|retry|>",
    " ",
    "\n",
    "\n\n",
    "User: ",
    "\n\nAssistant: ",
    "Incorrect step: 1",
    "\nExplanation: ",
    "\nCorrect solution: ",
    "Define X as",
    "{question}",
    "}{",
    NATURAL_PHRASES[0],
    "é",
    "🙂",
    "\u200b",
    "\r",
    "\x00",
]
pieces = st.one_of(st.text(max_size=8), st.sampled_from(TRAPS))
step_text = st.lists(pieces, max_size=5).map("".join)
MARKERS = ["[BACK]", "<|retry|>", "BACK", "⟲"]


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    steps = draw(st.lists(step_text, min_size=1, max_size=6))
    row: dict[str, Any] = {
        "id": "p",
        "format": draw(st.sampled_from(["gsm8k", "math", "igsm", "steps"])),
        "question": draw(step_text),
        "steps": steps,
    }
    attempts = []
    for _ in range(draw(st.integers(0, 5))):
        texts = tuple(draw(st.lists(step_text, min_size=1, max_size=3)))
        attempts.append(
            WrongAttempt(
                at=draw(st.integers(0, len(steps) - 1)),
                kind=draw(st.sampled_from(["reorder", "igsm_retry", "arith", "distractor", "llm"])),
                steps=texts,
                wrong_step=draw(st.integers(0, len(texts) - 1)),
                finding=draw(step_text),
                head=draw(st.one_of(st.none(), step_text)),
                detail={"premature": draw(st.sampled_from([True, False, None])), "n": 1},
            )
        )
    attempts.sort(key=lambda a: a.at)
    return Candidate(row=row, transform="prop", attempts=tuple(attempts))


styles = st.builds(
    StyleConfig,
    name=st.sampled_from(STYLES),
    marker=st.sampled_from(MARKERS),
    output=st.sampled_from(OUTPUTS),
    rounds=st.integers(1, 4),
    phrases_seed=st.integers(-5, 5),
    phrases_by_kind=st.booleans(),
)


def _expected_count(cand: Candidate, style: StyleConfig) -> int:
    n = len(cand.attempts)
    return {"lema": min(n, 1), "cac": min(n, style.rounds)}.get(style.name, n)


@settings(max_examples=400, deadline=None)
@given(cand=candidates(), style=styles, seed=st.integers(0, 2**32))
def test_spans_exact_and_round_trip(cand: Candidate, style: StyleConfig, seed: int) -> None:
    if style.name == "lema" and not cand.attempts:
        return
    before = (copy.deepcopy(dict(cand.row)), cand.attempts)
    r = render(cand, style, random.Random(seed))
    assert (dict(cand.row), cand.attempts) == before  # never mutated
    assert r.text == r.prompt + r.completion
    assert len(r.errors) == _expected_count(cand, style)  # no attempt lost
    ok, why = round_trip_ok(cand, r, style)
    assert ok, why
    for e in r.errors:
        assert r.text[e["start"] : e["end"]] == e["wrong_text"]
        assert e["attempt_start"] <= e["start"] <= e["end"] <= e["attempt_end"]
        assert e["attempt_end"] <= e["marker_start"] < e["marker_end"]
    assert len(r.mask_spans) == 2 * len(r.errors)
    if style.name in ("back", "igsm", "natural"):
        assert strip_attempts(r) == render_clean(cand.row, style).text
    assert render(cand, style, random.Random(seed)) == r  # deterministic
    assert highlight(r).plain == visible(r.text)


@settings(max_examples=200, deadline=None)
@given(cand=candidates(), seed=st.integers(0, 2**32))
def test_styles_agree_on_the_clean_solution(cand: Candidate, seed: int) -> None:
    """Stripping back, igsm and natural renders gives the same clean body."""
    bodies = set()
    for name in ("back", "igsm", "natural"):
        style = StyleConfig(name=name)  # type: ignore[arg-type]
        r = render(cand, style, random.Random(seed))
        bodies.add(strip_attempts(r)[len(r.prompt) :])
    assert len(bodies) == 1


@settings(max_examples=200, deadline=None)
@given(cand=candidates(), seed=st.integers(0, 2**32))
def test_tampered_spans_are_caught(cand: Candidate, seed: int) -> None:
    if not cand.attempts:
        return
    style = StyleConfig()
    r = render(cand, style, random.Random(seed))
    e = r.errors[0]
    for key, delta in (("marker_start", 1), ("attempt_end", -1), ("step", 1)):
        bad = copy.deepcopy(r.errors)
        bad[0] = {**e, key: e[key] + delta}
        tampered = type(r)(
            r.text, r.prompt, r.completion, r.messages, bad, r.mask_spans, r.style, r.corrections
        )
        assert not round_trip_ok(cand, tampered, style)[0], key
