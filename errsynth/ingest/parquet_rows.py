"""Rows of a Parquet file read row group by row group, so one corrupt group costs only
its own rows.

A row group that cannot be read (a damaged page, a bad compression block) yields one
``(index, None, detail)`` per row it holds, with the group's number and row count in
the detail: each becomes a recorded rejection, the groups after it are still read, and
``rows_in`` counts every row the file's footer declares. Rows of a group read before
the damage was hit are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq

from errsynth.ingest.hostile import BadRow, batch_rows

BATCH_ROWS = 8192


def parquet_rows(
    pf: pq.ParquetFile,
) -> Iterator[tuple[int, dict[str, Any] | BadRow | None, str | None]]:
    """(row index in the file, row or None, why the row could not be read or None).

    A row whose strings are not UTF-8 comes as a `BadRow` (`ingest.hostile`).
    """
    index = 0
    for group in range(pf.metadata.num_row_groups):
        rows = pf.metadata.row_group(group).num_rows
        done = 0
        try:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
                for row in batch_rows(batch):
                    yield index + done, row, None
                    done += 1
        except Exception as exc:  # pyarrow raises OSError, ArrowInvalid, ... for damage
            why = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            detail = (
                f"row group {group} ({rows} rows, records {index}..{index + rows - 1}) could "
                f"not be read: {type(exc).__name__}: {why}"
            )
            for k in range(done, rows):
                yield index + k, None, detail
        index += rows
