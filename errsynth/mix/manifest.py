"""``manifest.json`` of a mix: what went in, what came out, and whether the weights were met."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

import errsynth
from errsynth.core.atomic import write_json_atomic as core_write_json
from errsynth.mix.weights import MixPlan, achieved
from errsynth.mix.writer import ShardInfo


@dataclass
class MixCounts:
    """Counters the mixer fills while it runs; ``merge`` adds (one per worker)."""

    rows_in: int = 0
    rows_selected: int = 0  # distinct input rows in the output
    rows_out: int = 0  # output rows, repeats included
    rejected: Counter[str] = field(default_factory=Counter)  # by reason
    stream_rows: Counter[str] = field(default_factory=Counter)  # available, per stream
    stream_tokens: Counter[str] = field(default_factory=Counter)
    out_rows: Counter[str] = field(default_factory=Counter)  # per stream
    out_tokens: Counter[str] = field(default_factory=Counter)
    kind_in: Counter[str] = field(default_factory=Counter)
    kind_out: Counter[str] = field(default_factory=Counter)
    kind_tokens_out: Counter[str] = field(default_factory=Counter)
    source_in: Counter[str] = field(default_factory=Counter)
    source_out: Counter[str] = field(default_factory=Counter)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def merge(self, other: MixCounts) -> MixCounts:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)
        return self


def count_values(
    col: pa.Array | pa.ChunkedArray | None, weights: Sequence[int] | None = None
) -> Counter[str]:
    """Counter of a string column's values (null as "null"), optionally weighted."""
    if col is None:
        return Counter()
    values = ["null" if v is None else str(v) for v in col.to_pylist()]
    if weights is None:
        return Counter(values)
    out: Counter[str] = Counter()
    for v, w in zip(values, weights, strict=True):
        out[v] += int(w)
    return out


def _sorted(c: Mapping[str, int]) -> dict[str, int]:
    return {k: int(c[k]) for k in sorted(c)}


def build_manifest(
    *,
    counts: MixCounts,
    plan: MixPlan,
    shards: Sequence[ShardInfo],
    mix: Mapping[str, Any],
    output: Mapping[str, Any],
    tokenizer: str,
    recipe: Any = None,
    rejects: Mapping[str, Any] | None = None,
    elapsed_s: float = 0.0,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest dict (DESIGN.md keys first, then the mixer's own)."""
    kinds = sorted(set(counts.kind_in) | set(counts.kind_out))
    sources = sorted(set(counts.source_in) | set(counts.source_out))
    out: dict[str, Any] = {
        "rows_in": counts.rows_in,
        "rows_out": counts.rows_out,
        "rows_rejected": counts.rows_rejected,
        "shards": [s.as_dict() for s in shards],
        "recipe": recipe,
        "seed": plan.seed,
        "errsynth_version": errsynth.__version__,
        "per_kind": {
            k: {
                "rows_in": counts.kind_in[k],
                "rows_out": counts.kind_out[k],
                "tokens_out": counts.kind_tokens_out[k],
            }
            for k in kinds
        },
        "per_source": {
            s: {"rows_in": counts.source_in[s], "rows_out": counts.source_out[s]} for s in sources
        },
        "rows_selected": counts.rows_selected,
        "rows_repeated": counts.rows_out - counts.rows_selected,
        "rejected_by_reason": _sorted(counts.rejected),
        "tokenizer": tokenizer,
        "token_field": mix.get("token_field"),
        "tokens_out": sum(counts.out_tokens.values()),
        "mix": {
            **plan.as_dict(),
            "achieved": sum(
                (counts.out_tokens if plan.weight_by == "tokens" else counts.out_rows).values()
            ),
            "streams": {
                name: {
                    **info,
                    "available_rows": counts.stream_rows[name],
                    "available_tokens": counts.stream_tokens[name],
                }
                for name, info in achieved(plan, counts.out_rows, counts.out_tokens).items()
            },
            "spec": dict(mix),
        },
        "output": dict(output),
        "rejects": dict(rejects) if rejects else None,
        "pyarrow_version": pa.__version__,
        "elapsed_s": round(elapsed_s, 3),
    }
    if extra:
        out.update(extra)
    return out


def write_json_atomic(path: Path | str, obj: Any) -> None:
    """The manifest as UTF-8 JSON, written atomically (`core.atomic`), its folder made."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    core_write_json(path, obj, ensure_ascii=False)
