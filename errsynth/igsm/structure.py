"""A problem together with everything needed to say what each parameter equals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from errsynth.igsm.errors import IgsmArithmeticError
from errsynth.igsm.formula import Formula, from_param_def
from errsynth.igsm.hierarchy import Hierarchy, LayerLookup, build_hierarchies
from errsynth.igsm.levels import MAX_LAYERS, CategoryLevels, resolve_levels
from errsynth.igsm.replay import DEFAULT_MODULUS
from errsynth.igsm.sentences import Problem
from errsynth.igsm.step_parser import Step

__all__ = ["Structure", "resolve_structure"]


@dataclass(frozen=True, slots=True)
class Structure:
    """Problem + hierarchy + category layers: the formula of every parameter it can know."""

    problem: Problem
    hierarchy: Hierarchy
    levels: CategoryLevels

    def formula(self, param: str) -> Formula | None:
        """The formula of ``param``; None when unknown (not a parameter of this problem, or an
        abstract parameter whose category layer neither text nor evidence settles)."""
        d = self.problem.params.get(param)
        if d is not None:
            return from_param_def(d)
        h = self.hierarchy
        owner, cat = h.split(param)
        if cat not in h.categories or owner not in h.layer:
            return None
        kids = h.kids(owner)
        if not kids:
            return Formula(param, "abstract_sum", None, ())
        lo, hi = self.levels.depth_range(owner, cat)
        if hi < 1:
            return None  # the category sits above its owner: contradictory evidence
        lo = max(lo, 1)
        if hi == 1:
            return Formula(param, "abstract_sum", None, tuple(h.param(owner, b) for b in kids))
        if lo >= 2:
            refs: list[str] = []
            for b in kids:
                refs += (h.param(owner, b), h.param(b, cat))
            return Formula(param, "abstract_product", None, tuple(refs))
        return None

    def lower_deps(self, param: str) -> tuple[str, ...]:
        """Dependencies ``param`` has under every reading of the hierarchy.

        Equal to the formula's when it is known; for an abstract parameter whose category
        layer is open it is the owner's edges ``A's B``, which both readings read.
        """
        f = self.formula(param)
        if f is not None:
            return f.deps
        h = self.hierarchy
        owner, cat = h.split(param)
        if cat in h.categories or (cat not in h.nodes_by_name and owner in h.layer):
            # a category, possibly one the problem never names ("Energy Drinks's Ingredient")
            return tuple(h.param(owner, b) for b in h.kids(owner))
        return ()

    def values(self, targets: Sequence[str], modulus: int = DEFAULT_MODULUS) -> dict[str, int]:
        """Evaluate ``targets`` (and everything they need) from the problem alone.

        Raises :class:`IgsmArithmeticError` on a dependency cycle or an unknown formula.
        """
        memo: dict[str, int] = {}
        for t in targets:
            self._value(t, memo, modulus)
        return memo

    def _value(self, param: str, memo: dict[str, int], modulus: int) -> int:
        # Iterative post-order walk: dependency chains can be long in generated data.
        if param in memo:
            return memo[param]
        on_stack: set[str] = {param}
        stack: list[tuple[str, Formula, int]] = []
        f = self._need(param)
        stack.append((param, f, 0))
        while stack:
            p, f, i = stack[-1]
            deps = f.deps
            if i < len(deps):
                stack[-1] = (p, f, i + 1)
                d = deps[i]
                if d in memo:
                    continue
                if d in on_stack:
                    raise IgsmArithmeticError(f"dependency cycle through {d!r}")
                on_stack.add(d)
                stack.append((d, self._need(d), 0))
                continue
            memo[p] = f.apply(memo.__getitem__, modulus)
            on_stack.discard(p)
            stack.pop()
        return memo[param]

    def _need(self, param: str) -> Formula:
        f = self.formula(param)
        if f is None:
            raise IgsmArithmeticError(f"cannot tell what {param!r} equals from the problem")
        return f


def resolve_structure(
    problem: Problem,
    steps: Sequence[Step] | None = None,
    lookup: LayerLookup | None = None,
    max_layers: int = MAX_LAYERS,
) -> Structure:
    """Build the :class:`Structure` of ``problem``.

    ``steps`` (a solution) and ``lookup`` (a vocabulary) only serve to settle what the text
    leaves open: category layers, and in the rare problems where one name sits on two layers,
    which reading of the hierarchy holds (the first one the solution does not contradict).
    """
    first: Structure | None = None
    for h in build_hierarchies(problem, lookup, max_layers):
        levels = resolve_levels(problem, h, steps, lookup, max_layers)
        s = Structure(problem, h, levels)
        if not levels.conflicts:
            return s
        first = first or s
    assert first is not None
    return first
