"""The arith validator: an independent re-check of an arith attempt from the candidate alone.

It uses the evaluator, the equation finders and the iGSM step parser, never the
rewriting code of :mod:`errsynth.transforms.arith`: the wrong equation is proven
false and the original true, the wrong step differs from the clean one only in the
result (and later mentions of it), and propagated steps carry the wrong value
consistently (iGSM: replayed mod 23).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

from errsynth.evaluate import check_equation, find_equations
from errsynth.evidence.arith import finding, igsm_lhs
from errsynth.igsm.errors import IgsmParseError
from errsynth.igsm.step_parser import parse_step
from errsynth.types.candidates import Candidate, WrongAttempt
from errsynth.validate.registry import VALIDATORS

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


@VALIDATORS.named("arith")
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
