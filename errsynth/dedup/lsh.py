"""LSH banding: parameter choice and one uint64 bucket key per (row, band).

Two rows become candidates when all `rows` signature values of some band agree,
which happens with probability `1 - (1 - s^rows)^bands` for Jaccard `s`. The
choice of (bands, rows) follows datasketch's `_optimal_param`: minimize the
weighted areas of false positives below the threshold and false negatives above
it. The integrals are of polynomials of degree <= num_perm, so Gauss-Legendre
quadrature with enough nodes computes them exactly (no scipy needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from errsynth.dedup.hashing import combine_columns


def _gauss(lo: float, hi: float, deg: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(deg)
    half = (hi - lo) / 2
    return lo + half * (x + 1), w * half


def optimal_bands(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimizing weighted FP + FN area."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    b = np.array([p[0] for p in pairs], dtype=np.float64)[:, None]
    r = np.array([p[1] for p in pairs], dtype=np.float64)[:, None]
    deg = max(32, num_perm // 2 + 2)
    xs, ws = _gauss(0.0, threshold, deg)
    fp = (1 - (1 - xs[None, :] ** r) ** b) @ ws
    xs, ws = _gauss(threshold, 1.0, deg)
    fn = ((1 - xs[None, :] ** r) ** b) @ ws
    err = fp * false_positive_weight + fn * false_negative_weight
    best = int(np.argmin(err))  # first minimum, same iteration order as datasketch
    return pairs[best]


def candidate_probability(similarity: float | np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Probability that a pair of this Jaccard similarity shares at least one band."""
    s = np.asarray(similarity, dtype=np.float64)
    return 1 - (1 - s**rows) ** bands


@dataclass(frozen=True, slots=True)
class LshParams:
    """Banding and candidate verification.

    `verify_threshold`: candidates whose signature agreement (the MinHash Jaccard
    estimate) is below it are not linked; None links every candidate.
    `max_rounds`: how often a bucket re-picks a leader among members that failed
    verification against the previous one (1 = link only to the first member).
    """

    bands: int
    rows: int
    verify_threshold: float | None
    max_rounds: int = 4

    @classmethod
    def for_threshold(
        cls,
        threshold: float,
        num_perm: int,
        *,
        false_positive_weight: float = 0.5,
        false_negative_weight: float = 0.5,
        verify: bool = True,
        max_rounds: int = 4,
    ) -> LshParams:
        bands, rows = optimal_bands(
            threshold, num_perm, false_positive_weight, false_negative_weight
        )
        return cls(bands, rows, threshold if verify else None, max_rounds)

    def check(self, num_perm: int) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ValueError("bands and rows must be >= 1")
        if self.bands * self.rows > num_perm:
            raise ValueError(f"bands*rows = {self.bands * self.rows} exceeds num_perm = {num_perm}")


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: band j hashes signature columns [j*rows, (j+1)*rows).

    The band number salts the hash, so keys of different bands never meet.
    64-bit keys make accidental bucket sharing negligible, and verification
    removes any that happen.
    """
    if bands * rows > signatures.shape[1]:
        raise ValueError("bands*rows exceeds the signature width")
    out = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    for j in range(bands):
        out[:, j] = combine_columns(signatures[:, j * rows : (j + 1) * rows], salt=j)
    return out
