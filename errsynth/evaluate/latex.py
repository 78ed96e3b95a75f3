"""Parser for LaTeX math (the inside of ``$...$``) into the shared expression tree.

Read: ``\\frac{a}{b}`` (also ``\\dfrac``/``\\tfrac``/``\\cfrac`` and TeX's one-token
arguments, ``\\frac12``), ``\\sqrt{x}``, ``\\sqrt[n]{x}``, ``\\binom{n}{k}``,
``\\times``, ``\\cdot``, ``\\div``, ``/``, ``^`` with a ``{}`` group or one token (as in
TeX, ``2^10`` is ``2^1`` followed by ``0``), ``(`` ``)``, ``[`` ``]``, ``{`` ``}``
grouping, ``\\left``/``\\right``, postfix ``\\%`` and ``!``, ``\\pi``,
single-letter and Greek variables (``x_1`` subscripts included), implicit
multiplication (``2\\sqrt{3}``, ``3(4)``, ``2x``; it binds tighter than ``\\div``) and
thousands separators ``1{,}000``, ``1,000``, ``1\\,000``. Degree marks (``^\\circ``) are
dropped, so angle arithmetic in degrees checks.

Refused as ``ambiguous`` because the arithmetic reading is often not the writer's:
``a * b`` (contest problems define ``*`` as a new operation), ``2\\frac{1}{2}`` (mixed
number or product), ``f(3)``/``P(0)``/``f^{-1}(8)`` (function application), ``AB``
(a segment), ``3!!`` and ``(28,365)`` (a pair, not thousands). Anything else —
``\\text``, relations, ``\\sin`` — is refused too, which keeps
:func:`~errsynth.evaluate.find.find_equations` conservative.
"""

from __future__ import annotations

import re

from .errors import EvalError, Limits
from .literals import literal_value
from .nodes import BINOM, FACT, NAME, NEG, NUM, PCT, PI, POS, POW, PROD, ROOT, SQRT, SUM, Node

_NOISE = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|biggl|biggr|bigg|Bigg)(?![A-Za-z])\s*\.?"
    r"|\\(?:displaystyle|textstyle|quad|qquad|nonumber)(?![A-Za-z])"
    r"|\\[!,;: ]|~"
    r"|\^\s*\{?\s*\\circ\s*\}?"
)
_THOUSANDS_BRACE = re.compile(r"(?<=[0-9])(?:\{,\}|\\,)(?=[0-9]{3})")
_FRAC_ALIAS = re.compile(r"\\(?:dfrac|tfrac|cfrac)(?![A-Za-z])")
_BINOM_ALIAS = re.compile(r"\\(?:dbinom|tbinom)(?![A-Za-z])")

_TOKEN = re.compile(
    r"\s+"
    r"|((?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)"
    r"|(\\[A-Za-z]+|\\[%${}])"
    r"|([-+*/^_()\[\]{}%!|=<>,:;'])"
    r"|([A-Za-z])"
    r"|(.)",
    re.S,
)

_GREEK = frozenset(
    {
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Sigma",
        "Phi",
        "Psi",
        "Omega",
    }
)
_MUL_CMDS = {"\\times": "*", "\\cdot": "*", "\\div": "/"}
# Letters that name functions far more often than they multiply a bracket: f(2), P(0).
_FUNCTION_LETTERS = frozenset("fghpqFGHPQ")
_OPEN = {"(": ")", "[": "]", "{": "}", "\\{": "\\}"}

# Token kinds
_N, _C, _O, _L, _E = 0, 1, 2, 3, 4
Token = tuple[int, str]


def clean_latex(text: str) -> str:
    """Remove spacing and sizing macros, degree marks and brace thousands separators."""
    # Each pattern needs a backslash, "~" or "{,}" to match: most pieces skip them all.
    if "{,}" in text or "\\," in text:
        text = _THOUSANDS_BRACE.sub("", text)
    if "\\" in text or "~" in text:
        text = _NOISE.sub(" ", text)
        if "frac" in text:
            text = _FRAC_ALIAS.sub(r"\\frac", text)
        if "binom" in text:
            text = _BINOM_ALIAS.sub(r"\\binom", text)
    return text


def tokenize_latex(text: str) -> list[Token]:
    """Tokens of cleaned LaTeX as ``(kind, text)``: number, command, operator, letter."""
    toks: list[Token] = []
    append = toks.append
    for num, cmd, op, letter, bad in _TOKEN.findall(clean_latex(text)):
        if op:
            append((_O, op))
        elif num:
            append((_N, num))
        elif letter:
            append((_L, letter))
        elif cmd:
            append((_C, cmd))
        elif bad:
            raise EvalError("syntax", f"unexpected character {bad!r}")
    return toks


_SAFE_DIGITS = 18  # integer literals this short are under every literal limit
_END = (_E, "")  # sentinel after the last token: peeking never runs off the list
_STARTS_FACTOR_OPS = frozenset("([{")
_NOT_FACTOR_CMDS = frozenset({*_MUL_CMDS, "\\}", "\\%", "\\$"})


def _starts_factor(tok: Token) -> bool:
    """Whether ``tok`` can begin an implicitly multiplied factor."""
    kind = tok[0]
    if kind in (_N, _L):
        return True
    if kind == _O:
        return tok[1] in _STARTS_FACTOR_OPS
    return kind == _C and tok[1] not in _NOT_FACTOR_CMDS


class _Parser:
    """Recursive descent over the token list (which ends with the :data:`_END` sentinel)."""

    __slots__ = ("depth", "i", "limits", "toks")

    def __init__(self, toks: list[Token], limits: Limits) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.limits = limits

    # -- helpers -------------------------------------------------------------------
    def peek(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        tok = self.toks[self.i]
        if tok[0] == _E:
            raise EvalError("syntax", "unexpected end")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok[0] == _N or tok[1] != text:
            raise EvalError("syntax", f"expected {text!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise EvalError("too_deep", f"nesting deeper than {self.limits.max_depth}")

    def leave(self) -> None:
        self.depth -= 1

    def skip_dollars(self) -> None:
        while self.toks[self.i][1] == "\\$":
            self.i += 1

    # -- grammar -------------------------------------------------------------------
    def expr(self) -> Node:
        first = self.term()
        toks = self.toks
        tok = toks[self.i]
        if tok[0] != _O or (tok[1] != "+" and tok[1] != "-"):
            return first
        parts: list[object] = [SUM, first]
        while tok[0] == _O and (tok[1] == "+" or tok[1] == "-"):
            self.i += 1
            parts += (tok[1], self.term())
            tok = toks[self.i]
        return tuple(parts)

    def term(self) -> Node:
        """Explicit products and quotients of implicit products.

        Juxtaposition binds tighter than ``\\div``, ``/``, ``\\cdot`` and ``\\times``, as
        typeset math is read: ``19404\\pi \\div 6\\pi`` is ``19404π / (6π)``.
        """
        first = self.implicit()
        parts: list[object] | None = None
        toks = self.toks
        while True:
            kind, text = toks[self.i]
            if kind == _C and text in _MUL_CMDS:
                op = _MUL_CMDS[text]
            elif kind == _O and text == "/":
                op = "/"
            elif kind == _O and text == "*":
                # In contest math "a * b" is nearly always an operation the problem defines.
                raise EvalError("ambiguous", "'*' in LaTeX is usually a defined operation")
            else:
                break
            self.i += 1
            if parts is None:
                parts = [PROD, first]
            parts += (op, self.implicit())
        return first if parts is None else tuple(parts)

    def implicit(self) -> Node:
        """Factors written side by side: ``2\\sqrt{3}``, ``3(4)``, ``2x``."""
        first = self.signed()
        toks = self.toks
        tok = toks[self.i]
        if not _starts_factor(tok):
            return first
        factors: list[object] = [PROD, first]
        while _starts_factor(tok):
            prev = factors[-1]
            if tok[0] == _N and isinstance(prev, tuple) and prev[0] in (NUM, PCT, FACT):  # type: ignore[index]
                raise EvalError("syntax", "two numbers in a row")
            factors += ("*", self.power())
            tok = toks[self.i]
        return tuple(factors)

    def signed(self) -> Node:
        tok = self.toks[self.i]
        if tok[0] == _O and (tok[1] == "-" or tok[1] == "+"):
            self.i += 1
            self.enter()
            node = (NEG if tok[1] == "-" else POS, self.signed())
            self.leave()
            return node
        return self.power()

    def power(self) -> Node:
        base = self.postfix_ops(self.atom())
        tok = self.toks[self.i]
        if tok[1] != "^" or tok[0] != _O:
            return base
        self.i += 1
        self.enter()
        node = (POW, base, self.argument())
        self.leave()
        return self.postfix_ops(node)

    def postfix(self) -> Node:
        return self.postfix_ops(self.atom())

    def postfix_ops(self, node: Node) -> Node:
        toks = self.toks
        while (text := toks[self.i][1]) in ("%", "\\%", "!"):
            self.i += 1
            if text == "!":
                if toks[self.i] == (_O, "!"):
                    raise EvalError("ambiguous", "'!!' (double factorial or factorial twice)")
                node = (FACT, node)
            else:
                node = (PCT, node)
        return node

    def atom(self) -> Node:
        toks = self.toks
        while toks[self.i][1] == "\\$":
            self.i += 1
        kind, text = self.next()
        if kind == _N:
            if len(text) <= _SAFE_DIGITS and text.isdigit():  # most literals: skip the checks
                node: Node = (NUM, int(text), text)
            else:
                node = (NUM, literal_value(text, self.limits), text)
            if toks[self.i][1] == "\\frac":
                return self.mixed_number(node)
            return node
        if kind == _L:
            return self.subscripted(text)
        if kind == _O:
            if text in _OPEN:
                return self.group(_OPEN[text])
            raise EvalError("syntax", f"unexpected {text!r}")
        if text == "\\{":
            return self.group("\\}")
        return self.command(text)

    def group(self, close: str) -> Node:
        self.enter()
        node = self.expr()
        self.expect(close)
        self.leave()
        return node

    def command(self, name: str) -> Node:
        if name == "\\frac":
            num = self.argument()
            return (PROD, num, "/", self.argument())
        if name == "\\sqrt":
            tok = self.peek()
            if tok == (_O, "["):
                self.i += 1
                degree = self.group("]")
                return (ROOT, degree, self.argument())
            return (SQRT, self.argument())
        if name == "\\binom":
            n = self.argument()
            return (BINOM, n, self.argument())
        if name == "\\pi":
            return (PI,)
        if name[1:] in _GREEK:
            return (NAME, name[1:])
        raise EvalError("unknown_name", f"command {name!r} not supported")

    def argument(self) -> Node:
        """A TeX macro argument: a ``{}`` group or a single token (one digit of a number)."""
        self.enter()
        kind, text = self.next()
        if kind == _O and text == "{":
            node = self.expr()
            self.expect("}")
        elif kind == _N:
            # TeX takes one character: \frac12 is \frac{1}{2}; the rest stays a token.
            rest = text[1:]
            if not text[0].isdigit() or (rest and not (rest[0].isdigit() or rest[0] == ".")):
                raise EvalError("syntax", f"bad macro argument {text!r}")
            if rest:
                self.i -= 1
                self.toks[self.i] = (_N, rest)
            node = (NUM, int(text[0]), text[0])
        elif kind == _L:
            node = (NAME, text)
        elif kind == _C and text != "\\frac" and text != "\\sqrt":
            node = self.command(text)
        else:
            raise EvalError("syntax", f"bad argument {text!r}")
        self.leave()
        return node

    def subscripted(self, letter: str) -> Node:
        """A letter with an optional subscript: ``x``, ``x_1``, ``a_{n}``."""
        nxt = self.peek()
        if letter in _FUNCTION_LETTERS and (
            nxt == (_O, "(") or nxt == (_O, "'") or self._inverse()
        ):
            raise EvalError("ambiguous", f"{letter}(...) reads as a function application")
        if nxt != (_O, "_"):
            return (NAME, letter)
        self.i += 1
        kind, text = self.next()
        if kind == _O and text == "{":
            parts = []
            while (tok := self.next())[1] != "}":
                if tok[0] not in (_N, _L):
                    raise EvalError("syntax", "subscript must be letters or digits")
                parts.append(tok[1])
            text = "".join(parts)
        elif kind not in (_N, _L):
            raise EvalError("syntax", "bad subscript")
        return (NAME, f"{letter}_{text}")

    def _inverse(self) -> bool:
        """Whether the cursor is at ``^{-1}(``: an inverse function applied."""
        window = self.toks[self.i : self.i + 6]
        return [t[1] for t in window] == ["^", "{", "-", "1", "}", "("]

    def mixed_number(self, whole: Node) -> Node:
        """Refuse ``2\\frac{1}{2}``: a mixed number (5/2) to some writers, a product to others."""
        if type(whole[1]) is int and self.peek() == (_C, "\\frac"):
            window = [t[1] for t in self.toks[self.i + 1 : self.i + 7]]
            if len(window) == 6 and window[0] == window[3] == "{" and window[2] == window[5] == "}":
                if window[1].isdigit() and window[4].isdigit():
                    raise EvalError("ambiguous", "integer before a fraction: mixed number?")
            elif len(window) >= 1 and len(window[0]) == 2 and window[0].isdigit():
                raise EvalError("ambiguous", "integer before a fraction: mixed number?")
        return whole


_MAYBE_AMBIGUOUS = re.compile(r"[A-Z,]")


def _check_ambiguous(toks: list[Token]) -> None:
    """Refuse token patterns whose arithmetic reading is likely not the writer's."""
    for k, (kind, text) in enumerate(toks):
        if kind == _L and text.isupper() and k + 1 < len(toks):
            nxt = toks[k + 1]
            if nxt[0] == _L and nxt[1].isupper():
                raise EvalError("ambiguous", "adjacent capitals name a segment, not a product")
        elif kind == _N and "," in text:
            before = toks[k - 1][1] if k else ""
            after = toks[k + 1][1] if k + 1 < len(toks) else ""
            if before in ("(", "[", ",") or after in (")", "]", ","):
                raise EvalError("ambiguous", f"{text!r} in brackets may be a pair, not thousands")


_SIMPLE = re.compile(r"\s*(?:([0-9]{1,18})|([A-Za-z]))\s*")


def parse_latex(text: str, limits: Limits) -> Node:
    """Parse LaTeX math text into a tree (see :mod:`errsynth.evaluate.nodes`)."""
    simple = _SIMPLE.fullmatch(text)
    if simple is not None:  # a quarter of the pieces are a bare integer or letter
        digits = simple.group(1)
        return (NUM, int(digits), digits) if digits else (NAME, simple.group(2))
    toks = tokenize_latex(text)
    if _MAYBE_AMBIGUOUS.search(text):  # capitals or commas: the only tokens it looks at
        _check_ambiguous(toks)
    end = len(toks)
    toks.append(_END)
    parser = _Parser(toks, limits)
    try:
        parser.skip_dollars()
        node = parser.expr()
    except RecursionError:
        raise EvalError("too_deep", "nesting too deep for the parser") from None
    if parser.i != end:
        tok = parser.toks[parser.i]
        if tok[0] == _C and tok[1] not in ("\\}",):
            raise EvalError("unknown_name", f"{tok[1]!r} not supported here")
        raise EvalError("syntax", f"unexpected {tok[1]!r}")
    return node
