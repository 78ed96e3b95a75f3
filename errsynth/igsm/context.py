"""What the retry rules need to know about one iGSM row: the problem, its steps, dependencies.

`igsm_context` reads a solution row (question and solution texts) into the parsed
problem, the solution steps and each parameter's dependencies; `missing` says which
dependencies of a parameter are not defined before a step (empty: computable there).
The `igsm_retry` transform draws by it, its validator and the harvest re-derive by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from errsynth.core.errors import Rejection
from errsynth.igsm.text import (
    IgsmParseError,
    Problem,
    Step,
    dependency_graph,
    parse_problem,
    parse_solution,
)


@dataclass(frozen=True)
class IgsmContext:
    """What the retry rules need to know about one iGSM row."""

    problem: Problem
    steps: list[Step]
    deps: dict[str, tuple[str, ...]]

    def defined_before(self, i: int) -> set[str]:
        return {s.param for s in self.steps[:i]}

    def missing(self, param: str, i: int) -> list[str]:
        """Dependencies of `param` not defined before step i (empty: computable at i)."""
        have = self.defined_before(i)
        return [d for d in self.deps.get(param, ()) if d not in have]


def igsm_context(row: Mapping[str, Any]) -> IgsmContext:
    try:
        steps = parse_solution(row["solution"])
        problem = parse_problem(row["question"])
    except IgsmParseError as exc:
        raise Rejection("not_igsm", str(exc)) from exc
    if any(s.back for s in steps):
        raise Rejection("already_has_back", "the solution already contains BACK steps")
    graph = dependency_graph(problem, steps)
    return IgsmContext(problem, steps, graph.deps)
