"""Fast identity test for equations with variables: evaluate both sides at fixed points.

Two rational functions that agree at several generic rational points are equal (a
nonzero polynomial vanishes on few points; Schwartz–Zippel). Exact rational evaluation
at three points costs microseconds where ``sympy.expand``/``cancel`` can take a second,
so this runs first, and SymPy is asked only when a side is not rational at the points
(surds of variables, π).
"""

from __future__ import annotations

from fractions import Fraction

from .budget import Budget
from .errors import EvalError
from .exact import NeedSymbolic, walk_exact
from .nodes import NAME, NUM, Node, children

# Generic points: ratios of distinct primes, so no variable gets 0, ±1 or a small
# integer that special-cases a formula.
_VALUES = (
    Fraction(13, 7),
    Fraction(-29, 11),
    Fraction(47, 17),
    Fraction(-61, 23),
    Fraction(83, 31),
    Fraction(-101, 37),
    Fraction(127, 41),
    Fraction(-151, 43),
)
_TRIALS = 3


def variables(node: Node) -> set[str]:
    """Names of the variables in a tree (iterative: trees can be wide)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if item[0] == NAME:
            names.add(item[1])
        else:
            stack.extend(children(item))
    return names


def substitute(node: Node, env: dict[str, Fraction]) -> Node:
    """``node`` with each variable replaced by a number literal from ``env``."""
    tag = node[0]
    if tag == NAME:
        value = env[node[1]]
        return (NUM, value, str(value))
    if tag == NUM or len(node) == 1:
        return node
    return tuple(part if isinstance(part, str) else substitute(part, env) for part in node)


def agree_at_points(left: Node, right: Node, budget: Budget) -> bool | None:
    """True: equal at every usable point (at least two); False: a point tells them apart.

    None when no verdict: a side is irrational at the points, or too few points are in
    both sides' domains (a division by zero there, say).
    """
    names = sorted(variables(left) | variables(right))
    usable = 0
    for trial in range(_TRIALS):
        env = {name: _VALUES[(trial * 3 + k) % len(_VALUES)] for k, name in enumerate(names)}
        try:
            a = walk_exact(substitute(left, env), budget)
            b = walk_exact(substitute(right, env), budget)
        except NeedSymbolic:
            return None
        except EvalError as err:
            if err.reason == "budget":
                raise
            continue
        if a != b:
            return False
        usable += 1
    return True if usable >= 2 else None
