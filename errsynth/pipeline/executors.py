"""Executors run the same chunk functions in-process or as Ray tasks, and the global stages.

The pipeline cuts work into chunks whose output depends only on the chunk and
the recipe; an executor decides where each chunk runs (`map`; results come back
in job order either way). The global stages, which need every row before they
can decide, are executor hooks too, so `run.py` stays engine-agnostic:

- `dedup(op, chunks) -> DedupResult`: the verdict of a dedup operator over all rows
  of the chunks (in chunk order). Local: `op.decide_batches` over the chunks' key
  columns, one chunk at a time. Ray: tasks and Ray Data shuffles
  (`errsynth.pipeline.ray_stages`).
- `mix(samples, out, spec, recipe=, seed=) -> manifest`: the mixture into
  `out/shards` (+ `out/rejects/mix-*`). Local: `mix_and_write`; Ray: `mix_ray`.

Both engines give the same verdicts, the same shard bytes and the same manifest
(timings and the engine name aside).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

if TYPE_CHECKING:
    from errsynth.dedup.result import DedupResult
    from errsynth.pipeline.ops import DedupOperator


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]: ...

    def dedup(self, op: DedupOperator, chunks: Sequence[pa.Table]) -> DedupResult: ...

    def mix(
        self,
        samples: Sequence[Path],
        out: Path,
        spec: Mapping[str, Any],
        *,
        recipe: Any = None,
        seed: int | None = None,
    ) -> dict[str, Any]: ...


class LocalExecutor:
    """In-process, one chunk after another (the embedded default)."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        for job in jobs:
            yield fn(job)

    def dedup(self, op: DedupOperator, chunks: Sequence[pa.Table]) -> DedupResult:
        """`op.decide_batches` over the chunks' key columns, one chunk read at a time."""
        from errsynth.pipeline.ops import chunk_offsets

        offsets = chunk_offsets(chunks)
        keys = (op.keys(c, at) for c, at in zip(chunks, offsets, strict=True))
        return op.decide_batches(keys, total_rows=sum(c.num_rows for c in chunks))

    def mix(
        self,
        samples: Sequence[Path],
        out: Path,
        spec: Mapping[str, Any],
        *,
        recipe: Any = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """`mix_and_write` of the samples (bounded memory: spool and external sort)."""
        from errsynth.mix import mix_and_write

        return mix_and_write(
            [str(p) for p in samples], out, spec, recipe=recipe, seed=seed, overwrite=True
        )


class RayExecutor:
    """Chunks as Ray tasks (retried when a worker dies), dedup and the mixture as Ray Data
    shuffles, on a local or remote cluster.

    `partitions` fixes the number of partitions of the dedup shuffles (default: by
    size); `shuffle` picks Ray Data's shuffle for them: "sort" (plain tasks; the
    default, quick to start on a laptop or a small cluster) or "hash" (aggregator
    actors, for large clusters).
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        max_retries: int = 3,
        partitions: int | None = None,
        shuffle: str = "sort",
    ) -> None:
        import ray

        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                kwargs["address"] = address
            elif num_cpus:
                kwargs["num_cpus"] = num_cpus
            ray.init(**kwargs)
        self._ray = ray
        self.max_retries = max_retries
        self.partitions = partitions
        self.shuffle = shuffle

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        ray = self._ray
        task = ray.remote(max_retries=self.max_retries, retry_exceptions=False)(fn)
        # A bounded window of tasks in flight: jobs may carry data (ingest batches), and
        # the job generator then reads its input only as fast as the cluster parses it.
        window = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        pending: deque[Any] = deque()
        for job in jobs:
            pending.append(task.remote(job))
            if len(pending) >= window:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())

    def dedup(self, op: DedupOperator, chunks: Sequence[pa.Table]) -> DedupResult:
        """Band bucketing / key grouping through Ray's groupby; components on the driver."""
        from errsynth.pipeline.ray_stages import dedup_ray

        return dedup_ray(op, chunks, self.partitions, self.shuffle)

    def mix(
        self,
        samples: Sequence[Path],
        out: Path,
        spec: Mapping[str, Any],
        *,
        recipe: Any = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """The mixture on Ray Data: per-block steps, merged partials, Ray's sort, one writer."""
        import pyarrow.parquet as pq

        from errsynth.pipeline.ray_stages import mix_ray

        tables = [pq.read_table(p) for p in samples]
        return mix_ray(
            tables, out, spec, recipe=recipe, seed=seed, overwrite=True, shuffle=self.shuffle
        )


def make_executor(engine: str, address: str | None = None) -> Executor:
    if engine == "local":
        return LocalExecutor()
    if engine == "ray":
        return RayExecutor(address=address)
    raise ValueError(f"unknown engine {engine!r}; choose local or ray")
