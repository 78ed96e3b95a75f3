"""Our own iGSM-style generator (after Physics of Language Models 2.1/2.2).

One row, from ``(seed, index)`` alone so that rows are reproducible one by one:

1. draw the target op count ``k`` from P(k) ∝ 2 (max_ops - k) + 1;
2. draw a structure graph (:mod:`~errsynth.igsm.design`) and a dependency DAG over its
   edges (:mod:`~errsynth.igsm.dag`); every parameter, abstract ones included, gets an op
   count; pick the query among the parameters whose count is exactly ``k`` (redraw the
   graph when there is none);
3. keep the edges the query needs plus distractors (all other edges by default, as in the
   paper, or a given number of them chosen so that every kept sentence only refers to kept
   or abstract parameters);
4. write the definition sentences in random order, the question, and the solution: the
   needed parameters in a random topological order, with distinct random letters.

``op`` counts like the corpus: each solution step counts its binary ``+ - *`` operations,
at least 1 (a constant, a copy, or an abstract sum over no children counts 1), summed over
the steps. This equals the corpus ``op`` column on every corpus row. The paper's P(op)
targets this count, which is what ``max_ops`` bounds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from errsynth.igsm.dag import (
    abstract_formulas,
    closure,
    evaluate,
    op_counts,
    param_name,
    param_parts,
    plan_formulas,
    topological_order,
)
from errsynth.igsm.design import Design, NameStyle, sample_design
from errsynth.igsm.formula import Formula
from errsynth.igsm.opdist import sample_op
from errsynth.igsm.render import render_problem, render_solution

__all__ = ["GeneratorConfig", "generate", "generate_row"]

_MAX_ATTEMPTS = 5000


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Knobs of :func:`generate_row`; the defaults follow the paper's med setting."""

    max_ops: int = 15
    names: NameStyle = "full"
    distractors: int | None = None  # None: keep every edge of the structure graph
    modulus: int = 23
    max_edges: int = 20
    max_width: int = 4
    p_constant: float = 0.3

    def __post_init__(self) -> None:
        if not 1 <= self.max_ops <= 52:  # each op may need its own letter; there are 52
            raise ValueError("max_ops must be in 1..52")
        if self.names not in ("full", "short"):
            raise ValueError("names must be 'full' or 'short'")
        if self.distractors is not None and self.distractors < 0:
            raise ValueError("distractors must be >= 0")
        if self.modulus < 2:
            raise ValueError("modulus must be >= 2")


@dataclass(frozen=True)
class _Draft:
    design: Design
    formulas: dict[str, Formula]
    query: str


def _draft(rng: random.Random, cfg: GeneratorConfig, k: int) -> _Draft | None:
    design = sample_design(
        rng,
        cfg.names,
        min_edges=min(cfg.max_edges, 3 + k // 2),
        max_edges=cfg.max_edges,
        max_width=cfg.max_width,
    )
    plan = plan_formulas(rng, design, cfg.modulus, cfg.p_constant)
    ops = op_counts(plan.formulas)
    hits = sorted(p for p, n in ops.items() if n == k)
    if cfg.distractors == 0:  # the problem must still say something: need one edge
        edges = set(plan.instance)
        hits = [p for p in hits if closure(plan.formulas, [p]) & edges]
    if not hits:
        return None
    return _Draft(design, plan.formulas, rng.choice(hits))


def _keep_edges(
    rng: random.Random, draft: _Draft, needed: set[str], distractors: int | None
) -> tuple[tuple[str, str], ...]:
    """Edges to state: all of them, or the needed ones plus ``distractors`` others, each of
    which only refers to kept edges or to abstract parameters (whose value then follows
    from the kept edges). Needed abstract parameters keep their meaning: all their edges
    are needed too."""
    edge_names = {param_name(a, b): (a, b) for a, b in draft.design.edges}
    if distractors is None:
        return draft.design.edges
    kept = {p for p in needed if p in edge_names}
    pool = sorted(p for p in edge_names if p not in kept)
    for _ in range(distractors):
        ok = [
            p
            for p in pool
            if p not in kept
            and all(r in kept or r not in edge_names for r in draft.formulas[p].refs)
        ]
        if not ok:
            break
        kept.add(rng.choice(ok))
    return tuple(e for p, e in edge_names.items() if p in kept)


def _final_formulas(draft: _Draft, design: Design) -> dict[str, Formula]:
    """Instance formulas of the kept edges plus abstract formulas over the kept edges."""
    kept = {param_name(a, b) for a, b in design.edges}
    out = {p: f for p, f in draft.formulas.items() if p in kept}
    out.update(abstract_formulas(design))
    return out


def generate_row(seed: int, index: int, config: GeneratorConfig | None = None) -> dict[str, object]:
    """One row (``problem``, ``solution``, ``answer``, ``op``, settings); deterministic in
    ``(seed, index, config)``."""
    cfg = config or GeneratorConfig()
    rng = random.Random(f"errsynth-igsm:{seed}:{index}")
    k = sample_op(rng, cfg.max_ops)
    draft = None
    for _ in range(_MAX_ATTEMPTS):
        draft = _draft(rng, cfg, k)
        if draft is not None:
            break
    if draft is None:
        raise RuntimeError(f"no structure with op = {k} after {_MAX_ATTEMPTS} draws")
    needed = closure(draft.formulas, [draft.query])
    design = draft.design.with_edges(_keep_edges(rng, draft, needed, cfg.distractors))
    formulas = _final_formulas(draft, design)
    op = op_counts({p: formulas[p] for p in closure(formulas, [draft.query])})[draft.query]
    assert op == k, (op, k)
    values = evaluate(
        formulas, [*(param_name(a, b) for a, b in design.edges), draft.query], cfg.modulus
    )
    definitions = [formulas[param_name(a, b)] for a, b in design.edges]
    problem = render_problem(definitions, param_parts(design)[draft.query], rng)
    order = topological_order(rng, formulas, needed)
    solution = render_solution(order, formulas, values, rng, cfg.modulus)
    n_distractors = sum(1 for f in definitions if f.param not in needed)
    return {
        "problem": problem,
        "solution": solution,
        "answer": str(values[draft.query]),
        "op": op,
        "difficulty": f"max_ops={cfg.max_ops}",
        "seed": seed,
        "index": index,
        "names": cfg.names,
        "max_ops": cfg.max_ops,
        "n_distractors": n_distractors,
        "hierarchy": design.spec.name,
        "modulus": cfg.modulus,
    }


def generate(
    n: int,
    max_ops: int = 15,
    seed: int = 0,
    *,
    names: NameStyle = "full",
    distractors: int | None = None,
    modulus: int = 23,
    start: int = 0,
) -> Iterator[dict[str, object]]:
    """Rows ``start .. start + n - 1`` of the stream for ``seed`` (see :func:`generate_row`)."""
    cfg = GeneratorConfig(max_ops=max_ops, names=names, distractors=distractors, modulus=modulus)
    for i in range(start, start + n):
        yield generate_row(seed, i, cfg)
