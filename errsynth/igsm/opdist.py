"""The paper's distribution of solution lengths: P(op = k) = (2 (max_op - k) + 1) / max_op**2."""

from __future__ import annotations

import random

__all__ = ["op_probabilities", "sample_op"]


def op_probabilities(max_ops: int) -> dict[int, float]:
    """``{k: P(op = k)}`` for ``k = 1..max_ops``; the weights sum to ``max_ops**2``."""
    if max_ops < 1:
        raise ValueError("max_ops must be >= 1")
    total = max_ops * max_ops
    return {k: (2 * (max_ops - k) + 1) / total for k in range(1, max_ops + 1)}


def sample_op(rng: random.Random, max_ops: int) -> int:
    """Draw an op count from :func:`op_probabilities`."""
    ks = range(1, max_ops + 1)
    return rng.choices(ks, weights=[2 * (max_ops - k) + 1 for k in ks])[0]
