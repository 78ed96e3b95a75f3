"""Turn stream weights, stream sizes and a target into per-stream quotas.

Quotas are integers in the unit of ``weight_by`` (rows or tokens) and are
computed with exact fractions, so the plan is the same on every machine. A
stream's quota may exceed what it holds only when repeats are allowed: it then
takes ``full_epochs`` whole passes over its rows plus ``remainder`` units from
one more pass (the partial epoch, chosen in key order by `select`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from errsynth.mix.spec import MixSpec


class MixPlanError(ValueError):
    """The data cannot meet the requested mixture; the message says which stream and why."""


@dataclass(frozen=True)
class StreamQuota:
    name: str
    share: Fraction  # requested share of the output, in weight_by units
    available: int  # units the stream holds (rows or tokens)
    quota: int  # units it must contribute
    full_epochs: int  # whole passes over the stream
    remainder: int  # units taken from pass number `full_epochs`, in key order

    @property
    def partial_epoch(self) -> int:
        return self.full_epochs


@dataclass(frozen=True)
class MixPlan:
    seed: int
    weight_by: str
    target_requested: int | None  # None: "all"
    target: int  # sum of the quotas
    quotas: tuple[StreamQuota, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "weight_by": self.weight_by,
            "target_requested": "all" if self.target_requested is None else self.target_requested,
            "target": self.target,
            "streams": {
                q.name: {
                    "requested_share": float(q.share),
                    "available": q.available,
                    "quota": q.quota,
                    "full_epochs": q.full_epochs,
                    "remainder": q.remainder,
                }
                for q in self.quotas
            },
        }


def largest_remainder(shares: Sequence[Fraction], total: int) -> list[int]:
    """Integers proportional to ``shares`` that sum to ``total`` (ties go to the earlier stream)."""
    exact = [s * total for s in shares]
    base = [int(x) for x in exact]  # floor: all non-negative
    left = total - sum(base)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return base


def plan_mix(spec: MixSpec, available: Mapping[str, int]) -> MixPlan:
    """Quotas for each stream given the units (rows or tokens) each holds."""
    total_w = sum(Fraction(s.weight) for s in spec.streams)
    shares = [Fraction(s.weight) / total_w for s in spec.streams]
    avail = [int(available.get(s.name, 0)) for s in spec.streams]
    unit = spec.weight_by
    for s, sh, a in zip(spec.streams, shares, avail, strict=True):
        if sh > 0 and a == 0:
            raise MixPlanError(
                f"stream {s.name!r} has weight {s.weight} but holds no {unit} "
                f"(streams hold: {dict(zip([x.name for x in spec.streams], avail, strict=True))})"
            )
    active = [i for i, sh in enumerate(shares) if sh > 0]
    # The largest output every stream can fill without repeating.
    t_all = min(Fraction(avail[i]) / shares[i] for i in active)
    if spec.target is None:
        target = int(t_all)
    else:
        target = spec.target
        short = [
            i
            for i in active
            if shares[i] * target > avail[i] and not spec.repeat_allowed(spec.streams[i])
        ]
        if short and spec.on_shortfall == "error":
            lines = ", ".join(
                f"{spec.streams[i].name!r} needs {float(shares[i] * target):.0f} {unit}, "
                f"holds {avail[i]}"
                for i in short
            )
            raise MixPlanError(
                f"target {target} {unit} is more than the data gives without repeats ({lines}); "
                f"set allow_repeat (mix-wide or per stream), lower mix.target, use "
                f"target: all, or on_shortfall: shrink (largest target that fits: {int(t_all)})"
            )
        if short:  # shrink: the largest target the non-repeating streams can fill
            target = int(min(Fraction(avail[i]) / shares[i] for i in short))
    quotas = largest_remainder(shares, target)
    out = []
    for s, sh, a, q in zip(spec.streams, shares, avail, quotas, strict=True):
        full, rem = divmod(q, a) if a else (0, 0)
        out.append(StreamQuota(s.name, sh, a, q, full, rem))
    return MixPlan(spec.seed, unit, spec.target, target, tuple(out))


def achieved(
    plan: MixPlan, rows_out: Mapping[str, int], tokens_out: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """Per stream: requested vs achieved share (in weight_by units), and output sizes."""
    units = tokens_out if plan.weight_by == "tokens" else rows_out
    total = sum(units.get(q.name, 0) for q in plan.quotas)
    rows_total = sum(rows_out.values())
    tok_total = sum(tokens_out.values())
    out: dict[str, dict[str, Any]] = {}
    for q in plan.quotas:
        got = units.get(q.name, 0)
        r, t = rows_out.get(q.name, 0), tokens_out.get(q.name, 0)
        out[q.name] = {
            "requested_share": float(q.share),
            "achieved_share": got / total if total else 0.0,
            "quota": q.quota,
            "achieved": got,
            "rows_out": r,
            "tokens_out": t,
            "row_share": r / rows_total if rows_total else 0.0,
            "token_share": t / tok_total if tok_total else 0.0,
            "full_epochs": q.full_epochs,
        }
    return out
