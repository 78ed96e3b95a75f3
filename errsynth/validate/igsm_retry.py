"""The igsm_retry validator: each retry parameter's status re-derived from the problem text."""

from __future__ import annotations

from errsynth.core.errors import Rejection
from errsynth.igsm.context import igsm_context
from errsynth.types.candidates import Candidate
from errsynth.validate.registry import VALIDATORS


@VALIDATORS.named("igsm_retry")
def validate_igsm_retry(candidate: Candidate) -> list[str]:
    """Re-derive each attempt's status from the problem text and the solution."""
    try:
        ctx = igsm_context(candidate.row)
    except Rejection as exc:
        return [f"cannot re-read the iGSM row: {exc}"]
    rule = candidate.params.get("rule", "retry")
    include_next = candidate.params.get("include_next", False)
    problems: list[str] = []
    for a in candidate.attempts:
        param = a.detail.get("param")
        if a.steps != (f"Define {param} as",):
            problems.append(f"attempt at {a.at}: text is not the head of {param!r}")
        if rule == "retry":
            if param in ctx.defined_before(a.at):
                problems.append(f"attempt at {a.at}: {param!r} was already defined")
            if not ctx.missing(str(param), a.at):
                problems.append(f"attempt at {a.at}: {param!r} is computable, so it is no mistake")
        elif not include_next and a.at < len(ctx.steps) and ctx.steps[a.at].param == param:
            problems.append(f"attempt at {a.at}: {param!r} is the very next step")
        if a.detail.get("premature") != bool(ctx.missing(str(param), a.at)):
            problems.append(f"attempt at {a.at}: premature flag disagrees with the problem")
    return problems
