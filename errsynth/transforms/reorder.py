"""reorder: the paper's fake mistake, a later step written too early and retracted.

At step X, a later step Y (Y > X) is written as a wrong attempt, retracted, and
step X follows. Y is *premature* when it uses a value that a step in X..Y-1
produces (through the number flow): it truly cannot be computed yet. Without
`premature_only` other later steps are allowed too (they are merely out of
order), and every attempt records whether it was premature.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from errsynth.evidence.numberflow import is_premature, missing_refs
from errsynth.transforms.base import (
    TRANSFORMS,
    Candidate,
    Skip,
    WrongAttempt,
)
from errsynth.transforms.profiled import ProfiledTransform, ProfileParams
from errsynth.transforms.protected import correction_steps, protected_positions


def _igsm_meta(row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """iGSM rows: the ingest meta (variables and parameter names), else None."""
    if row.get("format") != "igsm":
        return None
    return json.loads(row["meta"]) if isinstance(row["meta"], str) else row["meta"]


def _names(meta: Mapping[str, Any] | None) -> dict[str, str] | None:
    if meta is None:
        return None
    return {v: p for v, p in zip(meta.get("vars", []), meta.get("params", []), strict=False) if v}


def _head(meta: Mapping[str, Any] | None, y: int) -> str | None:
    if meta is None:
        return None
    params = meta.get("params") or []
    return f"Define {params[y]} as" if y < len(params) else None


def igsm_names(row: Mapping[str, Any]) -> dict[str, str] | None:
    """iGSM rows: variable letter → parameter name (from the ingest meta), else None."""
    return _names(_igsm_meta(row))


def igsm_head(row: Mapping[str, Any], y: int) -> str | None:
    """The iGSM head of step y ("Define X as"), for the igsm rendering style."""
    return _head(_igsm_meta(row), y)


def finding_for(row: Mapping[str, Any], x: int, y: int) -> str:
    return _finding(x, missing_refs(row, x, y), igsm_names(row))


def _finding(x: int, refs: list[str], names: dict[str, str] | None) -> str:
    if not refs:
        return f"this step is not wrong in itself, but it comes later: step {x + 1} comes first"
    shown = [f"{names[r]} ({r})" if names and r in names else r for r in refs]
    what = "the number of " if names else "the value "
    listed = ", ".join(shown[:3])
    verb = "is" if len(shown) == 1 else "are"
    return f"this needs {what}{listed}, which {verb} not known yet at this point"


@dataclass(frozen=True)
class ReorderParams(ProfileParams):
    premature_only: bool = False  # only later steps that truly cannot be computed yet


@TRANSFORMS.register
class ReorderTransform(ProfiledTransform):
    name = "reorder"
    description = "write a later step too early, retract it, continue (the paper's fake mistake)"
    Params = ReorderParams
    params: ReorderParams

    def choices(self, row: Mapping[str, Any]) -> dict[int, list[int]]:
        """Per step X, the later steps Y that may be written before it."""
        steps = row["steps"]
        n = len(steps)
        premature_only = self.params.premature_only
        protected = protected_positions(row)
        corrections = correction_steps(row)
        out: dict[int, list[int]] = {}
        for x in range(n - 1):
            if x in protected:
                continue
            step = steps[x]
            ys = [
                y
                for y in range(x + 1, n)
                if steps[y] != step
                and y not in corrections
                and (not premature_only or is_premature(row, x, y))
            ]
            if ys:
                out[x] = ys
        return out

    def apply(self, row: Mapping[str, Any], rng: random.Random) -> Candidate:
        steps = row["steps"]
        if len(steps) < 2:
            raise Skip("too_few_steps", "reorder needs at least two steps")
        choices = self.choices(row)
        if not choices:
            raise Skip(
                "no_premature_step" if self.params.premature_only else "no_later_step",
                "no later step can be written before an earlier one",
            )
        eligible = sorted(choices)
        n_choices = {x: len(c) for x, c in choices.items()}
        counts = self.place(rng, eligible, n_choices, len(steps))
        meta = _igsm_meta(row) if counts else None  # parsed once per row, not per attempt
        names = _names(meta)
        attempts: list[WrongAttempt] = []
        for x in sorted(counts):
            for y in rng.sample(choices[x], counts[x]):
                missing = missing_refs(row, x, y)
                attempts.append(
                    WrongAttempt(
                        at=x,
                        kind=self.name,
                        steps=(steps[y],),
                        finding=_finding(x, missing, names),
                        head=_head(meta, y),
                        detail={"from_step": y, "premature": bool(missing), "missing": missing},
                    )
                )
        return Candidate(
            row=row,
            transform=self.name,
            attempts=tuple(attempts),
            params=self.param_dict(),
            eligible=tuple(eligible),
        )
