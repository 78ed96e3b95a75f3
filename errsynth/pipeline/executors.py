"""Executors run the same chunk functions in-process or as Ray tasks.

The pipeline cuts work into chunks whose output depends only on the chunk and
the recipe; an executor only decides where each chunk runs. Results come back
in job order either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]: ...


class LocalExecutor:
    """In-process, one chunk after another (the embedded default)."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        for job in jobs:
            yield fn(job)


class RayExecutor:
    """Chunks as Ray tasks (retried when a worker dies), on a local or remote cluster."""

    name = "ray"

    def __init__(
        self, address: str | None = None, num_cpus: int | None = None, max_retries: int = 3
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

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        ray = self._ray
        task = ray.remote(max_retries=self.max_retries, retry_exceptions=False)(fn)
        refs = [task.remote(job) for job in jobs]
        for ref in refs:
            yield ray.get(ref)


def make_executor(engine: str, address: str | None = None) -> Executor:
    if engine == "local":
        return LocalExecutor()
    if engine == "ray":
        return RayExecutor(address=address)
    raise ValueError(f"unknown engine {engine!r}; choose local or ray")
