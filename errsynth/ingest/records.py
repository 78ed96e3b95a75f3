"""Read input files into raw records, turning every unreadable piece into a rejection.

A record is one JSON object (a JSONL line, an element of a JSON array, a Parquet
row). Bad bytes, malformed JSON, non-object values, oversized lines, empty or
unreadable files never raise: they come out as records carrying an error, so
the caller can write them to the rejects table with a reason.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.parquet as pq

from errsynth.core.unicode_checks import TooLongNumber, UnsafeText, check_text, loads_json, scrub
from errsynth.ingest.hostile import BadRow, broken_link_detail, display_name
from errsynth.ingest.lines import (
    BOM,
    MAX_BLANK_BYTES,
    MAX_BLANK_RUN_BYTES,
    BlankRun,
    numbered_lines,
)
from errsynth.ingest.parquet_rows import parquet_rows

SUPPORTED_SUFFIXES = (".jsonl", ".json", ".ndjson", ".parquet", ".jsonl.gz", ".json.gz")
DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024
RAW_KEEP_CHARS = 65536


@dataclass(slots=True)
class RawRecord:
    """One input record, or the reason it could not be read."""

    file: str
    index: int | None  # 0-based line (JSONL) / element / row number; None: the whole file
    data: dict[str, Any] | None
    raw: str | None = None
    reason: str | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(slots=True)
class RawLine:
    """One non-blank JSONL line, not decoded yet (decoding can happen in another process).

    `line` is the line's bytes, or its size when it was over the record limit.
    """

    file: str
    index: int
    line: bytes | int

    def decode(self, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> RawRecord:
        if isinstance(self.line, int):
            return RawRecord(
                self.file,
                self.index,
                None,
                None,
                "record_too_large",
                f"line is {self.line} bytes; the limit is {max_record_bytes} (--max-record-bytes)",
            )
        return _decode(self.file, self.index, self.line)


def decoded(
    item: RawRecord | RawLine, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> RawRecord:
    return item.decode(max_record_bytes) if isinstance(item, RawLine) else item


def keep_raw(text: str | None) -> str | None:
    """Bounded copy of raw input for the rejects table."""
    if text is None or len(text) <= RAW_KEEP_CHARS:
        return text
    return text[:RAW_KEEP_CHARS] + f"... [truncated, {len(text)} chars in all]"


def expand_inputs(paths: list[str | Path]) -> list[Path]:
    """Files named, with directories expanded to their supported files (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(  # broken links too: each is read as a `broken_link` reject
                f
                for f in p.rglob("*")
                if (f.is_file() or (f.is_symlink() and not f.exists()))
                and f.name.endswith(SUPPORTED_SUFFIXES)
            )
            if not found:
                raise FileNotFoundError(
                    f"{p}: directory holds no {', '.join(SUPPORTED_SUFFIXES)} files"
                )
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
    return out


def read_records(
    path: str | Path, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> Iterator[RawRecord]:
    """Yield every record of a JSONL, JSON or Parquet file (optionally .gz)."""
    for item in read_items(path, max_record_bytes=max_record_bytes):
        yield decoded(item, max_record_bytes)


def read_items(
    path: str | Path, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> Iterator[RawRecord | RawLine]:
    """`read_records`, with JSONL lines left undecoded (`RawLine`): one item per record."""
    path = Path(path)
    name = display_name(path)
    if path.is_symlink() and not path.exists():
        yield RawRecord(name, None, None, None, "broken_link", broken_link_detail(path))
        return
    try:
        if path.stat().st_size == 0:
            yield RawRecord(name, None, None, "", "empty_file", "the file is empty")
            return
        if path.suffix == ".parquet":
            yield from _read_parquet(path)
            return
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            stem = path.name.removesuffix(".gz")
            if stem.endswith(".json"):
                yield from _read_json_document(name, fh, max_record_bytes)
            else:
                yield from _read_jsonl(name, fh, max_record_bytes)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield RawRecord(name, None, None, None, "unreadable_file", f"{type(exc).__name__}: {exc}")


def _read_jsonl(name: str, fh: BinaryIO, max_record_bytes: int) -> Iterator[RawLine | RawRecord]:
    seen_any = False
    for item in numbered_lines(fh, max_record_bytes):
        if isinstance(item, BlankRun):
            yield RawRecord(
                name,
                item.index,
                None,
                None,
                "too_many_blank_lines",
                f"{item.size:,} blank bytes in a row from line {item.index} ({item.total:,} in "
                f"the file); the rest of the file is not read (limits: {MAX_BLANK_RUN_BYTES:,} "
                f"in a row, {MAX_BLANK_BYTES:,} in all)",
            )
            return
        seen_any = True
        yield RawLine(name, *item)
    if not seen_any:
        yield RawRecord(name, None, None, "", "empty_file", "the file holds only blank lines")


def _decode(name: str, index: int | None, blob: bytes) -> RawRecord:
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raw = blob.decode("utf-8", errors="replace")
        return RawRecord(
            name,
            index,
            None,
            keep_raw(raw),
            "not_utf8",
            f"invalid UTF-8 byte at offset {exc.start}",
        )
    try:
        value = loads_json(text)
    except json.JSONDecodeError as exc:
        return RawRecord(
            name, index, None, keep_raw(text), "malformed_json", exc.msg + f" at column {exc.colno}"
        )
    except TooLongNumber as exc:
        return RawRecord(name, index, None, keep_raw(text), "malformed_json", str(exc))
    except RecursionError:
        return RawRecord(name, index, None, keep_raw(text), "malformed_json", "nesting too deep")
    if (unsafe := _unsafe_text(value)) is not None:
        return RawRecord(name, index, None, keep_raw(scrub(text)), "bad_unicode", unsafe)
    if not isinstance(value, dict):
        return RawRecord(
            name,
            index,
            None,
            keep_raw(text),
            "not_an_object",
            f"expected a JSON object, got {type(value).__name__}",
        )
    return RawRecord(name, index, value, text)


def _read_json_document(name: str, fh: BinaryIO, max_record_bytes: int) -> Iterator[RawRecord]:
    """A .json file: one object, or an array of objects (read whole; bounded by 64x the record limit)."""
    blob = fh.read(max_record_bytes * 64 + 1)
    if len(blob) > max_record_bytes * 64:
        yield RawRecord(
            name, None, None, None, "record_too_large", "JSON document too large; use JSONL"
        )
        return
    if not blob.strip():
        yield RawRecord(name, None, None, "", "empty_file", "the file holds only whitespace")
        return
    blob = blob.removeprefix(BOM)
    if blob.lstrip()[:1] != b"[":
        yield _decode(name, 0, blob)
        return
    try:
        items = loads_json(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        yield RawRecord(name, None, None, None, "malformed_json", f"{type(exc).__name__}: {exc}")
        return
    if not items:
        yield RawRecord(name, None, None, "[]", "empty_file", "the JSON array is empty")
    for index, item in enumerate(items):
        if isinstance(item, dict) and (unsafe := _unsafe_text(item)) is not None:
            raw = keep_raw(scrub(json.dumps(item, ensure_ascii=False)))
            yield RawRecord(name, index, None, raw, "bad_unicode", unsafe)
        elif isinstance(item, dict):
            yield RawRecord(name, index, item, None)
        else:
            yield RawRecord(
                name,
                index,
                None,
                keep_raw(json.dumps(item)),
                "not_an_object",
                f"expected a JSON object, got {type(item).__name__}",
            )


def _read_parquet(path: Path) -> Iterator[RawRecord]:
    name = display_name(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        yield RawRecord(
            name, None, None, None, "unreadable_file", f"not a readable Parquet file: {exc}"
        )
        return
    if pf.metadata.num_rows == 0:
        yield RawRecord(name, None, None, "", "empty_file", "the Parquet file has no rows")
        return
    for index, row, damaged in parquet_rows(pf):  # a corrupt row group rejects its rows only
        if damaged is not None:
            yield RawRecord(name, index, None, None, "unreadable_row_group", damaged)
        elif isinstance(row, BadRow):  # strings that are not UTF-8: this row only
            yield RawRecord(name, index, None, keep_raw(row.raw), "not_utf8", row.detail)
        else:
            yield RawRecord(name, index, row, None)


def _unsafe_text(value: object) -> str | None:
    """Why a decoded value cannot be written (a lone surrogate somewhere), or None."""
    try:
        check_text(value)
    except UnsafeText as exc:
        return str(exc)
    return None


def raw_text(record: RawRecord) -> str | None:
    """The record as text for the rejects table (re-serialized when read from Parquet)."""
    if record.raw is not None:
        return record.raw
    if record.data is None:
        return None
    buf = io.StringIO()
    json.dump(record.data, buf, ensure_ascii=False, default=str)
    return keep_raw(buf.getvalue())
