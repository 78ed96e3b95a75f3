"""Write problems and solutions in the exact text format of the paper's iGSM corpus."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence

from errsynth.igsm.formula import Formula
from errsynth.igsm.sentences import ParamDef, render_question, render_sentence

__all__ = ["LETTERS", "render_problem", "render_solution", "render_step"]

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

Term = tuple[str, int]  # (symbol: variable letter or literal, value)


def render_problem(
    definitions: Sequence[Formula], query: tuple[str, str], rng: random.Random
) -> str:
    """Definition sentences in random order, then the question about ``query``."""
    sentences = [
        render_sentence(ParamDef(f.param, f.kind, f.number, f.refs, ""))  # type: ignore[arg-type]
        for f in definitions
    ]
    rng.shuffle(sentences)
    sentences.append(render_question(*query))
    return " ".join(sentences)


class _Ops:
    """Collects the assignments of one step."""

    def __init__(self, fresh: Callable[[], str], modulus: int) -> None:
        self.fresh = fresh
        self.modulus = modulus
        self.lines: list[str] = []

    def emit(self, target: str | None, a: Term, op: str, b: Term) -> Term:
        if op == "+":
            v = a[1] + b[1]
        elif op == "-":
            v = a[1] - b[1]
        else:
            v = a[1] * b[1]
        v %= self.modulus
        name = target or self.fresh()
        self.lines.append(f"{name} = {a[0]} {op} {b[0]} = {a[1]} {op} {b[1]} = {v}")
        return (name, v)

    def fold(self, target: str | None, terms: Sequence[Term], op: str) -> Term:
        """``t0 op t1 op ...`` left to right; intermediates get fresh letters."""
        acc = terms[0]
        for i, t in enumerate(terms[1:], start=2):
            acc = self.emit(target if i == len(terms) else None, acc, op, t)
        return acc


def render_step(
    formula: Formula,
    var: str,
    term_of: Mapping[str, Term],
    fresh: Callable[[], str],
    modulus: int,
) -> str:
    """One ``Define P as v; ...; so v = ... .`` step; ``term_of`` maps earlier parameters
    to ``(letter, value)`` and ``fresh`` hands out unused letters for intermediates."""
    k = formula.kind
    ops = _Ops(fresh, modulus)
    refs = [term_of[r] for r in formula.refs]
    if k == "constant":
        ops.lines.append(f"{var} = {formula.number}")
    elif not refs:  # an abstract parameter over an owner without children
        ops.lines.append(f"{var} = 0")
    elif k == "abstract_product":
        products: list[Term] = []
        pairs = list(zip(refs[0::2], refs[1::2], strict=True))
        for i, (a, b) in enumerate(pairs):
            last = i == len(pairs) - 1
            single = len(pairs) == 1
            products.append(ops.emit(var if single else None, a, "*", b))
            if len(products) == 2:
                products = [ops.emit(var if last else None, products[0], "+", products[1])]
    elif len(refs) == 1 and k in ("copy", "abstract_sum", "sum"):
        ops.lines.append(f"{var} = {refs[0][0]} = {refs[0][1]}")
    elif k in ("sum", "abstract_sum"):
        ops.fold(var, refs, "+")
    elif k == "diff":
        ops.emit(var, refs[0], "-", refs[1])
    else:  # times, plus and their _sum / _diff forms
        assert formula.number is not None
        inner = refs[0]
        if k.endswith("_sum"):
            inner = ops.fold(None, refs, "+")
        elif k.endswith("_diff"):
            inner = ops.emit(None, refs[0], "-", refs[1])
        lit = (str(formula.number), formula.number)
        ops.emit(var, lit, "*" if k.startswith("times") else "+", inner)
    body = "; ".join([*ops.lines[:-1], "so " + ops.lines[-1]])
    return f"Define {formula.param} as {var}; {body}."


def render_solution(
    order: Sequence[str],
    formulas: Mapping[str, Formula],
    values: Mapping[str, int],
    rng: random.Random,
    modulus: int,
) -> str:
    """Steps for ``order`` with distinct random letters for variables and intermediates."""
    letters = list(LETTERS)
    rng.shuffle(letters)
    it = iter(letters)

    def fresh() -> str:
        try:
            return next(it)
        except StopIteration:
            raise ValueError("solution needs more than 52 variable letters") from None

    term_of: dict[str, Term] = {}
    steps: list[str] = []
    for p in order:
        var = fresh()
        steps.append(render_step(formulas[p], var, term_of, fresh, modulus))
        term_of[p] = (var, values[p])
    return " ".join(steps)
