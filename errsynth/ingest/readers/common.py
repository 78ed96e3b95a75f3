"""Helpers shared by the format readers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from errsynth.evaluate import normalize_answer
from errsynth.ingest.base import Parsed, ReaderOptions, Reject
from errsynth.ingest.equations import Syntax, step_equations
from errsynth.ingest.latex_text import step_texts

_PREAMBLES = ("let's think step by step", "let us think step by step")
_CLOSING_RE = re.compile(r"^\s*(?:####|the (?:final )?answer is\b)", re.IGNORECASE)


def extra_meta(record: Mapping[str, Any], used: Iterable[str]) -> dict[str, Any]:
    """The record's other scalar fields, kept in `meta` so nothing the user had is lost."""
    skip = set(used)
    return {
        k: v
        for k, v in record.items()
        if k not in skip and (v is None or isinstance(v, str | int | float | bool))
    }


def split_free_text(text: str) -> list[str]:
    """Steps of a free-form solution: its lines when it has several, else its sentences.

    A "Let's think step by step." preamble and closing answer lines (`#### 5`,
    `The answer is: 5`) are not steps.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].lower().rstrip(".:! ") in _PREAMBLES:
        lines = lines[1:]
    while lines and _CLOSING_RE.match(lines[-1]):
        lines.pop()
    if len(lines) >= 2:
        return lines
    if not lines:
        return []
    return [s.strip() for s in step_texts(lines[0]) if s.strip()]


def step_list(value: Any, field: str) -> list[str]:
    """A list of steps given as strings or as objects with a text field."""
    if not isinstance(value, list | tuple):
        raise Reject(
            "mistyped_field", f"field {field!r} is {type(value).__name__}, expected a list"
        )
    steps: list[str] = []
    for k, item in enumerate(value):
        if isinstance(item, str):
            text = item
        elif isinstance(item, Mapping):
            text = next(
                (
                    item[key]
                    for key in ("text", "content", "step")
                    if isinstance(item.get(key), str)
                ),
                None,
            )
            if text is None:
                raise Reject("mistyped_field", f"{field}[{k}] has no text/content/step string")
        else:
            raise Reject("mistyped_field", f"{field}[{k}] is {type(item).__name__}, expected text")
        if text.strip():
            steps.append(text.strip())
    return steps


def parsed_solution(
    question: str,
    solution: str,
    steps: list[str],
    raw_answer: str,
    syntax: Syntax,
    options: ReaderOptions,
    meta: dict[str, Any],
) -> Parsed:
    """What every reader whose equations are found in its step texts returns (iGSM's aside):
    the answer normalized, the equations of `syntax` (plain, latex or auto) found and,
    unless `options.evaluate` is off, judged."""
    return Parsed(
        question=question,
        solution=solution,
        steps=steps,
        answer=normalize_answer(raw_answer),
        equations=step_equations(steps, syntax=syntax, evaluate=options.evaluate),
        meta=meta,
    )
