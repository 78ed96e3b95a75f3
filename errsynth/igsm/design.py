"""Random structure graphs: which items exist on which layer, and who owns whom."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from errsynth.igsm.vocab import FULL_HIERARCHIES, SHORT_HIERARCHY, HierarchySpec

__all__ = ["Design", "NameStyle", "sample_design"]

NameStyle = Literal["full", "short"]


@dataclass(frozen=True)
class Design:
    """A structure graph over ``len(layers)`` consecutive categories of ``spec``."""

    spec: HierarchySpec
    top: int  # vocabulary layer of the first structure layer
    layers: tuple[tuple[str, ...], ...]  # item names per structure layer, top first
    edges: tuple[tuple[str, str], ...]  # (owner, item) between consecutive layers

    def category(self, layer: int) -> str:
        """Category name of structure layer ``layer``."""
        return self.spec.categories[self.top + layer]

    @cached_property
    def layer_of(self) -> dict[str, int]:
        return {item: i for i, items in enumerate(self.layers) for item in items}

    @cached_property
    def kids(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for a, b in self.edges:
            out.setdefault(a, []).append(b)
        return {k: tuple(v) for k, v in out.items()}

    def with_edges(self, edges: tuple[tuple[str, str], ...]) -> Design:
        """The same items with only ``edges`` kept."""
        return Design(self.spec, self.top, self.layers, edges)


def sample_design(
    rng: random.Random,
    names: NameStyle = "full",
    *,
    min_edges: int = 3,
    max_edges: int = 20,
    max_width: int = 4,
) -> Design:
    """Draw a hierarchy, 2-4 consecutive layers of 2-``max_width`` items, and edges.

    Every item below the top has at least one owner; extra edges are added at random up to
    a drawn total in ``[min_edges, max_edges]`` (fewer when the layers cannot hold more).
    """
    spec = SHORT_HIERARCHY if names == "short" else rng.choice(FULL_HIERARCHIES)
    depth = rng.choice((2, 3, 4))
    top = rng.randrange(0, 4 - depth + 1)
    layers = tuple(
        tuple(rng.sample(spec.items[top + i], rng.randint(2, max_width))) for i in range(depth)
    )
    pairs = [(a, b) for i in range(depth - 1) for a in layers[i] for b in layers[i + 1]]
    want = min(rng.randint(min_edges, max_edges), len(pairs))
    chosen: dict[tuple[str, str], None] = {}
    for i in range(depth - 1):
        for b in layers[i + 1]:
            chosen[(rng.choice(layers[i]), b)] = None
    rest = [p for p in pairs if p not in chosen]
    rng.shuffle(rest)
    for p in rest[: max(0, want - len(chosen))]:
        chosen[p] = None
    order = {p: k for k, p in enumerate(pairs)}
    return Design(spec, top, layers, tuple(sorted(chosen, key=order.__getitem__)))
