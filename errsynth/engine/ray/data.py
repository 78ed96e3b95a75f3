"""Ray Data helpers of the Ray engine's passes: settings, partitions, collecting results.

`ray` is imported where it is used (`ray_module`): it is heavy to import and only
the Ray engine needs it.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from errsynth.mix.shuffle import KEY_COLUMN

PART = "_part"
REJECT_SORT_KEYS = [KEY_COLUMN, "id", "reason"]
ROWS_PER_PARTITION = 200_000  # shuffle rows (row x band for MinHash) per partition
MAX_PARTITIONS = 256
DRIVER_KEY_ROWS = 20_000_000  # exact dedup decided on the driver up to this many rows (16 B/row)
SHUFFLES = ("sort", "hash")


def ray_module() -> Any:
    """The `ray` module (imported here, on first use: an optional heavy import)."""
    import ray

    return ray


def default_partitions(shuffle_rows: int) -> int:
    """Partitions of a shuffle of that many rows: about ROWS_PER_PARTITION each."""
    return max(1, min(MAX_PARTITIONS, math.ceil(shuffle_rows / ROWS_PER_PARTITION)))


def blocks(tables: Sequence[pa.Table]) -> list[pa.Table]:
    return [t for t in tables if t.num_rows]


def collect(ds: Any) -> pa.Table | None:
    """A (small) dataset's rows on the driver as one table; None when it has none."""
    ray = ray_module()
    parts = [t for t in ray.get(ds.to_arrow_refs()) if t.num_rows]
    return pa.concat_tables(parts) if parts else None


@contextlib.contextmanager
def data_context(preserve_order: bool = True, shuffle: str = "sort") -> Iterator[Any]:
    """Ray Data settings of these stages, restored afterwards.

    `shuffle`: "sort" (Ray's pull-based sort shuffle: plain tasks that start at
    once, the better choice on a laptop or a small cluster) or "hash" (Ray's hash
    shuffle, run by aggregator actors; for large clusters). No progress bars, and
    ray.data's INFO lines go to Ray's log files only. `preserve_order` keeps block
    order (needed when a sorted dataset is iterated into the shard writer).
    """
    ray = ray_module()
    from ray.data.context import ShuffleStrategy

    if shuffle not in SHUFFLES:
        raise ValueError(f"shuffle must be one of {SHUFFLES}, not {shuffle!r}")
    ctx = ray.data.DataContext.get_current()
    logger = logging.getLogger("ray.data")  # one "Starting execution" line per pass otherwise
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    old = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.shuffle_strategy)
    ctx.execution_options.preserve_order = preserve_order
    ctx.enable_progress_bars = False
    ctx.shuffle_strategy = (
        ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
        if shuffle == "sort"
        else ShuffleStrategy.HASH_SHUFFLE
    )
    try:
        yield ctx
    finally:
        (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.shuffle_strategy) = old
        logger.setLevel(level)
