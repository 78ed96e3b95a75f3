"""Dedup steps (`dedup_exact`, `dedup_minhash`): global steps over solutions or samples.

Keys are read per chunk (`keys`), the engine makes the decision over all of them
(`GlobalStep.decide` asks the executor for the pass this step needs: the local
engine runs `decide_batches` in one process, the Ray engine its shuffles), and
each chunk is cut by the decision (`split`): kept rows, and rejects naming the
kept twin. Rows are named by their position in the stage input, so the keep-first
order is (`_order`, position) on every engine and chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.core.chunks import ORDER, Chunk, chunk_offsets
from errsynth.core.stage import stage_rejects
from errsynth.dedup import MinHashParams, NearDedupConfig
from errsynth.dedup.exact import exact_dedup_batches
from errsynth.dedup.near import near_dedup_batches
from errsynth.dedup.result import DedupResult
from errsynth.steps.base import SAMPLES, SOLUTIONS, GlobalStep

MAX_NUM_PERM = 1024  # LSH banding search is quadratic in num_perm


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

    def __post_init__(self) -> None:  # found when the recipe is loaded, not mid-run
        if not 1 <= self.num_perm <= MAX_NUM_PERM:
            raise ValueError(f"dedup_minhash: num_perm must be in 1..{MAX_NUM_PERM}")
        if not 0 < self.threshold < 1:
            raise ValueError(f"dedup_minhash: threshold must be in (0, 1), got {self.threshold}")
        minhash = MinHashParams(num_perm=self.num_perm, seed=self.seed, ngram=self.ngram)
        NearDedupConfig(minhash, self.threshold, self.bands, self.rows).lsh()


class DedupStep(GlobalStep):
    reads = frozenset({SOLUTIONS, SAMPLES})

    def decide_batches(
        self, keys: Iterable[pa.Table], total_rows: int | None = None
    ) -> DedupResult:
        """The verdict over key tables read one at a time (bounded memory)."""
        raise NotImplementedError

    def keys(self, chunk: Any, offset: int) -> pa.Table:
        """The columns the decision needs; rows identified by their global row number.

        Content ids repeat (two identical input records are one id) and `_order`
        repeats after `augment` (every sample of a solution shares it), so the
        dedup steps name rows by their position in the stage input: `offset` is
        the number of rows in the chunks before this one.
        """
        table = chunk.select([ORDER, *self.params.fields])
        rows = pa.array(np.arange(offset, offset + table.num_rows, dtype=np.int64))
        return table.add_column(0, "id", rows)

    def split(
        self, decision: DedupResult, chunks: Sequence[Chunk], stage: str
    ) -> Callable[[int, pa.Table], tuple[pa.Table, pa.Table]]:
        offsets = chunk_offsets(chunks)
        id_of = representative_ids(chunks, decision)
        return lambda k, table: dedup_split(table, decision, stage, offsets[k], id_of)


class DedupExact(DedupStep):
    name = "dedup_exact"
    Params = DedupExactParams

    def decide(self, executor: Any, chunks: Sequence[Chunk]) -> DedupResult:
        return executor.exact_dedup(self, chunks)

    def decide_batches(
        self, keys: Iterable[pa.Table], total_rows: int | None = None
    ) -> DedupResult:
        return exact_dedup_batches(keys, self.params.fields, id_col="id", order_col=ORDER)


class DedupMinhash(DedupStep):
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

    def decide(self, executor: Any, chunks: Sequence[Chunk]) -> DedupResult:
        return executor.near_dedup(self, chunks)

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

    The decision names rows by global row number (`DedupStep.keys`), in input
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
    return table.filter(pc.invert(mask)), stage_rejects(table, mask, stage, reasons, details)


def representative_ids(chunks: Sequence[Any], result: DedupResult) -> dict[int, str]:
    """Global row number → content id of every row that some removed row duplicates."""
    reps = np.unique(result.duplicate_of.drop_null().to_numpy())
    out: dict[int, str] = {}
    for chunk, offset in zip(chunks, chunk_offsets(chunks), strict=True):
        local = reps[(reps >= offset) & (reps < offset + chunk.num_rows)] - offset
        if len(local):
            ids = chunk.select(["id"]).column("id").take(pa.array(local)).to_pylist()
            out.update(zip((local + offset).tolist(), ids, strict=True))
    return out
