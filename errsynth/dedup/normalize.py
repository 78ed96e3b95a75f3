"""Text normalization and shingling for hashing.

Normalization makes texts that differ only by presentation hash the same: Unicode
NFKC (full-width digits, ligatures, non-breaking spaces), casefolding, and
whitespace collapsed to single spaces. Punctuation stripping (Unicode category P*)
is optional; when on, ASCII punctuation *between two ASCII digits* is kept,
because in math text `3.5`, `1,000` and `48/2` are numbers, not sentence
punctuation (NFKC has already made full-width digits and marks ASCII). Digits are kept by default: two
problems that differ only in their numbers are different problems.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

Unit = Literal["word", "char"]

# Separates normalized fields when several are hashed as one text. Normalization
# treats U+001F as whitespace, so it can never appear inside a normalized field.
FIELD_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class NormalizeConfig:
    """How text is normalized before hashing.

    `strip_punct` replaces punctuation (Unicode category P*, except ASCII marks
    between two digits) with a space; `mask_digits` turns every run of digits into `0`.
    """

    nfkc: bool = True
    casefold: bool = True
    strip_punct: bool = False
    mask_digits: bool = False


EXACT = NormalizeConfig()
"""Exact dedup: presentation-only changes (case, width, whitespace) are ignored."""

FUZZY = NormalizeConfig(strip_punct=True)
"""Near dedup and decontamination: punctuation also ignored, numbers kept."""


@cache
def _punct_tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """(translate table blanking non-ASCII punctuation, regex for ASCII punctuation).

    Built once per process. ASCII punctuation is blanked by a regex that spares
    a mark between two ASCII digits (`3.5`, `1,000`, `48/2`, `12*4`); the pattern
    starts with the character class so the regex engine can skip ahead, and the
    lookbehind `(?<![0-9].)` tests the character *before* the mark.
    """
    marks = [
        cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)).startswith("P")
    ]
    table = str.maketrans({cp: " " for cp in marks if cp >= 128})
    ascii_cls = "[" + re.escape("".join(chr(cp) for cp in marks if cp < 128)) + "]"
    pattern = re.compile(rf"{ascii_cls}(?:(?![0-9])|(?<![0-9].))", re.DOTALL)
    return table, pattern


def _strip_punct(text: str) -> str:
    table, pattern = _punct_tables()
    if not text.isascii():
        text = text.translate(table)
    return pattern.sub(" ", text)


_DIGITS = re.compile(r"\d+")


def normalize(text: str | None, config: NormalizeConfig = EXACT) -> str:
    """Normalize one text; `None` becomes the empty string."""
    if not text:
        return ""
    if config.nfkc:
        text = unicodedata.normalize("NFKC", text)
    if config.casefold:
        text = text.casefold()
    if config.strip_punct:
        text = _strip_punct(text)
    if config.mask_digits:
        text = _DIGITS.sub("0", text)
    return " ".join(text.split())


def normalize_fields(values: Sequence[str | None], config: NormalizeConfig = EXACT) -> str:
    """Normalize several fields of one row and join them with `FIELD_SEPARATOR`."""
    if len(values) == 1:
        return normalize(values[0], config)
    return FIELD_SEPARATOR.join(normalize(v, config) for v in values)


def shingles(normalized: str, ngram: int, unit: Unit = "word") -> list[str]:
    """Overlapping n-grams of an already normalized text.

    Word shingles are the words joined by single spaces; char shingles are
    substrings of `ngram` characters. A non-empty text shorter than one shingle
    yields itself as its only shingle, so short texts still compare; an empty text
    yields none. Several fields joined by `FIELD_SEPARATOR` are shingled as one
    text, the separator acting as a word break.
    """
    if ngram < 1:
        raise ValueError(f"ngram must be >= 1, got {ngram}")
    if not normalized:
        return []
    if unit == "word":
        words = normalized.split()  # U+001F counts as whitespace for str.split
        if len(words) <= ngram:
            return [" ".join(words)]
        return [" ".join(words[i : i + ngram]) for i in range(len(words) - ngram + 1)]
    if unit == "char":
        if len(normalized) <= ngram:
            return [normalized]
        return [normalized[i : i + ngram] for i in range(len(normalized) - ngram + 1)]
    raise ValueError(f"unit must be 'word' or 'char', got {unit!r}")


def shingle_set(texts: Iterable[str], ngram: int, unit: Unit = "word") -> set[str]:
    """The union of the shingles of several normalized texts (for exact Jaccard)."""
    out: set[str] = set()
    for t in texts:
        out.update(shingles(t, ngram, unit))
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two shingle sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
