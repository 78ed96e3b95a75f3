"""Dependency graph of an iGSM problem and the paper's "computable yet" test.

Dependencies of a defined parameter are its sentence's references (exact). An abstract
parameter ``"A's C"`` depends on A's edges ``A's B`` and, when C lies two or more layers
below A, on ``B's C`` too; which of the two holds is exact whenever the vocabulary, the text
or the solution settles C's layer (see :mod:`errsynth.igsm.levels`), which covers every
abstract parameter a correct solution computes. Otherwise only the edges ``A's B`` (read by
both forms) are listed and the parameter is marked inexact. The same holds for parameters
named nowhere in the problem, e.g. a retry step's ``"Energy Drinks's Ingredient"`` when the
problem never names the category "Ingredient".

Because inexact dependency sets are lower bounds, :func:`computable_at` can only
over-report: a parameter it leaves out is certainly not computable yet, which is the safe
direction for the retry rule (a wrong parameter must not be computable yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from errsynth.igsm.hierarchy import LayerLookup
from errsynth.igsm.sentences import Problem
from errsynth.igsm.step_parser import Step
from errsynth.igsm.structure import Structure, resolve_structure
from errsynth.igsm.vocab import vocabulary_lookup

__all__ = ["DependencyGraph", "computable_at", "dependency_graph"]


@dataclass(frozen=True, slots=True)
class DependencyGraph:
    """Direct dependencies of every known parameter."""

    deps: dict[str, tuple[str, ...]]
    exact: dict[str, bool]  # False: `deps` is a lower bound (abstract, category layer open)
    abstract: frozenset[str]  # parameters no sentence defines

    def ancestors(self, param: str) -> set[str]:
        """Every parameter ``param`` transitively depends on (itself excluded)."""
        seen: set[str] = set()
        todo = list(self.deps.get(param, ()))
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(self.deps.get(p, ()))
        return seen

    def computable(self, defined: Iterable[str]) -> set[str]:
        """Parameters all of whose dependencies are in ``defined``."""
        have = set(defined)
        return {p for p, ds in self.deps.items() if all(d in have for d in ds)}


def dependency_graph(
    problem: Problem,
    steps: Sequence[Step] | None = None,
    *,
    lookup: LayerLookup | None = vocabulary_lookup,
    structure: Structure | None = None,
) -> DependencyGraph:
    """Graph over every mentioned parameter, every parameter a solution step names (BACK
    steps included), and everything those depend on."""
    s = structure or resolve_structure(problem, steps, lookup)
    h = s.hierarchy
    todo = list(problem.mentioned)
    if steps:
        todo += [st.param for st in steps]
    deps: dict[str, tuple[str, ...]] = {}
    exact: dict[str, bool] = {}
    while todo:
        p = todo.pop()
        if p in deps:
            continue
        f = s.formula(p)
        deps[p] = f.deps if f is not None else s.lower_deps(p)
        exact[p] = f is not None
        todo.extend(d for d in deps[p] if d not in deps)
    abstract = frozenset(p for p in deps if p not in h.instance)
    return DependencyGraph(deps, exact, abstract)


def computable_at(
    problem: Problem,
    steps: Sequence[Step],
    i: int,
    graph: DependencyGraph | None = None,
) -> set[str]:
    """Parameters whose every dependency is defined by a (non-BACK) step before step ``i``.

    Constants are always in the set, and so are parameters already defined. For the paper's
    ``retry`` rule take ``graph.deps.keys() - computable_at(...) - defined_so_far``.
    """
    g = graph or dependency_graph(problem, steps)
    defined = {st.param for st in steps[:i] if not st.back}
    return g.computable(defined)
