"""Paired bootstrap over problems and seeds (errsynth/train/bootstrap.py) on known distributions."""

from __future__ import annotations

import numpy as np
import pytest

from errsynth.train.bootstrap import bootstrap_diff, bootstrap_mean


def _width(ci: list[float]) -> float:
    return ci[1] - ci[0]


def test_interval_covers_a_known_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(1)
    hits = 0
    trials = 120
    for t in range(trials):
        a = (rng.random((3, 200)) < 0.6).astype(float)
        b = (rng.random((3, 200)) < 0.5).astype(float)
        ci = bootstrap_diff(a, b, paired=False, replicates=400, seed=t)["ci95"]
        hits += ci[0] <= 0.1 <= ci[1]
    assert 0.87 <= hits / trials <= 1.0


def test_mean_interval_covers_the_true_rate_and_shrinks_with_n() -> None:
    rng = np.random.default_rng(2)
    widths = {}
    for n in (100, 1600):
        x = (rng.random((2, n)) < 0.3).astype(float)
        r = bootstrap_mean(x, replicates=1000)
        assert r["ci95"][0] <= r["mean"] <= r["ci95"][1]
        assert r["ci95"][0] <= 0.3 <= r["ci95"][1]
        widths[n] = _width(r["ci95"])
    # 16x the problems: about a quarter of the width (1/sqrt(16))
    assert 2.8 < widths[100] / widths[1600] < 5.5


def test_paired_interval_is_narrower_when_the_arms_share_problem_difficulty() -> None:
    rng = np.random.default_rng(3)
    difficulty = rng.random(500)  # per problem: the same for both arms
    a = (rng.random((3, 500)) < difficulty).astype(float)
    b = a.copy()
    flip = rng.random(b.shape) < 0.08
    b[flip] = 1 - b[flip]
    paired = bootstrap_diff(a, b, paired=True, replicates=1000)
    unpaired = bootstrap_diff(a, b, paired=False, replicates=1000)
    assert paired["delta"] == unpaired["delta"]
    assert _width(paired["ci95"]) < 0.5 * _width(unpaired["ci95"])
    assert paired["ci95"][0] <= paired["delta"] <= paired["ci95"][1]


def test_seed_resampling_widens_the_interval_when_seeds_disagree() -> None:
    rng = np.random.default_rng(4)
    same = (rng.random((3, 400)) < 0.5).astype(float)
    shifted = same.copy()
    shifted[0] = (rng.random(400) < 0.2).astype(float)  # one seed's run failed to learn
    shifted[2] = (rng.random(400) < 0.8).astype(float)
    assert _width(bootstrap_mean(shifted)["ci95"]) > 1.5 * _width(bootstrap_mean(same)["ci95"])


def test_no_difference_gives_an_interval_around_zero_and_shapes_are_checked() -> None:
    x = (np.random.default_rng(5).random((2, 300)) < 0.5).astype(float)
    r = bootstrap_diff(x, x)
    assert r["delta"] == 0 and r["ci95"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="same seeds"):
        bootstrap_diff(x, x[:, :10])
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_mean(np.zeros((0, 3)))
    one = bootstrap_mean([1.0, 0.0, 1.0, 1.0])  # one seed: a plain vector is one row
    assert one["mean"] == 0.75
