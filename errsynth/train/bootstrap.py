"""Bootstrap confidence intervals over problems and seeds, paired between arms.

An arm's result is a matrix ``x[seed, problem]`` of 0/1 outcomes (answer right, or every
step right). Two sources of noise matter: which problems the test set drew, and which
seed the run trained with. One bootstrap replicate draws both: ``S`` seeds with
replacement from the ``S`` seeds and ``P`` problems with replacement from the ``P``
problems, and takes the mean of ``x`` over the drawn (seed, problem) pairs, each counted
as often as it was drawn. The 95% interval is the 2.5 and 97.5 percentiles of the
replicates (percentile bootstrap).

A difference between two arms is *paired* when both arms are resampled with the same
draws: the same seeds (seed ``s`` of arm A faces seed ``s`` of the clean arm: same data
order and same initialisation) and the same problems. The noise both arms share (a hard
problem is hard for both) then cancels, and the interval is narrower than the unpaired
one, where each arm draws its own problems and seeds.

numpy only; no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_REPLICATES = 2000


def _counts(rng: np.random.Generator, n: int, replicates: int) -> np.ndarray:
    """(replicates, n): how often each of n items is drawn when n are drawn with replacement."""
    if n == 1:
        return np.ones((replicates, 1))
    return rng.multinomial(n, np.full(n, 1.0 / n), size=replicates).astype(float)


def _replicates(x: np.ndarray, seed_counts: np.ndarray, problem_counts: np.ndarray) -> np.ndarray:
    """The mean of ``x`` (seeds × problems) under each replicate's draw counts."""
    s, p = x.shape
    return np.einsum("bs,sp,bp->b", seed_counts, x, problem_counts) / (s * p)


def _as_matrix(x: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    m = np.asarray(x, dtype=float)
    if m.ndim == 1:
        m = m[None, :]
    if m.ndim != 2 or m.shape[0] == 0 or m.shape[1] == 0:
        raise ValueError(f"expected a non-empty seeds × problems matrix, got shape {m.shape}")
    return m


def _ci(reps: np.ndarray, level: float) -> list[float]:
    lo, hi = np.percentile(reps, [50 * (1 - level), 50 * (1 + level)])
    return [round(float(lo), 4), round(float(hi), 4)]


def bootstrap_mean(
    x: Sequence[Sequence[float]] | np.ndarray,
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """Mean of a seeds × problems matrix with its percentile interval."""
    m = _as_matrix(x)
    rng = np.random.default_rng(seed)
    reps = _replicates(
        m, _counts(rng, m.shape[0], replicates), _counts(rng, m.shape[1], replicates)
    )
    return {"mean": round(float(m.mean()), 4), "ci95": _ci(reps, level)}


def bootstrap_diff(
    a: Sequence[Sequence[float]] | np.ndarray,
    b: Sequence[Sequence[float]] | np.ndarray,
    *,
    paired: bool = True,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """mean(a) − mean(b) with its percentile interval.

    Paired: ``a`` and ``b`` have the same shape, row ``s`` of both is the same seed and
    column ``p`` the same problem, and every replicate draws the same seeds and problems
    for both. Unpaired: each matrix draws its own (the shapes may differ).
    """
    ma, mb = _as_matrix(a), _as_matrix(b)
    rng = np.random.default_rng(seed)
    if paired:
        if ma.shape != mb.shape:
            raise ValueError(f"paired arms need the same seeds × problems, got {ma.shape} and {mb.shape}")  # fmt: skip
        sc, pc = _counts(rng, ma.shape[0], replicates), _counts(rng, ma.shape[1], replicates)
        reps = _replicates(ma - mb, sc, pc)
    else:
        ra = _replicates(ma, _counts(rng, ma.shape[0], replicates), _counts(rng, ma.shape[1], replicates))  # fmt: skip
        rb = _replicates(mb, _counts(rng, mb.shape[0], replicates), _counts(rng, mb.shape[1], replicates))  # fmt: skip
        reps = ra - rb
    delta = float(ma.mean() - mb.mean())
    return {"delta": round(delta, 4), "ci95": _ci(reps, level), "paired": paired}


__all__ = ["DEFAULT_REPLICATES", "bootstrap_diff", "bootstrap_mean"]
