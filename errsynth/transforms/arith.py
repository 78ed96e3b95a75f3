"""arith: a step written with a wrong result, retracted, then written right.

Before an eligible step X, a wrong attempt rewrites X with one of its equations'
results perturbed (an offset, a changed or transposed digit, a swapped operator,
a misplaced decimal point, a coarse rounding; see :mod:`.arith_perturb`). The
evaluator proves the wrong equation false and the original true. With
`propagate: k` the attempt goes on for up to k more steps computed from the wrong
value (the number flow carried through, see :func:`.arith_text.carry_step`; iGSM
by variable, mod 23), and the retraction then returns to step X: `at = X`,
`wrong_step = 0`. The carry stops early, never guesses, where a later step cannot
be recomputed consistently (an unjudged equation, a value the question also gives,
an equation the finders did not see).

Eligible equations: judged `ok`, a left side with arithmetic in it (with `copies`,
also iGSM constants and copies, `so g = T = 1`: a misread or miscopied value), a
claimed result that is one plain number (`24`, `$1,200.50`, `.5`, `25%`; iGSM
residues mod 23), located in the step text, and not used as an operand by a later
equation of the same step (that equation would have to change too). For GSM8K
calculator annotations only the last link of `<<a=b=c>>` qualifies; its echo after
`>>` is rewritten with it.

The wrong step differs from the clean one only where the result is written: the
claim, the annotation echo, and later mentions of the result in prose (`So she
has 24 left.`, unless the question writes that number too). Everything is
replaced by position, never by global replacement.

`detail` (JSON-able): `equation` (index into row["equations"]), `expr`, `correct`
and `wrong` (claims as written), `perturbation` (the kind), `propagated_steps`,
`modulus`, `wrong_span` (the wrong numeral in `steps[0]`) and, for `operator`,
`as_if` (the left side with the operator swapped).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from errsynth.evaluate import check_equation, find_equations
from errsynth.igsm.errors import IgsmParseError
from errsynth.igsm.steps import parse_step
from errsynth.transforms.arith_perturb import (
    KINDS,
    MODULAR_KINDS,
    acceptable,
    decimal_candidates,
    digit_candidates,
    offset_candidates,
    operator_numeral,
    operator_swaps,
    rounding_candidates,
    transpose_candidates,
)
from errsynth.transforms.arith_text import (
    CLAIM_RE,
    Claim,
    Link,
    Number,
    carry_igsm_step,
    carry_step,
    claim_scale,
    given_values,
    is_bare_number,
    locate,
    numeral_value,
    syntax_of,
    used_later,
    wrong_step_text,
)
from errsynth.transforms.base import (
    Candidate,
    Skip,
    Transform,
    TransformParams,
    WrongAttempt,
    place_counts,
    register,
)
from errsynth.transforms.protected import protected_positions

#: Candidates checked with the evaluator per kind before the kind counts as not
#: applicable (nearly always the first one is proven wrong).
_TRIES_PER_KIND = 6


@dataclass(frozen=True)
class ArithParams(TransformParams):
    kinds: tuple[str, ...] = KINDS  # drawn uniformly among those applicable to the value
    max_offset: int = 3
    propagate: int = 0  # carry the wrong value through the next k steps before the retraction
    copies: bool = True  # iGSM: constants and copies ("so g = T = 1") are eligible too

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.kinds, str) or not self.kinds:
            raise ValueError(f"kinds must be a non-empty list of {list(KINDS)}")
        object.__setattr__(self, "kinds", tuple(self.kinds))  # recipes give lists
        unknown = sorted(set(self.kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown arith kind(s) {unknown}; known: {list(KINDS)}")
        if self.max_offset < 1:
            raise ValueError(f"max_offset must be >= 1, got {self.max_offset}")
        if self.propagate < 0:
            raise ValueError(f"propagate must be >= 0, got {self.propagate}")


@dataclass(slots=True)  # not frozen: built per attempt, frozen __init__ is slow
class Target:
    """An eligible equation located in its step."""

    link: Link
    claim: Claim
    step_equations: list[int]  # every equation of its step (indices into row["equations"])


@dataclass(slots=True)
class Perturbation:
    kind: str
    num: str  # the wrong numeral
    as_if: str | None  # operator: the left side with the operator swapped


def equations_by_step(row: Mapping[str, Any]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in row["steps"]]
    for i, eq in enumerate(row["equations"]):
        out[eq["step"]].append(i)
    return out


def step_links(row: Mapping[str, Any], step: int, indices: list[int]) -> list[Link | int]:
    text = row["steps"][step]
    eqs = row["equations"]
    return [locate(text, i, eqs[i]) or i for i in indices]


def eligible_equations(
    row: Mapping[str, Any], by_step: list[list[int]], *, copies: bool
) -> dict[int, list[int]]:
    """Per step, the equations whose result may be perturbed (see the module docstring).

    Text-only checks; locating the equation in its step is left to the steps that
    are drawn (see `ArithTransform._targets`).
    """
    eqs = row["equations"]
    steps = row["steps"]
    out: dict[int, list[int]] = {}
    for step, indices in enumerate(by_step):
        for i in indices:
            eq = eqs[i]
            if eq["ok"] is not True:
                continue
            if CLAIM_RE.fullmatch(eq["claimed"]) is None:
                continue
            kind = eq["kind"]
            if is_bare_number(eq["expr"]) and not (copies and kind == "igsm"):
                continue
            text = steps[step]
            if kind == "annotation" and not text[: eq["end"] - 2].rstrip().endswith(eq["claimed"]):
                continue  # not the last link of <<a=b=c>>
            if len(indices) > 1 and used_later(text, i, indices, eqs):
                continue
            out.setdefault(step, []).append(i)
    return out


def candidates(kind: str, target: Target, max_offset: int) -> list[str]:
    """Raw candidates of one kind: numerals, or swapped expressions for `operator`."""
    claim, eq = target.claim, target.link.eq
    modulus = eq.get("modulus")
    if kind == "offset":
        return offset_candidates(claim, max_offset, modulus)
    if kind == "digit":
        return digit_candidates(claim)
    if kind == "transpose":
        return transpose_candidates(claim)
    if kind == "decimal":
        return decimal_candidates(claim)
    if kind == "rounding":
        return rounding_candidates(claim)
    if kind == "operator":
        if target.link.expr is None:
            return []
        return operator_swaps(eq["expr"], syntax_of(eq), modulus)
    raise ValueError(f"unknown arith kind {kind!r}")


def igsm_lhs(op_text: str, expr: str) -> str:
    """What an iGSM op's value is of: `T` for a constant `T = 1` or a copy `g = T = 1`."""
    parts = op_text.split(" = ")
    if len(parts) == 2:
        return parts[0]
    if len(parts) == 3:
        return parts[1]
    return expr


def finding(expr: str, correct: str, wrong: str, modulus: int | None) -> str:
    mod = f" (mod {modulus})" if modulus else ""
    return f"{expr} is {correct}{mod}, not {wrong}"


def _draw(rng: random.Random, items: list[Any]) -> Any:
    """Remove and return a uniformly drawn item (cheaper than sampling the whole list)."""
    return items.pop(rng.randrange(len(items))) if len(items) > 1 else items.pop()


@register
class ArithTransform(Transform):
    name = "arith"
    description = "write a step with a wrong result (offset, digit, operator, ...), retract, redo"
    Params = ArithParams
    params: ArithParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        kinds = self.params.kinds
        self._kinds = (list(kinds), [k for k in kinds if k in MODULAR_KINDS])  # plain, mod m

    def apply(self, row: Mapping[str, Any], rng: random.Random) -> Candidate:
        p = self.params
        by_step = equations_by_step(row)
        eligible_eqs = eligible_equations(row, by_step, copies=p.copies)
        if not eligible_eqs:
            if not any(eq["ok"] is True for eq in row["equations"]):
                raise Skip("no_equation", "no equation judged correct")
            raise Skip("no_numeric_equation", "no correct arithmetic with a plain-number result")
        protected = protected_positions(row)
        eligible = sorted(x for x in eligible_eqs if x not in protected)
        if not eligible:
            raise Skip("only_self_corrections", "every step with arithmetic is a self-correction")
        # Every eligible equation has more distinct wrong results than max_per_step
        # (a digit change alone gives eight), so the cap is the only limit.
        counts = place_counts(rng, eligible, p, {s: p.max_per_step for s in eligible})
        located: dict[int, list[Target]] = {}
        used: dict[int, set[str]] = {}
        attempts: list[WrongAttempt] = []
        made: dict[int, int] = {}

        def attempt_at(x: int) -> bool:
            if x not in located:
                located[x] = self._targets(row, x, by_step[x], eligible_eqs[x])
            attempt = self._attempt(row, by_step, located[x], rng, used)
            if attempt is None:
                return False
            attempts.append(attempt)
            made[x] = made.get(x, 0) + 1
            return True

        for x in sorted(counts):
            for _ in range(counts[x]):
                attempt_at(x)
        shortfall = p.min_errors - len(attempts)
        if shortfall > 0:  # only when a drawn step had nothing the evaluator proved wrong
            for x in rng.sample(eligible, len(eligible)):
                while shortfall > 0 and made.get(x, 0) < p.max_per_step and attempt_at(x):
                    shortfall -= 1
        if not attempts and counts:
            raise Skip("no_perturbation", "no perturbed result was proven wrong")
        attempts.sort(key=lambda a: a.at)
        return Candidate(
            row=row,
            transform=self.name,
            attempts=tuple(attempts),
            params=self.param_dict(),
            eligible=tuple(eligible),
        )

    @staticmethod
    def _targets(
        row: Mapping[str, Any], x: int, indices: list[int], eligible: list[int]
    ) -> list[Target]:
        text, eqs = row["steps"][x], row["equations"]
        out = []
        for i in eligible:
            lk = locate(text, i, eqs[i])
            if lk is not None and lk.num is not None and lk.claim_parsed is not None:
                out.append(Target(lk, lk.claim_parsed, indices))
        return out

    def _perturb(self, target: Target, rng: random.Random, used: set[str]) -> Perturbation | None:
        eq = target.link.eq
        claim = target.claim
        modulus = eq.get("modulus")
        syntax = syntax_of(eq)
        kinds = list(self._kinds[modulus is not None])
        while kinds:
            kind = _draw(rng, kinds)
            raw = candidates(kind, target, self.params.max_offset)
            tries = 0
            while raw and tries < _TRIES_PER_KIND:
                item = _draw(rng, raw)
                as_if = None
                if kind == "operator":
                    as_if = item
                    num = operator_numeral(claim, item, syntax, modulus, claim_scale(target.link))
                else:
                    num = item
                if num is None or num in used or not acceptable(claim, num, modulus):
                    continue
                tries += 1
                wrong = claim.with_numeral(num)
                verdict = check_equation(eq["expr"], wrong, syntax=syntax, modulus=modulus)  # type: ignore[arg-type]
                if verdict.ok is False:
                    return Perturbation(kind, num, as_if)
        return None

    def _attempt(
        self,
        row: Mapping[str, Any],
        by_step: list[list[int]],
        targets: list[Target],
        rng: random.Random,
        used: dict[int, set[str]],
    ) -> WrongAttempt | None:
        order = list(targets)
        while order:
            target = _draw(rng, order)
            seen = used.setdefault(target.link.index, set())
            pert = self._perturb(target, rng, seen)
            if pert is None:
                continue
            seen.add(pert.num)
            return self._build(row, by_step, target, pert)
        return None

    def _build(
        self, row: Mapping[str, Any], by_step: list[list[int]], target: Target, pert: Perturbation
    ) -> WrongAttempt:
        link, claim = target.link, target.claim
        eq = link.eq
        x = eq["step"]
        steps = row["steps"]
        modulus = eq.get("modulus")
        value = numeral_value(pert.num)
        igsm = eq["kind"] == "igsm"
        text = wrong_step_text(
            steps[x],
            link,
            pert.num,
            value,
            prose=not igsm,
            equations=row["equations"],
            step_equations=target.step_equations,
            question=row["question"],
            latex=eq["kind"] == "latex",
        )
        texts = [text]
        propagated: list[int] = []
        last = min(x + self.params.propagate, len(steps) - 1)
        op_text = steps[x][link.span[0] : link.span[1]] if igsm else ""
        if igsm and last > x:
            changed_vars = {op_text.split(" = ", 1)[0]: int(value)}
            for y in range(x + 1, last + 1):
                carried = carry_igsm_step(steps[y], changed_vars, modulus or 23)
                if carried is None:
                    break
                texts.append(carried)
                propagated.append(y)
        elif last > x:
            changes: dict[Number, Number] = {claim.value: value}
            given = given_values(row["question"])
            latex = eq["kind"] == "latex"
            for y in range(x + 1, last + 1):
                links = step_links(row, y, by_step[y])
                carried = carry_step(steps[y], links, changes, given, latex=latex)
                if carried is None:
                    break
                texts.append(carried)
                propagated.append(y)
        wrong = claim.with_numeral(pert.num)
        detail: dict[str, Any] = {
            "equation": link.index,
            "expr": eq["expr"],
            "correct": eq["claimed"],
            "wrong": wrong,
            "perturbation": pert.kind,
            "propagated_steps": propagated,
            "modulus": modulus,
            "wrong_span": [link.num[0], link.num[0] + len(pert.num)] if link.num else None,
        }
        if pert.as_if is not None:
            detail["as_if"] = pert.as_if
        lhs = igsm_lhs(op_text, eq["expr"]) if igsm else eq["expr"]
        return WrongAttempt(
            at=x,
            kind=self.name,
            steps=tuple(texts),
            finding=finding(lhs, eq["claimed"], wrong, modulus),
            head=None,  # the wrong arithmetic must be written out, even in the igsm style
            wrong_step=0,
            detail=detail,
        )


# ---------------------------------------------------------------------------------------
# Validation: an independent re-check from the candidate alone (the evaluator, the
# equation finders and the iGSM step parser; none of the rewriting code above).

_NUMBER = re.compile(r"([0-9]+(?:,[0-9]{3})*(?![0-9])(?:\.[0-9]+)?|\.[0-9]+)")  # one group: split


@lru_cache(maxsize=4096)
def _value(token: str) -> int | Fraction:
    """Exact value of a number token (an int for whole numbers: equal, and cheaper)."""
    whole, _, frac = token.replace(",", "").partition(".")
    if not frac:
        return int(whole)
    return Fraction(int(whole + frac), 10 ** len(frac))


@lru_cache(maxsize=4096)
def _single_number(text: str) -> int | Fraction | None:
    found = _NUMBER.findall(text)
    return _value(found[0]) if len(found) == 1 else None


Token = tuple[int, int, "int | Fraction"]
_INLINE_MATH = frozenset("0123456789.,()+-*/×÷x $%=")
_LEADS_INTO_ANNOTATION = re.compile(r"=[ $]*$")


_MATH_RELATION = re.compile(r"=|<|>|\\(?:approx|sim|le|ge|leq|geq|ne|neq|equiv|cong)\b")


def _in_unchecked_relation(text: str, start: int, end: int, latex: bool) -> bool:
    """Whether text[start:end] is in an equation or relation no finder checked: inline
    arithmetic with an `=`, or (in LaTeX solutions) `$...$` math with a relation sign."""
    if _in_arithmetic_with_equals(text, start, end):
        return True
    if not latex or text.count("$", 0, start) % 2 == 0:
        return False
    a, b = text.rfind("$", 0, start), text.find("$", end)
    return _MATH_RELATION.search(text[a + 1 : b if b >= 0 else len(text)]) is not None


def _in_arithmetic_with_equals(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is part of a run of inline arithmetic holding an `=`
    (other than one leading into a calculator annotation: `12+5 = <<12+5=17>>`)."""
    a, b = start, end
    while a > 0 and text[a - 1] in _INLINE_MATH:
        a -= 1
    while b < len(text) and text[b] in _INLINE_MATH:
        b += 1
    run = text[a:b]
    if text.startswith("<<", b):
        run = _LEADS_INTO_ANNOTATION.sub("", run)
    return "=" in run


_NUMBER_CHARS = frozenset("0123456789.,")


def _changed_region(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common prefix and suffix of two different texts, backed off to the
    edges of any number they cut (binary search over slice compares: memcmp, not a loop)."""
    lo, hi = 0, min(len(old), len(new))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, min(len(old), len(new)) - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    suffix = lo
    while prefix and old[prefix - 1] in _NUMBER_CHARS:
        prefix -= 1
    while suffix and old[len(old) - suffix] in _NUMBER_CHARS:
        suffix -= 1
    return prefix, suffix


def _diff(old: str, new: str) -> list[tuple[Token, Token]] | None:
    """Number tokens that differ (old, new), or None when the texts differ elsewhere.

    Only the stretch between the common prefix and suffix is tokenized.
    """
    if old == new:
        return []
    prefix, suffix = _changed_region(old, new)
    a = _NUMBER.split(old[prefix : len(old) - suffix])  # text, number, text, ..., text
    b = _NUMBER.split(new[prefix : len(new) - suffix])
    if len(a) != len(b) or a[0::2] != b[0::2]:
        return None
    out: list[tuple[Token, Token]] = []
    for k, (x, y) in enumerate(zip(a[1::2], b[1::2], strict=True)):
        if x != y:
            pa = prefix + len("".join(a[: 2 * k + 1]))
            pb = prefix + len("".join(b[: 2 * k + 1]))
            out.append(((pa, pa + len(x), _value(x)), (pb, pb + len(y), _value(y))))
    return out


def _found(text: str, kind: str) -> list[tuple[str, str, int, int]]:
    """(expr, claimed, start, end) of the equations of `kind` written in `text`."""
    if kind == "igsm":
        try:
            step = parse_step(text)
        except IgsmParseError:
            return []
        return [(op.numeric, str(op.claimed), op.start, op.end) for op in step.ops]
    if kind not in ("annotation", "inline", "latex"):
        return []
    return [(f.expr, f.claimed, f.start, f.end) for f in find_equations(text, kind=kind)]  # type: ignore[arg-type]


def validate_arith(candidate: Candidate) -> list[str]:
    """Problems found with the candidate's arith attempts (empty: valid)."""
    problems: list[str] = []
    for a in candidate.attempts:
        if a.kind == "arith":
            problems.extend(
                f"arith attempt at {a.at}: {p}" for p in _check_attempt(candidate.row, a)
            )
    return problems


def _check_attempt(row: Mapping[str, Any], a: WrongAttempt) -> list[str]:
    steps, eqs = row["steps"], row["equations"]
    d = a.detail
    idx = d.get("equation")
    if not isinstance(idx, int) or not 0 <= idx < len(eqs):
        return [f"equation index {idx!r} out of range"]
    eq = eqs[idx]
    x = eq["step"]
    modulus = eq.get("modulus")
    syntax = "latex" if eq["kind"] == "latex" else "plain"
    problems: list[str] = []
    if a.at != x:
        problems.append(f"placed before step {a.at}, but it perturbs step {x}")
    if a.wrong_step != 0:
        problems.append(f"wrong_step is {a.wrong_step}, expected 0")
    prop = d.get("propagated_steps")
    if not isinstance(prop, list) or prop != list(range(x + 1, x + 1 + len(prop))):
        return [*problems, f"propagated_steps {prop!r} are not the steps after {x}"]
    if x + len(prop) >= len(steps) or len(a.steps) != 1 + len(prop):
        return [*problems, f"{len(a.steps)} texts for {len(prop)} propagated steps"]
    if d.get("expr") != eq["expr"] or d.get("correct") != eq["claimed"]:
        problems.append("detail does not name the row's equation")
    wrong = d.get("wrong")
    if not isinstance(wrong, str):
        return [*problems, "no wrong result in detail"]
    original = check_equation(eq["expr"], eq["claimed"], syntax=syntax, modulus=modulus)
    if original.ok is not True:
        problems.append(f"the original {eq['expr']} = {eq['claimed']} is not proven true")
    verdict = check_equation(eq["expr"], wrong, syntax=syntax, modulus=modulus)
    if verdict.ok is not False:
        problems.append(f"{eq['expr']} = {wrong} is not proven false ({verdict.reason})")
    v, w = _single_number(eq["claimed"]), _single_number(wrong)
    if v is None or w is None or v == w:
        return [*problems, f"results {eq['claimed']!r} and {wrong!r} are not two different numbers"]
    if modulus is not None and not (0 <= w < modulus and w.denominator == 1):
        problems.append(f"wrong residue {wrong} outside 0..{modulus - 1}")

    # The wrong step: the same equation written with the wrong result, and nothing else
    # changed but numbers equal to the result, at or after the equation.
    text = a.steps[0]
    # (an iGSM constant or copy "o = 0", "D = g = 1" writes no left side of its own)
    bare = eq["kind"] == "igsm" and eq["expr"] == eq["claimed"]
    start = eq["start"]
    if eq["kind"] == "annotation":  # an annotation stands alone: read just that one
        close = text.find(">>", start)
        found = [
            (e, c, s + start, t + start)
            for e, c, s, t in _found(text[start : close + 2], "annotation")
        ]
    else:
        found = _found(text, eq["kind"])
    match = [f for f in found if f[2] == start and (f[0] == eq["expr"] or (bare and f[0] == wrong))]
    if not match:
        problems.append("the wrong step no longer holds the equation")
    elif match[0][1] != wrong:
        problems.append(f"the wrong step claims {match[0][1]!r}, detail says {wrong!r}")
    diff = _diff(steps[x], text)
    if diff is None:
        problems.append("the wrong step differs from the clean one outside its numbers")
    elif not diff:
        problems.append("the wrong step is the clean step")
    else:
        for old, new in diff:
            if old[2] != v or new[2] != w or old[0] < eq["start"]:
                problems.append(
                    f"the wrong step changes {steps[x][old[0] : old[1]]!r} at {old[0]}, "
                    "which is not the result"
                )
                break
            beyond = old[0] > eq["end"] + 1  # neither the claim nor an annotation's echo
            if beyond and _in_unchecked_relation(text, new[0], new[1], eq["kind"] == "latex"):
                problems.append(f"the wrong step changes {old[2]} in an unchecked equation")
                break
    lhs = eq["expr"]
    if eq["kind"] == "igsm":
        lhs = igsm_lhs(steps[x][eq["start"] : eq["end"]], eq["expr"])
    if a.finding != finding(lhs, eq["claimed"], wrong, modulus):
        problems.append(f"finding {a.finding!r} does not state the evidence")
    if prop:
        if eq["kind"] == "igsm":
            problems.extend(_check_igsm_carry(row, a, x, prop, modulus or 23))
        else:
            problems.extend(_check_carry(row, a, prop, v, w))
    return problems


def _check_carry(
    row: Mapping[str, Any],
    a: WrongAttempt,
    prop: list[int],
    v: int | Fraction,
    w: int | Fraction,
) -> list[str]:
    """Propagated steps: only carried numbers change, and every correct equation stays correct.

    A number outside the step's equations must change exactly as carried so far; one
    inside may also be a result the step recomputes, whose old value then maps to the
    new one for the steps after.
    """
    steps, eqs = row["steps"], row["equations"]
    latex = any(eq["kind"] == "latex" for eq in eqs)
    carried: dict[int | Fraction, int | Fraction] = {v: w}
    for j, y in enumerate(prop):
        old, new = steps[y], a.steps[1 + j]
        diff = _diff(old, new)
        if diff is None:
            return [f"step {y} differs from the clean one outside its numbers"]
        if not diff:
            continue
        mine = [eq for eq in eqs if eq["step"] == y]
        kinds = {eq["kind"] for eq in mine}
        found = _found(new, next(iter(kinds))) if len(kinds) == 1 else []
        if len(found) != len(mine):
            return [f"step {y}: {len(found)} equations after carrying, {len(mine)} before"]
        problems: list[str] = []
        for eq, (expr, claimed, _, _) in zip(mine, found, strict=True):
            if eq["ok"] is True:
                syntax = "latex" if eq["kind"] == "latex" else "plain"
                if check_equation(expr, claimed, syntax=syntax).ok is not True:
                    problems.append(f"step {y}: carried {expr} = {claimed} is not true")
        spans = [(f[2], f[3]) for f in found]
        echoes = {f[3] for f in found} if kinds == {"annotation"} else set()
        results = {r for eq in mine if (r := _single_number(eq["claimed"])) is not None}
        # results the step recomputes, by where the recomputed equation ends: a number
        # after that point carries the new result, one before it the value carried so far
        recomputed = []
        for eq, (_, claimed, _, end) in zip(mine, found, strict=True):
            before, after = _single_number(eq["claimed"]), _single_number(claimed)
            if before is not None and after is not None and before != after:
                recomputed.append((end, before, after))
        local = dict(carried)
        pending = sorted(recomputed, key=lambda r: r[0])
        for o, n in diff:
            while pending and pending[0][0] <= n[0]:
                _, before, after = pending.pop(0)
                local[before] = after
            inside = any(s <= n[0] and n[1] <= e for s, e in spans) or bool(
                echoes & {n[0], n[0] - 1}
            )
            if inside:
                if o[2] not in carried and o[2] not in results:
                    problems.append(f"step {y}: {old[o[0] : o[1]]!r} changed but is not carried")
            elif local.get(o[2]) != n[2]:
                problems.append(
                    f"step {y}: {old[o[0] : o[1]]!r} became {new[n[0] : n[1]]!r}, "
                    "not the carried value"
                )
            elif _in_unchecked_relation(new, n[0], n[1], latex):
                problems.append(f"step {y}: {new[n[0] : n[1]]!r} changed in an unchecked equation")
        for _, before, after in recomputed:
            carried[before] = after
        if problems:
            return problems
    return []


def _check_igsm_carry(
    row: Mapping[str, Any], a: WrongAttempt, x: int, prop: list[int], modulus: int
) -> list[str]:
    """Replay the iGSM ops mod `modulus` with the wrong step's values in place."""
    steps = row["steps"]
    env: dict[str, int] = {}
    try:
        for text in [*steps[:x], a.steps[0]]:
            for op in parse_step(text).ops:
                env[op.target] = op.claimed
        for j, y in enumerate(prop):
            new = a.steps[1 + j]
            if _diff(steps[y], new) is None:
                return [f"step {y} differs from the clean one outside its numbers"]
            for op in parse_step(new).ops:
                nums = op.numeric.split(" ")[0::2]
                for sym, num in zip(op.terms, nums, strict=True):
                    expected = env.get(sym) if sym.isalpha() else int(sym)
                    if expected is not None and expected != int(num):
                        return [f"step {y}: {sym} is {expected}, but the step writes {num}"]
                verdict = check_equation(op.numeric, str(op.claimed), modulus=modulus)
                if verdict.ok is not True:
                    return [f"step {y}: {op.numeric} = {op.claimed} is not true mod {modulus}"]
                env[op.target] = op.claimed
    except (IgsmParseError, ValueError) as exc:
        return [f"iGSM step does not parse after carrying: {exc}"]
    return []
