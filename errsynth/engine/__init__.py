"""Engines: where the steps' chunk jobs and the global passes run (`core.executor.Executor`).

- `local`: in-process (the embedded default, what tests use)
- `ray`: Ray tasks and Ray Data shuffles, on a laptop or a cluster

Both give the same shards, byte for byte.
"""

from __future__ import annotations

from errsynth.core.executor import Executor
from errsynth.engine.local import LocalExecutor
from errsynth.engine.ray import RayExecutor

ENGINES = ("local", "ray")


def make_executor(engine: str, address: str | None = None) -> Executor:
    if engine == "local":
        return LocalExecutor()
    if engine == "ray":
        return RayExecutor(address=address)
    raise ValueError(f"unknown engine {engine!r}; choose {' or '.join(ENGINES)}")


__all__ = ["ENGINES", "LocalExecutor", "RayExecutor", "make_executor"]
