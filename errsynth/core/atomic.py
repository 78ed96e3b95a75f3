"""The one atomic writer: write beside the target, then rename into place.

A half-written file (a killed process, a full disk) is never taken as done: the
temp file is removed on failure, and the rename is atomic on POSIX file systems.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def temp_path(path: Path) -> Path:
    """The temp file's name beside `path` (hidden, per process)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` and rename `tmp` to `path`; on any failure remove `tmp`."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, obj: Any, *, ensure_ascii: bool = True) -> None:
    """`obj` as indented JSON (`default=str`); `ensure_ascii=False` keeps UTF-8 text as is."""
    text = json.dumps(obj, indent=2, sort_keys=False, default=str, ensure_ascii=ensure_ascii)
    write_text_atomic(path, text + "\n")


def write_parquet_atomic(table: pa.Table, path: Path, compression: str = "zstd") -> None:
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression=compression))
