"""Assign each sample row to a named stream.

A stream is a conjunction of column conditions (``where``). Conditions are
data, not code: a value means equality, a list means membership, and a mapping
holds operators (``eq ne in not_in lt le gt ge is_null``). A null never matches
(except ``is_null: true``). A row belongs to the *first* stream, in recipe
order, whose conditions it meets, so overlapping filters never count a row twice;
a row that meets none is rejected with reason ``no_stream``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.mix.spec import MixSpecError, StreamSpec

Batch = pa.RecordBatch | pa.Table
NO_STREAM = -1
_CMP = {
    "eq": pc.equal,
    "ne": pc.not_equal,
    "lt": pc.less,
    "le": pc.less_equal,
    "gt": pc.greater,
    "ge": pc.greater_equal,
}


def _column(batch: Batch, name: str, stream: str) -> pa.Array | pa.ChunkedArray:
    if name not in batch.schema.names:
        raise MixSpecError(
            f"stream {stream!r}: column {name!r} is not in the input "
            f"(columns: {batch.schema.names})"
        )
    return batch.column(name)


def _scalar(value: Any, typ: pa.DataType) -> pa.Scalar:
    try:
        return pa.scalar(value).cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise MixSpecError(f"value {value!r} does not fit a column of type {typ}") from exc


def _value_set(values: Sequence[Any], typ: pa.DataType) -> pa.Array:
    try:
        return pa.array(list(values)).cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise MixSpecError(f"values {list(values)!r} do not fit a column of type {typ}") from exc


def _condition(col: pa.Array | pa.ChunkedArray, cond: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(cond, list):
        return pc.is_in(col, value_set=_value_set(cond, col.type))
    if not isinstance(cond, dict):
        return pc.equal(col, _scalar(cond, col.type))
    parts = []
    for op, value in cond.items():
        if op == "in":
            parts.append(pc.is_in(col, value_set=_value_set(value, col.type)))
        elif op == "not_in":
            hit = pc.is_in(col, value_set=_value_set(value, col.type))
            parts.append(pc.if_else(pc.is_null(col), None, pc.invert(hit)))
        elif op == "is_null":
            parts.append(pc.is_null(col) if value else pc.is_valid(col))
        else:
            parts.append(_CMP[op](col, _scalar(value, col.type)))
    out = parts[0]
    for p in parts[1:]:
        out = pc.and_kleene(out, p)
    return out


def stream_mask(batch: Batch, stream: StreamSpec) -> np.ndarray:
    """Boolean array: the rows of ``batch`` that meet every condition of ``stream``."""
    mask: pa.Array | pa.ChunkedArray | None = None
    for name, cond in stream.where.items():
        m = _condition(_column(batch, name, stream.name), cond)
        mask = m if mask is None else pc.and_kleene(mask, m)
    assert mask is not None
    mask = pc.fill_null(mask, False)
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return mask.to_numpy(zero_copy_only=False).astype(bool)


def assign_streams(batch: Batch, streams: Sequence[StreamSpec]) -> np.ndarray:
    """Per row, the index of the first stream it belongs to, or NO_STREAM (-1), as int32."""
    out = np.full(batch.num_rows, NO_STREAM, dtype=np.int32)
    for i, s in enumerate(streams):
        free = out == NO_STREAM
        if not free.any():
            break
        out[free & stream_mask(batch, s)] = i
    return out


def filter_columns(streams: Sequence[StreamSpec]) -> list[str]:
    """Columns the stream conditions read, in first-use order."""
    seen: dict[str, None] = {}
    for s in streams:
        for name in s.where:
            seen.setdefault(name)
    return list(seen)
