"""The per-batch steps of a mix, shared by every engine.

Each is a pure function of one batch (plus the spec, the plan or the
selection), so an engine may run it on any partition of the rows, in any order,
on any worker. Between them sit the global steps, which are merges of small
mergeable results: `stream_totals` → `plan_mix` → `KeyHistogram` → `Refiner`
→ `Selection`, and finally one sort on `SORT_KEYS` feeding one `ShardWriter`.
"""

from __future__ import annotations

import pyarrow as pa

from errsynth.mix.annotate import annotate, reject_rows
from errsynth.mix.columns import conform
from errsynth.mix.select import Selection, expand
from errsynth.mix.shuffle import KEY_COLUMN, add_shuffle_key
from errsynth.mix.spec import MixSpec
from errsynth.mix.tokenizers import Tokenizer


def prepare_batch(
    batch: pa.Table | pa.RecordBatch,
    in_schema: pa.Schema,
    spec: MixSpec,
    tokenizer: Tokenizer,
) -> tuple[pa.Table, pa.Table]:
    """Step 1: (rows of a stream with ``stream`` and ``n_tokens``, no_stream rejects)."""
    return annotate(conform(batch, in_schema), spec, tokenizer)


def select_batch(
    prepared: pa.Table, selection: Selection, out_schema: pa.Schema
) -> tuple[pa.Table, pa.Table]:
    """Step 4: (output rows, repeats expanded, with `KEY_COLUMN`; over_quota rejects).

    Output columns are ``out_schema``'s followed by `KEY_COLUMN`; sort on
    `SORT_KEYS` and drop the key to get the shard order.
    """
    copies = selection.multiplicity(prepared)
    dropped = prepared.filter(pa.array(copies == 0))
    out = add_shuffle_key(selection.plan.seed, expand(prepared, copies))
    return out.select([*out_schema.names, KEY_COLUMN]), reject_rows(dropped, "over_quota")
