"""Vector-friendly hash helpers shared by exact dedup, MinHash and decontamination.

xxhash is not installed in this environment, so byte hashing uses hashlib:
SHA-1 (what datasketch hashes shingles with, needed for signature parity) and
BLAKE2b with an 8-byte digest (exact-text and token hashes). Everything after the
per-item byte hash is numpy: the MurmurHash3 finalizers below are bijections,
used to mix combined values without adding collisions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

_sha1 = hashlib.sha1
_blake2b = hashlib.blake2b

_M32_1 = np.uint32(0x85EBCA6B)
_M32_2 = np.uint32(0xC2B2AE35)
_M64_1 = np.uint64(0xFF51AFD7ED558CCD)
_M64_2 = np.uint64(0xC4CEB9FE1A85EC53)
GOLDEN64 = np.uint64(0x9E3779B97F4A7C15)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finalizer on a uint32 array (wrapping arithmetic)."""
    h = h ^ (h >> np.uint32(16))
    h = h * _M32_1
    h ^= h >> np.uint32(13)
    h *= _M32_2
    h ^= h >> np.uint32(16)
    return h


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 64-bit finalizer on a uint64 array (wrapping arithmetic)."""
    h = h ^ (h >> np.uint64(33))
    h = h * _M64_1
    h ^= h >> np.uint64(33)
    h *= _M64_2
    h ^= h >> np.uint64(33)
    return h


def sha1_32(items: Iterable[str]) -> np.ndarray:
    """datasketch's `sha1_hash32` of each item's UTF-8 bytes, as uint32.

    The first four digest bytes read little-endian, exactly as
    `struct.unpack("<I", sha1(data).digest()[:4])`.
    """
    raw = b"".join([_sha1(s.encode()).digest()[:4] for s in items])
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32, copy=False)


def blake2b_64(items: Iterable[str]) -> np.ndarray:
    """64-bit BLAKE2b of each item's UTF-8 bytes, as uint64 (little-endian)."""
    raw = b"".join([_blake2b(s.encode(), digest_size=8).digest() for s in items])
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64, copy=False)


def combine_columns(columns: np.ndarray, salt: int = 0) -> np.ndarray:
    """Hash each row of a 2-D unsigned array to one uint64.

    Folds the columns left to right through `fmix64`, so the result depends on
    every value and its position; `salt` (e.g. a band number) starts the chain,
    keeping equal tuples from different bands apart.
    """
    if columns.ndim != 2:
        raise ValueError("combine_columns expects a 2-D array")
    with np.errstate(over="ignore"):
        h = np.full(columns.shape[0], np.uint64(salt) * GOLDEN64 + np.uint64(1), dtype=np.uint64)
        for j in range(columns.shape[1]):
            h = fmix64(h * GOLDEN64 + columns[:, j].astype(np.uint64))
    return h
