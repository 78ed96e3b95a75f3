"""Parquet shard writer: ``shards/part-00000.parquet``… cut by rows or by bytes.

Byte identity: a shard's bytes depend only on the sequence of rows it is fed.
Row groups are cut at fixed row counts inside each shard (never at the
boundaries of the tables passed to `write`), each row group is one contiguous
chunk, schema metadata is dropped, and every writer option is pinned. What
pyarrow stores besides the data is the ``ARROW:schema`` key and
``created_by = "parquet-cpp-arrow version X"``: no time, host or path, so the
bytes are equal for equal input under the same pyarrow version.

Atomic: a shard is written to ``.part-NNNNN.parquet.tmp`` and renamed when
complete; its sha256 is taken from the finished file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.mix.columns import table_row_nbytes

SHARD_DIR = "shards"


@dataclass(frozen=True)
class ShardInfo:
    path: str  # relative to the run directory, posix
    rows: int
    sha256: str
    bytes: int  # file size
    uncompressed_bytes: int  # the estimate shards are cut by
    row_groups: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def parquet_options(compression: str, level: int | None) -> dict[str, Any]:
    """Every ParquetWriter option that affects bytes, pinned."""
    comp = None if compression == "none" else compression
    return {
        "version": "2.6",
        "compression": comp,
        "compression_level": level if comp in ("zstd", "gzip", "brotli") else None,
        "use_dictionary": True,
        "write_statistics": True,
        "data_page_version": "1.0",
        "store_schema": True,
        "write_page_index": False,
        "write_page_checksum": False,
        "use_compliant_nested_type": True,
        "write_batch_size": 1024,
        "data_page_size": 1 << 20,
        "dictionary_pagesize_limit": 1 << 20,
    }


class ShardWriter:
    """Feed rows in their final order with `write`; `close` returns the shards."""

    def __init__(
        self,
        run_dir: Path | str,
        schema: pa.Schema,
        *,
        target_rows: int | None = None,
        target_bytes: int | None = None,
        row_group_rows: int = 4096,
        compression: str = "zstd",
        compression_level: int | None = 3,
        prefix: str = "part",
        subdir: str = SHARD_DIR,
    ) -> None:
        if target_rows is None and target_bytes is None:
            raise ValueError("give target_rows or target_bytes")
        self.run_dir = Path(run_dir)
        self.subdir = subdir
        self.dir = self.run_dir / subdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.schema = schema.remove_metadata()
        self.target_rows = target_rows
        self.target_bytes = target_bytes
        self.row_group_rows = row_group_rows
        self.prefix = prefix
        self.options = parquet_options(compression, compression_level)
        self.shards: list[ShardInfo] = []
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        self._rows = 0  # rows in the open shard
        self._bytes = 0
        self._groups = 0
        self._pending: list[pa.Table] = []  # rows of the open shard's next row group
        self._pending_rows = 0

    def _name(self, i: int) -> str:
        return f"{self.prefix}-{i:05d}.parquet"

    def _open(self) -> None:
        self._tmp = self.dir / f".{self._name(len(self.shards))}.tmp"
        self._writer = pq.ParquetWriter(str(self._tmp), self.schema, **self.options)
        self._rows = self._bytes = self._groups = 0

    def _flush_group(self, rows: int) -> None:
        table = pa.concat_tables(self._pending)
        group = table.slice(0, rows).combine_chunks()
        rest = table.slice(rows)
        assert self._writer is not None
        self._writer.write_table(group, row_group_size=rows)
        self._groups += 1
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows -= rows

    def _close_shard(self) -> None:
        if self._writer is None:
            return
        if self._pending_rows:
            self._flush_group(self._pending_rows)
        self._writer.close()
        assert self._tmp is not None
        final = self.dir / self._name(len(self.shards))
        with open(self._tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(self._tmp, final)
        self.shards.append(
            ShardInfo(
                path=f"{self.subdir}/{final.name}",
                rows=self._rows,
                sha256=file_sha256(final),
                bytes=final.stat().st_size,
                uncompressed_bytes=self._bytes,
                row_groups=self._groups,
            )
        )
        self._writer = None

    def _fit(self, sizes: np.ndarray) -> int:
        """How many of the next rows the open shard takes."""
        room = len(sizes)
        if self.target_rows is not None:
            room = min(room, self.target_rows - self._rows)
        if self.target_bytes is not None:
            cum = np.cumsum(sizes[:room])
            room = int(np.searchsorted(cum, self.target_bytes - self._bytes, side="right"))
            if room == 0 and self._rows == 0:
                room = 1  # a row larger than the target gets a shard of its own
        return room

    def write(self, table: pa.Table) -> None:
        """Append rows (cast to the writer's schema) after all rows written so far."""
        if table.num_rows == 0:
            return
        table = table.select(self.schema.names)
        if table.schema != self.schema:
            table = table.cast(self.schema)
        sizes = table_row_nbytes(table)
        start = 0
        while start < table.num_rows:
            if self._writer is None:
                self._open()
            k = self._fit(sizes[start:])
            if k == 0:
                self._close_shard()
                continue
            self._pending.append(table.slice(start, k))
            self._pending_rows += k
            self._rows += k
            self._bytes += int(sizes[start : start + k].sum())
            start += k
            while self._pending_rows >= self.row_group_rows:
                self._flush_group(self.row_group_rows)

    def close(self) -> list[ShardInfo]:
        """Finish the last shard (an empty one if nothing was written, so readers find a file)."""
        if self._writer is None and not self.shards:
            self._open()
        self._close_shard()
        return self.shards

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
