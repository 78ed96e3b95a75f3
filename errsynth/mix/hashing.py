"""Stable 64-bit row keys: the only source of randomness in mixing.

Every decision the mixer makes (which rows a stream takes, which rows a repeat
epoch takes, the global order) is a function of a key computed here from
(seed, namespace, repeat index, row id) and nothing else, so the result does not
depend on input order, batch size, worker count or engine. BLAKE2b is used
because it is a fixed, specified algorithm in the standard library: the same
key comes out of every Python, platform and engine (unlike polars' or Arrow's
internal hashes, which may change between versions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

KEY_BITS = 64
SHUFFLE_NAMESPACE = "\x00shuffle"  # cannot collide with a stream name (names are checked)


def _prefix(seed: int, namespace: str, repeat: int) -> hashlib.blake2b:
    h = hashlib.blake2b(digest_size=8)
    h.update(f"errsynth-mix\x1f{int(seed)}\x1f{namespace}\x1f{int(repeat)}\x1f".encode())
    return h


def row_key(seed: int, namespace: str, row_id: str, repeat: int = 0) -> int:
    """The key of one row, as a Python int in [0, 2**64)."""
    h = _prefix(seed, namespace, repeat)
    h.update(row_id.encode())
    return int.from_bytes(h.digest(), "big")


def row_keys(
    seed: int, namespace: str, ids: Iterable[str] | pa.Array | pa.ChunkedArray, repeat: int = 0
) -> np.ndarray:
    """Keys of many rows with one repeat index, as a uint64 array (same values as `row_key`)."""
    if isinstance(ids, pa.Array | pa.ChunkedArray):
        ids = ids.to_pylist()
    base = _prefix(seed, namespace, repeat)
    digests = []
    for rid in ids:
        h = base.copy()
        h.update(rid.encode())
        digests.append(h.digest())
    if not digests:
        return np.zeros(0, dtype=np.uint64)
    return np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64)


def row_keys_repeats(seed: int, namespace: str, ids: list[str], repeats: np.ndarray) -> np.ndarray:
    """Keys of rows that each carry their own repeat index."""
    out = np.zeros(len(ids), dtype=np.uint64)
    repeats = np.asarray(repeats, dtype=np.int64)
    for r in np.unique(repeats):
        idx = np.flatnonzero(repeats == r)
        out[idx] = row_keys(seed, namespace, [ids[i] for i in idx], int(r))
    return out
