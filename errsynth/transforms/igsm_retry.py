"""igsm_retry: the paper's iGSM retry data, ` Define X as BACK.` before a correct step.

Before each solution step, with probability `rate` (repeated while the draw
succeeds, capped by `max_per_step`) the head of a wrong step is written and
retracted. The wrong parameter is drawn

* `retry`: from parameters that cannot be computed yet (some dependency is not
  defined before this step) and were not defined so far: a real mistake;
* `retry_weak`: from the solution's own parameters of the later steps. The
  original generator also draws the very parameter computed next, which is no
  mistake at all (39% of its BACK steps); `include_next: true` reproduces that.

The paper's rows carry no forced minimum (`min_errors: 0`); our default of one
error per sample makes every emitted row a retry sample.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from errsynth.igsm.context import IgsmContext, igsm_context
from errsynth.transforms.base import (
    TRANSFORMS,
    Candidate,
    Skip,
    Transform,
    TransformParams,
    WrongAttempt,
    place_counts,
)
from errsynth.transforms.mistake_placement import log_weights, weighted_place_counts

RULES = ("retry", "retry_weak")


@dataclass(frozen=True)
class IgsmRetryParams(TransformParams):
    rule: Literal["retry", "retry_weak"] = "retry"
    include_next: bool = False  # retry_weak: also draw the parameter computed next (paper's code)
    # a training run's Mistake Log: more attempts where the logged model errs most
    # (errsynth/transforms/mistake_placement.py); None keeps the uniform rate
    mistake_log: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")


def retry_pool(ctx: IgsmContext, i: int, rule: str, include_next: bool) -> list[str]:
    """Wrong parameters that may be written before step i, in a fixed order."""
    if rule == "retry":
        defined = ctx.defined_before(i)
        return sorted(p for p in ctx.deps if p not in defined and ctx.missing(p, i))
    start = i if include_next else i + 1
    seen: list[str] = []
    for s in ctx.steps[start:]:
        if s.param not in seen:
            seen.append(s.param)
    return seen


def finding(ctx: IgsmContext, param: str, i: int) -> str:
    missing = ctx.missing(param, i)
    if not missing:
        return f"{param} can be computed, but it is not the next step"
    shown = ", ".join(missing[:3])
    return f"{param} needs {shown}, which {'is' if len(missing) == 1 else 'are'} not known yet"


@TRANSFORMS.register
class IgsmRetryTransform(Transform):
    name = "igsm_retry"
    description = "iGSM retry data: 'Define X as BACK.' with X not computable yet (or a later step)"
    Params = IgsmRetryParams
    params: IgsmRetryParams

    def param_dict(self) -> dict[str, Any]:
        params = super().param_dict()
        if params.get("mistake_log") is None:  # outputs without the option stay byte-identical
            params.pop("mistake_log", None)
        return params

    def apply(self, row: Mapping[str, Any], rng: random.Random) -> Candidate:
        ctx = igsm_context(row)
        pools = {
            i: retry_pool(ctx, i, self.params.rule, self.params.include_next)
            for i in range(len(ctx.steps))
        }
        eligible = [i for i, pool in pools.items() if pool]
        if not eligible:
            raise Skip("no_wrong_parameter", f"no parameter fits the {self.params.rule} rule")
        n_choices = {i: len(pools[i]) for i in eligible}
        if self.params.mistake_log:
            weights = log_weights(self.params.mistake_log)
            counts = weighted_place_counts(rng, eligible, self.params, n_choices, weights)
        else:
            counts = place_counts(rng, eligible, self.params, n_choices)
        attempts: list[WrongAttempt] = []
        for i in sorted(counts):
            for param in rng.sample(pools[i], counts[i]):
                head = f"Define {param} as"
                missing = ctx.missing(param, i)
                attempts.append(
                    WrongAttempt(
                        at=i,
                        kind=self.name,
                        steps=(head,),
                        head=head,
                        finding=finding(ctx, param, i),
                        detail={
                            "param": param,
                            "rule": self.params.rule,
                            "premature": bool(missing),
                            "missing": missing,
                        },
                    )
                )
        return Candidate(
            row=row,
            transform=self.name,
            attempts=tuple(attempts),
            params=self.param_dict(),
            eligible=tuple(eligible),
        )
