"""The local engine: chunk jobs in-process, one after another; dedup and mix in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from errsynth.core.chunks import Chunk, chunk_offsets
from errsynth.dedup.result import DedupResult
from errsynth.engine.local.mix import mix_and_write
from errsynth.steps.dedup import DedupStep


def decide_local(step: DedupStep, chunks: Sequence[Chunk]) -> DedupResult:
    """`step.decide_batches` over the chunks' key columns, one chunk read at a time."""
    offsets = chunk_offsets(chunks)
    keys = (step.keys(c, at) for c, at in zip(chunks, offsets, strict=True))
    return step.decide_batches(keys, total_rows=sum(c.num_rows for c in chunks))


class LocalExecutor:
    """In-process, one chunk after another (the embedded default)."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        for job in jobs:
            yield fn(job)

    def exact_dedup(self, step: DedupStep, chunks: Sequence[Chunk]) -> DedupResult:
        return decide_local(step, chunks)

    def near_dedup(self, step: DedupStep, chunks: Sequence[Chunk]) -> DedupResult:
        return decide_local(step, chunks)

    def mix(
        self,
        samples: Sequence[Chunk],
        out: Path,
        spec: Mapping[str, Any],
        *,
        columns: Sequence[str] | None = None,
        recipe: Any = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """`mix_and_write` of the sample chunks (bounded memory: spool and external sort)."""
        return mix_and_write(
            [str(c.path) for c in samples],
            out,
            spec,
            recipe=recipe,
            seed=seed,
            overwrite=True,
            columns=columns,
        )
