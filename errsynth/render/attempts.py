"""Checking a candidate's attempts and putting them in text order."""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from errsynth.types.candidates import Candidate, WrongAttempt

_AT = attrgetter("at")


def all_str(items: Any) -> bool:
    """Whether every item is a str (runs on every render and check; lists are short)."""
    for item in items:  # noqa: SIM110 (a plain loop: no generator frame per call)
        if not isinstance(item, str):
            return False
    return True


def clean_steps(row: Mapping[str, Any]) -> list[str]:
    steps = row.get("steps")
    if steps is None:
        raise ValueError("row has no 'steps'")
    steps = list(steps)
    if not all_str(steps):
        for i, s in enumerate(steps):
            if not isinstance(s, str):
                raise ValueError(f"row step {i} is {type(s).__name__}, not str")
    return steps


def ordered_attempts(candidate: Candidate, steps: list[str] | None = None) -> list[WrongAttempt]:
    """The attempts in the order they appear in text (by `at`, stable), checked.

    An attempt must come before an existing clean step (``0 <= at < n_steps``), have at
    least one step text (or a head), and point `wrong_step` at one of its steps.
    `steps`: the row's :func:`clean_steps`, when the caller has them already.
    """
    n = len(clean_steps(candidate.row) if steps is None else steps)
    for i, a in enumerate(candidate.attempts):
        at, steps = a.at, a.steps
        is_index = type(at) is int or (isinstance(at, int) and not isinstance(at, bool))
        if not is_index or not 0 <= at < n:
            raise ValueError(f"{_where(i, a)}: at={at!r} is not a clean step index in [0, {n})")
        if not steps and a.head is None:
            raise ValueError(f"{_where(i, a)}: no step text and no head")
        if steps and not 0 <= a.wrong_step < len(steps):
            raise ValueError(
                f"{_where(i, a)}: wrong_step={a.wrong_step} is outside its {len(steps)} step(s)"
            )
        if not all_str(steps):
            raise ValueError(f"{_where(i, a)}: step texts must be strings")
    return sorted(candidate.attempts, key=_AT)


def _where(i: int, a: WrongAttempt) -> str:
    return f"attempt {i} ({a.kind})"


def question_of(row: Mapping[str, Any]) -> str:
    q = row.get("question")
    if not isinstance(q, str):
        raise ValueError("row has no 'question' string")
    return q
