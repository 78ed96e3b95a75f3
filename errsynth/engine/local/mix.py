"""The local engine's mix (`mix_and_write`): read → annotate → plan → select → shuffle → shards + manifest.

Memory stays bounded: annotated rows are spooled (spilled to disk past half the
budget), the selection cut is found from a fixed-size histogram plus one key
bucket, and the shuffle is a bucketed external sort. Passes over the spool:
(1) annotate and count, (2) histogram, (3) refine the cut, (4) select, expand
repeats, key and bucket, (5) sort each bucket and write shards.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.mix.annotate import MIX_REJECT_SCHEMA, stream_totals
from errsynth.mix.columns import input_schema, output_schema
from errsynth.mix.finish import (
    PhaseClock,
    count_input,
    count_out,
    prepare_output,
    reject_key,
    reject_writer,
    shard_writer,
    write_mix_manifest,
)
from errsynth.mix.manifest import MixCounts
from errsynth.mix.pipeline import prepare_batch, select_batch
from errsynth.mix.select import KeyHistogram, Refiner, Selection
from errsynth.mix.shuffle import KEY_COLUMN, ExternalSorter, buckets_for
from errsynth.mix.spec import MixJob
from errsynth.mix.spool import Spool
from errsynth.mix.tokenizers import get_tokenizer
from errsynth.mix.weights import MixPlan, plan_mix
from errsynth.mix.writer import ShardInfo, ShardWriter

_SELECT_COLUMNS = ["id", "stream", "n_tokens"]
Input = pa.Table | pa.RecordBatch | str | os.PathLike[str]


@dataclass(frozen=True)
class _Source:
    """One input: a table in memory, or a Parquet file read in batches."""

    schema: pa.Schema
    rows: int
    table: pa.Table | None = None
    path: Path | None = None

    columns: tuple[str, ...] | None = None  # of a file: the columns read

    def batches(self, batch_rows: int) -> Iterator[pa.Table]:
        if self.table is not None:
            for b in self.table.to_batches(max_chunksize=batch_rows):
                yield pa.Table.from_batches([b])
        else:
            assert self.path is not None
            file = pq.ParquetFile(self.path)
            columns = list(self.columns) if self.columns is not None else None
            for b in file.iter_batches(batch_size=batch_rows, columns=columns):
                yield pa.Table.from_batches([b])


def _projected(schema: pa.Schema, columns: Sequence[str] | None) -> pa.Schema:
    if columns is None:
        return schema
    return pa.schema([f for f in schema if f.name in set(columns)])


def _sources(
    inputs: Input | Sequence[Input], columns: Sequence[str] | None = None
) -> list[_Source]:
    if isinstance(inputs, pa.Table | pa.RecordBatch | str | os.PathLike):
        inputs = [inputs]
    out: list[_Source] = []
    for x in inputs:
        if isinstance(x, pa.RecordBatch):
            x = pa.Table.from_batches([x])
        if isinstance(x, pa.Table):
            t = x.select([c for c in x.schema.names if c in set(columns)]) if columns else x
            out.append(_Source(t.schema, t.num_rows, table=t))
            continue
        p = Path(x)
        files = (
            sorted(f for f in p.rglob("*.parquet") if not f.name.startswith("."))
            if p.is_dir()
            else [p]
        )
        if not files or not all(f.is_file() for f in files):
            raise FileNotFoundError(f"no Parquet input at {p}")
        for f in files:
            meta = pq.read_metadata(f)
            schema = _projected(meta.schema.to_arrow_schema(), columns)
            kept = tuple(schema.names) if columns is not None else None
            out.append(_Source(schema, meta.num_rows, path=f, columns=kept))
    return out


def _expected_out_bytes(staging: Spool, plan: MixPlan, counts: MixCounts) -> int:
    if not staging.rows:
        return 0
    per_row = staging.nbytes / staging.rows
    rows = 0.0
    for q in plan.quotas:
        if q.available:
            rows += counts.stream_rows[q.name] * q.quota / q.available
    return int(per_row * rows)


def _write_sorted(sorter: ExternalSorter, writer: ShardWriter) -> list[ShardInfo]:
    try:
        for t in sorter.sorted_tables():
            writer.write(t.drop_columns([KEY_COLUMN]))
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def mix_and_write(
    inputs: Input | Sequence[Input],
    out_dir: Path | str,
    spec: Mapping[str, Any] | MixJob,
    *,
    recipe: Any = None,
    seed: int | None = None,
    overwrite: bool = False,
    batch_rows: int = 8192,
    extra_manifest: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Mix sample tables or Parquet files/folders into ``out_dir``; returns the manifest.

    ``columns``: read only these columns of the inputs (those present, in the inputs'
    order), e.g. the sample
    columns of a run's stage chunks without their internal ``_order``.

    ``spec`` holds ``mix`` and ``output`` (see `errsynth.mix.spec`); ``seed`` is used
    when neither ``mix.seed`` nor ``spec['seed']`` is given. Writes
    ``shards/part-NNNNN.parquet``, ``rejects/mix-NNNNN.parquet`` and ``manifest.json``.
    """
    t0 = time.perf_counter()
    job = spec if isinstance(spec, MixJob) else MixJob.from_dict(spec, seed=seed)
    mix, output = job.mix, job.output
    tok = get_tokenizer(mix.tokenizer)
    tok.check()
    sources = _sources(inputs, columns)
    in_schema = input_schema([s.schema for s in sources])
    out_schema = output_schema(in_schema)
    staged_schema = pa.schema([f for f in out_schema if f.name != "repeat"])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prepare_output(out_dir, overwrite)
    for stale in out_dir.glob(".mix-tmp-*"):  # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out_dir / f".mix-tmp-{os.getpid()}"
    tmp.mkdir()
    # Budget: 3/8 to the spool of annotated rows, 3/8 to the shuffle, 1/4 to rejects.
    memory = output.memory_bytes
    share = memory * 3 // 8
    total_in = sum(s.rows for s in sources)
    reject_sorter = ExternalSorter(
        MIX_REJECT_SCHEMA.append(pa.field(KEY_COLUMN, pa.uint64(), nullable=False)),
        buckets_for(total_in * 160, memory // 4),
        memory // 4,
        tmp / "rejects",
        sort_keys=[(KEY_COLUMN, "ascending"), ("id", "ascending"), ("reason", "ascending")],
    )
    staging = Spool(tmp / "staging.arrow", staged_schema, share)
    # The selection passes read only these columns: a spool of their own keeps them cheap.
    keys_spool = Spool(
        tmp / "select.arrow",
        pa.schema([staged_schema.field(c) for c in _SELECT_COLUMNS]),
        memory // 16,
    )
    sorter: ExternalSorter | None = None
    clock = PhaseClock()
    try:
        counts = MixCounts()
        # (1) annotate: stream, tokens, no_stream rejects, totals
        for src in sources:
            for batch in src.batches(batch_rows):
                count_input(counts, batch)
                kept, rejected = prepare_batch(batch, in_schema, mix, tok)
                counts.rejected["no_stream"] += rejected.num_rows
                reject_sorter.add(reject_key(mix.seed, rejected))
                rows, toks = stream_totals(kept)
                counts.stream_rows.update(rows)
                counts.stream_tokens.update(toks)
                staging.append(kept.select(staged_schema.names))
                keys_spool.append(kept.select(_SELECT_COLUMNS))
        clock.lap("read_annotate_tokenize")
        available = counts.stream_tokens if mix.weight_by == "tokens" else counts.stream_rows
        plan = plan_mix(mix, available)
        # (2, 3) the partial epochs' cuts
        hist = KeyHistogram()
        for b in keys_spool.batches():
            hist.update(plan, b)
        refiner = Refiner(hist.crossings(plan))
        for b in keys_spool.batches():
            refiner.update(plan, b)
        keys_spool.discard()
        selection = Selection(plan, refiner.cuts(plan))
        clock.lap("plan_select")
        # (4) select, expand repeats, shuffle keys, bucket
        sort_schema = out_schema.append(pa.field(KEY_COLUMN, pa.uint64(), nullable=False))
        est = _expected_out_bytes(staging, plan, counts)
        sorter = ExternalSorter(sort_schema, buckets_for(est, share), share, tmp / "sort")
        for b in staging.batches():
            out, dropped = select_batch(b, selection, out_schema)
            counts.rejected["over_quota"] += dropped.num_rows
            reject_sorter.add(reject_key(mix.seed, dropped))
            counts.rows_selected += b.num_rows - dropped.num_rows
            count_out(counts, out)
            sorter.add(out)
        staging.discard()
        clock.lap("expand_key_bucket")
        # (5) shards in shuffle order, rejects in key order
        writer = shard_writer(out_dir, out_schema, job)
        shards = _write_sorted(sorter, writer)
        clock.lap("sort_write_shards")
        reject_files = None
        if output.write_rejects:
            reject_files = _write_sorted(reject_sorter, reject_writer(out_dir, job))
            clock.lap("write_rejects")
    finally:
        staging.discard()
        keys_spool.discard()
        reject_sorter.close()
        if sorter is not None:
            sorter.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return write_mix_manifest(
        out_dir,
        job,
        counts=counts,
        plan=plan,
        shards=shards,
        tokenizer=tok.spec,
        recipe=recipe,
        rejects=reject_files,
        elapsed_s=time.perf_counter() - t0,
        extra={"phases_s": clock.times, **(extra_manifest or {})},
    )
