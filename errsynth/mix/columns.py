"""Column layout of mixed output, and per-row size estimates.

The output schema must not depend on which input came first or which library
wrote it: columns of ``SAMPLE_SCHEMA`` come in its order with its types and
nullability; other columns follow in name order, nullable at every level; the
mixer's own columns (``MIX_COLUMNS``) come last. View and large
string/binary/list types (as polars writes them) are cast to the plain ones,
and schema metadata is dropped, so equal data gives equal bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from errsynth.schema import SAMPLE_SCHEMA

MIX_FIELDS = (
    pa.field("stream", pa.string(), nullable=False),
    pa.field("repeat", pa.int32(), nullable=False),
    pa.field("n_tokens", pa.int32(), nullable=False),
)
MIX_COLUMNS = tuple(f.name for f in MIX_FIELDS)


class MixInputError(ValueError):
    """Input tables that cannot be mixed together; the message names the column."""


def plain_type(t: pa.DataType) -> pa.DataType:
    """``t`` with view/large string, binary and list types replaced by the plain ones."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.list_(plain_field(t.value_field))
    if pa.types.is_list(t):
        return pa.list_(plain_field(t.value_field))
    if pa.types.is_struct(t):
        return pa.struct([plain_field(f) for f in t])
    if pa.types.is_dictionary(t):
        return plain_type(t.value_type)
    return t


def _nullable_type(t: pa.DataType) -> pa.DataType:
    """``t`` with every nested field nullable (how each writer marks them varies)."""
    if pa.types.is_list(t):
        return pa.list_(_nullable_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _nullable_type(f.type)) for f in t])
    return t


def plain_field(f: pa.Field) -> pa.Field:
    return pa.field(f.name, plain_type(f.type), nullable=f.nullable)


def input_schema(schemas: Sequence[pa.Schema]) -> pa.Schema:
    """The one schema every input batch is cast to (independent of input order)."""
    if not schemas:
        raise MixInputError("no inputs")
    found: dict[str, list[pa.Field]] = {}
    for s in schemas:
        for f in s:
            found.setdefault(f.name, []).append(f)
    if "id" not in found:
        raise MixInputError("inputs have no 'id' column (the mixer keys every row by its id)")
    fields: list[pa.Field] = []
    known = {f.name: f for f in SAMPLE_SCHEMA}
    names = [n for n in SAMPLE_SCHEMA.names if n in found]
    names += sorted(n for n in found if n not in known)
    for name in names:
        fs = found[name]
        in_all = len(fs) == len(schemas)
        if name in known:
            # The sample schema's nullability, not the writer's: polars marks every
            # column nullable, pyarrow keeps the schema's; the bytes must not care.
            typ = known[name].type
            nullable = known[name].nullable or not in_all
        else:
            types = {plain_type(f.type) for f in fs}
            if len(types) > 1:
                raise MixInputError(
                    f"column {name!r} has different types in different inputs: "
                    f"{sorted(str(t) for t in types)}"
                )
            typ = _nullable_type(types.pop())
            nullable = True
        if name == "id" and not in_all:
            raise MixInputError("an input has no 'id' column")
        fields.append(pa.field(name, typ, nullable=nullable))
    return pa.schema(fields)


def output_schema(schema: pa.Schema) -> pa.Schema:
    """Input schema without any earlier mixer columns, then the mixer's own."""
    kept = [f for f in schema if f.name not in MIX_COLUMNS]
    return pa.schema([*kept, *MIX_FIELDS])


def conform(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> pa.Table:
    """``batch`` as a table of exactly ``schema``: missing nullable columns null, types cast."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    cols = []
    for f in schema:
        if f.name in table.schema.names:
            col = table.column(f.name)
            if col.type != f.type:
                try:
                    col = col.cast(f.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise MixInputError(
                        f"column {f.name!r}: cannot cast {col.type} to {f.type}"
                    ) from exc
            if not f.nullable and col.null_count:
                raise MixInputError(f"column {f.name!r} has nulls but may not")
        elif f.nullable:
            col = pa.nulls(table.num_rows, f.type)
        else:
            raise MixInputError(f"input lacks required column {f.name!r}")
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)


def row_nbytes(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Uncompressed size estimate of each row of a column, in bytes (int64).

    Value bytes plus offsets; validity bitmaps are ignored. Depends only on the
    values, never on chunking or slicing, so shard cuts by bytes are stable.
    """
    if isinstance(col, pa.ChunkedArray):
        parts = [row_nbytes(c) for c in col.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    t = col.type
    n = len(col)
    if pa.types.is_dictionary(t):
        return row_nbytes(col.dictionary_decode())
    if pa.types.is_null(t):
        return np.zeros(n, dtype=np.int64)
    if pa.types.is_boolean(t):
        return np.ones(n, dtype=np.int64)
    if (
        pa.types.is_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_string(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary_view(t)
    ):
        lens = pc.fill_null(pc.binary_length(col), 0).to_numpy(zero_copy_only=False)
        return lens.astype(np.int64) + 4
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        child = col.flatten()
        parents = pc.list_parent_indices(col).to_numpy(zero_copy_only=False)
        child_sizes = row_nbytes(child)
        sums = (
            np.bincount(parents, weights=child_sizes, minlength=n) if len(parents) else np.zeros(n)
        )
        return np.rint(sums).astype(np.int64) + 4
    if pa.types.is_struct(t):
        total = np.zeros(n, dtype=np.int64)
        for child in col.flatten():
            total += row_nbytes(child)
        return total
    width = t.bit_width // 8 if t.bit_width else 8
    return np.full(n, width, dtype=np.int64)


def table_row_nbytes(table: pa.Table) -> np.ndarray:
    total = np.zeros(table.num_rows, dtype=np.int64)
    for col in table.columns:
        total += row_nbytes(col)
    return total
