"""Fake errors where a trained model errs most (the Mistake Log put to use).

``igsm_retry: {mistake_log: runs/clean-s0}`` reads the run's Mistake Log
(:mod:`errsynth.types.mistake_log`), computes a weight per solution step position (how far
the logged model's prediction was from the gold tokens there, mean 1 over positions),
and draws attempts before step ``i`` at ``rate * weight[i]`` instead of ``rate``: the
attempts move to the positions where the model struggles.
Without the option nothing changes (the draws and the outputs are byte-identical).
"""

from __future__ import annotations

import random
from functools import lru_cache

from errsynth.transforms.base import TransformParams
from errsynth.types.mistake_log import step_weights

MAX_RATE = 0.95


@lru_cache(maxsize=8)
def log_weights(path: str) -> tuple[float, ...]:
    """Per-step weights from a Mistake Log (a run directory or its mistake_log folder)."""
    return tuple(step_weights(path))


def weighted_place_counts(
    rng: random.Random,
    eligible: list[int],
    params: TransformParams,
    n_choices: dict[int, int],
    weights: tuple[float, ...],
) -> dict[int, int]:
    """``place_counts`` with the per-step rate ``rate * weights[i]`` (last weight beyond)."""
    counts: dict[int, int] = {}
    draw = rng.random
    for i in eligible:
        w = weights[min(i, len(weights) - 1)] if weights else 1.0
        rate = min(MAX_RATE, params.rate * w)
        k, most = 0, min(params.max_per_step, n_choices[i])
        while k < most and draw() < rate:
            k += 1
        if k:
            counts[i] = k
    total = sum(counts.values())
    while total < params.min_errors:
        free = [i for i in eligible if counts.get(i, 0) < min(params.max_per_step, n_choices[i])]
        if not free:
            break
        ws = [weights[min(i, len(weights) - 1)] if weights else 1.0 for i in free]
        i = rng.choices(free, weights=ws)[0]
        counts[i] = counts.get(i, 0) + 1
        total += 1
    return counts
