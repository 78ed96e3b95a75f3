"""Split a binary stream into numbered non-blank lines, with bounded memory and time.

`readline` per line costs microseconds of Python per line, so a 10 KB `.gz` of
nothing but newlines (10^9 blank lines) took hours. Here the stream is read in
blocks and runs of blank lines are skipped with one search per run; a run of
more than `MAX_BLANK_RUN_BYTES` blank bytes stops the file with a `BlankRun`
item (a rejection for the rest of the file), so a decompression bomb of
whitespace cannot keep a run busy either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

READ_BLOCK = 1 << 20
MAX_BLANK_RUN_BYTES = 64 << 20  # consecutive blank bytes before the rest of a file is refused
BOM = b"\xef\xbb\xbf"
_NON_BLANK = re.compile(rb"[^ \t\r\n\f\v]")


@dataclass(frozen=True, slots=True)
class BlankRun:
    """Reading stopped: `size` blank bytes in a row starting at line `index`."""

    index: int
    size: int


def numbered_lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | int] | BlankRun]:
    """(0-based line number, line) for every non-blank line; a line over `limit` bytes is
    consumed without being kept and given as its size. A UTF-8 BOM at the start is dropped."""
    index = 0  # number of the line being assembled
    parts: list[bytes] = []  # pieces of that line (empty after `limit` is passed)
    size = 0  # its bytes so far
    blank_start: int | None = None  # line number where the current run of blank lines began
    blank_bytes = 0
    first = True
    while True:
        block = fh.read(READ_BLOCK)
        if first and block.startswith(BOM):
            block = block[len(BOM) :]
        first = False
        if not block:
            break
        pos = 0
        end = len(block)
        while pos < end:
            if size == 0:  # at a line start: skip whole blank lines in one step
                found = _NON_BLANK.search(block, pos)
                stop = found.start() if found else end
                last_nl = block.rfind(b"\n", pos, stop)
                if last_nl >= 0:
                    skipped = block.count(b"\n", pos, last_nl + 1)
                    if blank_start is None:
                        blank_start = index
                    blank_bytes += last_nl + 1 - pos
                    index += skipped
                    pos = last_nl + 1
                    if blank_bytes > MAX_BLANK_RUN_BYTES:
                        yield BlankRun(blank_start, blank_bytes)
                        return
                    if pos >= end:
                        break
            nl = block.find(b"\n", pos)
            stop = end if nl < 0 else nl + 1
            piece = block[pos:stop]
            size += len(piece)
            if size <= limit + 1:  # + the newline: the limit is on the line's content
                parts.append(piece)
            elif parts:
                parts = []
            pos = stop
            if nl >= 0:
                line = b"".join(parts) if size - 1 <= limit else None
                if line is None or line.strip():
                    yield index, (line if line is not None else size)
                    blank_start, blank_bytes = None, 0
                else:
                    blank_bytes += size
                    if blank_start is None:
                        blank_start = index
                index += 1
                parts, size = [], 0
    if size:
        line = b"".join(parts) if size <= limit else None
        if line is None or line.strip():
            yield index, (line if line is not None else size)
