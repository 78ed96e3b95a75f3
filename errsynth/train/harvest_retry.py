"""A retry sample from one real mistake on iGSM: where the model erred, written and retracted.

No torch here: :mod:`errsynth.train.harvest` decodes, this module builds. The model's
solution is right up to its first wrong step (the exact checker says which); the sample
is the gold solution with the model's mistake written in where the model made it (the
first gold step by which everything the model had computed is defined), retracted, and
followed by the right step. Two forms, by what went wrong:

* a **choice** mistake (the parameter is not computable yet, not needed, not a parameter
  of the problem) is written the paper's way, the head alone: ``Define P as BACK.``;
* a **value or formula** mistake (the right parameter, computable there, but a wrong
  value, formula or inputs) is written out in full, its variable letters renamed to the
  gold solution's letters for the same parameters (so the wrong step reads what it read
  for the model), then retracted and followed by the right step for that parameter:
  ``Define P as Q; so Q = R + 3 = 9 + 3 = 13. BACK. Define P as Q; so Q = R + 3 = ...``.
  It goes where the model wrote it (after the gold steps of what the model had computed,
  so the gold solution follows the model's order), else, when that order is not valid,
  just before the right step in the gold order.

Every sample is checked again: the retracted attempt written as a plain step must fail
the checker there with the same mistake kind, and the sample (retraction allowed) must
pass it with the gold answer; in the back style the text without its retraction must
pass it strictly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from errsynth.core.errors import Rejection
from errsynth.igsm import check
from errsynth.igsm.context import IgsmContext, igsm_context
from errsynth.igsm.text import IgsmParseError, Step, parse_step
from errsynth.render.config import IGSM_MARKER
from errsynth.train.solutions import strip_retractions

#: first-wrong-step kinds written as a whole retracted step (value and formula mistakes)
STEP_KINDS = ("arithmetic", "copy", "formula", "wrong_inputs")
#: kinds written as the paper's ``Define P as BACK.`` (the wrong parameter chosen)
HEAD_KINDS = ("premature", "not_needed", "unknown_parameter")
_LETTER = re.compile(r"(?<![A-Za-z'])[A-Za-z](?![A-Za-z'])")
_FRESH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mistake_kind(reason: str) -> str:
    """A short name for the checker's reason of a first wrong step."""
    for key, name in (
        ("which no earlier step defines", "premature"),
        ("not needed for the query", "not_needed"),
        ("defined twice", "defined_twice"),
        ("not a parameter", "unknown_parameter"),
        ("does not match the variables' values", "copy"),  # a value read wrong
        ("arithmetic", "arithmetic"),  # a result computed wrong
        ("does not compute the stated formula", "formula"),
        (" instead of ", "wrong_inputs"),
    ):
        if key in reason:
            return name
    return "other"


@dataclass(frozen=True)
class HarvestedRetry:
    """A checked retry sample: the completion and where its attempt and marker are."""

    completion: str
    at: int  # the clean step (of the sample's own clean solution) the attempt comes before
    form: Literal["head", "step"]
    wrong_text: str  # the attempt as written (the head, or the whole renamed step)
    attempt_start: int  # offsets into `completion`
    attempt_end: int
    marker_start: int
    marker_end: int
    detail: dict[str, Any] = field(default_factory=dict)


def bindings(steps: list[Step]) -> dict[str, str]:
    """Letter -> parameter after ``steps``, as the checker binds them (retractions bind nothing)."""
    param_of: dict[str, str] = {}
    for s in steps:
        if s.back or s.var is None:
            continue
        for op in s.ops[:-1]:
            param_of.pop(op.target, None)
        param_of[s.var] = s.param
    return param_of


def rename_step(step: Step, letters: dict[str, str]) -> str:
    """``step``'s text with its variable letters renamed (the parameter name untouched)."""
    head = f"Define {step.param} as "
    if not step.text.startswith(head):
        raise IgsmParseError(f"unexpected step head in {step.text!r}")
    body = _LETTER.sub(lambda m: letters.get(m.group(), m.group()), step.text[len(head) :])
    return head + body


def letter_map(
    wrong: Step, model_prefix: list[Step], gold_before: list[Step], var: str | None
) -> dict[str, str] | str:
    """How to rename ``wrong``'s letters into the gold context, or why it cannot be done.

    Letters it reads go to the gold letter of the same parameter; its own variable to
    ``var`` (the right step's letter) when free; intermediates keep theirs when free.
    """
    model_of = bindings(model_prefix)
    gold_letter = {p: v for v, p in bindings(gold_before).items()}
    locals_ = [*wrong.intermediates, wrong.var or ""]
    if set(wrong.uses) & set(locals_):
        return "letter_reused"
    out: dict[str, str] = {}
    for u in wrong.uses:
        param = model_of.get(u)
        if param is None:
            return "reads_undefined"
        if param not in gold_letter:
            return "letter_unbound"
        out[u] = gold_letter[param]
    taken = set(out.values())
    for i, loc in enumerate(locals_):
        if loc in out:
            continue
        want = var if i == len(locals_) - 1 and var else loc
        if want in taken:
            want = loc if loc not in taken else next(c for c in _FRESH if c not in taken)
        out[loc] = want
        taken.add(want)
    return out


def _assemble(parts: list[str], attempt_at: int, marker: str) -> tuple[str, int, int, int, int]:
    """Join step texts; the attempt ``parts[attempt_at]`` gets `` <marker>`` after it."""
    before = " ".join(parts[:attempt_at])
    a0 = len(before) + (1 if before else 0)
    a1 = a0 + len(parts[attempt_at])
    m0, m1 = a1 + 1, a1 + 1 + len(marker)
    written = [*parts[:attempt_at], parts[attempt_at] + " " + marker, *parts[attempt_at + 1 :]]
    return " ".join(written), a0, a1, m0, m1


def _checked(
    problem: str, answer: str, parts: list[str], at: int, style: str, marker: str
) -> tuple[str, int, int, int, int] | str:
    """The completion with its spans when it passes the checker (see module doc), else why not."""
    igsm_text = _assemble(parts, at, IGSM_MARKER)[0]
    res = check(problem, igsm_text, answer, allow_back=True)
    if not res.ok:
        return f"invalid: {res.reason}"
    if style == "igsm":
        return _assemble(parts, at, IGSM_MARKER)
    made = _assemble(parts, at, marker)
    clean = strip_retractions(made[0], marker)
    if clean != " ".join(parts[:at] + parts[at + 1 :]):
        return "back_form_does_not_strip"
    res = check(problem, clean, answer)
    if not res.ok:
        return f"invalid: {res.reason}"
    return made


def _model_position(ctx: IgsmContext, model_prefix: list[Step]) -> int | str:
    done = {s.param for s in model_prefix if not s.back}
    j = 0
    while j < len(ctx.steps) and not done <= ctx.defined_before(j):
        j += 1
    if not done <= ctx.defined_before(j):
        return "prefix_not_in_gold"
    return j


def retry_from_mistake(
    problem: str,
    gold_solution: str,
    answer: str,
    model_prefix: list[Step],
    wrong: Step,
    *,
    style: str = "igsm",
    marker: str = "[BACK]",
) -> HarvestedRetry | str:
    """A checked retry sample from the model's first wrong step, or why none is made."""
    if style not in ("igsm", "back"):
        raise ValueError(f"style must be igsm or back, got {style!r}")
    try:
        ctx = igsm_context({"question": problem, "solution": gold_solution})
    except Rejection as exc:
        return f"gold_unreadable: {exc}"
    param = wrong.param
    done = {s.param for s in model_prefix if not s.back}
    if param in done:
        return "redefined"
    needed = {s.param for s in ctx.steps}
    if param in needed and all(d in done for d in ctx.deps.get(param, ())):
        # the right parameter, computable from what the model had: a value/formula mistake
        return _step_retry(problem, answer, ctx, model_prefix, wrong, done, style, marker)
    j = _model_position(ctx, model_prefix)
    if isinstance(j, str):
        return j
    if param in ctx.defined_before(j):
        return "redefined"
    missing = ctx.missing(param, j)
    if param in needed and not missing:
        # not computable from the model's own steps, yet computable at this gold step: the
        # paper's BACK would be no mistake here (the model skipped a step the gold has)
        return "right_parameter_wrong_value"
    steps = [s.text for s in ctx.steps]
    head = f"Define {param} as"  # a choice mistake: the paper's head form
    made = _checked(problem, answer, [*steps[:j], head, *steps[j:]], j, style, marker)
    if isinstance(made, str):
        return made
    detail = {"param": param, "missing": missing, "premature": bool(missing), "needed": param in needed}  # fmt: skip
    return HarvestedRetry(made[0], j, "head", head, *made[1:], detail=detail)


def _step_retry(
    problem: str,
    answer: str,
    ctx: IgsmContext,
    model_prefix: list[Step],
    wrong: Step,
    done: set[str],
    style: str,
    marker: str,
) -> HarvestedRetry | str:
    """The right parameter with a wrong value or formula: the whole step, retracted.

    First at the model's position: the gold steps of what the model had computed (in gold
    order), the attempt, the right step, then the other gold steps; else just before the
    right step in the gold order. The checker decides whether an order is valid.
    """
    if wrong.back or wrong.var is None:
        return "not_a_step"
    right = next(s for s in ctx.steps if s.param == wrong.param)
    had = [s for s in ctx.steps if s.param in done]
    model_order = [*had, right, *(s for s in ctx.steps if s.param not in done and s is not right)]
    orders = [model_order] if model_order != ctx.steps else []
    orders.append(ctx.steps)
    j = len(had)
    why = "no_placement"
    for order in orders:
        at = order.index(right)
        letters = letter_map(wrong, model_prefix, order[:at], right.var)
        if isinstance(letters, str):
            why = letters
            continue
        text = rename_step(wrong, letters)
        try:
            attempt = parse_step(text)
        except IgsmParseError:
            why = "unrenamable"
            continue
        parts = [s.text for s in order]
        # the attempt as a plain step must be the model's kind of mistake, right there
        plain = check(problem, " ".join([*parts[:at], attempt.text, *parts[at:]]), answer)
        if plain.ok or not plain.reason.startswith(f"step {at + 1} "):
            why = "not_a_mistake"
            continue
        kind = mistake_kind(plain.reason)
        made = _checked(problem, answer, [*parts[:at], attempt.text, *parts[at:]], at, style, marker)  # fmt: skip
        if isinstance(made, str):
            why = made
            continue
        detail = {
            "param": wrong.param,
            "missing": [],
            "premature": False,
            "needed": True,
            "letters": dict(sorted(letters.items())),
            "at_model_position": at == j,
            "reordered_gold": order is not ctx.steps,
            "checker_kind": kind,
            "checker_reason": plain.reason,
        }
        return HarvestedRetry(made[0], at, "step", attempt.text, *made[1:], detail=detail)
    return why
