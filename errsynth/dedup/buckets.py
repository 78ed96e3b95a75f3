"""Candidate pairs from LSH buckets: each member linked to its bucket's leader.

A bucket is a set of rows sharing one band key. Instead of all m(m-1)/2 pairs,
each member is linked to the bucket's first member in keep order (the leader):
O(m) edges, and connected components recover the rest. With verification on,
a member whose signature agreement with the leader is below the threshold is
not linked; such members form the bucket again and pick the next leader among
themselves, for up to `max_rounds` rounds, so a false-positive leader does not
hide a true pair among its followers. All rounds are vectorized over every
bucket at once.

The same function serves one bucket (a Ray `map_groups` call) or every bucket
of a band (the local engine).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from errsynth.dedup.minhash import agreement
from errsynth.dedup.runs import run_starts


@dataclass(frozen=True, slots=True)
class Edges:
    """Links `src[i] -> dst[i]` (positions into the caller's arrays), dst before src
    in keep order; `similarity` is the signature agreement (NaN when unverified)."""

    src: np.ndarray
    dst: np.ndarray
    similarity: np.ndarray

    @classmethod
    def empty(cls) -> Edges:
        z = np.empty(0, dtype=np.int64)
        return cls(z, z.copy(), np.empty(0, dtype=np.float64))

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.src for p in parts]),
            np.concatenate([p.dst for p in parts]),
            np.concatenate([p.similarity for p in parts]),
        )

    def __len__(self) -> int:
        return int(self.src.shape[0])


def bucket_edges(
    keys: np.ndarray,
    ranks: np.ndarray,
    signatures: np.ndarray | None = None,
    verify_threshold: float | None = None,
    max_rounds: int = 4,
) -> Edges:
    """Leader links within buckets of equal `keys`.

    `ranks` is each member's keep-order rank (smaller is kept). `signatures`,
    aligned with `keys`, is needed only when `verify_threshold` is set.
    """
    if keys.shape[0] != ranks.shape[0]:
        raise ValueError("keys and ranks must have the same length")
    verify = verify_threshold is not None
    if verify and signatures is None:
        raise ValueError("verification needs signatures")
    order = np.lexsort((ranks, keys))
    start = run_starts(keys[order])
    run = np.cumsum(start) - 1
    sizes = np.bincount(run)
    multi = sizes[run] > 1
    pool = order[multi]
    pool_run = run[multi]
    parts: list[Edges] = []
    rounds = 0
    while pool.size > 1 and rounds < max(1, max_rounds):
        lead = run_starts(pool_run)
        leader = pool[lead][np.cumsum(lead) - 1]
        member_pos = np.flatnonzero(~lead)
        src = pool[member_pos]
        dst = leader[member_pos]
        if not verify:
            parts.append(Edges(src, dst, np.full(src.shape[0], np.nan)))
            break
        assert signatures is not None and verify_threshold is not None
        sim = agreement(signatures, src, dst)
        ok = sim >= verify_threshold
        parts.append(Edges(src[ok], dst[ok], sim[ok]))
        retry = member_pos[~ok]
        pool, pool_run = pool[retry], pool_run[retry]
        rounds += 1
    return Edges.concat(parts)
