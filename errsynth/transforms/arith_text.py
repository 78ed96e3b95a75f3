"""Numbers as written in solution steps, for the arith transform: find, restyle, rewrite.

The arith transform changes a result and carries it through later steps, always
by *position*: every number written in a step is a token with a span and a style
(decimal places, thousands commas, a leading zero or not), and a rewrite replaces
tokens by span, never by global string replacement, so the question's numbers and
other equations' operands cannot change by accident.

An equation of the solution table becomes a :class:`Link` located in its step:
the span of its left side (`expr`), of its claimed result, of the numeral inside
that claim (`$1,200.50` → `1,200.50`) and, for GSM8K calculator annotations, of
the *echo*: the result written again right after the annotation
(`<<48/2=24>>24`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, TypeAlias

from errsynth.evaluate import EvalError, check_equation, evaluate
from errsynth.evaluate.formatting import decimal_places
from errsynth.igsm.errors import IgsmParseError
from errsynth.igsm.step_parser import parse_step

NUMERAL = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+"
#: A number as written in a step: not a piece of a longer number or decimal.
TOKEN_RE = re.compile(rf"(?<![0-9.])(?:{NUMERAL})")
#: A claimed result that is one plain number: `24`, `-3`, `$1,200.50`, `.5`, `25%`, `20\%`.
CLAIM_RE = re.compile(
    rf"(?P<pre>(?P<sign>[-−])?[ \t]*(?:\\?\$[ \t]*)?)(?P<num>{NUMERAL})(?P<post>[ \t]*\\?%)?"
)
# The result written again right after a calculator annotation: `>>24`, `>>$24`, `>> 24`.
_ECHO_RE = re.compile(rf"[ \t]?(?:\\?\$)?[ \t]?({NUMERAL})(?![0-9])")
# Exponents and subscripts are never carried values: `x^2`, `a_{2}`, `10^{3}`.
_EXPONENT_BEFORE = re.compile(r"[\^_]\{?$")
# Decimal places beyond which a recomputed value is rounded instead of written exactly.
MAX_EXTRA_PLACES = 2

#: An exact value as written: an int when whole (cheaper; equal and hashing equal to the
#: Fraction), else a Fraction.
Number: TypeAlias = "int | Fraction"


@dataclass(frozen=True, slots=True)
class Style:
    """How a numeral is written: decimal places, thousands commas, `0.5` or `.5`."""

    places: int = 0
    commas: bool = False
    lead_zero: bool = True


@lru_cache(maxsize=8192)
def numeral_style(text: str) -> Style:
    dot = text.find(".")
    return Style(
        places=0 if dot < 0 else len(text) - dot - 1,
        commas="," in text,
        lead_zero=not text.startswith("."),
    )


def numeral_value(text: str) -> Number:
    """Exact value of a numeral matched by :data:`TOKEN_RE` (commas dropped).

    Whole numbers come back as `int`: this runs on every number of a step.
    """
    if text.isdigit():
        return int(text)
    whole, _, frac = text.replace(",", "").partition(".")
    if not frac:
        return int(whole)
    return Fraction(int(whole + frac), 10 ** len(frac))


def format_numeral(
    value: Number, style: Style, *, rounding: bool, extra: int = MAX_EXTRA_PLACES
) -> str | None:
    """`value` written in `style`, with more decimal places only where it needs them.

    A value that needs more than `extra` places beyond the style's (or does not
    terminate) is rounded half up to the style's places when `rounding`, else
    refused (None). Negative values are refused: signs live outside numerals.
    """
    if value < 0:
        return None
    need = decimal_places(value.denominator)
    if need is None or need > style.places + extra:
        if not rounding:
            return None
        places = style.places
        scaled = int(value * 10**places + Fraction(1, 2))
    else:
        places = max(style.places, need)
        scaled = int(value * 10**places)
    whole, frac = divmod(scaled, 10**places)
    text = f"{whole:,}" if style.commas else str(whole)
    if places:
        if whole == 0 and not style.lead_zero:
            text = ""
        text += "." + str(frac).rjust(places, "0")
    return text


@dataclass(slots=True)  # not frozen: built per located equation, frozen __init__ is slow
class Claim:
    """A claimed result that is one plain number: `pre` + numeral + `post`."""

    pre: str
    num: str
    post: str
    value: Number  # the numeral's magnitude as written (25 for "25%")
    negative: bool
    style: Style

    def with_numeral(self, num: str) -> str:
        return f"{self.pre}{num}{self.post}"


def parse_claim(text: str) -> Claim | None:
    m = CLAIM_RE.fullmatch(text)
    if m is None:
        return None
    num = m["num"]
    return Claim(
        pre=m["pre"],
        num=num,
        post=m["post"] or "",
        value=numeral_value(num),
        negative=m["sign"] is not None,
        style=numeral_style(num),
    )


def is_bare_number(expr: str) -> bool:
    """An expression that is only a number (an iGSM constant or copy): no arithmetic in it."""
    return CLAIM_RE.fullmatch(expr.strip()) is not None


def syntax_of(eq: Mapping[str, Any]) -> str:
    return "latex" if eq["kind"] == "latex" else "plain"


@dataclass(slots=True)
class Link:
    """One equation of the row located in its step's text (all spans are step offsets)."""

    index: int  # into row["equations"]
    eq: Mapping[str, Any]
    span: tuple[int, int]  # the equation as written (the whole `<<...>>` for annotations)
    expr: tuple[int, int] | None  # the left side (None: not written, e.g. iGSM constants)
    claim: tuple[int, int]  # the claimed text
    claim_parsed: Claim | None  # None: the claim is not one plain number
    num: tuple[int, int] | None  # the numeral inside the claim
    echo: tuple[int, int] | None  # annotations: the numeral written again after `>>`

    @property
    def region(self) -> tuple[int, int]:
        """Span of everything this link owns (the echo included)."""
        return (self.span[0], self.echo[1] if self.echo else self.span[1])


def _annotation_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Stripped spans of the `=`-separated parts of the annotation `text[start:end]`."""
    spans: list[tuple[int, int]] = []
    pos = start + 2
    stop = end - 2
    while True:
        eq = text.find("=", pos, stop)
        piece_end = stop if eq < 0 else eq
        a, b = pos, piece_end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        spans.append((a, b))
        if eq < 0:
            return spans
        pos = eq + 1


def locate(text: str, index: int, eq: Mapping[str, Any]) -> Link | None:
    """Where equation `eq` (row["equations"][index]) is written in its step, or None."""
    start, end = eq["start"], eq["end"]
    expr, claimed = eq["expr"], eq["claimed"]
    if not 0 <= start < end <= len(text):
        return None
    kind = eq["kind"]
    echo = None
    expr_span: tuple[int, int] | None
    if kind == "annotation":
        if not text.startswith("<<", start) or not text.startswith(">>", end - 2):
            return None
        parts = _annotation_parts(text, start, end)
        for j in range(len(parts) - 1):
            (a0, a1), (b0, b1) = parts[j], parts[j + 1]
            if text[a0:a1] == expr and text[b0:b1] == claimed:
                expr_span, claim_span = (a0, a1), (b0, b1)
                break
        else:
            return None
        if j + 2 == len(parts):  # the last link: its result may be written after ">>"
            m = _ECHO_RE.match(text, end)
            if m is not None:
                echo = m.span(1)
    elif kind in ("inline", "igsm"):
        cs = end - len(claimed)
        if text[cs:end] != claimed:
            return None
        claim_span = (cs, end)
        if kind == "inline":
            expr_span = (start, start + len(expr))
        else:  # "n = 21 * h = 21 * 1 = 21": the numeric form is the part before the claim
            k = text.rfind(f" = {expr} = ", start, end)
            expr_span = (k + 3, k + 3 + len(expr)) if k >= 0 and not is_bare_number(expr) else None
    elif kind == "latex":
        cs = text.rfind(claimed, start, end)
        if cs < start + len(expr):
            return None
        claim_span = (cs, cs + len(claimed))
        expr_span = (start, start + len(expr))
    else:
        return None
    parsed = parse_claim(claimed)
    num = None
    if parsed is not None:
        offset = claim_span[0] + len(parsed.pre)
        num = (offset, offset + len(parsed.num))
        if echo is not None and numeral_value(text[echo[0] : echo[1]]) != parsed.value:
            echo = None  # the number after ">>" is something else
    else:
        echo = None
    return Link(index, eq, (start, end), expr_span, claim_span, parsed, num, echo)


# Characters of arithmetic written inline: a number in a run of these with an "=" in it
# is part of an equation (one the finders left out when it is not in an equation span).
_MATH_RUN = frozenset("0123456789.,()+-*/×÷x $%=")


def in_unseen_equation(text: str, start: int, end: int) -> bool:
    """Whether the number at [start, end) sits in inline arithmetic with an `=` sign.

    GSM8K writes the expression again before its annotation (`12+5 = <<12+5=17>>`):
    an `=` that only leads into an annotation does not count.
    """
    a = start
    while a > 0 and text[a - 1] in _MATH_RUN:
        a -= 1
    b = end
    while b < len(text) and text[b] in _MATH_RUN:
        b += 1
    run = text[a:b]
    if text.startswith("<<", b):
        run = run.rstrip(" $")
        if run.endswith("="):
            run = run[:-1]
    return "=" in run


_RELATION = re.compile(r"=|<|>|\\(?:approx|sim|le|ge|leq|geq|ne|neq|equiv|cong)(?![A-Za-z])")


def in_math_relation(text: str, start: int, end: int) -> bool:
    """Whether the number at [start, end) is inside `$...$` math that states a relation
    (`\\pi 250^2\\approx196300`): changing it alone would leave the relation unchecked."""
    if "$" not in text:
        return False
    before = text.count("$", 0, start) - text.count("\\$", 0, start)
    if before % 2 == 0:
        return False
    a = text.rfind("$", 0, start)
    b = text.find("$", end)
    return _RELATION.search(text, a + 1, b if b >= 0 else len(text)) is not None


def glued(text: str, start: int, end: int) -> bool:
    """Whether the number at [start, end) touches another through `,` or `.` ("13,91"):
    rewritten with another length it could read as one number with its neighbour."""
    before = start >= 2 and text[start - 1] in ",." and text[start - 2].isdigit()
    after = end + 1 < len(text) and text[end] in ",." and text[end + 1].isdigit()
    return before or after


def exponent_like(text: str, pos: int) -> bool:
    return _EXPONENT_BEFORE.search(text, max(0, pos - 2), pos) is not None


def replace_spans(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with non-overlapping spans replaced (edits in any order)."""
    out: list[str] = []
    pos = 0
    for a, b, new in sorted(edits):
        out.append(text[pos:a])
        out.append(new)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def claim_scale(link: Link) -> int:
    """Numeral per unit of the expression's value: 100 for `= 25%` read as a quarter."""
    claim = link.claim_parsed
    if claim is not None and "%" in claim.post and link.eq.get("reason") != "percent_unit":
        return 100
    return 1


def recompute(link: Link, new_expr: str, *, rounding: bool) -> tuple[str, Number] | None:
    """The claim's numeral for `new_expr` (text, value), or None if it cannot be written.

    The sign of the value must match the claim's written sign; the result must pass
    the evaluator as the claim of `new_expr`.
    """
    claim = link.claim_parsed
    if claim is None:
        return None
    eq = link.eq
    modulus = eq.get("modulus")
    syntax = syntax_of(eq)
    try:
        value = evaluate(new_expr, syntax=syntax, modulus=modulus)  # type: ignore[arg-type]
    except EvalError:
        return None
    if not isinstance(value, Fraction):
        return None
    magnitude = value * claim_scale(link)
    if claim.negative:
        if magnitude >= 0:
            return None
        magnitude = -magnitude
    elif magnitude < 0:
        return None
    # a claim written with decimals ($28.00) keeps its places; a whole one may gain two (2.5)
    extra = 0 if claim.style.places else MAX_EXTRA_PLACES
    num = format_numeral(magnitude, claim.style, rounding=rounding, extra=extra)
    if num is None:
        return None
    verdict = check_equation(
        new_expr,
        claim.with_numeral(num),
        syntax=syntax,
        modulus=modulus,  # type: ignore[arg-type]
    )
    if verdict.ok is not True:
        return None
    return num, numeral_value(num)


def given_values(question: str) -> frozenset[Number]:
    """Values of the numbers written in the question."""
    return frozenset(numeral_value(m.group()) for m in TOKEN_RE.finditer(question))


def carry_step(
    text: str,
    links: list[Link | int],
    changes: dict[Number, Number],
    given: frozenset[Number] = frozenset(),
    *,
    latex: bool = False,
) -> str | None:
    """Step `text` with changed values carried through it, or None when that is impossible.

    `changes` maps old values (as written) to new ones and is updated in place with
    the results this step recomputes. Left to right: a number outside every equation
    whose value changed is rewritten; an equation with a changed operand gets its
    left side rewritten and its result recomputed exactly (and written again in the
    claim's style, the echo included); its old result then maps to the new one for
    the rest of the step and later steps. An equation that changes but cannot be
    recomputed (unjudged, not a plain-number claim, negative, not evaluable) stops
    the carry: the caller ends the propagated steps before this one.

    Values also written in the question (`given`) are ambiguous ("2 * 2" after a
    step that made 2, in a problem about 2 days): prose mentions of them are left
    alone, and an equation using one as an operand stops the carry. So does a
    changed number inside an equation the finder did not see (`5000(.60)=3000`), or
    in LaTeX math stating another relation (`\\pi 250^2\\approx196300`; with `latex`,
    as `$` is only a dollar sign elsewhere).
    """
    tokens = [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]
    values = [numeral_value(t[2]) for t in tokens]
    if not any(v in changes for v in values):
        return text
    located = sorted(
        (lk for lk in links if isinstance(lk, Link)), key=lambda lk: (lk.claim[0], lk.index)
    )
    owned: set[int] = set()
    for lk in links:
        if not isinstance(lk, Link):
            return None  # an equation we cannot locate in a step the carry changes
        a, b = lk.region
        owned.update(i for i, t in enumerate(tokens) if a <= t[0] and t[1] <= b)
    fixed: dict[int, Number] = {}  # token index → value it has now (claims seen so far)
    edits: dict[int, str] = {}
    by_start = {t[0]: i for i, t in enumerate(tokens)}
    cursor = 0

    def prose_until(limit: int) -> bool:
        nonlocal cursor
        while cursor < len(tokens) and tokens[cursor][0] < limit:
            i = cursor
            cursor += 1
            if i in owned or values[i] not in changes or values[i] in given:
                continue
            if exponent_like(text, tokens[i][0]):
                continue
            t0, t1 = tokens[i][0], tokens[i][1]
            if in_unseen_equation(text, t0, t1) or (latex and in_math_relation(text, t0, t1)):
                return False
            if glued(text, t0, t1):
                return False
            new = format_numeral(changes[values[i]], numeral_style(tokens[i][2]), rounding=False)
            if new is None:
                return False
            edits[i] = new
        return True

    for lk in located:
        if not prose_until(lk.claim[0]):
            return None
        changed = False
        expr_edits: list[tuple[int, int, str]] = []
        if lk.expr is not None:
            e0, e1 = lk.expr
            operands = [
                i
                for i, (t0, t1, _) in enumerate(tokens)
                if e0 <= t0 and t1 <= e1 and not exponent_like(text, t0)
            ]
            for i in operands:
                t0, t1, t = tokens[i]
                new_value = fixed.get(i, changes.get(values[i]))
                if new_value is None or new_value == values[i]:
                    continue
                if i not in fixed and values[i] in given:
                    return None  # the question's number or the carried value? ambiguous
                if glued(text, t0, t1):
                    return None
                new = format_numeral(new_value, numeral_style(t), rounding=False)
                if new is None:
                    return None
                edits[i] = new
                expr_edits.append((t0 - e0, t1 - e0, new))
                changed = True
        claim_token = by_start.get(lk.num[0]) if lk.num is not None else None
        if changed:
            if lk.eq["ok"] is not True or lk.expr is None or claim_token is None:
                return None
            new_expr = replace_spans(lk.eq["expr"], expr_edits)
            result = recompute(lk, new_expr, rounding=True)
            if result is None:
                return None
            num, new_value = result
            old_value = values[claim_token]
            edits[claim_token] = num
            fixed[claim_token] = new_value
            if lk.echo is not None:
                echo_token = by_start.get(lk.echo[0])
                if echo_token is not None:
                    echo = format_numeral(
                        new_value, numeral_style(tokens[echo_token][2]), rounding=False
                    )
                    if echo is None:
                        return None
                    edits[echo_token] = echo
            if new_value != old_value:
                changes[old_value] = new_value
            else:
                changes.pop(old_value, None)
        elif claim_token is not None:
            fixed[claim_token] = values[claim_token]
    if not prose_until(len(text) + 1):
        return None
    # A chain "a = b + c = d": carrying into "b + c" as the left side of the next link
    # also changes the right side of this one, which is not a number we can recompute.
    for lk in located:
        c0, c1 = lk.claim
        for i in edits:
            if c0 <= tokens[i][0] < c1 and not (lk.num is not None and tokens[i][0] == lk.num[0]):
                return None
    return replace_spans(text, [(tokens[i][0], tokens[i][1], new) for i, new in edits.items()])


def owned_spans(
    text: str, equations: Sequence[Mapping[str, Any]], indices: Sequence[int]
) -> list[tuple[int, int]]:
    """Spans of the equations `indices` in step `text`, annotation echoes included."""
    out = []
    for i in indices:
        eq = equations[i]
        end = eq["end"]
        if eq["kind"] == "annotation":
            m = _ECHO_RE.match(text, end)
            if m is not None:
                end = m.end()
        out.append((eq["start"], end))
    return out


def wrong_step_text(
    text: str,
    link: Link,
    num: str,
    value: Number,
    *,
    prose: bool,
    equations: Sequence[Mapping[str, Any]] = (),
    step_equations: Sequence[int] = (),
    question: str = "",
    latex: bool = False,
) -> str:
    """Step `text` with `link`'s result written as `num` (value `value`).

    The claim's numeral and the annotation echo change; with `prose`, so do later
    numbers of the step written with the old result's value, outside every other
    equation (`step_equations`, indices into `equations`): "So she has 24 left." —
    unless the question writes that value too, which makes a mention ambiguous.
    Eligible links are never used as an operand later in their own step (see
    `used_later`), so no other equation changes.
    """
    claim = link.claim_parsed
    assert claim is not None and link.num is not None
    edits = [(link.num[0], link.num[1], num)]
    if link.echo is not None:
        echo_text = text[link.echo[0] : link.echo[1]]
        echo = (
            num
            if echo_text == claim.num
            else format_numeral(value, numeral_style(echo_text), rounding=False)
        )
        if echo is not None:
            edits.append((link.echo[0], link.echo[1], echo))
    after = link.region[1]
    head = claim.num.partition(".")[0].replace(",", "")
    if prose and (not head or head in text[after:].replace(",", "")):
        others: list[tuple[int, int]] | None = None
        for m in TOKEN_RE.finditer(text, after):
            t0, t1 = m.span()
            if numeral_value(m.group()) != claim.value or exponent_like(text, t0):
                continue
            if others is None:
                if claim.value in given_values(question):
                    break  # "after 2 days" is the question's 2, not this result
                rest = [i for i in step_equations if i != link.index]
                others = owned_spans(text, equations, rest)
            if any(a <= t0 and t1 <= b for a, b in others) or in_unseen_equation(text, t0, t1):
                continue
            if glued(text, t0, t1) or (latex and in_math_relation(text, t0, t1)):
                continue
            new = format_numeral(value, numeral_style(m.group()), rounding=False)
            if new is not None:
                edits.append((t0, t1, new))
    return replace_spans(text, edits)


def used_later(
    text: str, index: int, step_equations: Sequence[int], equations: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether a later equation of the same step uses equation `index`'s result as an operand.

    Such an equation would have to change with it, which the wrong step does not
    do (it differs from the clean step only where the result is written). iGSM ops
    are matched by variable (`n = ...; v = n + g = ...`), others by value.
    """
    later = [i for i in step_equations if i > index]
    if not later:
        return False
    eq = equations[index]
    if eq["kind"] == "igsm":
        target = text[eq["start"] : eq["end"]].split(" = ", 1)[0]
        for i in later:
            other = equations[i]
            parts = text[other["start"] : other["end"]].split(" = ")
            if len(parts) >= 3 and target in parts[1].split(" "):
                return True
        return False
    claim = CLAIM_RE.fullmatch(eq["claimed"])
    if claim is None:
        return False
    value = numeral_value(claim["num"])
    for i in later:
        if any(numeral_value(m.group()) == value for m in TOKEN_RE.finditer(equations[i]["expr"])):
            return True
    return False


def results_used_later(
    text: str, step_equations: Sequence[int], equations: Sequence[Mapping[str, Any]]
) -> set[int]:
    """The equations of one step for which `used_later` holds, in one pass.

    `used_later` per equation scans every later equation: quadratic in a step
    with 10^4 annotations. Here the last equation using each operand (iGSM
    variable or value) is found once, and an equation's result is used later
    when that last use comes after it.
    """
    last_use: dict[tuple[str, Any], int] = {}

    def use(key: tuple[str, Any], i: int) -> None:
        if last_use.get(key, -1) < i:
            last_use[key] = i

    for i in step_equations:
        eq = equations[i]
        parts = text[eq["start"] : eq["end"]].split(" = ")
        if len(parts) >= 3:
            for token in parts[1].split(" "):
                use(("var", token), i)
        for m in TOKEN_RE.finditer(eq["expr"]):
            use(("num", numeral_value(m.group())), i)
    out: set[int] = set()
    for i in step_equations:
        eq = equations[i]
        if eq["kind"] == "igsm":
            key: tuple[str, Any] = ("var", text[eq["start"] : eq["end"]].split(" = ", 1)[0])
        else:
            claim = CLAIM_RE.fullmatch(eq["claimed"])
            if claim is None:
                continue
            key = ("num", numeral_value(claim["num"]))
        if last_use.get(key, -1) > i:
            out.add(i)
    return out


def carry_igsm_step(text: str, changed: dict[str, int], modulus: int) -> str | None:
    """iGSM step `text` with changed variables carried through it (by variable, not value).

    Each op reading a changed variable gets that operand's number rewritten and
    its value recomputed mod `modulus`; its target then changes too (or stops being
    changed when the value comes out the same). `changed` is updated in place.
    """
    if not changed:
        return text
    try:
        step = parse_step(text)
    except IgsmParseError:
        return None
    edits: list[tuple[int, int, str]] = []
    for op in step.ops:
        parts = text[op.start : op.end].split(" = ")
        new_value: int | None = None
        if len(parts) == 3 and parts[1] in changed:  # copy: "t = M = 0"
            new_value = changed[parts[1]]
            parts[2] = str(new_value)
        elif len(parts) == 4:  # "n = 21 * h = 21 * 1 = 21"
            syms, nums = parts[1].split(" "), parts[2].split(" ")
            if len(syms) != len(nums):
                return None
            hit = False
            for k in range(0, len(syms), 2):
                if syms[k] in changed:
                    nums[k] = str(changed[syms[k]])
                    hit = True
            if hit:
                parts[2] = " ".join(nums)
                try:
                    new_value = int(evaluate(parts[2], modulus=modulus))
                except EvalError:
                    return None
                parts[3] = str(new_value)
        if new_value is None or new_value == op.claimed:
            changed.pop(op.target, None)
        else:
            changed[op.target] = new_value
        if new_value is not None:
            edits.append((op.start, op.end, " = ".join(parts)))
    return replace_spans(text, edits)
