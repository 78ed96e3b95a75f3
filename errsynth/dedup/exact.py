"""Exact dedup: rows whose normalized text is identical.

The key is a 64-bit BLAKE2b of the normalized text (fields joined by U+001F);
with n rows the chance of any false collision is about n²/2⁶⁵ (4·10⁻⁹ for
400k rows), so groups of equal hashes are taken as equal texts. Under a
distributed engine the same key is one `map_batches` (`exact_keys`) followed by a
groupby on `key` keeping the smallest (order, id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from errsynth.dedup.hashing import blake2b_64
from errsynth.dedup.normalize import EXACT, NormalizeConfig, normalize_fields
from errsynth.dedup.order import in_rank_order, keep_permutation, key_columns, text_columns
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
    return exact_dedup_batches([table], fields, id_col=id_col, order_col=order_col, config=config)


def exact_dedup_batches(
    batches: Iterable[pa.Table],
    fields: str | Sequence[str] = "question",
    *,
    id_col: str = "id",
    order_col: str | None = None,
    config: NormalizeConfig = EXACT,
) -> DedupResult:
    """`exact_dedup` of the concatenated batches, one batch in memory at a time
    (then 8 bytes of key per row, with the ids and the order)."""
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    parts: list[np.ndarray] = []
    key_tables: list[pa.Table] = []
    for batch in batches:
        parts.append(exact_keys(text_columns(batch, names), config))
        key_tables.append(key_columns(batch, id_col, order_col))
    table = pa.concat_tables(key_tables) if key_tables else pa.table({})
    perm = keep_permutation(table, id_col, order_col)
    keys = in_rank_order(parts, perm, (0,), np.uint64)
    rep_rank = first_of_runs(keys)
    ids = id_array(table, id_col) if len(perm) else pa.array([], pa.int64())
    return result_from_representatives(ids, perm, rep_rank, EXACT_DUPLICATE)
