"""MinHash signatures for many texts at once, equal to datasketch's.

Per text, `datasketch.MinHash(num_perm, seed)` updated with the UTF-8 bytes of
each shingle gives exactly the row this module computes. datasketch 2.0's
default scheme is "affine32": shingle -> SHA-1 32-bit -> MurmurHash3 fmix32 ->
`a*h + b mod 2^32` for `num_perm` odd `a` -> minimum. The pre-2.0 "legacy"
scheme, `(a*h + b) mod (2^61 - 1)` truncated to 32 bits, is also available
(with datasketch's uint64 wraparound of `a*h` reproduced bit for bit).
Permutation parameters come from `numpy.random.RandomState(seed)` drawn in
datasketch's order, so equal seeds give equal permutations.

Speed comes from doing the per-permutation work as one numpy expression over
all shingles of a chunk of texts, followed by `np.minimum.reduceat` at the text
boundaries; the only per-shingle Python work is building the shingle and its
SHA-1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from errsynth.dedup.hashing import fmix32, sha1_32
from errsynth.dedup.normalize import FUZZY, NormalizeConfig, Unit, normalize_fields, shingles

Scheme = Literal["affine32", "legacy"]

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX32 = np.uint32(0xFFFFFFFF)
EMPTY_VALUE = _MAX32
"""Signature value of a text with no shingles (datasketch's empty MinHash)."""


@dataclass(frozen=True, slots=True)
class MinHashParams:
    """How texts become signatures.

    Word 3-grams, not the web-scale word 5-grams: math problems are short (a
    GSM8K question is ~45 words), and one changed word removes `ngram` of ~40
    shingles, so 5-grams put light edits far below any usable threshold.
    See errsynth/dedup/README.md for the measurements behind the defaults.
    """

    num_perm: int = 128
    seed: int = 1
    ngram: int = 3
    unit: Unit = "word"
    scheme: Scheme = "affine32"
    normalize: NormalizeConfig = field(default=FUZZY)

    def __post_init__(self) -> None:
        if self.num_perm < 1:
            raise ValueError("num_perm must be >= 1")
        if self.ngram < 1:
            raise ValueError("ngram must be >= 1")
        if self.scheme not in ("affine32", "legacy"):
            raise ValueError(f"unknown MinHash scheme {self.scheme!r}")


def permutations(
    num_perm: int, seed: int, scheme: Scheme = "affine32"
) -> tuple[np.ndarray, np.ndarray]:
    """The `(a, b)` permutation parameters datasketch draws for `(num_perm, seed)`."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = [
            (gen.randint(1, _MERSENNE, dtype=np.uint64), gen.randint(0, _MERSENNE, dtype=np.uint64))
            for _ in range(num_perm)
        ]
        arr = np.array(pairs, dtype=np.uint64).T
        return arr[0].copy(), arr[1].copy()
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def shingle_hashes(text: str, params: MinHashParams) -> np.ndarray:
    """uint32 SHA-1 hashes of the shingles of one normalized text."""
    return sha1_32(shingles(text, params.ngram, params.unit))


class MinHasher:
    """Computes signature matrices for batches of texts with fixed parameters."""

    def __init__(self, params: MinHashParams | None = None, chunk_shingles: int = 1 << 15) -> None:
        self.params = params or MinHashParams()
        self.a, self.b = permutations(self.params.num_perm, self.params.seed, self.params.scheme)
        # Bounds the (shingles x num_perm) temporary: 32k x 128 x 4 B = 16 MiB.
        self.chunk_shingles = chunk_shingles

    def signatures_normalized(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), num_perm) uint32 signatures of already normalized texts."""
        p = self.params
        n = len(texts)
        out = np.full((n, p.num_perm), EMPTY_VALUE, dtype=np.uint32)
        pending: list[np.ndarray] = []
        pending_rows: list[int] = []
        pending_size = 0
        for i, text in enumerate(texts):
            hv = shingle_hashes(text, p)
            if hv.size == 0:
                continue
            pending.append(hv)
            pending_rows.append(i)
            pending_size += hv.size
            if pending_size >= self.chunk_shingles:
                self._fill(out, pending, pending_rows)
                pending, pending_rows, pending_size = [], [], 0
        if pending:
            self._fill(out, pending, pending_rows)
        return out

    def signatures(self, columns: Sequence[Sequence[str | None]]) -> np.ndarray:
        """Signatures of rows given as one list per text field (fields joined)."""
        if not columns:
            return np.empty((0, self.params.num_perm), dtype=np.uint32)
        cfg = self.params.normalize
        return self.signatures_normalized(
            [normalize_fields(vals, cfg) for vals in zip(*columns, strict=True)]
        )

    def _fill(self, out: np.ndarray, hashes: list[np.ndarray], rows: list[int]) -> None:
        flat = np.concatenate(hashes)
        starts = np.zeros(len(hashes), dtype=np.int64)
        np.cumsum([h.size for h in hashes[:-1]], out=starts[1:])
        # (num_perm, shingles) layout: each text's shingles are contiguous in every
        # row, which makes reduceat about 3x faster than the transposed layout.
        permuted = self._permute(flat)
        out[rows] = np.minimum.reduceat(permuted, starts, axis=1).T

    def _permute(self, hv: np.ndarray) -> np.ndarray:
        """(num_perm, shingles) permuted hash values, as datasketch computes them."""
        if self.params.scheme == "legacy":
            h = hv.astype(np.uint64)[None, :]
            with np.errstate(over="ignore"):
                phv = self.a[:, None] * h  # wraps mod 2^64, as datasketch's numpy code does
                phv += self.b[:, None]
            phv %= _MERSENNE
            phv &= np.uint64(0xFFFFFFFF)
            return phv.astype(np.uint32)
        phv = self.a[:, None] * fmix32(hv)[None, :]
        phv += self.b[:, None]
        return phv


def agreement(
    signatures: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 15
) -> np.ndarray:
    """Fraction of equal signature values for row pairs (a[i], b[i]).

    This is the MinHash estimate of their Jaccard similarity; computed in
    chunks to bound the temporary (pairs x num_perm) arrays.
    """
    out = np.empty(a.shape[0], dtype=np.float64)
    width = signatures.shape[1]
    for lo in range(0, a.shape[0], chunk):
        hi = min(lo + chunk, a.shape[0])
        eq = signatures[a[lo:hi]] == signatures[b[lo:hi]]
        out[lo:hi] = eq.sum(axis=1) / width
    return out
