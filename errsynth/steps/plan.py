"""The steps a recipe may name (one registry, explicit), and the order they may come in.

Every step declares the table kinds it reads and the kind it writes, so a recipe's
`process:` list is checked before anything runs (`order_problems`, reported by the
recipe loader as `FILE:LINE`): a step that reads samples needs a step that makes
them before it, and a step that reads only solutions cannot follow one. When no
step makes samples, `plan_steps` ends the list with an augment that renders the
solutions as clean samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.core.registry import Registry
from errsynth.steps.augment import Augment
from errsynth.steps.base import SOLUTIONS, Step, TableKind
from errsynth.steps.dedup import DedupExact, DedupMinhash
from errsynth.steps.filters import Decontaminate, Filter
from errsynth.steps.llm import LLMCorrectStep, LLMMistakeStep, LLMParaphraseStep

STEPS: Registry[type[Step]] = Registry("operator")
for _step in (
    Filter,
    Decontaminate,
    DedupExact,
    DedupMinhash,
    Augment,
    LLMCorrectStep,
    LLMMistakeStep,
    LLMParaphraseStep,
):
    STEPS.register(_step)

FINAL: TableKind = "samples"  # what the mixture takes


class StepOrderError(ValueError):
    """Steps in an order that cannot run; `problems` are (process index, message)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"process[{i}] {msg}" for i, msg in problems))
        self.problems = problems


def make_step(entry: Any, where: str) -> Step:
    """One `process:` entry (`{name: {params}}`) as a step."""
    if not isinstance(entry, Mapping) or len(entry) != 1:
        raise ValueError(f"{where}: expected one {{operator: {{params}}}} mapping")
    ((name, params),) = entry.items()
    return STEPS.get(name, where)(dict(params or {}))


def _kinds(kinds: frozenset[TableKind]) -> str:
    return " or ".join(sorted(kinds))


def order_problems(steps: Sequence[Step]) -> list[tuple[int, str]]:
    """(index, message) for each step that cannot read what the steps before it write."""
    problems = []
    kind: TableKind = SOLUTIONS
    for i, step in enumerate(steps):
        if kind not in step.reads:
            if kind == SOLUTIONS:
                why = "put it after augment (which makes samples)"
            else:
                why = "only steps that read samples (dedup, llm_*) may follow augment"
            problems.append((i, f"{step.name} reads {_kinds(step.reads)}: {why}"))
            continue
        kind = step.output_kind(kind)
    return problems


def _kind_walk(steps: Sequence[Step]) -> list[TableKind]:
    """The table kind before each step, then the kind the last one leaves."""
    kinds: list[TableKind] = [SOLUTIONS]
    for step in steps:
        kinds.append(step.output_kind(kinds[-1]))
    return kinds


def kinds_read(steps: Sequence[Step]) -> list[TableKind]:
    """The table kind each step reads, in a recipe whose order is right."""
    return _kind_walk(steps)[:-1]


def plan_steps(entries: Sequence[Any], resolve: Any = None) -> list[Step]:
    """The recipe's steps, checked for order, ending in samples (an implicit clean augment).

    `resolve(entry)` may rewrite an entry first (the recipe resolves file paths)."""
    steps = [
        make_step(resolve(e) if resolve else e, f"process[{i}]") for i, e in enumerate(entries)
    ]
    problems = order_problems(steps)
    if problems:
        raise StepOrderError(problems)
    if _kind_walk(steps)[-1] != FINAL:
        implicit = {"augment": {"transforms": [], "include_clean": True}}
        steps.append(make_step(resolve(implicit) if resolve else implicit, "implicit augment"))
    return steps
