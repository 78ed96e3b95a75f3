"""Split a binary stream into numbered non-blank lines, with bounded memory and time.

Lines are read with `readline` (C speed for ordinary lines), but a blank line
cost a trip through the Python loop too, so a 1 MB `.gz` of nothing but
newlines (10^9 blank lines) took hours. After a blank line the following blank
lines are skipped in bulk: the buffered bytes ahead are searched for the next
non-blank byte and consumed in one read. A run of more than
`MAX_BLANK_RUN_BYTES` blank bytes stops the file with a `BlankRun` item (a
rejection for the rest of the file), so a decompression bomb of whitespace
cannot keep a run busy either.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_BLANK_RUN_BYTES = 64 << 20  # consecutive blank bytes before the rest of a file is refused
MAX_BLANK_BYTES = 256 << 20  # blank bytes in all, in one file
BOM = b"\xef\xbb\xbf"
_NON_BLANK = re.compile(rb"[^ \t\r\n\f\v]")


@dataclass(frozen=True, slots=True)
class BlankRun:
    """Reading stopped at line `index`: `size` blank bytes in a row (or `total` in all)."""

    index: int
    size: int
    total: int


def _drain(fh: BinaryIO, size: int) -> int:
    """Consume the rest of an oversized line in bounded chunks; its total size."""
    while True:
        more = fh.readline(1 << 20)
        size += len(more)
        if not more or more.endswith(b"\n"):
            return size


def _skip_blank_lines(fh: BinaryIO) -> tuple[int, int]:
    """Consume the whole blank lines buffered ahead: (lines, bytes) skipped."""
    lines = size = 0
    while size <= MAX_BLANK_RUN_BYTES:
        ahead = fh.peek(1 << 16)  # type: ignore[attr-defined]
        if not ahead:
            break
        found = _NON_BLANK.search(ahead)
        stop = found.start() if found else len(ahead)
        last_nl = ahead.rfind(b"\n", 0, stop)
        if last_nl < 0:
            break
        fh.read(last_nl + 1)
        lines += ahead.count(b"\n", 0, last_nl + 1)
        size += last_nl + 1
        if found:
            break
    return lines, size


def numbered_lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | int] | BlankRun]:
    """(0-based line number, line) for every non-blank line; a line over `limit` bytes is
    consumed without being kept and given as its size. A UTF-8 BOM at the start is dropped."""
    if not hasattr(fh, "peek"):
        fh = io.BufferedReader(fh)  # type: ignore[arg-type]
    index = 0
    blank_start: int | None = None  # line where the current run of blank lines began
    blank_bytes = 0
    total_blank = 0
    first = True
    while True:
        line = fh.readline(limit + 1)
        if first and line.startswith(BOM):
            line = line[len(BOM) :]
        first = False
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            yield index, _drain(fh, len(line))
        elif line.strip():
            yield index, line
        else:
            if blank_start is None:
                blank_start = index
            lines, size = _skip_blank_lines(fh)
            blank_bytes += len(line) + size
            total_blank += len(line) + size
            index += 1 + lines
            if blank_bytes > MAX_BLANK_RUN_BYTES or total_blank > MAX_BLANK_BYTES:
                yield BlankRun(blank_start, blank_bytes, total_blank)
                return
            continue
        blank_start, blank_bytes = None, 0
        index += 1
