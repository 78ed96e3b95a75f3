"""Exact dedup: rows whose normalized text is identical.

The key is a 64-bit BLAKE2b of the normalized text (fields joined by U+001F);
with n rows the chance of any false collision is about n²/2⁶⁵ (4·10⁻⁹ for
400k rows), so groups of equal hashes are taken as equal texts. Under a
distributed engine the same key is one `map_batches` (`exact_keys`) followed by a
groupby on `key` keeping the smallest (order, id).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from errsynth.dedup.hashing import blake2b_64
from errsynth.dedup.normalize import EXACT, NormalizeConfig, normalize_fields
from errsynth.dedup.order import keep_permutation, text_columns
from errsynth.dedup.result import (
    EXACT_DUPLICATE,
    DedupResult,
    id_array,
    result_from_representatives,
)
from errsynth.dedup.runs import first_of_runs


def exact_keys(
    columns: Sequence[Sequence[str | None]], config: NormalizeConfig = EXACT
) -> np.ndarray:
    """uint64 key per row of the normalized, field-joined text."""
    if not columns:
        return np.empty(0, dtype=np.uint64)
    return blake2b_64(normalize_fields(vals, config) for vals in zip(*columns, strict=True))


def exact_keys_batch(
    batch: pa.Table | pa.RecordBatch,
    fields: str | Sequence[str] = "question",
    config: NormalizeConfig = EXACT,
) -> pa.Array:
    """`exact_keys` of a batch as a uint64 Arrow array (a map step for any engine)."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    return pa.array(exact_keys(text_columns(table, names), config), pa.uint64())


def exact_dedup(
    table: pa.Table,
    fields: str | Sequence[str] = "question",
    *,
    id_col: str = "id",
    order_col: str | None = None,
    config: NormalizeConfig = EXACT,
) -> DedupResult:
    """Keep the first row (in keep order) of every group of identical normalized texts."""
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    perm = keep_permutation(table, id_col, order_col)
    keys = exact_keys(text_columns(table, names), config)[perm]
    rep_rank = first_of_runs(keys)
    return result_from_representatives(id_array(table, id_col), perm, rep_rank, EXACT_DUPLICATE)
