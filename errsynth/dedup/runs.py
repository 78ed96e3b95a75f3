"""Grouping equal keys with numpy sorts instead of Python dictionaries."""

from __future__ import annotations

import numpy as np


def first_of_runs(keys: np.ndarray) -> np.ndarray:
    """For keys listed in keep order, the position of the first equal key.

    `rep[i]` is the smallest `j` with `keys[j] == keys[i]`; a stable sort keeps
    equal keys in keep order, so each run's first element is its earliest row.
    """
    n = keys.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=start[1:])
    run = np.cumsum(start) - 1
    first = order[start][run]
    rep = np.empty(n, dtype=np.int64)
    rep[order] = first
    return rep


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean mask of where a new run begins in an already sorted key array."""
    start = np.empty(sorted_keys.shape[0], dtype=bool)
    if start.size:
        start[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=start[1:])
    return start
