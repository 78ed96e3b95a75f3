"""Read and write iGSM rows as .parquet or .jsonl (chosen by the file suffix)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["RowWriter", "count_rows", "read_rows"]

_SUFFIXES = (".parquet", ".jsonl")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"{path}: expected a .parquet or .jsonl file")
    return suffix


def read_rows(path: Path, batch_size: int = 4096) -> Iterator[dict[str, Any]]:
    """Rows of a parquet or jsonl file, streamed."""
    if _kind(path) == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            yield from batch.to_pylist()
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def count_rows(path: Path) -> int | None:
    """Row count of a parquet file from its metadata (None for jsonl)."""
    if _kind(path) == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


class RowWriter:
    """Append rows (dicts with the same keys) to a parquet or jsonl file in batches."""

    def __init__(self, path: Path, batch_size: int = 8192) -> None:
        self.path = path
        self.kind = _kind(path)
        self.batch_size = batch_size
        self._buffer: list[dict[str, Any]] = []
        self._parquet: pq.ParquetWriter | None = None
        self._jsonl: IO[str] | None = None
        self.rows = 0

    def __enter__(self) -> RowWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == ".jsonl":
            self._jsonl = self.path.open("w", encoding="utf-8")
        return self

    def write(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if self._jsonl is not None:
            self._jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table)
        self._buffer.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
            return
        self._flush()
        if self._parquet is not None:
            self._parquet.close()
        elif exc_type is None:  # no rows: still write a valid, empty file
            pq.write_table(pa.table({}), self.path)
