"""An append-only store of Arrow tables that spills to an Arrow IPC file past a budget.

Spilled data is written uncompressed and read back one record batch at a time
with ordinary reads (not a memory map, whose touched pages would count as the
process's resident memory).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa


class Spool:
    def __init__(self, path: Path, schema: pa.Schema, memory_bytes: int) -> None:
        self.path = path
        self.schema = schema
        self.memory_bytes = memory_bytes
        self.rows = 0
        self.nbytes = 0
        self._mem: list[pa.RecordBatch] = []
        self._mem_bytes = 0
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._sink: pa.NativeFile | None = None
        self._closed = False

    @property
    def spilled(self) -> bool:
        return self._sink is not None

    def append(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.cast(self.schema) if table.schema != self.schema else table
        self.rows += table.num_rows
        size = table.nbytes
        self.nbytes += size
        if self._writer is not None:
            self._writer.write_table(table)
            return
        self._mem.extend(table.to_batches())
        self._mem_bytes += size
        if self._mem_bytes > self.memory_bytes:
            self._spill()

    def _spill(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = pa.ipc.new_file(self._sink, self.schema)
        for b in self._mem:
            self._writer.write_batch(b)
        self._mem, self._mem_bytes = [], 0

    def finish(self) -> None:
        """No more appends; spilled data is flushed and readable."""
        if self._writer is not None and not self._closed:
            self._writer.close()
            assert self._sink is not None
            self._sink.close()
        self._closed = True

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """The stored data in append order, as tables (optionally only some columns)."""
        self.finish()
        if self._sink is None:
            for b in self._mem:
                t = pa.Table.from_batches([b])
                yield t.select(list(columns)) if columns is not None else t
            return
        with pa.OSFile(str(self.path), "rb") as src:
            reader = pa.ipc.open_file(src)
            for i in range(reader.num_record_batches):
                t = pa.Table.from_batches([reader.get_batch(i)])
                yield t.select(list(columns)) if columns is not None else t

    def read_all(self) -> pa.Table:
        parts = list(self.batches())
        return pa.concat_tables(parts) if parts else self.schema.empty_table()

    def discard(self) -> None:
        self.finish()
        self._mem = []
        if self._sink is not None:
            self.path.unlink(missing_ok=True)
