"""Per-batch first step of a mix: stream of each row, token count, rejects.

A pure function of the batch (and the spec), so an engine may run it on any
partition of the rows in any order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from errsynth.mix.columns import MIX_COLUMNS, MixInputError
from errsynth.mix.spec import MixSpec
from errsynth.mix.streams import NO_STREAM, assign_streams
from errsynth.mix.tokenizers import Tokenizer

MIX_REJECT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("stream", pa.string()),
        pa.field("reason", pa.string(), nullable=False),  # no_stream | over_quota
        pa.field("detail", pa.string()),
    ]
)


def reject_rows(table: pa.Table, reason: str, detail: str | None = None) -> pa.Table:
    """Rows of ``table`` as mix rejects (``MIX_REJECT_SCHEMA``)."""
    n = table.num_rows

    def col(name: str) -> pa.Array | pa.ChunkedArray:
        if name in table.schema.names:
            c = table.column(name)
            return c if c.type == pa.string() else c.cast(pa.string())
        return pa.nulls(n, pa.string())

    return pa.Table.from_arrays(
        [
            col("id"),
            col("source"),
            col("kind"),
            col("stream"),
            pa.array([reason] * n, pa.string()),
            pa.array([detail] * n, pa.string()),
        ],
        schema=MIX_REJECT_SCHEMA,
    )


def annotate(table: pa.Table, spec: MixSpec, tokenizer: Tokenizer) -> tuple[pa.Table, pa.Table]:
    """(rows in a stream, with ``stream`` and ``n_tokens`` columns; rejected rows).

    Earlier mixer columns (stream, repeat, n_tokens) in the input are replaced.
    """
    if table.column("id").null_count:
        raise MixInputError("column 'id' has nulls")
    idx = assign_streams(table, spec.streams)
    keep = idx != NO_STREAM
    rejected = reject_rows(table.filter(pa.array(~keep)), "no_stream")
    kept = table.filter(pa.array(keep))
    if spec.token_field not in kept.schema.names:
        raise MixInputError(f"token_field {spec.token_field!r} is not an input column")
    text = kept.column(spec.token_field)
    if not pa.types.is_string(text.type):
        raise MixInputError(f"token_field {spec.token_field!r} is {text.type}, not a string")
    tokens = tokenizer.count_array(text)
    if len(tokens) and tokens.max() >= 2**31:
        raise MixInputError("a row has 2**31 tokens or more")
    names = np.array([s.name for s in spec.streams], dtype=object)
    stream = pa.array(names[idx[keep]].tolist(), pa.string())
    kept = kept.drop_columns([c for c in MIX_COLUMNS if c in kept.schema.names])
    kept = kept.append_column(pa.field("stream", pa.string(), nullable=False), stream)
    kept = kept.append_column(
        pa.field("n_tokens", pa.int32(), nullable=False), pa.array(tokens, pa.int32())
    )
    return kept, rejected


def stream_totals(kept: pa.Table) -> tuple[dict[str, int], dict[str, int]]:
    """(rows, tokens) per stream of an annotated table."""
    if kept.num_rows == 0:
        return {}, {}
    g = kept.group_by("stream").aggregate([("n_tokens", "count"), ("n_tokens", "sum")])
    names = g.column("stream").to_pylist()
    rows = dict(zip(names, g.column("n_tokens_count").to_pylist(), strict=True))
    toks = dict(zip(names, g.column("n_tokens_sum").to_pylist(), strict=True))
    return rows, toks
