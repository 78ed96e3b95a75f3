"""Fake errors where a model errs most: attempts placed by per-step weights.

Two sources give the weights, both mean 1 over the step positions:

* ``igsm_retry: {mistake_log: runs/clean-s0}`` reads a training run's Mistake Log
  (:mod:`errsynth.types.mistake_log`): how far the logged model's prediction was from
  the gold tokens at each solution step;
* ``arith`` / ``reorder`` / ``distractor: {profile: PATH}`` read a model's measured
  error profile (:mod:`errsynth.types.error_profile`, through
  :mod:`errsynth.transforms.profiled`): where its first mistakes of the kind the
  transform imitates fall, by relative position in the solution.

Either way attempts before step ``i`` are drawn at ``rate * weight[i]`` (capped at
``MAX_RATE``) instead of ``rate``, and the forced ones (``min_errors``) at steps drawn
in proportion to the weights: the attempts move to where the model struggles.
Without an option nothing changes (the draws and the outputs are byte-identical).
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
    """``place_counts`` with the per-step rate ``rate * weights[i]`` (last weight beyond).

    ``weights`` is indexed by step position: a Mistake Log's (shorter solutions than the
    logged ones use its first weights, longer ones its last), or a profile's computed for
    this row's number of steps.
    """
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
