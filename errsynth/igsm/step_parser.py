"""Parser for iGSM solution text (the most detailed format of Physics of LM 2.1/2.2).

A solution is a sequence of steps joined by single spaces::

    Define Erewhon Market's Product as F; G = n + L = 21 + 2 = 0; so F = G + h = 0 + 1 = 1.
    Define Energy Drinks's Ingredient as BACK.
    Define Erewhon Market's Product as F; so F = 3 + 1 = 5. BACK.

Each non-BACK step holds one or more assignments ("ops") separated by ``"; "``; the last
one starts with ``"so "`` and assigns the step's variable. A whole step followed by `` BACK.`` is a
retracted attempt (a wrong step written out, then withdrawn, as errsynth's igsm style
writes a mistake of value or formula): it parses like any step, with ``back`` set. An op
has one of three shapes:

* ``h = 1``                          constant: symbolic form is the number itself;
* ``t = M = 0``                      copy: symbolic form is one variable;
* ``n = 21 * h = 21 * 1 = 21``       expression: symbolic form, numeric form, value.

Parsing is purely syntactic; :func:`errsynth.igsm.replay.recompute` checks the arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from errsynth.igsm.errors import IgsmParseError

__all__ = ["Op", "Step", "parse_op", "parse_solution", "parse_step", "split_steps"]

_STEP_RE = re.compile(r"Define (?P<param>.+) as (?:(?P<var>[A-Za-z]); (?P<body>.+)|BACK)\.")
_VAR_RE = re.compile(r"[A-Za-z]")
_INT_RE = re.compile(r"[0-9]+")
_OPERATORS = frozenset("+-*")
# Fast path for the three shapes that make up every corpus op; anything else falls back
# to the general tokenising parser, which also produces the precise error message.
_FAST_OP_RE = re.compile(
    r"([A-Za-z]) = (?:"
    r"([0-9]+)"  # constant
    r"|([A-Za-z]) = ([0-9]+)"  # copy
    r"|([A-Za-z]|[0-9]+) ([-+*]) ([A-Za-z]|[0-9]+) = ([0-9]+) \6 ([0-9]+) = ([0-9]+)"  # binary
    r")"
)
_STEP_SEP = ". Define "
_RETRACTED_TAIL = ". BACK."  # "Define P as v; ...; so v = ... = 7. BACK.": a withdrawn step


@dataclass(frozen=True, slots=True)
class Op:
    """One assignment inside a step, e.g. ``G = n + L = 21 + 2 = 0``."""

    target: str
    operands: tuple[str, ...]  # variable letters of the symbolic form, in order
    operators: tuple[str, ...]  # binary operators of the symbolic form, in order
    numeric: str  # the numeric form ("21 + 2"; "1" for a constant; the value for a copy)
    claimed: int  # the value written after the last "="
    start: int  # span of the op (without "so ") inside the step text
    end: int
    terms: tuple[str, ...] = ()  # symbolic terms (variables and integer literals), in order

    @property
    def n_arith(self) -> int:
        """Number of binary arithmetic operations written in this op."""
        return len(self.operators)


@dataclass(frozen=True, slots=True)
class Step:
    """One ``Define ...`` step of a solution."""

    text: str
    param: str
    var: str | None  # None for a ``Define P as BACK.`` step (a retracted step keeps its own)
    back: bool  # ``Define P as BACK.`` or a retracted attempt (``<step> BACK.``)
    ops: tuple[Op, ...]
    value: int | None
    uses: tuple[str, ...]  # variables from earlier steps read here (first-use order, deduped)

    @property
    def n_arith(self) -> int:
        """Binary operations written in the step (``+ - *``), intermediates included."""
        return sum(len(op.operators) for op in self.ops)

    @property
    def intermediates(self) -> tuple[str, ...]:
        """Letters assigned inside the step before the final ``so`` op."""
        return tuple(op.target for op in self.ops[:-1])


def split_steps(solution: str) -> list[str]:
    """Split a solution into step texts; ``" ".join(split_steps(s)) == s`` always holds."""
    if not solution:
        return []
    pieces = solution.split(_STEP_SEP)
    if len(pieces) == 1:
        return pieces
    out = [pieces[0] + "."]
    out.extend("Define " + p + "." for p in pieces[1:-1])
    out.append("Define " + pieces[-1])
    return out


def _split_expr(expr: str, where: str) -> tuple[list[str], list[str]]:
    """Split ``"a + b * 3"`` into terms and operators (single spaces around operators)."""
    tokens = expr.split(" ")
    if len(tokens) % 2 == 0:
        raise IgsmParseError(f"malformed expression {expr!r} in {where!r}")
    terms = tokens[0::2]
    operators = tokens[1::2]
    for o in operators:
        if o not in _OPERATORS:
            raise IgsmParseError(f"unknown operator {o!r} in {where!r}")
    return terms, operators


def _is_var(tok: str) -> bool:
    return len(tok) == 1 and _VAR_RE.fullmatch(tok) is not None


def _to_int(tok: str, where: str) -> int:
    if not tok.isascii() or not tok.isdigit():
        raise IgsmParseError(f"expected a number, got {tok!r} in {where!r}")
    return int(tok)


def parse_op(text: str, start: int = 0) -> Op:
    """Parse one assignment (without a leading ``"so "``); ``start`` is its offset in the step."""
    m = _FAST_OP_RE.fullmatch(text)
    if m is not None:
        fast = _fast_op(m, start, start + len(text))
        if fast is not None:
            return fast
    return _parse_op_general(text, start)


def _fast_op(m: re.Match[str], start: int, end: int) -> Op | None:
    target, const, cvar, cval, a, o, b, na, nb, val = m.groups()
    if const is not None:
        return Op(target, (), (), const, int(const), start, end, (const,))
    if cvar is not None:
        return Op(target, (cvar,), (), cval, int(cval), start, end, (cvar,))
    a_var = not a.isdigit()
    b_var = not b.isdigit()
    if (not a_var and a != na) or (not b_var and b != nb):
        return None  # let the general parser report the rewritten literal
    if a_var and b_var:
        operands: tuple[str, ...] = (a, b)
    elif a_var:
        operands = (a,)
    elif b_var:
        operands = (b,)
    else:
        operands = ()
    return Op(target, operands, (o,), f"{na} {o} {nb}", int(val), start, end, (a, b))


def _parse_op_general(text: str, start: int) -> Op:
    parts = text.split(" = ")
    target = parts[0]
    if not _is_var(target):
        raise IgsmParseError(f"bad assignment target {target!r} in {text!r}")
    end = start + len(text)
    if len(parts) == 2:  # constant: "h = 1"
        claimed = _to_int(parts[1], text)
        return Op(target, (), (), parts[1], claimed, start, end, (parts[1],))
    if len(parts) == 3:  # copy: "t = M = 0"
        sym = parts[1]
        if not _is_var(sym):
            raise IgsmParseError(f"expected a variable in copy {text!r}")
        return Op(target, (sym,), (), parts[2], _to_int(parts[2], text), start, end, (sym,))
    if len(parts) == 4:  # expression: "n = 21 * h = 21 * 1 = 21"
        terms, operators = _split_expr(parts[1], text)
        nterms, noperators = _split_expr(parts[2], text)
        if noperators != operators:
            raise IgsmParseError(f"symbolic and numeric forms differ in {text!r}")
        operands: list[str] = []
        for sym, num in zip(terms, nterms, strict=True):
            _to_int(num, text)
            if _is_var(sym):
                operands.append(sym)
            elif sym != num:
                raise IgsmParseError(f"literal {sym!r} rewritten as {num!r} in {text!r}")
        return Op(
            target,
            tuple(operands),
            tuple(operators),
            parts[2],
            _to_int(parts[3], text),
            start,
            end,
            tuple(terms),
        )
    raise IgsmParseError(f"unrecognised assignment {text!r}")


def parse_step(text: str) -> Step:
    """Parse one step text (``"Define P as v; ...; so v = ... ."`` or ``"Define P as BACK."``).

    ``"Define P as v; ...; so v = ... . BACK."`` is a retracted attempt: the step as
    written, with ``back`` set (its arithmetic is not replayed by anyone).
    """
    if text.endswith(_RETRACTED_TAIL):
        attempt = parse_step(text[: -len(" BACK.")])
        if attempt.back:
            raise IgsmParseError(f"a retraction cannot be retracted again: {text!r}")
        return replace(attempt, text=text, back=True)
    head_end = text.find("; ")
    # Fast path: "Define <param> as <v>; <body>." located with str methods (names never
    # hold "; "); anything unusual goes through the full regex, which also reports errors.
    if (
        head_end > 12
        and text.startswith("Define ")
        and text.endswith(".")
        and text[head_end - 5 : head_end - 1] == " as "
        and text[head_end - 1].isascii()
        and text[head_end - 1].isalpha()
    ):
        param = text[7 : head_end - 5]
        var: str | None = text[head_end - 1]
        body_start = head_end + 2
        body = text[body_start:-1]
    else:
        m = _STEP_RE.fullmatch(text)
        if m is None:
            raise IgsmParseError(f"unrecognised step {text!r}")
        param = m.group("param")
        var = m.group("var")
        if var is None:
            return Step(text, param, None, True, (), None, ())
        body_start = m.start("body")
        body = m.group("body")
    chunks = body.split("; ")
    ops: list[Op] = []
    pos = body_start
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        if i == last:
            if not chunk.startswith("so "):
                raise IgsmParseError(f"last assignment lacks 'so' in {text!r}")
            ops.append(parse_op(chunk[3:], pos + 3))
        else:
            if chunk.startswith("so "):
                raise IgsmParseError(f"'so' before the last assignment in {text!r}")
            ops.append(parse_op(chunk, pos))
        pos += len(chunk) + 2
    if ops[-1].target != var:
        raise IgsmParseError(f"step defines {var!r} but assigns {ops[-1].target!r}: {text!r}")
    local: set[str] = set()
    uses: list[str] = []
    for op in ops:
        for v in op.operands:
            if v not in local and v not in uses:
                uses.append(v)
        local.add(op.target)
    return Step(text, param, var, False, tuple(ops), ops[-1].claimed, tuple(uses))


def parse_solution(solution: str) -> list[Step]:
    """Parse a whole solution; raises :class:`IgsmParseError` on anything unrecognised."""
    if not solution:
        raise IgsmParseError("empty solution")
    return [parse_step(t) for t in split_steps(solution)]
