"""distractor: a step from another solution of the same source, written and retracted.

The pool is chosen corpus-wide before any row is transformed: per source, the
`pool_size` steps with the smallest seeded hash of (row id, step index). That
makes the pool, and so every sample, independent of row order, batch size and
engine.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from errsynth.ingest.segment import is_self_correction
from errsynth.transforms.base import (
    TRANSFORMS,
    Candidate,
    Skip,
    WrongAttempt,
)
from errsynth.transforms.profiled import ProfiledTransform, ProfileParams
from errsynth.transforms.protected import protected_positions

MAX_DRAWS = 16  # tries to find a pool step that is foreign to the row


def _key(seed: int, row_id: str, index: int) -> int:
    return int.from_bytes(
        hashlib.blake2b(f"{seed}\x1f{row_id}\x1f{index}".encode(), digest_size=8).digest(), "big"
    )


@dataclass(frozen=True)
class DistractorParams(ProfileParams):
    pool_size: int = 20000  # steps kept per source

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {self.pool_size}")


@TRANSFORMS.register
class DistractorTransform(ProfiledTransform):
    name = "distractor"
    description = "write a step of another solution of the same source, then retract it"
    Params = DistractorParams
    params: DistractorParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.pools: dict[str, list[tuple[str, int, str]]] | None = None

    def prepare(self, rows: Iterable[Mapping[str, Any]], seed: int) -> None:
        heaps: dict[str, list[tuple[int, str, int, str]]] = {}
        size = self.params.pool_size
        for row in rows:
            heap = heaps.setdefault(row["source"], [])
            for i, text in enumerate(row["steps"]):
                if is_self_correction(text):  # "Wait, ..." is no wrong step of its own
                    continue
                item = (
                    -_key(seed, row["id"], i),
                    row["id"],
                    i,
                    text,
                )  # max-heap of the smallest keys
                if len(heap) < size:
                    heapq.heappush(heap, item)
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)
        self.pools = {
            src: [(rid, i, text) for _, rid, i, text in sorted(heap, reverse=True)]
            for src, heap in heaps.items()
        }

    def apply(self, row: Mapping[str, Any], rng: random.Random) -> Candidate:
        if self.pools is None:
            raise RuntimeError("distractor.prepare() must see the corpus before apply()")
        pool = self.pools.get(row["source"], [])
        own = set(row["steps"])
        if not any(rid != row["id"] and text not in own for rid, _, text in pool[: MAX_DRAWS * 4]):
            raise Skip(
                "no_foreign_step", f"no step of another {row['source']} solution in the pool"
            )
        n = len(row["steps"])
        protected = protected_positions(row)
        eligible = [x for x in range(n) if x not in protected]
        if not eligible:
            raise Skip("only_self_corrections", "every step is inside a self-correction")
        counts = self.place(rng, eligible, dict.fromkeys(eligible, MAX_DRAWS), n)
        attempts: list[WrongAttempt] = []
        for x in sorted(counts):
            used: set[str] = set()
            for _ in range(counts[x]):
                pick = self._draw(rng, pool, row["id"], own | used)
                if pick is None:
                    break
                rid, i, text = pick
                used.add(text)
                attempts.append(
                    WrongAttempt(
                        at=x,
                        kind=self.name,
                        steps=(text,),
                        finding="this step belongs to a different problem",
                        detail={"from_id": rid, "from_step": i, "premature": None},
                    )
                )
        if len(attempts) < self.params.min_errors:
            raise Skip("no_foreign_step", "could not draw enough foreign steps")
        return Candidate(
            row=row,
            transform=self.name,
            attempts=tuple(attempts),
            params=self.param_dict(),
            eligible=tuple(eligible),
        )

    @staticmethod
    def _draw(
        rng: random.Random, pool: list[tuple[str, int, str]], row_id: str, avoid: set[str]
    ) -> tuple[str, int, str] | None:
        for _ in range(MAX_DRAWS):
            rid, i, text = pool[rng.randrange(len(pool))]
            if rid != row_id and text not in avoid:
                return rid, i, text
        return None
