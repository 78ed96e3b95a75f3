"""Failure taxonomy: what kind of mistake a wrong iGSM generation makes first.

The exact checker (:func:`errsynth.igsm.check`) names the first problem it finds, in the
order it tests a step (defined twice, reads an undefined letter, arithmetic replay,
unknown parameter, not needed, wrong inputs, wrong formula). That order answers "what did
the checker trip on", not "what went wrong first"; this module re-reads the first wrong
step with the checker's own data and names the *kind* of the mistake:

``premature``
    the step defines a parameter whose dependencies are not all defined by the earlier
    steps (the mistake retry data teaches a model to take back), whatever its body says;
``unneeded_parameter``
    a computable parameter the query does not need, one already defined, or a name that is
    no parameter of the problem;
``wrong_dependency``
    the right (computable, needed) parameter read from the wrong variables, or with the
    wrong formula (ops that do not compute the stated relation);
``arithmetic``
    an operation whose written result is not the value of its written numbers (mod 23);
``wrong_copy``
    a number copied wrongly: a variable's value written as another number in the numeric
    form or in a copy step (``detail`` says whether it is another defined variable's
    value), or a literal of the problem misquoted (the step computes the stated formula
    with a different constant);
``query``
    every step is right but the solution stops before the query, ends on another
    parameter or skips a needed one (the wrong or missing query step);
``runaway``
    the generation hit the token limit (no ``<eos>``) and its complete steps hold no
    mistake: it went on too long (retraction loops, endless steps);
``other``
    anything else (unparsable text that is not cut off, a problem the checker cannot
    evaluate); the checker's reason is kept in ``reason``.

No torch here.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from errsynth.igsm.checker import check, same_function
from errsynth.igsm.errors import IgsmParseError
from errsynth.igsm.formula import Formula
from errsynth.igsm.replay import DEFAULT_MODULUS, evaluate_terms, replay_step
from errsynth.igsm.sentences import parse_problem
from errsynth.igsm.step_parser import Op, Step, parse_step, split_steps
from errsynth.igsm.structure import Structure, resolve_structure
from errsynth.igsm.vocab import vocabulary_lookup

FAILURE_KINDS: tuple[str, ...] = (
    "premature",
    "unneeded_parameter",
    "wrong_dependency",
    "arithmetic",
    "wrong_copy",
    "query",
    "runaway",
    "other",
)

#: The kind of :mod:`errsynth.types.error_profile` (the contract harvest profiles and the
#: fake-error transforms share) each located iGSM kind corresponds to; ``query`` and
#: ``runaway`` name no wrong step, so they have no profile kind.
PROFILE_KIND: dict[str, str] = {
    "premature": "premature",
    "unneeded_parameter": "wrong_quantity",  # a distractor's quantity: what distractor imitates
    "wrong_dependency": "wrong_formula",
    "arithmetic": "arith_slip",
    "wrong_copy": "copy_error",
    "other": "other",
}

_STEP_REASON = re.compile(r"^step (\d+) ")
_QUERY_REASONS = ("not the query", "solution skips needed", "solution has no step", "ends on")


@dataclass(frozen=True)
class Failure:
    """The first mistake of a wrong generation."""

    kind: str  # one of FAILURE_KINDS
    step: int | None  # index into the parsed steps (BACK steps included); None: no step
    reason: str  # the checker's reason (or why no step could be checked)
    detail: str = ""  # what this module found beyond the checker's reason


def parse_prefix(generation: str) -> tuple[list[Step], str | None]:
    """The longest run of parseable steps from the start, and the parse error after it."""
    steps: list[Step] = []
    for piece in split_steps(generation.strip()):
        try:
            steps.append(parse_step(piece))
        except IgsmParseError as exc:
            return steps, str(exc)
    return steps, None


def classify(
    problem: str, generation: str, answer: str, *, truncated: bool = False
) -> Failure | None:
    """The kind of the first mistake in ``generation``; None when the solution is right.

    ``truncated``: decoding stopped at the token limit, not at ``<eos>``; the unfinished
    last step is then no mistake of its own, and a generation whose complete steps are all
    right is a ``runaway``.
    """
    steps, parse_error = parse_prefix(generation)
    text = " ".join(s.text for s in steps)
    whole = parse_error is None
    if not steps:
        reason = f"parse: {parse_error}" if parse_error else "empty generation"
        return Failure("runaway" if truncated else "other", None, reason)
    res = check(problem, text, answer, allow_back=True)
    if whole and res.ok:
        return None
    m = _STEP_REASON.match(res.reason)
    if m:
        return _classify_step(problem, steps, int(m.group(1)) - 1, res.reason)
    if truncated:
        return Failure("runaway", None, res.reason, "cut off at the token limit")
    if not whole:
        return Failure("other", len(steps), f"parse: {parse_error}")
    if res.reason.startswith("solution ends on") or any(q in res.reason for q in _QUERY_REASONS):
        return Failure("query", None, res.reason)
    if res.reason.startswith("problem:") and not _ends_on_query(problem, steps):
        # the paper's corpus: an abstract query's layer is settled by the solution's own
        # unfolding, so a solution that never reaches the query leaves the problem open
        return Failure("query", None, res.reason, "the query is never defined")
    return Failure("other", None, res.reason)


def _ends_on_query(problem: str, steps: list[Step]) -> bool:
    last = next((s for s in reversed(steps) if not s.back), None)
    try:
        return last is not None and last.param == parse_problem(problem).query
    except IgsmParseError:
        return False


def _prefix_state(steps: list[Step], i: int) -> tuple[set[str], dict[str, str], dict[str, int]]:
    """Parameters defined before step i, letter -> parameter, letter -> value."""
    defined: set[str] = set()
    param_of: dict[str, str] = {}
    env: dict[str, int] = {}
    for s in steps[:i]:
        if s.back:
            continue
        replay_step(s, env, DEFAULT_MODULUS)  # the checker passed these steps
        for op in s.ops[:-1]:
            param_of.pop(op.target, None)
        assert s.var is not None
        param_of[s.var] = s.param
        defined.add(s.param)
    return defined, param_of, env


def _classify_step(problem: str, steps: list[Step], i: int, reason: str) -> Failure:
    try:
        structure = resolve_structure(parse_problem(problem), steps, vocabulary_lookup)
    except IgsmParseError as exc:
        return Failure("other", i, reason, f"problem: {exc}")
    step = steps[i]
    defined, param_of, env = _prefix_state(steps, i)
    formula = structure.formula(step.param)
    deps = formula.deps if formula is not None else _known_deps(structure, step.param)
    if deps is not None and step.param not in defined:
        missing = [d for d in deps if d not in defined]
        if missing:
            shown = ", ".join(missing[:3])
            return Failure("premature", i, reason, f"{step.param} needs {shown}, not defined yet")
    if "defined twice" in reason:
        return Failure("unneeded_parameter", i, reason, "already defined")
    if formula is None:
        if "not a parameter" in reason:
            return Failure("unneeded_parameter", i, reason, "not a parameter of the problem")
        return Failure("wrong_dependency" if "misses" in reason else "other", i, reason)
    if "not needed for the query" in reason:
        return Failure("unneeded_parameter", i, reason, "not needed for the query")
    if "which no earlier step defines" in reason or " instead of " in reason:
        return Failure("wrong_dependency", i, reason)
    if "arithmetic:" in reason:
        return _classify_arithmetic(step, env, param_of, reason, i)
    if "does not compute the stated formula" in reason:
        quoted = _misquoted_literal(step, formula, param_of)
        if quoted is not None:
            return Failure("wrong_copy", i, reason, quoted)
        return Failure("wrong_dependency", i, reason, "wrong formula")
    return Failure("other", i, reason)


def _known_deps(structure: Structure, param: str) -> tuple[str, ...] | None:
    """Dependencies of a parameter without a settled formula, when the problem has it."""
    h = structure.hierarchy
    owner, cat = h.split(param)
    if cat not in h.categories or owner not in h.layer:
        return None
    return structure.lower_deps(param)


def _classify_arithmetic(
    step: Step, env: dict[str, int], param_of: dict[str, str], reason: str, i: int
) -> Failure:
    """Which op of the step fails its replay, and whether a value was copied or computed."""
    local = dict(env)
    for op in step.ops:
        values = [int(t) if t.isdigit() else local.get(t) for t in op.terms]
        if any(v is None for v in values):
            return Failure("wrong_dependency", i, reason, f"{op.target} reads an undefined letter")
        vals = [int(v) for v in values if v is not None]
        written = [int(x) for x in op.numeric.split(" ")[0::2]] if op.operators else None
        if written is not None and written != vals:
            return Failure("wrong_copy", i, reason, _copy_detail(op, vals, written, local))
        value = evaluate_terms(vals, op.operators, DEFAULT_MODULUS)
        if value != op.claimed:
            if not op.operators and op.operands:  # "t = M = 0": a copy of M's value
                return Failure("wrong_copy", i, reason, _copy_detail(op, vals, [op.claimed], local))
            return Failure("arithmetic", i, reason, f"{op.numeric} written as {op.claimed}")
        local[op.target] = value
    return Failure("other", i, reason)


def _copy_detail(op: Op, values: list[int], written: list[int], env: dict[str, int]) -> str:
    for term, want, got in zip(op.terms, values, written, strict=False):
        if want != got:
            others = sorted(v for v, x in env.items() if x == got and v != term)
            if others:
                return f"{term} = {want} written as {got}, the value of {', '.join(others)}"
            return f"{term} = {want} written as {got}"
    return "a value copied wrongly"


def _misquoted_literal(step: Step, formula: Formula, param_of: dict[str, str]) -> str | None:
    """Does the step compute the formula with another constant? (a misquoted number)"""
    if formula.number is None:
        return None
    literals = sorted({int(t) for op in step.ops for t in op.terms if t.isdigit()})
    if any(v not in param_of for v in step.uses):
        return None
    for lit in literals:
        if lit == formula.number:
            continue
        other = Formula(formula.param, formula.kind, lit, formula.refs)
        if same_function(step, other, param_of, random.Random(0x16A)):
            return f"the problem's {formula.number} written as {lit}"
    return None


__all__ = ["FAILURE_KINDS", "PROFILE_KIND", "Failure", "classify", "parse_prefix"]
