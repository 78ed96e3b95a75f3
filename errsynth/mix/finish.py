"""Steps of the mixture shared by the local (`engine.local.mix`) and Ray (`engine.ray.mix`)
engines: clearing an old output, input and output counts, the reject shuffle key, phase
timings, the shard and reject writers with the output settings, and the manifest."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from errsynth.mix.annotate import MIX_REJECT_SCHEMA
from errsynth.mix.hashing import row_keys
from errsynth.mix.manifest import MixCounts, build_manifest, count_values, write_json_atomic
from errsynth.mix.shuffle import KEY_COLUMN
from errsynth.mix.spec import MixJob
from errsynth.mix.weights import MixPlan
from errsynth.mix.writer import SHARD_DIR, ShardInfo, ShardWriter

REJECT_PREFIX = "mix"
REJECT_DIR = "rejects"
_REJECT_NAMESPACE = "\x00rejects"


def prepare_output(out_dir: Path, overwrite: bool) -> None:
    """Refuse to mix over earlier shards or mix rejects unless `overwrite`, then remove them."""
    old = sorted((out_dir / SHARD_DIR).glob("part-*.parquet")) + sorted(
        (out_dir / REJECT_DIR).glob(f"{REJECT_PREFIX}-*.parquet")
    )
    if old and not overwrite:
        raise FileExistsError(
            f"{out_dir} already holds mix output ({old[0].name}…); pass overwrite=True"
        )
    for f in old:
        f.unlink()


def count_input(counts: MixCounts, batch: pa.Table) -> MixCounts:
    """Add a batch of input samples to the rows, kinds and sources read."""
    names = batch.schema.names
    counts.rows_in += batch.num_rows
    counts.kind_in += count_values(batch.column("kind") if "kind" in names else None)
    counts.source_in += count_values(batch.column("source") if "source" in names else None)
    return counts


class PhaseClock:
    """Seconds per phase of a mix (`lap(name)` closes the phase that ends now)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = round(now - self._mark, 3)
        self._mark = now


def shard_writer(out_dir: Path, schema: pa.Schema, job: MixJob) -> ShardWriter:
    """The writer of `shards/part-*.parquet`, cut by the output's rows or bytes."""
    output = job.output
    return ShardWriter(
        out_dir,
        schema,
        target_rows=output.shard_rows,
        target_bytes=output.target_bytes,
        row_group_rows=output.row_group_rows,
        compression=output.compression,
        compression_level=output.compression_level,
    )


def reject_writer(out_dir: Path, job: MixJob) -> ShardWriter:
    """The writer of `rejects/mix-*.parquet` (one file)."""
    output = job.output
    return ShardWriter(
        out_dir,
        MIX_REJECT_SCHEMA,
        target_rows=1 << 62,
        row_group_rows=output.row_group_rows,
        compression=output.compression,
        compression_level=output.compression_level,
        prefix=REJECT_PREFIX,
        subdir=REJECT_DIR,
    )


def write_mix_manifest(
    out_dir: Path,
    job: MixJob,
    *,
    counts: MixCounts,
    plan: MixPlan,
    shards: list[ShardInfo],
    tokenizer: Any,
    recipe: Any,
    rejects: list[ShardInfo] | None,
    elapsed_s: float,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """Check that no row was lost, then write and return `manifest.json`."""
    if counts.rows_in != counts.rows_selected + counts.rows_rejected:  # never lose a row silently
        raise RuntimeError(f"mix lost rows: {counts}")
    manifest = build_manifest(
        counts=counts,
        plan=plan,
        shards=shards,
        mix=job.mix.as_dict(),
        output=job.output.as_dict(),
        tokenizer=tokenizer,
        recipe=recipe,
        rejects=None if rejects is None else {"files": [s.as_dict() for s in rejects]},
        elapsed_s=elapsed_s,
        extra=extra,
    )
    write_json_atomic(out_dir / "manifest.json", manifest)
    return manifest


def reject_key(seed: int, table: pa.Table) -> pa.Table:
    """The rejects' shuffle key (their order in `rejects/mix-*`), from the mix seed."""
    keys = row_keys(seed, _REJECT_NAMESPACE, table.column("id"))
    return table.append_column(
        pa.field(KEY_COLUMN, pa.uint64(), nullable=False), pa.array(keys, pa.uint64())
    )


def count_out(counts: MixCounts, out: pa.Table) -> None:
    """Add a batch of selected rows to the output counts (rows, tokens by stream, kind, source)."""
    n = out.num_rows
    if not n:
        return
    counts.rows_out += n
    tokens = out.column("n_tokens").to_numpy()
    counts.out_rows += count_values(out.column("stream"))
    counts.out_tokens += count_values(out.column("stream"), tokens.tolist())
    if "kind" in out.schema.names:
        counts.kind_out += count_values(out.column("kind"))
        counts.kind_tokens_out += count_values(out.column("kind"), tokens.tolist())
    if "source" in out.schema.names:
        counts.source_out += count_values(out.column("source"))
