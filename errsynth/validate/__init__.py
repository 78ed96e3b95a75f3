"""Validation of every candidate before it is emitted: the error is real, the rest is intact.

Each transform kind has an independent re-check of its own evidence (the wrong
arithmetic is false and the original true; a reordered step really comes from
later; an iGSM retry parameter is really not computable; a distractor really is
foreign). On top, for every style: the rendered spans are exact, removing the
attempts and markers gives the clean solution back, and the answer is the gold one.
"""

from __future__ import annotations

from collections.abc import Callable

from errsynth.render import Rendered, StyleConfig, round_trip_ok
from errsynth.transforms.base import Candidate

Validator = Callable[[Candidate], list[str]]


def _kind_validators() -> dict[str, Validator]:
    from errsynth.transforms.arith import validate_arith
    from errsynth.transforms.distractor import validate_distractor
    from errsynth.transforms.igsm_retry import validate_igsm_retry
    from errsynth.transforms.reorder import validate_reorder

    return {
        "reorder": validate_reorder,
        "igsm_retry": validate_igsm_retry,
        "arith": validate_arith,
        "distractor": validate_distractor,
    }


_VALIDATORS: dict[str, Validator] | None = None


def validate_candidate(candidate: Candidate) -> list[str]:
    """Problems with a candidate's evidence (empty: valid)."""
    global _VALIDATORS
    if _VALIDATORS is None:
        _VALIDATORS = _kind_validators()
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
        check = _VALIDATORS.get(kind)
        if check is None:
            problems.append(f"no validator for attempt kind {kind!r}")
        else:
            problems.extend(check(candidate))
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


__all__ = ["validate_candidate", "validate_sample"]
