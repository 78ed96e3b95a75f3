"""A stage's folder in the run directory, and the reject rows of steps that drop input rows.

    stages/NN-NAME/data/chunk-KKKKK.parquet         output chunk k (written last: done)
                   data/chunk-KKKKK.stats.json      the step's counts for chunk k (if any)
                   rejects/chunk-KKKKK.parquet      rows (or candidates) of chunk k rejected
                   done.json                        the stage's summary; the stage is done

Every file is written atomically (`core.atomic`); a killed stage resumes at the
first chunk without its data file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.core.chunks import Chunk, read_chunks

STAGE_REJECT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
    ]
)


def stage_rejects(
    table: pa.Table, mask: pa.Array, stage: str, reasons: list[str], details: list[str]
) -> pa.Table:
    """The rows of `table` where `mask` is true as stage rejects (one reason, detail each)."""
    removed = table.filter(mask)
    return pa.table(
        {
            "id": removed.column("id"),
            "source": removed.column("source"),
            "stage": pa.array([stage] * removed.num_rows, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "detail": pa.array(details, pa.string()),
        }
    )


def no_rejects() -> pa.Table:
    return STAGE_REJECT_SCHEMA.empty_table()


@dataclass(frozen=True)
class StageDir:
    """`stages/NN-NAME`: the paths of one stage's chunk outputs."""

    folder: Path

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def done_path(self) -> Path:
        return self.folder / "done.json"

    def make(self) -> None:
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        (self.folder / "rejects").mkdir(parents=True, exist_ok=True)

    def data_path(self, k: int) -> Path:
        return self.folder / "data" / f"chunk-{k:05d}.parquet"

    def rejects_path(self, k: int) -> Path:
        return self.folder / "rejects" / f"chunk-{k:05d}.parquet"

    def stats_path(self, k: int) -> Path:
        return self.data_path(k).with_suffix(".stats.json")

    def todo(self, n: int) -> list[int]:
        """Chunks 0..n-1 whose output is not written yet."""
        return [k for k in range(n) if not self.data_path(k).exists()]

    def outputs(self) -> list[Chunk]:
        return read_chunks(self.folder)

    def reject_paths(self) -> list[Path]:
        return sorted((self.folder / "rejects").glob("chunk-*.parquet"))

    def reject_counts(self) -> tuple[int, Counter[str]]:
        """(rejected rows, rows by reason) over the stage's reject files."""
        reasons: Counter[str] = Counter()
        n = 0
        for p in self.reject_paths():
            col = pq.read_table(p, columns=["reason"]).column("reason")
            n += len(col)
            reasons.update(col.to_pylist())
        return n, reasons

    def chunk_stats(self) -> list[dict[str, Any]]:
        """The per-chunk counts the step wrote, in chunk order."""
        paths = sorted((self.folder / "data").glob("chunk-*.stats.json"))
        return [json.loads(p.read_text()) for p in paths]
