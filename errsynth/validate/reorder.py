"""The reorder validator: a reordered attempt is a later step verbatim, with the right flag."""

from __future__ import annotations

from errsynth.evidence.numberflow import is_premature
from errsynth.types.candidates import Candidate
from errsynth.validate.registry import VALIDATORS


@VALIDATORS.named("reorder")
def validate_reorder(candidate: Candidate) -> list[str]:
    """Independent re-check of every reorder attempt's evidence."""
    row = candidate.row
    steps = row["steps"]
    problems: list[str] = []
    for a in candidate.attempts:
        y = a.detail.get("from_step")
        if not isinstance(y, int) or not a.at < y < len(steps):
            problems.append(f"attempt at {a.at}: from_step {y} is not a later step")
            continue
        if a.steps != (steps[y],):
            problems.append(f"attempt at {a.at}: text is not step {y} verbatim")
        if steps[y] == steps[a.at]:
            problems.append(f"attempt at {a.at}: step {y} reads the same as the correct step")
        if a.detail.get("premature") != is_premature(row, a.at, y):
            problems.append(f"attempt at {a.at}: premature flag disagrees with the number flow")
    return problems
