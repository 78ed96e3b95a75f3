"""Parser for plain-text arithmetic: calculator annotations and prose equations.

Grammar (Python precedence, with a few prose spellings)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/" | "//" | "x" | implicit) unary)*
    unary   := ("-" | "+") unary | power
    power   := postfix (("^" | "**") unary)?          # right-associative
    postfix := primary ("%" | "!")*                    # percent (divide by 100), factorial
    primary := NUMBER | "(" expr ")" | "sqrt" "(" expr ")" | "pi" | NAME

``x``/``X`` is multiplication after an operand when spaces surround it (``12 x -3``) or
a number or ``(`` follows it (``12x4``), otherwise a variable (``3 + x``); ``×``, ``·``, ``÷``, ``−`` and the en dash ``–`` (prose writes ``$40 – $4``)
are accepted; ``$`` is ignored like a space.
Implicit multiplication is only read before ``(`` (``2(3+4)``) or a name (``2x``).
Single letters become variables (the evaluator refuses them unless symbols are on);
longer names other than ``sqrt`` and ``pi`` are refused here with ``unknown_name``. Numbers are ASCII only: ``1,200`` (exact thousands groups), ``.5``, ``1e3``.
"""

from __future__ import annotations

import re

from .errors import EvalError, Limits
from .literals import literal_value
from .nodes import FACT, NAME, NEG, NUM, PCT, PI, POS, POW, PROD, SQRT, SUM, Node

# One match per token; group 1 number, 2 operator, 3 name, 4 anything else (an error).
# Whitespace and "$" match with all groups empty and are dropped. A spaced "x" right
# after an operand ("12 x -3") is an operator token; any other "x" is a name token.
_TOKEN = re.compile(
    r"[\s$]+"
    r"|((?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?"
    r"|\.[0-9]+(?:[eE][-+]?[0-9]+)?)"
    r"|(\*\*|//|[-+*/^%!()×·⋅∙÷−–]|(?<=[0-9)%]\s)[xX](?=\s))"
    r"|([A-Za-z_]+|π)"
    r"|(.)",
    re.S,
)
_END = ("", "", "", "")
_OP_ALIASES = {
    "×": "*",
    "·": "*",
    "⋅": "*",
    "∙": "*",
    "x": "*",
    "X": "*",
    "÷": "/",
    "−": "-",
    "–": "-",
    "**": "^",
}
_MUL_OPS = frozenset({"*", "/", "//", "×", "·", "⋅", "∙", "÷", "x", "X"})
_ADD_OPS = frozenset({"+", "-", "−", "–"})
_TIMES_NAMES = frozenset({"x", "X"})
_AFTER_NUMBER = frozenset({"%", "!", "^", "**"})  # tokens that bind tighter than unary
_SAFE_DIGITS = 18  # integer literals this short skip the size check
_PI_NAMES = frozenset({"pi", "π"})


def tokenize(text: str) -> list[tuple[str, str, str, str]]:
    """Tokens as ``(number, operator, name, bad)`` tuples, exactly one field non-empty."""
    toks = [t for t in _TOKEN.findall(text) if t != _END]
    for tok in toks:
        if tok[3]:
            raise EvalError("syntax", f"unexpected character {tok[3]!r}")
    toks.append(_END)
    return toks


class _Parser:
    __slots__ = ("depth", "i", "limits", "max_depth", "toks")

    def __init__(self, toks: list[tuple[str, str, str, str]], limits: Limits) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.limits = limits
        self.max_depth = limits.max_depth

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise EvalError("too_deep", f"nesting deeper than {self.max_depth}")

    def expr(self) -> Node:
        first = self.term()
        op = self.toks[self.i][1]
        if op not in _ADD_OPS:
            return first
        parts: list[object] = [SUM, first]
        while op in _ADD_OPS:
            self.i += 1
            parts.append("+" if op == "+" else "-")
            parts.append(self.term())
            op = self.toks[self.i][1]
        return tuple(parts)

    def _mul_op(self) -> str | None:
        """The multiplicative operator at the cursor (consuming it), or None."""
        tok = self.toks[self.i]
        op = tok[1]
        if op:
            if op in _MUL_OPS:
                self.i += 1
                return _OP_ALIASES.get(op, op)
            return "*" if op == "(" else None  # implicit: 2(3+4), (1)(2)
        name = tok[2]
        if name:
            nxt = self.toks[self.i + 1]
            if name in _TIMES_NAMES and (nxt[0] or nxt[1] == "("):
                self.i += 1
                return "*"
            # Implicit product with a name (2x, 2pi); primary() refuses names that are not
            # allowed, so "2 apples" reports unknown_name rather than a syntax error.
            return "*"
        return None

    def term(self) -> Node:
        first = self.unary()
        op = self._mul_op()
        if op is None:
            return first
        parts: list[object] = [PROD, first]
        while op is not None:
            parts.append(op)
            parts.append(self.unary())
            op = self._mul_op()
        return tuple(parts)

    def unary(self) -> Node:
        num, op, _, _ = self.toks[self.i]
        if num:  # fast path for the common case: a bare number
            self.i += 1
            if num.isdigit() and len(num) <= _SAFE_DIGITS:
                node: Node = (NUM, int(num), num)
            else:
                node = (NUM, literal_value(num, self.limits), num)
            if self.toks[self.i][1] in _AFTER_NUMBER:
                self.i -= 1
                return self.power()
            return node
        if op in _ADD_OPS:
            self.i += 1
            self._deeper()
            node = (POS if op == "+" else NEG, self.unary())
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        op = self.toks[self.i][1]
        if op != "^" and op != "**":
            return base
        self.i += 1
        self._deeper()
        node = (POW, base, self.unary())
        self.depth -= 1
        return node

    def postfix(self) -> Node:
        node = self.primary()
        op = self.toks[self.i][1]
        while op == "%" or op == "!":
            self.i += 1
            node = (PCT, node) if op == "%" else (FACT, node)
            op = self.toks[self.i][1]
        return node

    def primary(self) -> Node:
        num, op, name, _ = self.toks[self.i]
        self.i += 1
        if num:
            return (NUM, literal_value(num, self.limits), num)
        if op == "(":
            return self._group()
        if name:
            if name in _PI_NAMES:
                return (PI,)
            if name == "sqrt" and self.toks[self.i][1] == "(":
                self.i += 1
                return (SQRT, self._group())
            if len(name) == 1:
                return (NAME, name)  # the evaluator decides whether variables are allowed
            raise EvalError("unknown_name", f"name {name!r} not allowed")
        raise EvalError("syntax", "expected a number or '('" if op else "unexpected end")

    def _group(self) -> Node:
        """The rest of a parenthesised group whose ``(`` was just consumed."""
        self._deeper()
        node = self.expr()
        if self.toks[self.i][1] != ")":
            raise EvalError("syntax", "missing ')'")
        self.i += 1
        self.depth -= 1
        return node


_BARE_NUMBER = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*")
# "12 x 4", "$40 - $4", "48/2": two short integers and one operator, the commonest left
# side in prose. Parsed to the tree the grammar gives (an "x" between two numbers is a
# product however it is spaced), without tokens and recursion.
_BINARY = re.compile(
    rf"[\s$]*([0-9]{{1,{_SAFE_DIGITS}}})[\s$]*([-+*/×·⋅∙÷−–xX])[\s$]*([0-9]{{1,{_SAFE_DIGITS}}})[\s$]*"
)


def parse_plain(text: str, limits: Limits) -> Node:
    """Parse plain arithmetic text into a tree (see :mod:`errsynth.evaluate.nodes`)."""
    bare = _BARE_NUMBER.fullmatch(text)
    if bare is not None:  # most claimed results are just a number
        num = bare.group(1)
        return (NUM, literal_value(num, limits), num)
    binary = _BINARY.fullmatch(text)
    if binary is not None:
        a, op, b = binary.groups()
        left, right = (NUM, int(a), a), (NUM, int(b), b)
        if op in _ADD_OPS:
            return (SUM, left, "+" if op == "+" else "-", right)
        return (PROD, left, _OP_ALIASES.get(op, op), right)
    parser = _Parser(tokenize(text), limits)
    try:
        node = parser.expr()
    except RecursionError:  # only reachable when a caller raises max_depth very high
        raise EvalError("too_deep", "nesting too deep for the parser") from None
    if parser.i != len(parser.toks) - 1:
        raise EvalError("syntax", "unexpected token after the expression")
    return node
