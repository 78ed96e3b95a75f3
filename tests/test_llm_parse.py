"""Strict reply parsers: round trips, every malformed input a clear error, never a crash."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.transforms.llm.parse import (
    ReplyError,
    classify_failure,
    parse_correction,
    parse_mistake,
    parse_tagged,
)
from errsynth.transforms.llm.prompts import check_template, fill, numbered

words = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="<>"), min_size=1, max_size=40
).filter(lambda s: s.strip())


@settings(max_examples=150, deadline=None)
@given(
    step=st.integers(1, 50),
    expl=words,
    steps=st.lists(words, min_size=1, max_size=8),
    ans=st.one_of(words, st.integers(-(10**6), 10**6).map(str)),
    fence=st.booleans(),
)
def test_correction_round_trip(
    step: int, expl: str, steps: list[str], ans: str, fence: bool
) -> None:
    obj = {
        "incorrect_step": step,
        "explanation": expl,
        "corrected_solution": steps,
        "final_answer": ans,
    }
    text = json.dumps(obj)
    if fence:
        text = f"```json\n{text}\n```"
    c = parse_correction(text)
    assert c.incorrect_step == step and c.explanation == expl.strip()
    assert c.corrected_solution == [" ".join(s.split()) for s in steps]
    assert c.final_answer == ans.strip()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_a_value_error_or_a_correction(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_correction(text)
    with contextlib.suppress(ValueError):
        parse_mistake(text)
    with contextlib.suppress(ValueError):
        parse_tagged(text, 1)


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"incorrect_step": 2, "explanation": "x", "corrected_solution": ["a"]}', "missing"),
        (
            '{"incorrect_step": 2, "explanation": "x", "corrected_solution": ["a"], "final_answer": "1", "k": 1}',
            "unexpected",
        ),
        (
            '{"incorrect_step": true, "explanation": "x", "corrected_solution": ["a"], "final_answer": "1"}',
            "integer",
        ),
        (
            '{"incorrect_step": 0, "explanation": "x", "corrected_solution": ["a"], "final_answer": "1"}',
            ">= 1",
        ),
        (
            '{"incorrect_step": 2, "explanation": " ", "corrected_solution": ["a"], "final_answer": "1"}',
            "non-empty",
        ),
        (
            '{"incorrect_step": 2, "explanation": "x", "corrected_solution": [], "final_answer": "1"}',
            "non-empty list",
        ),
        (
            '{"incorrect_step": 2, "explanation": "x", "corrected_solution": "a", "final_answer": "1"}',
            "list",
        ),
        (
            '{"incorrect_step": 2, "incorrect_step": 3, "explanation": "x", "corrected_solution": ["a"], "final_answer": "1"}',
            "duplicate",
        ),
        (
            'Sure! {"incorrect_step": 2, "explanation": "x", "corrected_solution": ["a"], "final_answer": "1"}',
            "not a JSON object",
        ),
        (
            '{"incorrect_step": 2, "explanation": "x", "corrected_solution": ["a"], "final_answer": NaN}',
            "invalid JSON",
        ),
        (
            '{"incorrect_step": 2, "explanation": "x", "corrected_solution": ["a"], "final_',
            "invalid JSON",
        ),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_bad_corrections_say_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_correction(text)


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.text(max_size=20).map(lambda s: s.replace("<", "")), words, words),
        min_size=1,
        max_size=4,
    ),
    tail=st.text(max_size=20).map(lambda s: s.replace("<", "")),
)
def test_tagged_round_trip(parts: list[tuple[str, str, str]], tail: str) -> None:
    text = (
        "".join(f"{pre}<mistake>{m}</mistake> <notice>{n}</notice>" for pre, m, n in parts) + tail
    )
    t = parse_tagged(text, len(parts))
    assert [t.text[a:b] for a, b in t.mistakes] == [m for _, m, _ in parts] or text != text.strip()
    assert [t.text[a:b] for a, b in t.notices] == [n for _, _, n in parts] or text != text.strip()
    assert "<mistake>" not in t.text and "<notice>" not in t.text


@pytest.mark.parametrize(
    "text, n, why",
    [
        ("<mistake>a</mistake> <notice>b</notice>", 2, "expected 2"),
        ("<mistake>a</mistake> <notice> </notice>", 1, "empty"),
        ("<mistake>a</mistake> oh <notice>b</notice>", 1, "between"),
        ("<mistake>a<mistake>b</mistake><notice>c</notice>", 1, "unexpected"),
        ("<mistake>a</mistake>", 1, "unclosed"),
        ("<notice>b</notice>", 1, "unexpected"),
    ],
)
def test_bad_tagged_say_why(text: str, n: int, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_tagged(text, n)


def test_failure_classification() -> None:
    assert classify_failure("", None, None, "x").reason == "empty"
    assert classify_failure("I'm sorry, but I cannot do that.", None, None, "x").reason == "refused"
    assert classify_failure("ok", None, "policy", "x").reason == "refused"
    assert (
        classify_failure('{"incorrect_step": 1, "expl', "length", None, "x").reason == "truncated"
    )
    err = classify_failure("step 2 is wrong", "stop", None, "not JSON")
    assert isinstance(err, ReplyError) and err.reason == "unparseable" and "not JSON" in err.detail


def test_templates_checked_and_filled_without_touching_values() -> None:
    t = check_template("llm_correct", "Q: $question\n$$5 S:\n$solution", "prompt")
    assert (
        fill(t, {"question": "cost is $x + {y}", "solution": "1. a"})
        == "Q: cost is $x + {y}\n$5 S:\n1. a"
    )
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_template("llm_correct", "$question $step_number", "prompt")
    with pytest.raises(ValueError, match="invalid placeholder"):
        check_template("llm_mistake", "price $ 5", "prompt")
    assert numbered(["a  b", "c\nd"]) == "1. a b\n2. c d"
