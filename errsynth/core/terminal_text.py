"""Data text drawn visibly on a terminal: control, bidi and surrogate characters, 1 for 1.

Corpus records, LLM replies, file names and reasons can hold terminal escape sequences,
C1 controls, bidi overrides and lone surrogates. :func:`neutralize` draws each such
character as a visible symbol, one character for one (C0 controls as their Unicode
control pictures, C1 controls, lone surrogates and bidi controls as U+FFFD), so
character offsets computed on the raw text (highlight spans) stay valid. Newline and
tab are kept. The printers in `errsynth.cli.ui.safe_output` build on it.
"""

from __future__ import annotations

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
# bidi embeddings, overrides, isolates and marks: they reorder what the reader sees
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(32) if chr(c) not in "\n\t"}
_TABLE[0x7F] = "\u2421"  # ␡
_TABLE.update({c: REPLACEMENT for c in range(0x80, 0xA0)})  # C1 controls
_TABLE.update({ord(c): REPLACEMENT for c in BIDI})
_TABLE.update({c: REPLACEMENT for c in range(0xD800, 0xE000)})  # lone surrogates


def neutralize(text: str) -> str:
    """``text`` with every control, bidi and surrogate character drawn visibly, 1 for 1."""
    return text.translate(_TABLE)
