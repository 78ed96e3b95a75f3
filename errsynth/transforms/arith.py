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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from errsynth.evaluate import check_equation
from errsynth.evidence.arith import finding, igsm_lhs
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
    results_used_later,
    syntax_of,
    wrong_step_text,
)
from errsynth.transforms.base import (
    TRANSFORMS,
    Candidate,
    Skip,
    WrongAttempt,
)
from errsynth.transforms.profiled import ProfiledTransform, ProfileParams
from errsynth.transforms.protected import protected_positions
from errsynth.types.error_profile import TRANSFORM_KIND, ErrorProfile

#: Candidates checked with the evaluator per kind before the kind counts as not
#: applicable (nearly always the first one is proven wrong).
_TRIES_PER_KIND = 6


@dataclass(frozen=True)
class ArithParams(ProfileParams):
    # drawn uniformly among those applicable to the value (with a profile: by its subkinds)
    kinds: tuple[str, ...] = KINDS
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
        later = results_used_later(steps[step], indices, eqs) if len(indices) > 1 else set()
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
            if i in later:  # a later equation of the step reads this result
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


def _draw(rng: random.Random, items: list[Any]) -> Any:
    """Remove and return a uniformly drawn item (cheaper than sampling the whole list)."""
    return items.pop(rng.randrange(len(items))) if len(items) > 1 else items.pop()


def _draw_weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    """Remove and return an item drawn in proportion to its (positive) weight."""
    r = rng.random() * sum(weights)
    j = len(items) - 1  # float rounding at the top end
    for k, w in enumerate(weights):
        r -= w
        if r < 0:
            j = k
            break
    weights.pop(j)
    return items.pop(j)


def profile_kind_weights(
    profile: ErrorProfile, kinds: tuple[str, ...]
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """The perturbation kinds to draw, with weights, for plain and for modular claims.

    The profile's ``arith_slip`` subkinds that are perturbation kinds allowed by
    ``kinds`` (others, such as ``other``, are dropped and the rest renormalized by the
    draw). A claim type for which the profile measured none of its applicable kinds
    gets None: drawn uniformly as without a profile.
    """
    measured = profile.subkind_weights(TRANSFORM_KIND["arith"])
    plain = {k: measured[k] for k in kinds if measured.get(k, 0) > 0}
    modular = {k: w for k, w in plain.items() if k in MODULAR_KINDS}
    return plain or None, modular or None


@TRANSFORMS.register
class ArithTransform(ProfiledTransform):
    name = "arith"
    description = "write a step with a wrong result (offset, digit, operator, ...), retract, redo"
    Params = ArithParams
    params: ArithParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        kinds = self.params.kinds
        self._kinds = (list(kinds), [k for k in kinds if k in MODULAR_KINDS])  # plain, mod m
        # with a profile that measured arith subkinds: the draw weights per claim type
        self._kind_weights: tuple[dict[str, float] | None, dict[str, float] | None] = (
            (None, None) if self.profile is None else profile_kind_weights(self.profile, kinds)
        )

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
        counts = self.place(rng, eligible, {s: p.max_per_step for s in eligible}, len(row["steps"]))
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
            for x in self.shuffled(rng, eligible, len(row["steps"])):
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
        measured = self._kind_weights[modulus is not None]
        if measured is None:
            kinds, weights = list(self._kinds[modulus is not None]), None
        else:
            kinds, weights = list(measured), list(measured.values())
        while kinds:
            kind = _draw(rng, kinds) if weights is None else _draw_weighted(rng, kinds, weights)
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
