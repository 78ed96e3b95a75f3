"""The keep-first order: which row of a duplicate group survives.

Rows are ranked by the caller's order column, ties broken by `id`, so the result
does not depend on the order rows arrive in (engine, batch size, worker count).
Without an order column the rank is the row position, i.e. the input order is
the keep order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def keep_permutation(
    table: pa.Table, id_col: str = "id", order_col: str | None = None
) -> np.ndarray:
    """Row positions sorted into keep order: `perm[rank] = row`."""
    n = table.num_rows
    if order_col is None:
        return np.arange(n, dtype=np.int64)
    if order_col not in table.column_names:
        raise KeyError(f"order column {order_col!r} not in table")
    keys = [(order_col, "ascending")]
    if id_col in table.column_names:
        keys.append((id_col, "ascending"))
    idx = pc.sort_indices(table.select([k for k, _ in keys]), sort_keys=keys)
    return idx.to_numpy().astype(np.int64, copy=False)


def ranks_from_permutation(perm: np.ndarray) -> np.ndarray:
    """Inverse permutation: `rank[row]`."""
    rank = np.empty_like(perm)
    rank[perm] = np.arange(perm.shape[0], dtype=perm.dtype)
    return rank


def text_columns(
    table: pa.Table, fields: str | tuple[str, ...] | list[str]
) -> list[list[str | None]]:
    """The requested text fields as Python lists (one list per field)."""
    names = [fields] if isinstance(fields, str) else list(fields)
    if not names:
        raise ValueError("at least one text field is needed")
    missing = [f for f in names if f not in table.column_names]
    if missing:
        raise KeyError(f"text field(s) {missing} not in table columns {table.column_names}")
    return [table.column(f).to_pylist() for f in names]


def key_columns(batch: pa.Table, id_col: str, order_col: str | None) -> pa.Table:
    """The id and order columns of a batch (row numbers stand in for a missing id)."""
    cols = {}
    if id_col in batch.column_names:
        cols[id_col] = batch.column(id_col)
    if order_col is not None:
        if order_col not in batch.column_names:
            raise KeyError(f"order column {order_col!r} not in table")
        cols[order_col] = batch.column(order_col)
    if not cols:
        cols["_rows"] = pa.nulls(batch.num_rows, pa.int8())
    return pa.table(cols)


def in_rank_order(
    parts: list[np.ndarray], perm: np.ndarray, empty_shape: tuple[int, ...], dtype: type
) -> np.ndarray:
    """The concatenated per-batch arrays in keep order (no copy when already in it)."""
    whole = np.concatenate(parts) if parts else np.empty(empty_shape, dtype=dtype)
    parts.clear()
    if np.array_equal(perm, np.arange(len(perm))):
        return whole
    return whole[perm]
