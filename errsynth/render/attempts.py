"""Checking a candidate's attempts and putting them in text order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errsynth.transforms.base import Candidate, WrongAttempt


def clean_steps(row: Mapping[str, Any]) -> list[str]:
    steps = row.get("steps")
    if steps is None:
        raise ValueError("row has no 'steps'")
    steps = list(steps)
    for i, s in enumerate(steps):
        if not isinstance(s, str):
            raise ValueError(f"row step {i} is {type(s).__name__}, not str")
    return steps


def ordered_attempts(candidate: Candidate) -> list[WrongAttempt]:
    """The attempts in the order they appear in text (by `at`, stable), checked.

    An attempt must come before an existing clean step (``0 <= at < n_steps``), have at
    least one step text (or a head), and point `wrong_step` at one of its steps.
    """
    n = len(clean_steps(candidate.row))
    for i, a in enumerate(candidate.attempts):
        where = f"attempt {i} ({a.kind})"
        if isinstance(a.at, bool) or not isinstance(a.at, int) or not 0 <= a.at < n:
            raise ValueError(f"{where}: at={a.at!r} is not a clean step index in [0, {n})")
        if not a.steps and a.head is None:
            raise ValueError(f"{where}: no step text and no head")
        if a.steps and not 0 <= a.wrong_step < len(a.steps):
            raise ValueError(
                f"{where}: wrong_step={a.wrong_step} is outside its {len(a.steps)} step(s)"
            )
        if not all(isinstance(s, str) for s in a.steps):
            raise ValueError(f"{where}: step texts must be strings")
    return sorted(candidate.attempts, key=lambda a: a.at)


def question_of(row: Mapping[str, Any]) -> str:
    q = row.get("question")
    if not isinstance(q, str):
        raise ValueError("row has no 'question' string")
    return q
