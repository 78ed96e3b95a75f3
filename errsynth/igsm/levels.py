"""Which layer each category names.

``"A's C"`` unfolds as a plain sum of A's children when C is the category right below A,
and as a sum of products otherwise (:mod:`errsynth.igsm.formula`). The problem text only
bounds where C sits: below every item it is asked of, and at most ``max_layers - 1`` (the
iGSM hierarchies have four categories). On the med train corpus that bound pins about half
of the categories. The rest is settled, in this order, by

1. a vocabulary (``lookup``) that knows the category's absolute layer (our own generator);
2. the solution: a step computing ``"A's C"`` as the sum of ``A's B`` alone puts C right
   below A; one that also reads ``B's C`` puts C at least two layers below A.

Layers are relative to the top of each connected component of the edge graph unless the
hierarchy came from a vocabulary, so ranges are kept per ``(component, category)``. When
neither source pins a category, the values of everything the solution computes still do not
depend on it: a solution that never writes the plain-sum form only ever reaches childless
items, whose abstract parameters are 0 at any depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from errsynth.igsm.hierarchy import Hierarchy, LayerLookup
from errsynth.igsm.sentences import Problem
from errsynth.igsm.step_parser import Step

__all__ = ["MAX_LAYERS", "CategoryLevels", "LevelRange", "resolve_levels"]

MAX_LAYERS = 4


@dataclass(slots=True)
class LevelRange:
    """Possible layers ``lo..hi`` of a category (in the hierarchy's layer frame)."""

    lo: int
    hi: int
    pinned: bool = False  # fixed by the vocabulary, by the text, or by a plain-sum step


@dataclass(slots=True)
class CategoryLevels:
    """Per ``(component, category)`` layer ranges (component -1 when layers are absolute)."""

    hierarchy: Hierarchy
    max_layers: int
    ranges: dict[tuple[int, str], LevelRange] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def key(self, owner: str, category: str) -> tuple[int, str]:
        h = self.hierarchy
        return (-1 if h.absolute else h.component.get(owner, -2), category)

    def range_for(self, owner: str, category: str) -> LevelRange:
        """The layer range of ``category`` as seen from ``owner``'s component."""
        k = self.key(owner, category)
        got = self.ranges.get(k)
        if got is None:
            lo = self.hierarchy.layer.get(owner, 0) + 1
            got = LevelRange(lo, max(self.max_layers - 1, lo))
            self.ranges[k] = got
        return got

    def depth_range(self, owner: str, category: str) -> tuple[int, int]:
        """How many layers below ``owner`` the category may sit: ``(lo, hi)``, lo >= 1."""
        r = self.range_for(owner, category)
        base = self.hierarchy.layer.get(owner, 0)
        return r.lo - base, r.hi - base


def _raise_lo(levels: CategoryLevels, owner: str, category: str, lo: int, why: str) -> None:
    r = levels.range_for(owner, category)
    if lo > r.hi or (r.pinned and lo > r.lo):
        levels.conflicts.append(f"{category!r} cannot sit on layer >= {lo} ({why})")
        return
    r.lo = max(r.lo, lo)
    if r.lo == r.hi:
        r.pinned = True


def _pin(levels: CategoryLevels, owner: str, category: str, at: int, why: str) -> None:
    r = levels.range_for(owner, category)
    if not r.lo <= at <= r.hi or (r.pinned and r.lo != at):
        levels.conflicts.append(f"{category!r} cannot sit on layer {at} ({why})")
        return
    r.lo = r.hi = at
    r.pinned = True


def resolve_levels(
    problem: Problem,
    hierarchy: Hierarchy,
    steps: Sequence[Step] | None = None,
    lookup: LayerLookup | None = None,
    max_layers: int = MAX_LAYERS,
) -> CategoryLevels:
    """Bound every category's layer from the text, then narrow with vocabulary and solution."""
    h = hierarchy
    levels = CategoryLevels(h, max_layers)
    for p in problem.mentioned:
        if p in h.instance:
            continue
        owner, cat = h.parts[p]
        base = h.layer.get(owner, 0)
        if h.absolute and lookup is not None:
            at = lookup(cat)
            assert at is not None  # build_hierarchy only sets `absolute` when all are known
            if at <= base:
                levels.conflicts.append(f"{p!r}: category {cat!r} is not below {owner!r}")
            else:
                _pin(levels, owner, cat, at, "vocabulary")
        else:
            _raise_lo(levels, owner, cat, base + 1, f"asked of {owner!r}")
    if steps:
        _solution_evidence(levels, steps)
    return levels


def _solution_evidence(levels: CategoryLevels, steps: Sequence[Step]) -> None:
    h = levels.hierarchy
    param_of: dict[str, str] = {}
    for step in steps:
        if step.back or step.var is None:
            continue
        param_of[step.var] = step.param
        if step.param in h.instance:
            continue
        owner, cat = h.split(step.param)
        if cat not in h.categories or owner not in h.layer:
            continue
        kids = h.kids(owner)
        if not kids:
            continue
        used = {param_of.get(v) for v in step.uses}
        plain = {h.param(owner, b) for b in kids}
        product = plain | {h.param(b, cat) for b in kids}
        base = h.layer[owner]
        if used == plain:
            _pin(levels, owner, cat, base + 1, f"solution sums {step.param!r} directly")
        elif used == product:
            _raise_lo(levels, owner, cat, base + 2, f"solution unfolds {step.param!r}")
