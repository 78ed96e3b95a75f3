"""Undoing a render: strip the attempts by their spans, and check a render against its candidate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

from errsynth.render.annotations import glue_for
from errsynth.render.attempts import clean_steps, ordered_attempts
from errsynth.render.cac import ANSWER_GAP
from errsynth.render.config import IGSM_MARKER, INLINE_STYLES, StyleConfig, step_separator
from errsynth.render.core import render_clean
from errsynth.render.inline import clean_body
from errsynth.render.lema import CORRECT, EXPLANATION, INCORRECT, wrong_step_number
from errsynth.render.phrases import CRITIQUE_NO_FINDING, CRITIQUES, RETRACTIONS, critique
from errsynth.render.result import Rendered, detail_json, mask_spans_of, premature_flag
from errsynth.render.segments import flatten_messages
from errsynth.types.candidates import Candidate, WrongAttempt


def _fields(rendered: Rendered | Mapping[str, Any]) -> tuple[str, str, Sequence[Mapping[str, Any]]]:
    if isinstance(rendered, Rendered):
        return rendered.text, rendered.style, rendered.errors
    return rendered["text"], rendered["style"], rendered["errors"]


def strip_attempts(rendered: Rendered | Mapping[str, Any]) -> str:
    """The text with every attempt, its marker and the separator after the marker removed.

    Works from the recorded spans alone (a Rendered, or a sample row with text, style,
    errors), so step texts that contain the marker do not confuse it. Inline styles
    only (back, igsm, natural): in lema and cac the attempt is part of the record.
    """
    text, style, errors = _fields(rendered)
    if style not in INLINE_STYLES:
        raise ValueError(f"strip_attempts applies to the inline styles, not {style!r}")
    out: list[str] = []
    pos = 0
    for e in sorted(errors, key=lambda e: e["attempt_start"]):
        start, stop = e["attempt_start"], e["marker_end"] + 1  # + the separator after it
        if start < pos or stop > len(text) or e["marker_start"] < e["attempt_end"]:
            raise ValueError(
                f"error spans overlap or leave the text: attempt {start}..{e['attempt_end']}, "
                f"marker {e['marker_start']}..{e['marker_end']}, text length {len(text)}"
            )
        out.append(text[pos:start])
        pos = stop
    out.append(text[pos:])
    return "".join(out)


def _diff(got: str, want: str) -> str:
    i = next((k for k, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    if i is None:
        i = min(len(got), len(want))
    return f"first difference at char {i}: got {got[i : i + 40]!r}, want {want[i : i + 40]!r}"


def _expected(candidate: Candidate, style: StyleConfig, steps: list[str]) -> list[WrongAttempt]:
    attempts = ordered_attempts(candidate, steps)
    if style.name == "lema":
        return attempts[:1]
    if style.name == "cac":
        return attempts[: style.rounds]
    return attempts


def _written(a: WrongAttempt, style: StyleConfig, sep: str) -> tuple[str, str]:
    """(attempt text, wrong text) as the style writes them."""
    if style.name == "igsm" and a.head is not None:
        return a.head, a.head
    return sep.join(a.steps), a.steps[a.wrong_step]


def _marker_ok(a: WrongAttempt, style: StyleConfig, marker: str) -> bool:
    if style.name == "back":
        return marker == style.marker
    if style.name == "igsm":
        return marker == IGSM_MARKER
    if style.name == "natural":
        return marker in RETRACTIONS
    k = a.at + a.wrong_step + 1
    if style.name == "lema":
        return marker == INCORRECT.format(k=wrong_step_number(a))
    return marker in {critique(t, k, a.finding) for t in CRITIQUES} | {
        CRITIQUE_NO_FINDING.format(k=k)
    }


#: The error fields that repeat the attempt, and the span fields in text order.
_ATTEMPT_FIELDS = ("step", "kind", "finding", "wrong_text", "detail", "premature")
_SPAN_FIELDS = ("attempt_start", "start", "end", "attempt_end", "marker_start", "marker_end")


def _error_problems(
    n: int,
    a: WrongAttempt,
    e: Mapping[str, Any],
    r: Rendered,
    style: StyleConfig,
    steps: Sequence[str],
    sep: str,
) -> list[str]:
    text = r.text
    attempt_text, wrong_text = _written(a, style, sep)
    want = (a.at, a.kind, a.finding, wrong_text, detail_json(a.detail), premature_flag(a.detail))
    got = tuple(map(e.get, _ATTEMPT_FIELDS))
    problems = []
    if got != want:  # each field compared on its own, as reported
        problems = [
            f"{_where(n, a)}: {k} is {g!r}, want {v!r}"
            for k, g, v in zip(_ATTEMPT_FIELDS, got, want, strict=True)
            if g != v
        ]
    values = list(map(e.get, _SPAN_FIELDS))
    if not all(map(isinstance, values, repeat(int))):
        spans = dict(zip(_SPAN_FIELDS, values, strict=True))
        return [*problems, f"{_where(n, a)}: span fields missing: {spans}"]
    attempt_start, start, end, attempt_end, marker_start, marker_end = values
    if values != sorted(values) or attempt_start < 0 or marker_end > len(text):
        return [*problems, f"{_where(n, a)}: spans out of order or outside the text: {values}"]
    if text[start:end] != wrong_text:
        problems.append(f"{_where(n, a)}: text[start:end] is {text[start:end]!r}")
    if text[attempt_start:attempt_end] != attempt_text:
        problems.append(f"{_where(n, a)}: attempt span is {text[attempt_start:attempt_end]!r}")
    marker = text[marker_start:marker_end]
    if not _marker_ok(a, style, marker):
        problems.append(f"{_where(n, a)}: marker span is {marker!r}")
    glue = glue_for(attempt_text, marker, style.name)
    if style.name in INLINE_STYLES and text[attempt_end:marker_start] != glue:
        problems.append(f"{_where(n, a)}: {text[attempt_end:marker_start]!r} before the marker")
    if n < len(r.corrections):
        fix = r.corrections[n]
        if text[fix["start"] : fix["end"]] != steps[a.at]:
            problems.append(
                f"{_where(n, a)}: correction span is {text[fix['start'] : fix['end']]!r}, "
                f"want clean step {a.at}"
            )
    else:
        problems.append(f"{_where(n, a)}: no correction span")
    return problems


def _where(n: int, a: WrongAttempt) -> str:
    return f"error {n} ({a.kind} at {a.at})"


def _layout_problems(
    candidate: Candidate, r: Rendered, style: StyleConfig, clean: Rendered | None
) -> list[str]:
    """Style-specific: the clean solution comes back out of the rendered sample."""
    row = candidate.row
    if style.name in INLINE_STYLES:
        if clean is None:
            clean = render_clean(row, style)
        problems = []
        if r.prompt != clean.prompt:
            problems.append(
                f"prompt differs from the clean prompt: {_diff(r.prompt, clean.prompt)}"
            )
        stripped = strip_attempts(r)
        if stripped != clean.text:
            problems.append(f"stripped text is not the clean text: {_diff(stripped, clean.text)}")
        return problems
    body = clean_body(row)
    if not r.errors:
        return (
            []
            if r.completion == body
            else [f"completion is not the clean body: {_diff(r.completion, body)}"]
        )
    e = r.errors[-1]
    marker = r.text[e["marker_start"] : e["marker_end"]]
    if style.name == "lema":
        want = marker + EXPLANATION + e["finding"] + CORRECT + body
    else:
        want = marker + ANSWER_GAP + body
    if r.completion != want:
        return [f"completion is not the correction record: {_diff(r.completion, want)}"]
    if style.name == "lema":
        first = ordered_attempts(candidate)[0]
        sep = step_separator(row)
        prefix = "".join(s + sep for s in clean_steps(row)[: first.at])
        before = r.text[e["attempt_start"] - len(prefix) : e["attempt_start"]]
        if e["attempt_start"] < len(prefix) or before != prefix:
            return [
                f"the original solution does not start with the clean steps before step {first.at}"
            ]
    return []


def _chat_problems(r: Rendered, style: StyleConfig) -> list[str]:
    if not style.chat:
        return [] if r.messages is None else ["messages given for a text layout"]
    if not r.messages:
        return ["no messages for a chat layout"]
    problems = []
    if flatten_messages(r.messages) != r.text:
        problems.append(
            f"messages do not flatten to text: {_diff(flatten_messages(r.messages), r.text)}"
        )
    if r.messages[-1]["role"] != "assistant" or r.messages[-1]["content"] != r.completion:
        problems.append("the completion is not the last assistant message")
    return problems


def round_trip_ok(
    candidate: Candidate,
    rendered: Rendered,
    style: StyleConfig,
    clean: Rendered | None = None,
) -> tuple[bool, str]:
    """(True, "") when `rendered` is exactly `candidate` in `style`; else (False, why not).

    `clean` is ``render_clean(candidate.row, style)`` when the caller has it already
    (it is the same for every candidate of a row); else it is rendered here.

    Checks: text == prompt + completion; one error per attempt the style writes, with
    the attempt's fields; every span exact (wrong text, attempt text, marker, the
    correct step after it); mask spans derived from the errors; messages that flatten
    to the text; and the clean solution recovered: by stripping the attempts (inline
    styles) or as the final correct solution (lema, cac).
    """
    try:
        steps = clean_steps(candidate.row)
        expected = _expected(candidate, style, steps)
    except ValueError as exc:
        return False, f"invalid candidate: {exc}"
    r = rendered
    problems: list[str] = []
    if r.style != style.name:
        problems.append(f"rendered in style {r.style!r}, checked as {style.name!r}")
    if r.text != r.prompt + r.completion:
        problems.append("text is not prompt + completion")
    if len(r.errors) != len(expected):
        problems.append(f"{len(r.errors)} error(s) for {len(expected)} attempt(s) the style writes")
    sep = step_separator(candidate.row)
    for n, (a, e) in enumerate(zip(expected, r.errors, strict=False)):
        problems.extend(_error_problems(n, a, e, r, style, steps, sep))
    starts = [e.get("attempt_start", 0) for e in r.errors]
    if starts != sorted(starts):
        problems.append("errors are not in text order")
    if r.mask_spans != mask_spans_of(r.errors):
        problems.append("mask spans do not match the errors")
    problems.extend(_chat_problems(r, style))
    if not problems:
        try:
            problems.extend(_layout_problems(candidate, r, style, clean))
        except ValueError as exc:
            problems.append(str(exc))
    return (
        not problems,
        "; ".join(problems[:6]) + (f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""),
    )
