"""Trainer inputs checked before use: Parquet files, their text columns, run directories.

A file that is not Parquet, a `text` column of numbers or a run directory
without its `config.json` would otherwise fail deep inside pyarrow, the
tokenizer or `json`; here each becomes a `TrainInputError` naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TEXT_COLUMNS = ("text", "prompt", "completion", "problem", "solution", "question")


class TrainInputError(ValueError):
    """A training or test input that cannot be used; the message names it."""


def open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for files that are not Parquet
        raise TrainInputError(f"{path}: not a readable Parquet file ({exc})") from exc


def check_text_columns(path: Path, schema: pa.Schema, columns: list[str] | None) -> None:
    """The text columns that will be read hold strings (or only nulls)."""
    for field in schema:
        if columns is not None and field.name not in columns:
            continue
        if field.name in TEXT_COLUMNS and not (
            pa.types.is_string(field.type)
            or pa.types.is_large_string(field.type)
            or pa.types.is_null(field.type)
        ):
            raise TrainInputError(
                f"{path}: column {field.name!r} holds {field.type}, not text; "
                "the trainer reads shards from errsynth run/augment (text, prompt, completion)"
            )


def parquet_rows(path: Path, columns: list[str] | None) -> Iterator[dict[str, Any]]:
    """Rows of one Parquet file (only `columns` it has), text columns checked first."""
    pf = open_parquet(path)
    names = pf.schema_arrow.names
    cols = [c for c in columns if c in names] if columns else None
    check_text_columns(path, pf.schema_arrow, cols)
    try:
        for batch in pf.iter_batches(batch_size=4096, columns=cols):
            yield from batch.to_pylist()
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise TrainInputError(f"{path}: unreadable Parquet data ({exc})") from exc


def run_config(run: Path) -> dict[str, Any]:
    """The `config.json` of a training run, or a TrainInputError saying what is wrong."""
    path = Path(run) / "config.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TrainInputError(
            f"{path} is missing: {run} is not a run directory written by `errsynth train`"
        ) from exc
    except (OSError, ValueError) as exc:
        raise TrainInputError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("train"), dict):
        raise TrainInputError(f"{path}: no `train` settings in it (not written by errsynth train)")
    return meta


def check_test_row(path: str | Path, index: int, row: dict[str, Any]) -> None:
    """A test row has a usable answer (the prompt columns are checked as text columns)."""
    answer = row.get("answer")
    if answer is None or isinstance(answer, (dict, list)):
        raise TrainInputError(
            f"{path}: row {index} has no usable answer ({answer!r:.40}); a test file needs "
            "an answer column next to problem, prompt or question"
        )
