"""Row-local filters over solution rows: `filter` (steps, equations, source) and `decontaminate`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from errsynth.core.params import ParamError
from errsynth.core.stage import stage_rejects
from errsynth.dedup import NgramIndex, decontaminate, load_eval_set
from errsynth.steps.base import SOLUTIONS, Processed, RowStep


@dataclass(frozen=True)
class DecontaminateParams:
    """Drop rows sharing a word n-gram with an evaluation file's questions."""

    eval: tuple[str, ...] = ()
    ngram: int = 13
    fields: tuple[str, ...] = ("question",)

    def __post_init__(self) -> None:
        if self.ngram < 1:
            raise ValueError(f"decontaminate: ngram must be >= 1, got {self.ngram}")
        for path in self.eval:  # every line read now: a bad file is a load-time error
            load_eval_set(path)


@dataclass(frozen=True)
class FilterParams:
    """Keep solutions by step count, equation verdicts and source."""

    min_steps: int = 1
    max_steps: int | None = None
    equations_ok: bool = False  # drop solutions with an equation judged wrong
    sources: tuple[str, ...] = ()  # keep only these sources (empty: all)


def _split(table: pa.Table, reasons: list[str | None], stage: str, reason: str) -> Processed:
    """Kept rows and rejects (reason `reason`, the per-row text as detail) of a verdict list."""
    mask = pa.array([r is not None for r in reasons], pa.bool_())
    details = [r for r in reasons if r is not None]
    rejects = stage_rejects(table, mask, stage, [reason] * len(details), details)
    return Processed(table.filter(pc.invert(mask)), rejects)


class Decontaminate(RowStep):
    name = "decontaminate"
    Params = DecontaminateParams
    reads = frozenset({SOLUTIONS})

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        if not self.params.eval:
            raise ParamError("decontaminate: list at least one evaluation file under eval:")
        self._index: NgramIndex | None = None

    def index(self) -> NgramIndex:
        if self._index is None:
            sets = [load_eval_set(path) for path in self.params.eval]
            self._index = NgramIndex.build(sets, n=self.params.ngram)
        return self._index

    def process(self, table: pa.Table, stage: str) -> Processed:
        result = decontaminate(table, self.index(), self.params.fields, id_col="id")
        reasons = [
            None if e is None else f"eval {e}: {g!r}"
            for e, g in zip(result.eval_id, result.ngram, strict=True)
        ]
        return _split(table, reasons, stage, "contaminated")


class Filter(RowStep):
    name = "filter"
    Params = FilterParams
    reads = frozenset({SOLUTIONS})

    def process(self, table: pa.Table, stage: str) -> Processed:
        p = self.params
        reasons: list[str | None] = []
        for row in table.select(["source", "steps", "equations"]).to_pylist():
            n = len(row["steps"])
            if n < p.min_steps:
                reasons.append(f"fewer than {p.min_steps} steps")
            elif p.max_steps is not None and n > p.max_steps:
                reasons.append(f"more than {p.max_steps} steps")
            elif p.equations_ok and any(e["ok"] is False for e in row["equations"]):
                reasons.append("an equation is judged wrong")
            elif p.sources and row["source"] not in p.sources:
                reasons.append(f"source {row['source']!r} not kept")
            else:
                reasons.append(None)
        return _split(table, reasons, stage, "filtered")
