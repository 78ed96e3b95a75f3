"""What a transform proposes, a validator checks and a style renders.

A candidate is the clean solution plus a tuple of `WrongAttempt`s. Each attempt
sits before clean step `at`: the rendered solution is, for every step i, the
attempts with `at == i` (each: its wrong step texts, then the retraction marker),
then step i itself. Removing every attempt and marker gives the clean solution
back, which is what the round-trip check verifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from errsynth.core.errors import Rejection

#: A transform has nothing to do on a row (`reason` a short code for rejects). It is the
#: kernel's one rejection type, named for what it means to a transform.
Skip = Rejection


@dataclass(frozen=True, slots=True)
class WrongAttempt:
    """One wrong attempt, written before clean step `at` and then retracted."""

    at: int
    kind: str  # the transform that made it: reorder | igsm_retry | arith | distractor | ...
    steps: tuple[str, ...]  # the wrong step text(s) as written; arith with propagate has several
    finding: str  # the validator-grade reason it is wrong, in words ("48/2 is 24, not 26")
    head: str | None = None  # iGSM head form ("Define X as") used by the igsm style
    wrong_step: int = 0  # which of `steps` holds the error itself (the rest carry it on)
    detail: Mapping[str, Any] = field(default_factory=dict)  # JSON-able evidence per kind


@dataclass(frozen=True, slots=True)
class Candidate:
    """A clean solution row with wrong attempts placed in it."""

    row: Mapping[str, Any]  # the clean solution row (errsynth.schema.SOLUTION_SCHEMA)
    transform: str
    attempts: tuple[WrongAttempt, ...]  # sorted by `at`, stable
    params: Mapping[str, Any] = field(default_factory=dict)
    eligible: tuple[int, ...] = ()  # steps where an attempt could go (for the realized rate)

    @property
    def steps(self) -> list[str]:
        return list(self.row["steps"])


__all__ = ["Candidate", "Skip", "WrongAttempt"]
