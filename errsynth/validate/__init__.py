"""Validation of every candidate before it is emitted: the error is real, the rest is intact.

Each transform kind has an independent re-check of its own evidence (the wrong
arithmetic is false and the original true; a reordered step really comes from
later; an iGSM retry parameter is really not computable; a distractor really is
foreign): one module per kind (`arith`, `reorder`, `igsm_retry`, `distractor`),
registered in `VALIDATORS`, none importing the transform it checks. On top, for
every style: the rendered spans are exact, removing the attempts and markers gives
the clean solution back, and the answer is the gold one.
"""

from __future__ import annotations

from errsynth.render import Rendered, StyleConfig, round_trip_ok
from errsynth.types.candidates import Candidate
from errsynth.validate import (  # noqa: F401  (they register)
    arith,
    distractor,
    harvest,
    igsm_retry,
    reorder,
)
from errsynth.validate.registry import VALIDATORS, Validator


def validate_candidate(candidate: Candidate) -> list[str]:
    """Problems with a candidate's evidence (empty: valid)."""
    n = len(candidate.row["steps"])
    attempts = candidate.attempts
    at = [a.at for a in attempts]
    problems = [f"attempt placed at {x}, outside 0..{n - 1}" for x in at if not 0 <= x < n]
    if at != sorted(at):
        problems.append("attempts are not in step order")
    if any(not a.steps or not all(s.strip() for s in a.steps) for a in attempts):
        problems.append("an attempt has an empty wrong step")
    kinds = {a.kind for a in attempts}
    for kind in sorted(kinds):
        if kind not in VALIDATORS:
            problems.append(f"no validator for attempt kind {kind!r}")
        else:
            problems.extend(VALIDATORS[kind](candidate))
    return problems


def validate_sample(
    candidate: Candidate, rendered: Rendered, style: StyleConfig, clean: Rendered | None = None
) -> list[str]:
    """Problems with a rendered sample: evidence, round trip, spans, answer.

    `clean`: the row's clean rendering in `style`, when the caller has it (see
    :func:`~errsynth.render.round_trip_ok`).
    """
    problems = validate_candidate(candidate)
    ok, why = round_trip_ok(candidate, rendered, style, clean)
    if not ok:
        problems.append(f"round trip: {why}")
    if len(rendered.errors) != expected_errors(candidate, style):
        problems.append(
            f"{len(rendered.errors)} errors rendered for {len(candidate.attempts)} attempts"
        )
    return problems


def expected_errors(candidate: Candidate, style: StyleConfig) -> int:
    n = len(candidate.attempts)
    if style.name == "lema":
        return min(n, 1)
    if style.name == "cac":
        return min(n, style.rounds)
    return n


__all__ = ["VALIDATORS", "Validator", "expected_errors", "validate_candidate", "validate_sample"]
