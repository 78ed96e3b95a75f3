"""The engine contract: where chunk jobs run, and the engine's own global passes.

An executor never looks inside a step: it runs module-level job functions over
jobs (`map`, results in job order), makes a global step's decision with the
engine's own machinery when the step asks for it (`exact_dedup`, `near_dedup`:
the step calls the hook it needs), and mixes the final samples (`mix`). The
engines (`errsynth.engine.local`, `errsynth.engine.ray`) give the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from errsynth.core.chunks import Chunk


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """`fn(job)` for every job, results in job order (in-process or as tasks)."""
        ...

    def exact_dedup(self, step: Any, chunks: Sequence[Chunk]) -> Any:
        """The `DedupResult` of an exact-dedup step over every row of the chunks."""
        ...

    def near_dedup(self, step: Any, chunks: Sequence[Chunk]) -> Any:
        """The `DedupResult` of a MinHash-dedup step over every row of the chunks."""
        ...

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
        """The mixture of the sample chunks (read with `columns`) into `out`; its manifest."""
        ...
