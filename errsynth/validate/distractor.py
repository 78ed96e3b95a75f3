"""The distractor validator: a distractor is foreign to the solution it is written into."""

from __future__ import annotations

from errsynth.types.candidates import Candidate
from errsynth.validate.registry import VALIDATORS


@VALIDATORS.named("distractor")
def validate_distractor(candidate: Candidate) -> list[str]:
    row = candidate.row
    own = set(row["steps"])
    problems = []
    for a in candidate.attempts:
        if a.detail.get("from_id") == row["id"]:
            problems.append(f"attempt at {a.at}: drawn from the same solution")
        if any(s in own for s in a.steps):
            problems.append(f"attempt at {a.at}: the step also belongs to this solution")
    return problems
