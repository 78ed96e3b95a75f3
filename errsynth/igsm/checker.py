"""Independent exact check of an iGSM row: problem, solution and answer.

The checker never trusts the solution's arithmetic or its choice of parameters. It parses
the problem, evaluates the query from the problem's own sentences (mod 23), then walks the
solution and requires of every step that

* it defines a parameter of the problem, once, that is needed for the query;
* it reads exactly that parameter's dependencies, all defined by earlier steps;
* its ops, as a function of the variables read, equal the parameter's formula (tested as a
  polynomial identity at random points modulo the prime 2**61 - 1, which also pins every
  literal), and every written value replays mod 23;

and finally that the solution computes every needed parameter, ends on the query, and that
``answer`` is the query's value.

The one thing the problem text may leave open is which layer a category names (see
:mod:`errsynth.igsm.levels`): for our own generator's names the vocabulary settles it; for
other text the solution's own unfolding of an abstract parameter does, after checking it
agrees with every bound the text gives. A solution cannot use this to smuggle in a wrong
value: the unfolding it picks must be the same for every parameter of that category and
component, and both unfoldings are checked against the edges the problem defines.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from errsynth.igsm.errors import IgsmArithmeticError, IgsmParseError
from errsynth.igsm.formula import Formula
from errsynth.igsm.hierarchy import LayerLookup
from errsynth.igsm.replay import DEFAULT_MODULUS, evaluate_terms, replay_step
from errsynth.igsm.sentences import parse_problem
from errsynth.igsm.step_parser import Step, parse_solution
from errsynth.igsm.structure import Structure, resolve_structure
from errsynth.igsm.vocab import vocabulary_lookup

__all__ = ["CheckResult", "check", "check_parsed", "needed_params", "same_function"]

_BIG_PRIME = (1 << 61) - 1
_TRIALS = 2


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``ok`` and, when not ok, the first problem found (``reason`` is "ok" otherwise)."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


def needed_params(structure: Structure, query: str) -> set[str]:
    """Every parameter the query depends on, itself included."""
    seen = {query}
    todo = [query]
    while todo:
        f = structure.formula(todo.pop())
        if f is None:
            continue
        for d in f.deps:
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def same_function(
    step: Step, formula: Formula, param_of: dict[str, str], rng: random.Random
) -> bool:
    """Does the step, as a function of the variables it reads, equal ``formula``?"""
    for _ in range(_TRIALS):
        point = {v: rng.randrange(_BIG_PRIME) for v in step.uses}
        env = dict(point)
        for op in step.ops:
            vals = [int(t) if t.isdigit() else env[t] for t in op.terms]
            env[op.target] = evaluate_terms(vals, op.operators, _BIG_PRIME)
        by_param = {param_of[v]: x for v, x in point.items()}
        if env[step.var] != formula.apply(by_param.__getitem__, _BIG_PRIME):  # type: ignore[index]
            return False
    return True


def _unknown(structure: Structure, param: str, read: set[str]) -> str:
    """Why a step's parameter has no formula."""
    h = structure.hierarchy
    owner, cat = h.split(param)
    if cat not in h.categories or owner not in h.layer:
        return "not a parameter this problem determines"
    missing = set(structure.lower_deps(param)) - read
    if missing:  # both unfoldings read every edge of the owner
        return f"reads {sorted(read)} but misses {sorted(missing)}"
    return f"neither the text nor the solution settles which layer {cat!r} names"


def check_parsed(
    structure: Structure,
    steps: Sequence[Step],
    answer: str,
    modulus: int = DEFAULT_MODULUS,
    allow_back: bool = False,
) -> CheckResult:
    """:func:`check` on an already parsed problem (as a :class:`Structure`) and solution."""
    problem = structure.problem
    if structure.levels.conflicts:
        return CheckResult(False, "hierarchy: " + structure.levels.conflicts[0])
    truth: dict[str, int] = {}
    open_problem = ""  # the query cannot be evaluated; a step error explains it better
    try:
        truth = structure.values([problem.query], modulus)
    except IgsmArithmeticError as e:
        open_problem = f"problem: {e}"
    needed = needed_params(structure, problem.query)
    env: dict[str, int] = {}
    rng = random.Random(0x16A)
    param_of: dict[str, str] = {}
    done: set[str] = set()
    last: Step | None = None
    for i, step in enumerate(steps):
        where = f"step {i + 1} ({step.param})"
        if step.back:
            if not allow_back:
                return CheckResult(False, f"{where}: BACK step in a clean solution")
            continue
        if step.param in done:
            return CheckResult(False, f"{where}: defined twice")
        for v in step.uses:
            if v not in param_of:
                return CheckResult(False, f"{where}: reads {v!r}, which no earlier step defines")
        try:
            replay_step(step, env, modulus)
        except IgsmArithmeticError as e:
            return CheckResult(False, f"{where}: arithmetic: {e}")
        read = {param_of[v] for v in step.uses}
        f = structure.formula(step.param)
        if f is None:
            return CheckResult(False, f"{where}: {_unknown(structure, step.param, read)}")
        if step.param not in needed and not open_problem:
            return CheckResult(False, f"{where}: not needed for the query")
        if read != set(f.deps):
            missing = sorted(set(f.deps) - read)
            extra = sorted(read - set(f.deps))
            return CheckResult(False, f"{where}: reads {extra} instead of {missing}")
        if not same_function(step, f, param_of, rng):
            return CheckResult(False, f"{where}: does not compute the stated formula")
        assert step.var is not None
        for op in step.ops[:-1]:
            param_of.pop(op.target, None)  # a letter reused as an intermediate is no param
        param_of[step.var] = step.param
        done.add(step.param)
        last = step
    if open_problem:
        return CheckResult(False, open_problem)
    if last is None:
        return CheckResult(False, "solution has no step")
    if last.param != problem.query:
        return CheckResult(False, f"last step defines {last.param!r}, not the query")
    if done != needed:
        return CheckResult(False, f"solution skips needed {sorted(needed - done)[:3]}")
    want = truth[problem.query]
    if last.value != want:
        return CheckResult(False, f"solution ends on {last.value}, the query is {want}")
    if answer.strip() != str(want):
        return CheckResult(False, f"answer {answer!r} but the query is {want}")
    return CheckResult(True, "ok")


def check(
    problem: str,
    solution: str,
    answer: str,
    *,
    modulus: int = DEFAULT_MODULUS,
    lookup: LayerLookup | None = vocabulary_lookup,
    allow_back: bool = False,
) -> CheckResult:
    """Check one row exactly; see the module docstring for what is required.

    ``lookup`` is the vocabulary used to place categories (our generator's by default; pass
    None to rely on the text and the solution only). ``allow_back`` skips retractions
    instead of rejecting them: ``Define X as BACK.`` steps and retracted attempts
    (``<step> BACK.``, a wrong value or formula withdrawn). A retracted attempt defines
    nothing: a later step that reads its letter fails as reading an undefined variable.
    """
    try:
        prob = parse_problem(problem)
        steps = parse_solution(solution)
        structure = resolve_structure(prob, steps, lookup)
    except IgsmParseError as e:
        return CheckResult(False, f"parse: {e}")
    return check_parsed(structure, steps, answer, modulus, allow_back)
