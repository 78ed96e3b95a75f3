"""A Parquet output written in row groups to a temp file and renamed into place on close."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.core.atomic import temp_path


class ParquetSink:
    """Buffers rows and writes a row group whenever `batch_rows` are waiting; `abort`
    removes the temp file, so a failed stage never leaves a file that looks finished.

    The streaming form of `core.atomic.write_parquet_atomic` (same temp name, same rename).
    """

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int = 4096) -> None:
        self.path, self.schema, self.batch_rows = Path(path), schema, batch_rows
        self.tmp = temp_path(self.path)
        self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.pending: list[Mapping[str, Any]] = []
        self.count = 0

    def add(self, row: Mapping[str, Any]) -> None:
        self.extend([row])

    def extend(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.pending.extend(rows)
        self.count += len(rows)
        if len(self.pending) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.Table.from_pylist(list(self.pending), schema=self.schema))
            self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)
