"""The item hierarchy behind an iGSM problem, inferred from the problem text.

iGSM problems live on a layered *structure graph*: items of one category (``Erewhon Market``,
a supermarket) own items of the next category (``Beer``, a product), and so on down to at
most four layers. Every edge ``A -> B`` is an *instance parameter* ``"A's B"`` and every edge
is defined by exactly one problem sentence, so the defined parameters *are* the edges.
*Abstract parameters* ``"A's C"`` name a category ``C`` below ``A`` ("Erewhon Market's
Product") and are never defined by a sentence; their value follows from the edges.

What the text tells, and what it cannot:

* the split of a name ``"X's Y"`` into owner and item is ambiguous when a name holds an
  apostrophe ("Sam's Club's Cheddar Cheese"); :func:`split_params` settles it with evidence
  from the other names of the problem (see there) and is exact on the whole corpus;
* the *relative* layers of items follow from the edges, per connected component of the
  edge graph; how components line up with each other is not stated anywhere;
* which layer a category names is **not** stated: only that it lies below every item it is
  asked of. :mod:`errsynth.igsm.levels` completes it from a vocabulary or the solution;
* the paper's vocabulary reuses a few names on two layers ("Popcorn" is a product and an
  ingredient, hence "Popcorn's Popcorn"); when the edges contradict one item per name, the
  name is spread over two nodes, and the rare ties are broken by the solution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from errsynth.igsm.errors import IgsmParseError
from errsynth.igsm.names import LayerLookup, candidate_splits, split_params
from errsynth.igsm.sentences import Problem

__all__ = [
    "NODE_SEP",
    "Hierarchy",
    "LayerLookup",
    "build_hierarchies",
    "build_hierarchy",
    "candidate_splits",
    "node_name",
    "split_params",
]

#: Separates a name from its copy number in a node id ("Popcorn\x1f1").
NODE_SEP = "\x1f"


def node_name(node: str) -> str:
    """The item name a node id stands for."""
    return node.split(NODE_SEP, 1)[0]


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Items, edges and layers of one problem's structure graph.

    Items are *nodes*: usually just the item name, but the paper's vocabulary reuses a few
    names on two layers ("Popcorn" is a product and an ingredient: "Popcorn's Popcorn"),
    and then the name gets one node per layer, the extra ones with ids ``name + NODE_SEP +
    copy``. Use :meth:`param` to turn nodes back into a parameter name.
    """

    parts: dict[str, tuple[str, str]]  # mentioned parameter -> (owner node, item node/category)
    instance: frozenset[str]  # defined parameters = edges of the structure graph
    children: dict[str, tuple[str, ...]]  # owner node -> child nodes, in sentence order
    component: dict[str, int]  # node -> connected component of the edge graph
    layer: dict[str, int]  # node -> layer; top of its component is 0 unless `absolute`
    categories: frozenset[str]  # names used only as the item of abstract parameters
    absolute: bool  # layers come from a vocabulary and are comparable across components
    nodes_by_name: dict[str, tuple[str, ...]]  # name -> its nodes, top layer first

    @staticmethod
    def param(owner: str, item: str) -> str:
        """The parameter name ``"owner's item"`` for nodes (or a category)."""
        return f"{node_name(owner)}'s {node_name(item)}"

    def owner_node(self, name: str) -> str:
        """The node an abstract parameter's owner ``name`` stands for: the one with children
        when only one copy has any, else the topmost (the name itself when unknown)."""
        nodes = self.nodes_by_name.get(name)
        if not nodes:
            return name
        if len(nodes) > 1:
            with_kids = [n for n in nodes if n in self.children]
            if len(with_kids) == 1:
                return with_kids[0]
        return nodes[0]

    def split(self, param: str) -> tuple[str, str]:
        """``(owner node, item)`` of any parameter, mentioned in the problem or not."""
        got = self.parts.get(param)
        if got is not None:
            return got
        cands = candidate_splits(param)
        for owner, item in reversed(cands):
            if owner in self.nodes_by_name:
                return self.owner_node(owner), item
        return cands[-1]

    def is_abstract(self, param: str) -> bool:
        """True for ``"A's C"`` with ``C`` a category name (never defined by a sentence)."""
        if param in self.instance:
            return False
        return self.split(param)[1] in self.categories

    def kids(self, node: str) -> tuple[str, ...]:
        """Child nodes of ``node`` (empty when it owns no edge)."""
        return self.children.get(node, ())


def _layers(
    nodes: Iterable[str], edges: list[tuple[str, str]]
) -> tuple[dict[str, int], dict[str, int], int] | None:
    """Relative layers and components of the edge graph; None on a contradiction."""
    adj: dict[str, list[tuple[str, int]]] = {}
    for a, b in edges:
        adj.setdefault(a, []).append((b, 1))
        adj.setdefault(b, []).append((a, -1))
    layer: dict[str, int] = {}
    component: dict[str, int] = {}
    comp = 0
    span = 0
    for start in nodes:
        if start in layer:
            continue
        layer[start] = 0
        component[start] = comp
        members = [start]
        stack = [start]
        while stack:
            x = stack.pop()
            for y, d in adj.get(x, ()):
                want = layer[x] + d
                if y in layer:
                    if layer[y] != want:
                        return None
                    continue
                layer[y] = want
                component[y] = comp
                members.append(y)
                stack.append(y)
        top = min(layer[m] for m in members)
        for m in members:
            layer[m] -= top
        span = max(span, max(layer[m] for m in members))
        comp += 1
    return layer, component, span


Occurrence = tuple[str, int]  # (defined parameter, 0 = owner / 1 = item)


def _spread_one_name(
    name_parts: dict[str, tuple[str, str]],
    instance: Iterable[str],
    nodes: list[str],
    max_layers: int,
    keep: int = 16,
) -> list[dict[Occurrence, str]]:
    """Ways to spread one name over two nodes that make the edges consistent, best first.

    The first name (in the order below) that admits any way is used. Ways are ranked by,
    in order: its owner occurrences on one node (in the paper's vocabulary the lower copy
    is a bottom-layer ingredient that owns nothing), the fewest connected components (the
    most structure explained), the fewest layers, then enumeration order. Names that occur
    as both halves of one parameter ("Popcorn's Popcorn") are tried first, then the most
    frequent. The text alone cannot always tell the ways apart; the solution can (see
    :func:`errsynth.igsm.structure.resolve_structure`).
    """
    instance = list(instance)
    edges = [name_parts[p] for p in instance]
    occurrences: dict[str, list[Occurrence]] = {}
    for p in instance:
        for role in (0, 1):
            occurrences.setdefault(name_parts[p][role], []).append((p, role))
    order = sorted(
        occurrences,
        key=lambda n: (not any(a == b == n for a, b in edges), -len(occurrences[n]), n),
    )
    for name in order:
        occ = occurrences[name]
        if len(occ) < 2 or len(occ) > 16:
            continue
        twin = name + NODE_SEP + "1"
        ranked: list[tuple[tuple[int, int, int, int], dict[Occurrence, str]]] = []
        for mask in range(1, 1 << (len(occ) - 1)):
            node_of = {o: (twin if mask >> i & 1 else name) for i, o in enumerate(occ[1:])}
            node_of[occ[0]] = name
            node_edges = [
                (node_of.get((p, 0), name_parts[p][0]), node_of.get((p, 1), name_parts[p][1]))
                for p in instance
            ]
            got = _layers([*nodes, twin], node_edges)
            if got is None or got[2] >= max_layers:
                continue
            owners = {node_of[o] for o in occ if o[1] == 0}
            ranked.append(((len(owners), len(set(got[1].values())), got[2], mask), node_of))
        if ranked:
            ranked.sort(key=lambda x: x[0])
            return [m for _, m in ranked[:keep]]
    return []


def build_hierarchy(
    problem: Problem, lookup: LayerLookup | None = None, max_layers: int = 4
) -> Hierarchy:
    """The most likely hierarchy of ``problem`` (the first of :func:`build_hierarchies`)."""
    return build_hierarchies(problem, lookup, max_layers)[0]


def build_hierarchies(
    problem: Problem, lookup: LayerLookup | None = None, max_layers: int = 4
) -> list[Hierarchy]:
    """Readings of ``problem``'s hierarchy, most likely first (almost always exactly one).

    With a vocabulary ``lookup`` that knows every item name, layers are absolute (0 = the
    top category of the vocabulary) and checked against the edges; otherwise they are
    relative to the top of each connected component. When the edges contradict one item per
    name (a cycle of unequal lengths, or more than ``max_layers`` layers), one name is spread
    over two nodes (see :func:`_spread_one_name`), which may leave several readings.
    """
    instance = frozenset(problem.params)
    name_parts = split_params(
        problem.mentioned, {problem.query: problem.query_parts}, lookup, instance
    )
    names: dict[str, None] = {}
    for p in problem.mentioned:
        owner, item = name_parts[p]
        names[owner] = None
        if p in instance:
            names[item] = None
    categories = frozenset(name_parts[p][1] for p in problem.mentioned if p not in instance)
    categories -= set(names)
    # A referenced but undefined "A's B" with B an item would be an edge missing from the
    # problem; the iGSM generator never writes one, and nothing could give it a value.
    for p in problem.mentioned:
        if p not in instance and name_parts[p][1] in names:
            raise IgsmParseError(f"{p!r} is referenced but never defined")
    node_list = list(names)
    got = _layers(node_list, [name_parts[p] for p in problem.params])
    if got is not None and got[2] < max_layers:
        readings = [_reading(problem, name_parts, node_list, got, categories)]
    else:
        readings = []
        for spread in _spread_one_name(name_parts, problem.params, node_list, max_layers):
            parts = dict(name_parts)
            for (p, role), node in spread.items():
                pair = list(parts[p])
                pair[role] = node
                parts[p] = (pair[0], pair[1])
            nodes = [*node_list, *{n for n in spread.values() if NODE_SEP in n}]
            layered = _layers(nodes, [parts[p] for p in problem.params])
            assert layered is not None
            readings.append(_reading(problem, parts, nodes, layered, categories))
        if not readings:
            raise IgsmParseError("the problem's edges fit no hierarchy of items")
    if lookup is not None:
        readings = [_with_vocabulary(h, lookup, problem) for h in readings]
    return readings


def _reading(
    problem: Problem,
    parts: dict[str, tuple[str, str]],
    nodes: list[str],
    layered: tuple[dict[str, int], dict[str, int], int],
    categories: frozenset[str],
) -> Hierarchy:
    layer, component, _ = layered
    by_name: dict[str, list[str]] = {}
    for n in sorted(nodes, key=lambda n: layer[n]):
        by_name.setdefault(node_name(n), []).append(n)
    children: dict[str, list[str]] = {}
    for p in problem.params:
        owner, item = parts[p]
        children.setdefault(owner, []).append(item)
    parts = dict(parts)
    h = Hierarchy(
        parts=parts,
        instance=frozenset(problem.params),
        children={k: tuple(v) for k, v in children.items()},
        component=component,
        layer=layer,
        categories=categories,
        absolute=False,
        nodes_by_name={k: tuple(v) for k, v in by_name.items()},
    )
    for p in problem.mentioned:  # abstract owners of a spread name: pick their node
        if p not in h.instance:
            owner, cat = parts[p]
            parts[p] = (h.owner_node(node_name(owner)), cat)
    return h


def _with_vocabulary(h: Hierarchy, lookup: LayerLookup, problem: Problem) -> Hierarchy:
    """Switch to absolute layers when the vocabulary knows every name of the problem."""
    known = {n: lookup(node_name(n)) for n in h.layer}
    if any(v is None for v in known.values()) or any(lookup(c) is None for c in h.categories):
        return h
    for p in problem.params:
        a, b = h.parts[p]
        if known[b] != known[a] + 1:  # type: ignore[operator]
            raise IgsmParseError(f"edge {p!r} skips a layer of the vocabulary")
    return Hierarchy(
        parts=h.parts,
        instance=h.instance,
        children=h.children,
        component=h.component,
        layer={n: v for n, v in known.items() if v is not None},
        categories=h.categories,
        absolute=True,
        nodes_by_name=h.nodes_by_name,
    )
