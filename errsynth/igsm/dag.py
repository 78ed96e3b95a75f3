"""Random dependency DAGs over a structure graph: what each instance parameter equals.

Instance parameters (edges) are defined in a random order; each one is either a constant
or an expression over parameters that are already computable at that point: earlier
instance parameters, and abstract parameters whose whole subtree of edges is already
defined. Defining in order makes the graph acyclic by construction, including the hidden
dependencies of abstract parameters on the hierarchy.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from errsynth.igsm.design import Design
from errsynth.igsm.formula import Formula, FormulaKind, step_arith_ops

__all__ = [
    "Plan",
    "abstract_formulas",
    "closure",
    "evaluate",
    "op_counts",
    "param_name",
    "param_parts",
    "plan_formulas",
    "topological_order",
]

# (kind, min refs, max refs, weight): roughly the mix of the paper's med corpus.
_EXPR_KINDS: tuple[tuple[FormulaKind, int, int, float], ...] = (
    ("copy", 1, 1, 0.35),
    ("times", 1, 1, 0.14),
    ("plus", 1, 1, 0.14),
    ("sum", 2, 4, 0.15),
    ("diff", 2, 2, 0.06),
    ("times_sum", 2, 3, 0.055),
    ("plus_sum", 2, 3, 0.055),
    ("times_diff", 2, 2, 0.027),
    ("plus_diff", 2, 2, 0.027),
)


def param_name(owner: str, item: str) -> str:
    """``"owner's item"``."""
    return f"{owner}'s {item}"


@dataclass(frozen=True)
class Plan:
    """Formulas of every parameter of a design (instance ones in definition order)."""

    design: Design
    formulas: dict[str, Formula]
    instance: tuple[str, ...]  # instance parameters in definition order


def abstract_formulas(design: Design) -> dict[str, Formula]:
    """``"A's C"`` for every item A and every category C of a lower structure layer."""
    out: dict[str, Formula] = {}
    depth = len(design.layers)
    for i, items in enumerate(design.layers):
        for a in items:
            kids = design.kids.get(a, ())
            for j in range(i + 1, depth):
                cat = design.category(j)
                name = param_name(a, cat)
                if j == i + 1:
                    refs = tuple(param_name(a, b) for b in kids)
                    out[name] = Formula(name, "abstract_sum", None, refs)
                else:
                    pairs: list[str] = []
                    for b in kids:
                        pairs += (param_name(a, b), param_name(b, cat))
                    out[name] = Formula(name, "abstract_product", None, tuple(pairs))
    return out


def param_parts(design: Design) -> dict[str, tuple[str, str]]:
    """``(owner, item or category)`` of every parameter of ``design``; names may hold
    apostrophes, so a parameter name is never split back by hand."""
    out = {param_name(a, b): (a, b) for a, b in design.edges}
    for i, items in enumerate(design.layers):
        for a in items:
            for j in range(i + 1, len(design.layers)):
                out[param_name(a, design.category(j))] = (a, design.category(j))
    return out


def _edge_needs(abstract: Mapping[str, Formula], instance: set[str]) -> dict[str, frozenset[str]]:
    """Instance parameters each abstract parameter transitively reads."""
    memo: dict[str, frozenset[str]] = {}

    def need(p: str) -> frozenset[str]:
        got = memo.get(p)
        if got is None:
            acc: set[str] = set()
            for r in abstract[p].refs:
                if r in instance:
                    acc.add(r)
                else:
                    acc |= need(r)
            got = memo[p] = frozenset(acc)
        return got

    return {p: need(p) for p in abstract}


def plan_formulas(rng: random.Random, design: Design, modulus: int, p_constant: float) -> Plan:
    """Define every edge of ``design`` (random order) and add the abstract parameters."""
    order = [param_name(a, b) for a, b in design.edges]
    rng.shuffle(order)
    abstract = abstract_formulas(design)
    needs = _edge_needs(abstract, set(order))
    pending = dict(needs)
    available: list[str] = []
    defined: set[str] = set()
    formulas: dict[str, Formula] = {}
    for p in order:
        for a, need in list(pending.items()):
            if need <= defined:
                available.append(a)
                del pending[a]
        formulas[p] = _draw_formula(rng, p, available, modulus, p_constant)
        defined.add(p)
        available.append(p)
    formulas.update(abstract)
    return Plan(design, formulas, tuple(order))


def _draw_formula(
    rng: random.Random, name: str, available: list[str], modulus: int, p_constant: float
) -> Formula:
    if not available or rng.random() < p_constant:
        return Formula(name, "constant", rng.randrange(modulus), ())
    kinds = [k for k in _EXPR_KINDS if k[1] <= len(available)]
    kind, lo, hi, _ = rng.choices(kinds, weights=[k[3] for k in kinds])[0]
    refs = tuple(rng.sample(available, rng.randint(lo, min(hi, len(available)))))
    number: int | None = None
    if kind.startswith("times"):
        number = rng.randrange(1, modulus)
    elif kind.startswith("plus"):
        number = rng.randrange(modulus)
    return Formula(name, kind, number, refs)


def closure(formulas: Mapping[str, Formula], roots: Iterable[str]) -> set[str]:
    """``roots`` and everything they transitively read."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(formulas[p].refs)
    return seen


def op_counts(formulas: Mapping[str, Formula]) -> dict[str, int]:
    """The paper's op count of answering each parameter (sum of step ops over its closure)."""
    memo: dict[str, frozenset[str]] = {}

    def clos(p: str) -> frozenset[str]:
        got = memo.get(p)
        if got is None:
            acc = {p}
            for r in formulas[p].deps:
                acc |= clos(r)
            got = memo[p] = frozenset(acc)
        return got

    weight = {p: step_arith_ops(f) for p, f in formulas.items()}
    return {p: sum(weight[x] for x in clos(p)) for p in formulas}


def evaluate(
    formulas: Mapping[str, Formula], targets: Iterable[str], modulus: int
) -> dict[str, int]:
    """Values of ``targets`` and everything they read, mod ``modulus``."""
    memo: dict[str, int] = {}

    def value(p: str) -> int:
        got = memo.get(p)
        if got is None:
            got = memo[p] = formulas[p].apply(value, modulus)
        return got

    for t in targets:
        value(t)
    return memo


def topological_order(
    rng: random.Random, formulas: Mapping[str, Formula], params: Iterable[str]
) -> list[str]:
    """A random topological order of ``params`` (dependencies first)."""
    params = set(params)
    waiting = {p: {d for d in formulas[p].deps if d in params} for p in params}
    users: dict[str, list[str]] = {p: [] for p in params}
    for p, ds in waiting.items():
        for d in ds:
            users[d].append(p)
    ready = sorted(p for p, ds in waiting.items() if not ds)
    out: list[str] = []
    while ready:
        p = ready.pop(rng.randrange(len(ready)))
        out.append(p)
        for u in sorted(users[p]):
            waiting[u].discard(p)
            if not waiting[u]:
                ready.append(u)
    if len(out) != len(params):
        raise ValueError("dependency cycle")
    return out
