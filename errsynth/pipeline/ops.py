"""Recipe `process:` operators: their parameters and their engine-independent work.

Each operator is either a *filter* over solution rows (decontaminate, filter)
that maps one batch to (kept rows, rejected rows), a *dedup* that needs the
whole table's key columns before it can decide, or `augment`, which turns
solution rows into sample rows. Engines only schedule this code.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.dedup import (
    MinHashParams,
    NearDedupConfig,
    NgramIndex,
    decontaminate,
    load_eval_set,
)
from errsynth.dedup.exact import exact_dedup_batches
from errsynth.dedup.near import near_dedup_batches
from errsynth.dedup.result import DedupResult
from errsynth.render.annotations import strips
from errsynth.render.forms import check_form, style_output_for

ORDER = "_order"  # keep-first order of solution rows: (source index, row number)


@dataclass(frozen=True)
class DedupExactParams:
    """Drop rows whose normalized text equals an earlier row's (keep-first by input order)."""

    fields: tuple[str, ...] = ("question",)


@dataclass(frozen=True)
class DedupMinhashParams:
    """Drop near duplicates: MinHash signatures, LSH band bucketing, connected components."""

    fields: tuple[str, ...] = ("question",)
    threshold: float = 0.5
    num_perm: int = 128
    ngram: int = 3
    unit: Literal["word", "char"] = "word"
    bands: int | None = None
    rows: int | None = None
    seed: int = 1


@dataclass(frozen=True)
class DecontaminateParams:
    """Drop rows sharing a word n-gram with an evaluation file's questions."""

    eval: tuple[str, ...] = ()
    ngram: int = 13
    fields: tuple[str, ...] = ("question",)


@dataclass(frozen=True)
class FilterParams:
    """Keep solutions by step count, equation verdicts and source."""

    min_steps: int = 1
    max_steps: int | None = None
    equations_ok: bool = False  # drop solutions with an equation judged wrong
    sources: tuple[str, ...] = ()  # keep only these sources (empty: all)


@dataclass(frozen=True)
class AugmentParams:
    """Turn solutions into retry samples: transforms, a rendering style, and the clean rows."""

    transforms: tuple[Mapping[str, Mapping[str, Any]], ...] = ()
    style: Mapping[str, Any] = field(default_factory=dict)
    include_clean: bool = True
    form: str | None = None  # output form (errsynth.render.forms); default: output.form, text
    annotations: str = "auto"  # GSM8K <<a=b>> annotations: auto / keep / strip


class Operator:
    name: ClassVar[str]
    Params: ClassVar[type]
    kind: ClassVar[Literal["filter", "dedup", "augment"]]

    def __init__(self, params: Mapping[str, Any]) -> None:
        known = {f.name for f in dataclasses.fields(self.Params)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {unknown}; known: {sorted(known)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        if "fields" in values and isinstance(values["fields"], str):
            values["fields"] = (values["fields"],)
        self.params = self.Params(**values)

    def describe(self) -> dict[str, Any]:
        return {self.name: json.loads(json.dumps(dataclasses.asdict(self.params), default=list))}


OPERATORS: dict[str, type[Operator]] = {}


def register(cls: type[Operator]) -> type[Operator]:
    OPERATORS[cls.name] = cls
    return cls


def _rejects(
    table: pa.Table, mask: pa.Array, stage: str, reasons: list[str], details: list[str]
) -> pa.Table:
    removed = table.filter(mask)
    return pa.table(
        {
            "id": removed.column("id"),
            "source": removed.column("source"),
            "stage": pa.array([stage] * removed.num_rows, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "detail": pa.array(details, pa.string()),
        }
    )


class DedupOperator(Operator):
    kind = "dedup"

    def decide_batches(
        self, keys: Iterable[pa.Table], total_rows: int | None = None
    ) -> DedupResult:
        """The verdict over key tables read one at a time (bounded memory)."""
        raise NotImplementedError

    def keys(self, chunk: Any, offset: int) -> pa.Table:
        """The columns the decision needs; rows identified by their global row number.

        Content ids repeat (two identical input records are one id) and `_order`
        repeats after `augment` (every sample of a solution shares it), so the
        dedup stages name rows by their position in the stage input: `offset` is
        the number of rows in the chunks before this one. Keep order stays
        (`_order`, position), the same on every engine and chunking.
        """
        fields = list(self.params.fields)  # type: ignore[attr-defined]
        table = chunk.select([ORDER, *fields])
        rows = pa.array(np.arange(offset, offset + table.num_rows, dtype=np.int64))
        return table.add_column(0, "id", rows)


def chunk_offsets(chunks: Any) -> list[int]:
    """Global row number of each chunk's first row."""
    return [0, *itertools.accumulate(c.num_rows for c in chunks)][:-1] if chunks else []


@register
class DedupExact(DedupOperator):
    name = "dedup_exact"
    Params = DedupExactParams

    def decide_batches(
        self, keys: Iterable[pa.Table], total_rows: int | None = None
    ) -> DedupResult:
        return exact_dedup_batches(keys, self.params.fields, id_col="id", order_col=ORDER)


@register
class DedupMinhash(DedupOperator):
    name = "dedup_minhash"
    Params = DedupMinhashParams

    def config(self) -> NearDedupConfig:
        """The MinHash/LSH settings, shared by the local pass and the Ray stages."""
        p = self.params
        return NearDedupConfig(
            minhash=MinHashParams(num_perm=p.num_perm, seed=p.seed, ngram=p.ngram, unit=p.unit),
            threshold=p.threshold,
            bands=p.bands,
            rows=p.rows,
        )

    def decide_batches(
        self, keys: Iterable[pa.Table], total_rows: int | None = None
    ) -> DedupResult:
        return near_dedup_batches(
            keys,
            self.params.fields,
            id_col="id",
            order_col=ORDER,
            config=self.config(),
            total_rows=total_rows,
        )


def dedup_split(
    table: pa.Table, result: DedupResult, stage: str, offset: int, id_of: Mapping[int, str]
) -> tuple[pa.Table, pa.Table]:
    """Apply a dedup decision to one chunk: kept rows, and rejects naming the kept twin.

    The decision names rows by global row number (`DedupOperator.keys`), in input
    order, so this chunk's verdicts are the slice at `offset`; `id_of` maps the row
    number of each kept representative to its content id for the reject detail.
    """
    n = table.num_rows
    ids = result.ids.slice(offset, n).to_numpy()
    if len(ids) != n or (n and not np.array_equal(ids, np.arange(offset, offset + n))):
        raise ValueError("dedup verdicts are not in row order of the stage input")
    removed = ~result.kept_mask[offset : offset + n]
    dup = result.duplicate_of.slice(offset, n).to_pylist()
    details = [f"duplicate of {id_of[d]}" for d, r in zip(dup, removed, strict=True) if r]
    reasons = [result.reason] * len(details)
    mask = pa.array(removed)
    return table.filter(pc.invert(mask)), _rejects(table, mask, stage, reasons, details)


def representative_ids(chunks: Any, result: DedupResult) -> dict[int, str]:
    """Global row number → content id of every row that some removed row duplicates."""
    reps = np.unique(result.duplicate_of.drop_null().to_numpy())
    out: dict[int, str] = {}
    for chunk, offset in zip(chunks, chunk_offsets(chunks), strict=True):
        local = reps[(reps >= offset) & (reps < offset + chunk.num_rows)] - offset
        if len(local):
            ids = chunk.select(["id"]).column("id").take(pa.array(local)).to_pylist()
            out.update(zip((local + offset).tolist(), ids, strict=True))
    return out


@register
class Decontaminate(Operator):
    name = "decontaminate"
    Params = DecontaminateParams
    kind = "filter"

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        if not self.params.eval:
            raise ValueError("decontaminate: list at least one evaluation file under eval:")
        self._index: NgramIndex | None = None

    def index(self) -> NgramIndex:
        if self._index is None:
            sets = [load_eval_set(path) for path in self.params.eval]
            self._index = NgramIndex.build(sets, n=self.params.ngram)
        return self._index

    def apply(self, table: pa.Table, stage: str) -> tuple[pa.Table, pa.Table]:
        result = decontaminate(table, self.index(), self.params.fields, id_col="id")
        hit = [e is not None for e in result.eval_id]
        mask = pa.array(hit, pa.bool_())
        details = [
            f"eval {e}: {g!r}"
            for e, g, h in zip(result.eval_id, result.ngram, hit, strict=True)
            if h
        ]
        return table.filter(pc.invert(mask)), _rejects(
            table, mask, stage, ["contaminated"] * len(details), details
        )


@register
class Filter(Operator):
    name = "filter"
    Params = FilterParams
    kind = "filter"

    def apply(self, table: pa.Table, stage: str) -> tuple[pa.Table, pa.Table]:
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
        mask = pa.array([r is not None for r in reasons], pa.bool_())
        details = [r for r in reasons if r is not None]
        return table.filter(pc.invert(mask)), _rejects(
            table, mask, stage, ["filtered"] * len(details), details
        )


@register
class Augment(Operator):
    name = "augment"
    Params = AugmentParams
    kind = "augment"

    def __init__(self, params: Mapping[str, Any]) -> None:
        from errsynth.transforms import make_transform

        super().__init__(params)
        self.transforms = []
        for k, entry in enumerate(self.params.transforms):
            if not isinstance(entry, Mapping) or len(entry) != 1:
                raise ValueError(
                    f"augment.transforms[{k}]: expected one {{name: {{params}}}} entry"
                )
            ((tname, tparams),) = entry.items()
            self.transforms.append(make_transform(tname, **dict(tparams or {})))
        if not self.transforms and not self.params.include_clean:
            raise ValueError("augment: name at least one transform, or set include_clean: true")
        self.form = "text"
        self.set_form(self.params.form or "text")
        strips(self.params.annotations, "back")  # a clear error for an unknown choice

    def set_form(self, form: str) -> None:
        """The output form (the recipe's `output.form` when the operator names none)."""
        from errsynth.render import StyleConfig

        style = dict(self.params.style)
        style.setdefault("output", style_output_for(form))
        self.form = form
        self.style = StyleConfig(**style)
        check_form(form, self.style.name)


def make_operator(entry: Any, where: str) -> Operator:
    """One `process:` entry (`{name: {params}}`) as an operator."""
    if not isinstance(entry, Mapping) or len(entry) != 1:
        raise ValueError(f"{where}: expected one {{operator: {{params}}}} mapping")
    ((name, params),) = entry.items()
    if name not in OPERATORS:
        raise ValueError(
            f"{where}: unknown operator {name!r}; choose from {', '.join(sorted(OPERATORS))}"
        )
    return OPERATORS[name](dict(params or {}))


# The LLM operators (llm_correct, llm_mistake, llm_paraphrase) register themselves here.
import errsynth.transforms.llm  # noqa: E402, F401
