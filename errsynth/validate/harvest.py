"""Validator of ``harvest`` samples: the model's first wrong step is wrong, the correction right.

Re-checked from the attempt's own evidence, independently of how it was located:

* ``located_by: exact``: an ``arith_slip`` step has an equation the evaluator finds false;
  a ``premature`` or ``copy_error`` step writes the named number, which neither the
  question nor any step before it wrote; a ``wrong_formula`` or ``wrong_quantity`` step
  computes the named value, which the correct solution never writes;
* ``located_by: igsm_checker``: the iGSM checker rejects the steps up to the wrong one,
  at the wrong one;
* ``located_by: judge``: the judge's step cannot be re-checked exactly; the solution's
  final answer was graded wrong (``detail.evidence`` keeps the judge's verdict);

and for every kind: the clean solution (the correction) has no false equation (iGSM: the
checker accepts it whole, with the gold answer).
"""

from __future__ import annotations

from errsynth.igsm import check
from errsynth.ingest.equations import step_equations
from errsynth.ingest.numberflow import numbers_in
from errsynth.types.candidates import Candidate, WrongAttempt
from errsynth.validate.registry import VALIDATORS

LOCATORS = ("exact", "igsm_checker", "judge")


def _equations(step: str, fmt: str | None) -> list[dict]:
    """As harvest judges model-written steps: LaTeX for MATH rows or steps with macros."""
    latex = fmt == "math" or "\\" in step
    return step_equations([step], syntax="latex" if latex else "plain")


def _context(candidate: Candidate, a: WrongAttempt) -> list[str]:
    """The steps written before the wrong one: clean steps before the attempt, then the
    attempt's own steps before its wrong step."""
    return [*list(candidate.row["steps"])[: a.at], *a.steps[: a.wrong_step]]


def _exact_problems(candidate: Candidate, a: WrongAttempt) -> list[str]:
    d = a.detail
    kind, ev = d.get("first_error"), d.get("evidence") or {}
    wrong = a.steps[a.wrong_step]
    if kind == "arith_slip":
        eqs = _equations(wrong, candidate.row.get("format"))
        if not any(e["ok"] is False for e in eqs):
            return ["harvest: the arith_slip step has no false equation"]
        return []
    if kind in ("premature", "copy_error"):
        value = str(ev.get("value", ""))
        if value not in numbers_in(wrong):
            return [f"harvest: {kind} value {value!r} is not in the wrong step"]
        seen = set(numbers_in(candidate.row["question"]))
        for s in _context(candidate, a):
            seen.update(numbers_in(s))
        if value in seen:
            return [f"harvest: {kind} value {value} was already known before the step"]
        return []
    if kind in ("wrong_formula", "wrong_quantity"):
        value = str(ev.get("value", ""))
        if value not in numbers_in(wrong):
            return [f"harvest: {kind} value {value!r} is not in the wrong step"]
        right: set[str] = set()
        for s in candidate.row["steps"]:
            right.update(numbers_in(s))
        if value in right:
            return [f"harvest: {kind} value {value} is one the correct solution computes"]
        return []
    return [f"harvest: no exact re-check for first-error kind {kind!r}"]


def _igsm_problems(candidate: Candidate, a: WrongAttempt) -> list[str]:
    row = candidate.row
    upto = [*_context(candidate, a), a.steps[a.wrong_step]]
    res = check(row["question"], " ".join(upto), row["answer"])
    if res.ok or not res.reason.startswith(f"step {len(upto)} "):
        return [f"harvest: the iGSM checker does not reject step {len(upto)}: {res.reason}"]
    return []


@VALIDATORS.named("harvest")
def validate_harvest(candidate: Candidate) -> list[str]:
    problems: list[str] = []
    row = candidate.row
    for a in candidate.attempts:
        if a.kind != "harvest":
            continue
        by = a.detail.get("located_by")
        if by is None and "param" in a.detail:
            continue  # a trained run's iGSM BACK attempt (errsynth.train.harvest): checker below
        if by not in LOCATORS:
            problems.append(f"harvest: located_by {by!r} is not one of {', '.join(LOCATORS)}")
        elif by == "exact":
            problems.extend(_exact_problems(candidate, a))
        elif by == "igsm_checker":
            problems.extend(_igsm_problems(candidate, a))
    if row.get("format") == "igsm":
        res = check(row["question"], row["solution"], row["answer"])
        if not res.ok:
            problems.append(f"harvest: the correction fails the iGSM checker: {res.reason}")
    else:
        bad = [e for e in row["equations"] if e["ok"] is False]
        if bad:
            e = bad[0]
            problems.append(
                f"harvest: the correction has a false equation in step {e['step'] + 1}: "
                f"{e['expr']} = {e['claimed']}"
            )
    return problems
