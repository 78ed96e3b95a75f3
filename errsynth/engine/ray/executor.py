"""The Ray engine: chunk jobs as Ray tasks, dedup and the mixture as Ray Data shuffles."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from errsynth.core.chunks import Chunk
from errsynth.dedup.result import DedupResult
from errsynth.engine.ray.data import ray_module
from errsynth.engine.ray.dedup import exact_dedup_ray, near_dedup_ray
from errsynth.engine.ray.mix import mix_ray
from errsynth.steps.dedup import DedupExact, DedupMinhash


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
        ray = ray_module()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                kwargs["address"] = address
            elif num_cpus:  # a new instance of this size, whatever cluster the machine runs
                kwargs.update(address="local", num_cpus=num_cpus)
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

    def exact_dedup(self, step: DedupExact, chunks: Sequence[Chunk]) -> DedupResult:
        """Key tasks, decided on the driver (or a groupby on the key beyond a size)."""
        return exact_dedup_ray(step, chunks, self.partitions, self.shuffle)

    def near_dedup(self, step: DedupMinhash, chunks: Sequence[Chunk]) -> DedupResult:
        """Band bucketing through Ray's groupby; components on the driver."""
        return near_dedup_ray(step, chunks, self.partitions, self.shuffle)

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
        """The mixture on Ray Data: per-block steps, merged partials, Ray's sort, one writer."""
        keep = set(columns) if columns is not None else None
        tables = [c.project(keep) for c in samples]
        return mix_ray(
            tables, out, spec, recipe=recipe, seed=seed, overwrite=True, shuffle=self.shuffle
        )
