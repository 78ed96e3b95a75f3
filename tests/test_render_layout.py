"""The fast render paths against their plain definitions: the inline body written into a
`Layout` against segments flattened the old way, and the helpers that stand in for
`str.format`, `json.dumps` and the frozen dataclass constructor."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.render import StyleConfig, render, render_clean, round_trip_ok, style_draws
from errsynth.render.annotations import glue_for
from errsynth.render.attempts import ordered_attempts
from errsynth.render.config import format_question, step_separator
from errsynth.render.inline import attempt_segs, marker_for
from errsynth.render.result import Rendered, _jsonable, assemble, detail_json, mask_spans_of
from errsynth.render.segments import Layout, Seg, Turn, flatten
from errsynth.types.candidates import Candidate, WrongAttempt


def _reference_body(
    row: dict[str, Any], attempts: list[WrongAttempt], style: StyleConfig, prng: Any
) -> tuple[list[Seg], list[tuple[WrongAttempt, str]]]:
    """The inline body as segments, one per step, separator, attempt and marker (the
    layout the module docstring of errsynth.render.inline describes)."""
    sep = step_separator(row)
    before: dict[int, list[tuple[int, WrongAttempt]]] = {}
    for n, a in enumerate(attempts):
        before.setdefault(a.at, []).append((n, a))
    placed, segs = [], []
    for i, step in enumerate(row["steps"]):
        if i:
            segs.append(Seg(sep))
        for n, a in before.get(i, []):
            a_segs, wrong = attempt_segs(a, n, sep, use_head=style.name == "igsm")
            marker = marker_for(a, style, prng)
            segs += [
                *a_segs,
                Seg(glue_for("".join(g.text for g in a_segs), marker, style.name)),  # " "/". "
                Seg(marker, (("marker", n),)),
                Seg(sep),
            ]
            placed.append((a, wrong))
        segs.append(Seg(step, tuple(("fix", n) for n, _ in before.get(i, []))))
    return segs, placed


def _reference_render(cand: Candidate, style: StyleConfig, seed: int) -> Rendered:
    from errsynth.render.core import question_turn
    from errsynth.render.phrases import phrase_rng

    prng = phrase_rng(random.Random(seed), style.phrases_seed) if style_draws(style) else None
    body, placed = _reference_body(dict(cand.row), ordered_attempts(cand), style, prng)
    turns = [question_turn(cand.row, style), Turn("assistant", tuple(body))]
    return assemble(flatten(turns, style.chat), style.name, placed)


_TEXT = st.text(alphabet="ab 1=+[]\n.$", min_size=0, max_size=6)


@st.composite
def _candidates(draw: st.DrawFn) -> Candidate:
    steps = draw(st.lists(_TEXT, min_size=1, max_size=6))
    fmt = draw(st.sampled_from(["gsm8k", "igsm"]))
    attempts = []
    for _ in range(draw(st.integers(0, 5))):
        texts = tuple(draw(st.lists(_TEXT, min_size=1, max_size=3)))
        attempts.append(
            WrongAttempt(
                at=draw(st.integers(0, len(steps) - 1)),
                kind=draw(st.sampled_from(["reorder", "arith"])),
                steps=texts,
                finding="why",
                head=draw(st.sampled_from([None, "Define X as"])),
                wrong_step=draw(st.integers(0, len(texts) - 1)),
                detail={"premature": draw(st.booleans())},
            )
        )
    row = {"id": "r", "format": fmt, "question": "Q?", "steps": steps}
    return Candidate(row=row, transform="t", attempts=tuple(attempts))


@settings(max_examples=300, deadline=None)
@given(
    cand=_candidates(),
    name=st.sampled_from(["back", "igsm", "natural"]),
    output=st.sampled_from(["text", "messages"]),
    seed=st.integers(0, 3),
)
def test_inline_render_is_the_segment_layout(
    cand: Candidate, name: str, output: str, seed: int
) -> None:
    style = StyleConfig(name=name, output=output)  # type: ignore[arg-type]
    got = render(cand, style, random.Random(seed))
    assert got == _reference_render(cand, style, seed)
    ok, why = round_trip_ok(cand, got, style, render_clean(cand.row, style))
    assert ok, why


def test_layout_writes_what_flatten_writes() -> None:
    turns = [
        Turn("user", (Seg("q"), Seg("?", (("marker", 0),)))),
        Turn("assistant", (Seg("a", (("wrong", 0),)), Seg(""), Seg("b", (("wrong", 0),)))),
        Turn("user", (Seg("again"),)),
        Turn("assistant", (Seg("c", (("fix", 0),)),)),
    ]
    for chat in (True, False):
        used = turns if chat else turns[-2:]
        layout = Layout(chat)
        for turn in used:
            layout.turn(turn.role)
            for text, tags in turn.segs:
                layout.write(text, tags)
        assert layout.done() == flatten(used, chat)
    flat = flatten(turns, True)
    assert flat.messages is not None and [m["content"] for m in flat.messages] == [
        "q?",
        "ab",
        "again",
        "c",
    ]
    assert flat.text[slice(*flat.spans[("wrong", 0)])] == "ab"
    with pytest.raises(ValueError, match="last turn"):
        Layout(False).done()
    with pytest.raises(ValueError, match="prompt and a completion"):
        flatten(turns, False)


def test_assemble_builds_a_frozen_rendered() -> None:
    layout = Layout(False)
    layout.turn("user")
    layout.write("Q: ")
    layout.turn("assistant")
    layout.write("x")
    r = assemble(layout.done(), "back", [])
    assert r == Rendered("Q: x", "Q: ", "x", None, [], [], "back", [])
    assert {f.name for f in dataclasses.fields(Rendered)} == set(vars(r))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.text = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    "template",
    [
        "Question: {question}\nAnswer: ",
        "{question}",
        "{{literal}} {question}",
        "{question} / {question}",
        "Q:{question}}}",
    ],
)
def test_format_question_is_str_format(template: str) -> None:
    for q in ("plain", "with {braces} and {question}", ""):
        assert format_question(template, q) == template.format(question=q)


@pytest.mark.parametrize(
    "detail",
    [
        {"from_step": 3, "premature": True, "missing": ["24", "é"]},
        {"z": None, "a": [1, 2], "m": 1.5, "nested": {"b": 1, "a": frozenset({2, 1})}},
        {"s": {"x", "y"}, "q": 'quote " and \\ and \n'},
        {},
    ],
)
def test_detail_json_is_json_dumps(detail: dict[str, Any]) -> None:
    assert detail_json(detail) == json.dumps(detail, sort_keys=True, default=_jsonable)
    with pytest.raises(TypeError, match="not JSON-able"):
        detail_json({"x": object()})


def test_render_needs_an_rng_only_where_it_draws() -> None:
    row = {"id": "r", "question": "Q?", "steps": ["a", "b"]}
    a = WrongAttempt(at=1, kind="reorder", steps=("b",), finding="f", detail={"premature": True})
    cand = Candidate(row=row, transform="t", attempts=(a,))
    for name in ("back", "igsm", "lema"):
        style = StyleConfig(name=name)  # type: ignore[arg-type]
        assert not style_draws(style)
        assert render(cand, style, None) == render(cand, style, random.Random(0))
    for name in ("natural", "cac"):
        style = StyleConfig(name=name)  # type: ignore[arg-type]
        assert style_draws(style)
        with pytest.raises(ValueError, match="needs a random generator"):
            render(cand, style, None)


def test_round_trip_with_a_given_clean_rendering() -> None:
    row = {"id": "r", "question": "Q?", "steps": ["a", "b"]}
    a = WrongAttempt(at=1, kind="reorder", steps=("b",), finding="f", detail={})
    cand = Candidate(row=row, transform="t", attempts=(a,))
    style = StyleConfig()
    r = render(cand, style, None)
    assert round_trip_ok(cand, r, style) == round_trip_ok(cand, r, style, render_clean(row, style))
    other = render_clean({**row, "steps": ["a", "c"]}, style)
    ok, why = round_trip_ok(cand, r, style, other)
    assert not ok and "stripped text is not the clean text" in why
    assert r.mask_spans == mask_spans_of(r.errors)
