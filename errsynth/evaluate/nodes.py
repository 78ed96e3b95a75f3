"""The expression tree: plain immutable tuples, tag first.

Tuples are used instead of dataclasses because building and walking them is several
times faster, and the hot path (GSM8K calculator annotations) parses tens of thousands of
expressions per second. Shapes:

``("num", value, text)``
    A number literal. ``value`` is an ``int`` or a ``Fraction`` (never a float);
    ``text`` is the literal as written (``"1,200"``, ``"0.50"``, ``"1e3"``).
``("name", letter)``
    A variable; only produced when symbols are allowed or a name is read.
``("pi",)``
    The constant π.
``("neg", x)`` / ``("pos", x)``
    Unary minus / plus.
``("pct", x)``
    Postfix percent: ``x / 100``.
``("sum", t0, op1, t1, op2, t2, ...)``
    A left-to-right chain of ``"+"``/``"-"``. Chains are flat so a long sum does not
    make a deep tree (tree depth stays bounded by the parser's nesting limit).
``("prod", f0, op1, f1, ...)``
    A chain of ``"*"``, ``"/"`` and ``"//"`` (floor division, plain syntax only).
    LaTeX ``\\frac{a}{b}`` becomes ``("prod", a, "/", b)``.
``("pow", base, exponent)``
    ``**`` or ``^``; right-associative, so ``2^3^2`` is ``("pow", 2, ("pow", 3, 2))``.
``("sqrt", x)`` / ``("root", n, x)``
    Square root / ``n``-th root (``\\sqrt[n]{x}``).
``("fact", x)`` / ``("binom", n, k)``
    Factorial ``x!`` / binomial coefficient ``\\binom{n}{k}`` (non-negative integers).

Parentheses are not kept; the tree is for evaluation, not for re-rendering.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypeAlias

from .errors import EvalError, Limits

Node: TypeAlias = tuple[Any, ...]

NUM = "num"
NAME = "name"
PI = "pi"
NEG = "neg"
POS = "pos"
PCT = "pct"
SUM = "sum"
PROD = "prod"
POW = "pow"
SQRT = "sqrt"
ROOT = "root"
FACT = "fact"
BINOM = "binom"

#: Tags whose children are all at positions 1.. (chains hold operator strings at even slots).
_CHAINS = frozenset({SUM, PROD})
_UNARY = frozenset({NEG, POS, PCT, SQRT, FACT})
_BINARY = frozenset({POW, ROOT, BINOM})
_LEAVES = frozenset({NUM, NAME, PI})
_CHAIN_OPS = {SUM: frozenset({"+", "-"}), PROD: frozenset({"*", "/", "//"})}


def children(node: Node) -> tuple[Node, ...]:
    """The sub-trees of ``node`` (operator strings of chains left out)."""
    tag = node[0]
    if tag in _CHAINS:
        return node[1::2]
    if tag in _UNARY or tag in _BINARY:
        return node[1:]
    return ()


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


def validate_tree(node: object, limits: Limits) -> None:
    """Check a tree built outside the parser: shape, size and depth, without recursion.

    ``evaluate`` walks trees recursively, so a hand-built tree must be proved shallow
    and small before the walk starts.
    """
    stack: list[tuple[object, int]] = [(node, 1)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise EvalError("too_big", f"tree has more than {limits.max_nodes} nodes")
        if depth > limits.max_depth:
            raise EvalError("too_deep", f"tree deeper than {limits.max_depth}")
        if not isinstance(item, tuple) or not item or not isinstance(item[0], str):
            raise EvalError("syntax", "malformed tree node")
        _check_shape(item)
        stack.extend((child, depth + 1) for child in children(item))


def _check_shape(node: Node) -> None:
    tag = node[0]
    size = len(node)
    if tag == NUM:
        ok = size == 3 and type(node[1]) in (int, Fraction) and isinstance(node[2], str)
    elif tag == NAME:
        ok = size == 2 and isinstance(node[1], str)
    elif tag == PI:
        ok = size == 1
    elif tag in _UNARY:
        ok = size == 2
    elif tag in _BINARY:
        ok = size == 3
    elif tag in _CHAINS:
        allowed = _CHAIN_OPS[tag]
        ok = size >= 3 and size % 2 == 0 and all(op in allowed for op in node[2::2])
    else:
        ok = False
    if not ok:
        raise EvalError("syntax", f"malformed {tag!r} node")


def literal_decimals(node: Node) -> int | None:
    """Decimal places claimed by a bare (optionally signed or percent) number literal.

    ``"3.30"`` → 2, ``"-7"`` → 0, ``"12.5%"`` → 3 (a percent is a hundredth, so it adds
    two places). ``None`` when ``node`` is not such a literal, e.g. ``1/3`` or ``1e3``.
    """
    extra = 0
    while node[0] in (NEG, POS, PCT):
        if node[0] == PCT:
            extra += 2
        node = node[1]
    if node[0] != NUM:
        return None
    text: str = node[2]
    if "e" in text or "E" in text:
        return None
    dot = text.find(".")
    return extra + (0 if dot < 0 else len(text) - dot - 1)
