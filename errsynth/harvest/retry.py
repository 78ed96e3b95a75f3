"""Retry samples from a located real mistake (kind ``harvest``).

Two corrections, each a :class:`~errsynth.types.candidates.Candidate` rendered by the
style machinery and validated like every other sample (:mod:`errsynth.validate.harvest`,
round trip, spans):

* ``continue`` (fix and continue): the clean solution is the model's own steps before
  its first wrong step, then the reference solution from the first step that prefix has
  not done yet (aligned by the values the prefix computed); the wrong step stands before
  the first continued step and is retracted there;
* ``restart`` (fresh restart): the whole attempt (the model's steps up to and including
  the wrong one) stands before a complete correct solution, a correct sample of the same
  model when it wrote one, else the reference, and is retracted as a whole.

Removing the attempt gives the clean solution back; its answer is the gold one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from errsynth.core.errors import Rejection
from errsynth.harvest.locate import Located, solution_equations
from errsynth.harvest.locate_igsm import igsm_steps
from errsynth.ingest.numberflow import arithmetic_flow, numbers_in
from errsynth.render import StyleConfig, render, render_clean
from errsynth.render.forms import finish_sample
from errsynth.transforms.base import row_rng
from errsynth.types.candidates import Candidate, WrongAttempt
from errsynth.validate import validate_sample

KIND = "harvest"
CORRECTIONS = ("continue", "restart")


@dataclass(frozen=True)
class Harvested:
    """One wrong model solution with its first mistake located."""

    problem: Mapping[str, Any]  # the reference solution row (SOLUTION_SCHEMA)
    steps: tuple[str, ...]  # the model's steps
    located: Located
    meta: Mapping[str, Any]  # model, temperature, sample index, seed, answer ...
    model_correct: tuple[str, ...] | None = None  # a correct sample's steps, same model


def clean_row(
    problem: Mapping[str, Any], steps: Sequence[str], row_id: str, meta: Mapping[str, Any]
) -> dict[str, Any]:
    """A solution row (the clean side of a candidate) with equations and number flow."""
    fmt = problem.get("format") or "plain"
    steps = list(steps)
    if fmt == "igsm":
        equations: list[dict[str, Any]] = []
        produces: list[list[str]] = [[] for _ in steps]
        uses: list[list[dict[str, Any]]] = [[] for _ in steps]
    else:
        equations = solution_equations(steps, fmt)
        produces, uses = arithmetic_flow(problem["question"], steps, equations)
    sep = " " if fmt == "igsm" else "\n"
    return {
        "id": row_id,
        "source": problem["source"],
        "format": fmt,
        "question": problem["question"],
        "solution": sep.join(steps),
        "steps": steps,
        "answer": problem["answer"],
        "equations": equations,
        "produces": produces,
        "uses": uses,
        "self_corrections": None,
        "meta": json.dumps(dict(meta), sort_keys=True, default=str),
    }


def reference_steps(problem: Mapping[str, Any]) -> list[str]:
    if problem.get("format") == "igsm":
        return igsm_steps(problem["solution"])
    return list(problem["steps"])


def continuation(problem: Mapping[str, Any], prefix: Sequence[str]) -> list[str]:
    """The reference steps after the ones the model's prefix has already done."""
    ref = reference_steps(problem)
    if problem.get("format") == "igsm":
        done = {s.split(" as ", 1)[0] for s in prefix}
        return [s for s in ref if s.split(" as ", 1)[0] not in done]
    j = 0  # the steps the model wrote as the reference did
    while j < min(len(ref), len(prefix)) and " ".join(ref[j].split()) == " ".join(
        prefix[j].split()
    ):
        j += 1
    have: set[str] = set()
    for s in prefix:
        have.update(numbers_in(s))
    produces = problem.get("produces") or [[] for _ in ref]
    while j < len(ref) and produces[j] and set(produces[j]) <= have:  # done in other words
        j += 1
    return ref[j:]


def _igsm_head(step: str) -> str | None:
    """The iGSM head of a step ("Define X's Y as"): what the igsm style writes before BACK."""
    head, sep, _ = step.partition(" as ")
    return head + " as" if sep and head.startswith("Define ") else None


def _attempt(h: Harvested, correction: str, detail: dict[str, Any]) -> WrongAttempt:
    j = h.located.step
    if correction == "continue":
        head = _igsm_head(h.steps[j]) if h.problem.get("format") == "igsm" else None
        return WrongAttempt(j, KIND, (h.steps[j],), h.located.finding, head, 0, detail)
    return WrongAttempt(0, KIND, tuple(h.steps[: j + 1]), h.located.finding, None, j, detail)


def candidate(h: Harvested, correction: str, parent_id: str) -> tuple[Candidate, str]:
    """The candidate of one correction, and where its correct part came from."""
    j = h.located.step
    loc = h.located
    detail: dict[str, Any] = {
        "first_error": loc.kind,
        "subkind": loc.subkind,
        "located_by": loc.located_by,
        "position": j,
        "n_steps": len(h.steps),
        "correction": correction,
        "evidence": dict(loc.evidence),
    }
    if loc.kind == "premature":
        detail["premature"] = True
    if correction == "restart":
        detail["restart"] = True
    if correction == "continue":
        rest = continuation(h.problem, h.steps[:j])
        if not rest:
            raise Rejection("no_continuation", "the reference has no step after the prefix")
        steps, source = [*h.steps[:j], *rest], "reference"
    else:
        if h.model_correct:
            steps, source = list(h.model_correct), "model_sample"
        else:
            steps, source = reference_steps(h.problem), "reference"
    detail["correction_source"] = source
    row_id = _id(parent_id, correction)
    row = clean_row(h.problem, steps, row_id, {"harvest": dict(h.meta)})
    return Candidate(row, KIND, (_attempt(h, correction, detail),), {}), source


def _id(parent: str, correction: str) -> str:
    return hashlib.blake2b(f"{parent}\x1f{correction}".encode(), digest_size=10).hexdigest()


def sample_for(
    h: Harvested,
    correction: str,
    style: StyleConfig,
    form: str,
    annotations: str,
    seed: int,
) -> dict[str, Any]:
    """A validated SAMPLE_SCHEMA row (Rejection with the validator's reasons if not valid)."""
    parent_id = str(h.meta["solution_id"])
    cand, source = candidate(h, correction, parent_id)
    rng = row_rng(seed, cand.row["id"], KIND + "/render")
    rendered = render(cand, style, rng)
    clean = render_clean(cand.row, style) if style.name in ("back", "igsm", "natural") else None
    problems = validate_sample(cand, rendered, style, clean)
    if problems:
        raise Rejection("validator_failure", "; ".join(problems)[:1000])
    meta = {
        **dict(h.meta),
        "transform": KIND,
        "correction": correction,
        "correction_source": source,
        "located_by": h.located.located_by,
        "first_error": {
            "kind": h.located.kind,
            "subkind": h.located.subkind,
            "step": h.located.step,
            "n_steps": len(h.steps),
        },
        "format": h.problem.get("format"),
    }
    sample = {
        "id": cand.row["id"],
        "parent_id": h.problem["id"],
        "source": h.problem["source"],
        "kind": KIND,
        **rendered.columns(),
        "question": h.problem["question"],
        "answer": h.problem["answer"],
        "meta": json.dumps(meta, sort_keys=True, default=str),
    }
    return finish_sample(sample, cand.row, cand, form, annotations)
