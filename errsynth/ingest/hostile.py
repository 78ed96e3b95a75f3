"""Input that breaks writers rather than readers: odd file names, broken links, bad bytes
inside Parquet string columns. Each is turned into something a rejects table can hold."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa


def display_name(path: Path) -> str:
    """`path` as valid UTF-8: bytes of a non-UTF-8 file name become U+FFFD.

    Python keeps such bytes as lone surrogates (`surrogateescape`), which Arrow
    and JSON writers refuse; the name is only shown, never reopened.
    """
    return os.fsencode(path).decode("utf-8", errors="replace")


def broken_link_detail(path: Path) -> str:
    """Why a symbolic link cannot be read: it points nowhere, or at itself in a loop."""
    try:
        target = os.readlink(path)
    except OSError as exc:
        return f"unreadable symbolic link: {exc.strerror}"
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return f"symbolic link loop (-> {display_name(Path(target))})"
    except OSError as exc:
        if exc.errno is not None and exc.strerror and "loop" in exc.strerror.lower():
            return f"symbolic link loop (-> {display_name(Path(target))})"
    return f"dangling symbolic link: its target {display_name(Path(target))} does not exist"


@dataclass(frozen=True, slots=True)
class BadRow:
    """A Parquet row with a string value that is not UTF-8."""

    raw: str
    detail: str


def _bytes_view(column: pa.Array) -> pa.Array:
    """A string column's values as bytes, without UTF-8 validation."""
    if pa.types.is_large_string(column.type):
        return column.view(pa.large_binary())
    return column.view(pa.binary())


def _row_or_bad(batch: pa.RecordBatch, k: int) -> dict[str, Any] | BadRow:
    row = batch.slice(k, 1)
    try:
        return row.to_pylist()[0]
    except UnicodeDecodeError:
        pass
    values: dict[str, Any] = {}
    bad: list[str] = []
    for name, column in zip(row.schema.names, row.columns, strict=True):
        try:
            values[name] = column.to_pylist()[0]
        except UnicodeDecodeError:
            bad.append(name)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                blob = _bytes_view(column).to_pylist()[0]
                values[name] = None if blob is None else blob.decode("utf-8", errors="replace")
            else:
                values[name] = "<not UTF-8>"
    return BadRow(repr(values), f"invalid UTF-8 in column(s) {', '.join(bad)}")


def batch_rows(batch: pa.RecordBatch) -> Iterator[dict[str, Any] | BadRow]:
    """The batch's rows as dicts; a row whose strings are not UTF-8 comes as a BadRow.

    Arrow does not validate UTF-8 when reading Parquet, so the whole batch's
    `to_pylist` fails on one bad value; only then are rows converted one by one.
    """
    try:
        yield from batch.to_pylist()
        return
    except UnicodeDecodeError:
        pass
    for k in range(batch.num_rows):
        yield _row_or_bad(batch, k)
