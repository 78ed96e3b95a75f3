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


_BARE_NUMBER = re.compile(r"[\s$]*([0-9]+(?:\.[0-9]+)?)[\s$]*")
# "12 x 4", "$40 - $4 - $6", "48/2*3", "2.5 x .5": plain numbers joined by operators of
# one precedence level, the commonest sides in prose. Read into the tree the grammar
# gives (an "x" between two numbers is a product however it is spaced, "$" is ignored)
# without the tokenizer and the recursion; anything else goes to the parser.
_FLAT_NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_FLAT_OP = r"[-+*/×·⋅∙÷−–xX]"
_FLAT = re.compile(rf"[\s$]*{_FLAT_NUMBER}(?:[\s$]*{_FLAT_OP}[\s$]*{_FLAT_NUMBER}){{1,8}}[\s$]*")
_FLAT_PARTS = re.compile(rf"({_FLAT_NUMBER})|({_FLAT_OP})")


def _number(num: str, limits: Limits) -> Node:
    """A number leaf, as :meth:`_Parser.unary` builds it."""
    if num.isdigit() and len(num) <= _SAFE_DIGITS:
        return (NUM, int(num), num)
    return (NUM, literal_value(num, limits), num)


def _flat(text: str, limits: Limits) -> Node | None:
    """The tree of a flat sum or product (see _FLAT), or None for anything else."""
    if _FLAT.fullmatch(text) is None:
        return None
    parts: list[object] = []
    additive = multiplicative = False
    for num, op in _FLAT_PARTS.findall(text):
        if num:
            parts.append(_number(num, limits))
        elif op in _ADD_OPS:
            additive = True
            parts.append("+" if op == "+" else "-")
        else:
            multiplicative = True
            parts.append(_OP_ALIASES.get(op, op))
    if additive and multiplicative:
        return None  # precedence: the parser's job
    return (SUM if additive else PROD, *parts)


def parse_plain(text: str, limits: Limits) -> Node:
    """Parse plain arithmetic text into a tree (see :mod:`errsynth.evaluate.nodes`)."""
    bare = _BARE_NUMBER.fullmatch(text)
    if bare is not None:  # most claimed results are just a number
        num = bare.group(1)
        return (NUM, literal_value(num, limits), num)
    flat = _flat(text, limits)
    if flat is not None:
        return flat
    parser = _Parser(tokenize(text), limits)
    try:
        node = parser.expr()
    except RecursionError:  # only reachable when a caller raises max_depth very high
        raise EvalError("too_deep", "nesting too deep for the parser") from None
    if parser.i != len(parser.toks) - 1:
        raise EvalError("syntax", "unexpected token after the expression")
    return node
