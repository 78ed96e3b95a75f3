"""The render styles on small hand-made rows: exact layouts, spans, config checks."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from errsynth.render import (
    OUTPUTS,
    STYLES,
    Rendered,
    StyleConfig,
    render,
    render_clean,
    round_trip_ok,
    step_separator,
    strip_attempts,
)
from errsynth.render.phrases import CHECK_REQUESTS, NATURAL_PHRASES, PREMATURE
from errsynth.types.candidates import Candidate, WrongAttempt

ROW: dict[str, Any] = {
    "id": "r1",
    "format": "gsm8k",
    "question": "Ann has 3 apples and buys 4 more. She eats 2. How many are left?",
    "steps": ["She has 3 + 4 = 7 apples.", "After eating, 7 - 2 = 5 are left."],
}
REORDER = WrongAttempt(
    at=0,
    kind="reorder",
    steps=("After eating, 7 - 2 = 5 are left.",),
    finding="7 is not known yet",
    detail={"premature": True, "from_step": 1},
)
ARITH = WrongAttempt(
    at=1,
    kind="arith",
    steps=("After eating, 7 - 2 = 4 are left.", "So 4 are left."),
    wrong_step=0,
    finding="7 - 2 is 5, not 4",
    detail={"premature": False},
)
CAND = Candidate(row=ROW, transform="test", attempts=(REORDER, ARITH))
Q = ROW["question"]


def _render(style: StyleConfig, cand: Candidate = CAND, seed: int = 0) -> Rendered:
    r = render(cand, style, random.Random(seed))
    ok, why = round_trip_ok(cand, r, style)
    assert ok, why
    assert r.text == r.prompt + r.completion
    for e in r.errors:
        assert r.text[e["start"] : e["end"]] == e["wrong_text"]
    return r


def test_back_layout_exact() -> None:
    r = _render(StyleConfig())
    assert r.prompt == f"Question: {Q}\nAnswer: "
    assert r.completion == (
        "After eating, 7 - 2 = 5 are left. [BACK]\n"
        "She has 3 + 4 = 7 apples.\n"
        "After eating, 7 - 2 = 4 are left.\nSo 4 are left. [BACK]\n"
        "After eating, 7 - 2 = 5 are left."
    )
    assert r.messages is None
    e0, e1 = r.errors
    assert r.text[e0["marker_start"] : e0["marker_end"]] == "[BACK]"
    assert e0["premature"] is True and e1["premature"] is False
    assert e0["detail"] == '{"from_step": 1, "premature": true}'
    # a multi-step attempt: the wrong part is its first step, the attempt both steps
    assert r.text[e1["attempt_start"] : e1["attempt_end"]] == (
        "After eating, 7 - 2 = 4 are left.\nSo 4 are left."
    )
    assert e1["wrong_text"] == "After eating, 7 - 2 = 4 are left."
    assert r.mask_spans == [
        {"mode": "wrong", "start": e0["start"], "end": e0["end"]},
        {"mode": "attempt", "start": e0["attempt_start"], "end": e0["attempt_end"]},
        {"mode": "wrong", "start": e1["start"], "end": e1["end"]},
        {"mode": "attempt", "start": e1["attempt_start"], "end": e1["attempt_end"]},
    ]
    assert strip_attempts(r) == render_clean(ROW, StyleConfig()).text
    assert [r.text[c["start"] : c["end"]] for c in r.corrections] == ROW["steps"]


def test_custom_marker_and_template() -> None:
    style = StyleConfig(marker="<|retry|>", question_template="Q: {question}\nA:")
    r = _render(style)
    assert r.prompt == f"Q: {Q}\nA:"
    assert r.completion.startswith("After eating, 7 - 2 = 5 are left. <|retry|>\n")


def test_igsm_style_head_and_marker() -> None:
    row = {
        "format": "igsm",
        "question": "q",
        "steps": ["Define A's B as x; so x = 1.", "Define C's D as y; so y = x = 1."],
    }
    a = WrongAttempt(
        at=0, kind="igsm_retry", steps=("Define C's D as",), head="Define C's D as", finding="f"
    )
    b = WrongAttempt(at=1, kind="reorder", steps=("Some full step.",), finding="g")  # no head
    cand = Candidate(row=row, transform="t", attempts=(a, b))
    style = StyleConfig(name="igsm", marker="[IGNORED]")
    r = _render(style, cand)
    assert r.completion == (
        "Define C's D as BACK. Define A's B as x; so x = 1. "
        "Some full step. BACK. Define C's D as y; so y = x = 1."
    )
    e = r.errors[0]
    assert (e["wrong_text"], r.text[e["marker_start"] : e["marker_end"]]) == (
        "Define C's D as",
        "BACK.",
    )
    assert render_clean(row, style).completion == " ".join(row["steps"])


def test_natural_phrases_seeded_and_by_kind() -> None:
    style = StyleConfig(name="natural")
    r = _render(style, seed=7)
    marker0 = r.text[r.errors[0]["marker_start"] : r.errors[0]["marker_end"]]
    assert marker0 in PREMATURE  # premature step: an "I cannot know that yet" phrase
    assert render(CAND, style, random.Random(7)) == r
    seen = {
        render(CAND, StyleConfig(name="natural", phrases_seed=s), random.Random(7)).completion
        for s in range(20)
    }
    assert len(seen) > 1  # the phrase seed changes the wording
    assert len(set(NATURAL_PHRASES)) >= 12


def test_lema_layout_exact() -> None:
    r = _render(StyleConfig(name="lema"))
    assert r.prompt == (
        "Find the first incorrect step in the original solution, explain the error, "
        "and write a correct solution.\n"
        f"Question: {Q}\n"
        "Original solution:\n"
        "After eating, 7 - 2 = 5 are left.\n\n"
    )
    assert r.completion == (
        "Incorrect step: 1\n"
        "Explanation: 7 is not known yet\n"
        "Correct solution: She has 3 + 4 = 7 apples.\nAfter eating, 7 - 2 = 5 are left."
    )
    (e,) = r.errors
    assert e["start"] < len(r.prompt) <= e["marker_start"]
    assert r.text[e["marker_start"] : e["marker_end"]] == "Incorrect step: 1"
    with pytest.raises(ValueError, match="strip_attempts"):
        strip_attempts(r)


def test_lema_counts_the_wrong_step_in_the_original() -> None:
    cand = Candidate(row=ROW, transform="t", attempts=(ARITH,))
    r = _render(StyleConfig(name="lema"), cand)
    assert (
        "Original solution:\nShe has 3 + 4 = 7 apples.\nAfter eating, 7 - 2 = 4 are left.\nSo 4 are left.\n\n"
        in r.prompt
    )
    assert r.completion.startswith("Incorrect step: 2\n")


def test_lema_as_messages() -> None:
    r = _render(StyleConfig(name="lema", output="messages"))
    user, assistant = r.messages or []
    assert user["content"].endswith("Original solution:\nAfter eating, 7 - 2 = 5 are left.")
    assert assistant["content"] == r.completion
    assert r.completion.startswith("Incorrect step: 1\nExplanation: ")


def test_lema_needs_an_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        render(
            Candidate(row=ROW, transform="t", attempts=()),
            StyleConfig(name="lema"),
            random.Random(0),
        )


def test_cac_layout() -> None:
    style = StyleConfig(name="cac", rounds=2)
    r = _render(style, seed=3)
    roles = [m["role"] for m in r.messages or []]
    assert roles == ["user", "assistant", "user", "assistant", "user", "assistant"]
    msgs = r.messages or []
    assert msgs[0]["content"] == Q
    assert msgs[1]["content"] == "After eating, 7 - 2 = 5 are left."
    assert msgs[2]["content"] in CHECK_REQUESTS
    assert msgs[3]["content"].endswith(
        "\n\nShe has 3 + 4 = 7 apples.\nAfter eating, 7 - 2 = 4 are left.\nSo 4 are left."
    )
    assert "step 1" in msgs[3]["content"].lower() and "7 is not known yet." in msgs[3]["content"]
    assert msgs[5]["content"].endswith("\n\n" + "\n".join(ROW["steps"]))
    assert r.completion == msgs[5]["content"]
    assert r.text.startswith(f"User: {Q}\n\nAssistant: After eating")
    assert r.prompt.endswith("\n\nAssistant: ")
    assert "step 2" in r.text[r.errors[1]["marker_start"] : r.errors[1]["marker_end"]].lower()


def test_cac_rounds_limit_attempts() -> None:
    r = _render(StyleConfig(name="cac", rounds=1))
    assert r.n_errors == 1 and len(r.messages or []) == 4


def test_cac_without_attempts_is_the_clean_chat() -> None:
    cand = Candidate(row=ROW, transform="t", attempts=())
    style = StyleConfig(name="cac")
    r = _render(style, cand)
    assert (
        r.text
        == render_clean(ROW, style).text
        == f"User: {Q}\n\nAssistant: " + "\n".join(ROW["steps"])
    )


def test_messages_output() -> None:
    style = StyleConfig(output="messages")
    r = _render(style)
    assert r.messages is not None
    assert [m["role"] for m in r.messages] == ["user", "assistant"]
    assert r.messages[0]["content"] == Q
    assert r.messages[1]["content"] == r.completion
    assert r.prompt == f"User: {Q}\n\nAssistant: "
    e = r.errors[0]
    # spans index text; shift by len(prompt) to index the assistant message
    c = len(r.prompt)
    assert r.messages[1]["content"][e["start"] - c : e["end"] - c] == e["wrong_text"]


def test_prompt_completion_output_matches_text() -> None:
    a = render(CAND, StyleConfig(output="text"), random.Random(0))
    b = render(CAND, StyleConfig(output="prompt_completion"), random.Random(0))
    assert (a.text, a.prompt, a.completion, a.errors) == (b.text, b.prompt, b.completion, b.errors)


@pytest.mark.parametrize("name", STYLES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_every_style_and_output_round_trips(name: str, output: str) -> None:
    style = StyleConfig(name=name, output=output, rounds=3)  # type: ignore[arg-type]
    before = copy.deepcopy(CAND.row)
    a = _render(style, seed=11)
    assert render(CAND, style, random.Random(11)) == a  # deterministic
    assert CAND.row == before and CAND.attempts == (REORDER, ARITH)  # not mutated
    clean = render_clean(ROW, style)
    assert clean.errors == [] and clean.text == clean.prompt + clean.completion


def test_unsorted_attempts_are_laid_out_in_step_order() -> None:
    cand = Candidate(row=ROW, transform="t", attempts=(ARITH, REORDER))
    r = _render(StyleConfig(), cand)
    assert [e["kind"] for e in r.errors] == ["reorder", "arith"]


def test_marker_text_inside_steps_does_not_confuse_spans() -> None:
    row = {**ROW, "steps": ["[BACK] [BACK]", "x [BACK]\n[BACK]"]}
    a = WrongAttempt(at=1, kind="reorder", steps=("[BACK]",), finding="f")
    cand = Candidate(row=row, transform="t", attempts=(a, a))
    r = _render(StyleConfig(), cand)
    assert r.completion == "[BACK] [BACK]\n[BACK] [BACK]\n[BACK] [BACK]\nx [BACK]\n[BACK]"
    assert strip_attempts(r) == render_clean(row, StyleConfig()).text


def test_strip_attempts_on_a_sample_row_mapping() -> None:
    r = _render(StyleConfig(name="natural"))
    row = {"text": r.text, "style": "natural", "errors": r.errors}
    assert strip_attempts(row) == render_clean(ROW, StyleConfig(name="natural")).text


def test_round_trip_reports_tampering() -> None:
    style = StyleConfig()
    r = render(CAND, style, random.Random(0))
    e = dict(r.errors[0], start=r.errors[0]["start"] + 1)
    bad = Rendered(
        r.text,
        r.prompt,
        r.completion,
        r.messages,
        [e, r.errors[1]],
        r.mask_spans,
        r.style,
        r.corrections,
    )
    ok, why = round_trip_ok(CAND, bad, style)
    assert not ok and "error 0" in why
    lost = Rendered(
        r.text,
        r.prompt,
        r.completion,
        r.messages,
        r.errors[:1],
        r.mask_spans[:2],
        r.style,
        r.corrections[:1],
    )
    ok, why = round_trip_ok(CAND, lost, style)
    assert not ok and "1 error(s) for 2 attempt(s)" in why
    ok, why = round_trip_ok(CAND, r, StyleConfig(marker="<x>"))
    assert not ok and "marker" in why


@pytest.mark.parametrize(
    ("attempt", "match"),
    [
        (WrongAttempt(at=2, kind="k", steps=("x",), finding=""), "not a clean step index"),
        (WrongAttempt(at=-1, kind="k", steps=("x",), finding=""), "not a clean step index"),
        (WrongAttempt(at=0, kind="k", steps=(), finding=""), "no step text"),
        (WrongAttempt(at=0, kind="k", steps=("x",), wrong_step=1, finding=""), "wrong_step"),
    ],
)
def test_bad_attempts_are_refused(attempt: WrongAttempt, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        render(
            Candidate(row=ROW, transform="t", attempts=(attempt,)), StyleConfig(), random.Random(0)
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "fancy"}, "style name"),
        ({"output": "html"}, "style output"),
        ({"marker": ""}, "non-blank"),
        ({"marker": " [BACK]"}, "whitespace"),
        ({"question_template": "no placeholder"}, "placeholder"),
        ({"question_template": "{question} {other}"}, "does not format"),
        ({"rounds": 0}, "rounds"),
        ({"phrases_seed": "1"}, "phrases_seed"),
    ],
)
def test_style_config_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        StyleConfig(**kwargs)


def test_style_config_from_mapping() -> None:
    assert StyleConfig.from_mapping({"name": "cac", "rounds": 2}) == StyleConfig(
        name="cac", rounds=2
    )
    with pytest.raises(ValueError, match="unknown parameter"):
        StyleConfig.from_mapping({"nmae": "cac"})


def test_step_separator() -> None:
    assert step_separator({"format": "igsm"}) == " "
    assert step_separator({"format": "gsm8k"}) == "\n"
    assert step_separator({"format": "math"}) == "\n"


def test_question_with_braces_is_not_formatted_twice() -> None:
    row = {**ROW, "question": "What is {x} in $\\frac{1}{2}$?"}
    r = _render(StyleConfig(), Candidate(row=row, transform="t", attempts=(REORDER,)))
    assert r.prompt == "Question: What is {x} in $\\frac{1}{2}$?\nAnswer: "


def test_every_style_has_one_renderer() -> None:
    from errsynth.render import RENDERERS

    assert sorted(RENDERERS) == sorted(STYLES)
