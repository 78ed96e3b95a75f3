"""A chunk of rows on disk: the unit engines schedule, read only when a job needs it."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ORDER = "_order"
"""Keep-first order of solution rows: (source index << 40) | record number; every sample
carries its parent's. An internal column: never in shards (the mix reads without it)."""


@dataclass(frozen=True)
class Chunk:
    """A Parquet file of rows and its row count (bounded memory: read on demand)."""

    path: Path
    num_rows: int

    @classmethod
    def at(cls, path: Path) -> Chunk:
        return cls(Path(path), pq.read_metadata(path).num_rows)

    def table(self, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.path, columns=columns)

    def select(self, columns: list[str]) -> pa.Table:
        return self.table(columns)

    def project(self, keep: Collection[str] | None) -> pa.Table:
        """The columns of the file that are in `keep` (all when None), in the file's order."""
        if keep is None:
            return self.table()
        return self.table([n for n in pq.read_schema(self.path).names if n in keep])


def as_table(chunk: Chunk | pa.Table) -> pa.Table:
    return chunk.table() if isinstance(chunk, Chunk) else chunk


def chunk_paths(folder: Path) -> list[Path]:
    """A stage's chunk files in order (`folder/data/chunk-NNNNN.parquet`)."""
    return sorted((Path(folder) / "data").glob("chunk-*.parquet"))


def read_chunks(folder: Path) -> list[Chunk]:
    return [Chunk.at(p) for p in chunk_paths(folder)]


def chunk_offsets(chunks: Sequence[Chunk | pa.Table]) -> list[int]:
    """Global row number of each chunk's first row."""
    return [0, *itertools.accumulate(c.num_rows for c in chunks)][:-1] if chunks else []
