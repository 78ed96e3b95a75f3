"""Normalization, shingling and the n-gram/hash helpers of errsynth.dedup."""

from __future__ import annotations

import numpy as np
import pytest

from errsynth.dedup.hashing import blake2b_64, combine_columns, sha1_32
from errsynth.dedup.ngrams import tokenize, window_hashes
from errsynth.dedup.normalize import (
    EXACT,
    FIELD_SEPARATOR,
    FUZZY,
    NormalizeConfig,
    jaccard,
    normalize,
    normalize_fields,
    shingle_set,
    shingles,
)


def test_normalize_case_width_and_whitespace() -> None:
    assert (
        normalize("  Natalia\u00a0SOLD\tclips\n to ４８ friends. ")
        == "natalia sold clips to 48 friends."
    )
    assert normalize(None) == ""
    assert normalize("") == ""


def test_strip_punct_keeps_marks_between_digits() -> None:
    text = "It costs $3.50, i.e. 1,000/2 = 500 (half). Done!"
    assert normalize(text, FUZZY) == "it costs $3.50 i e 1,000/2 = 500 half done"
    assert normalize("5. Then", FUZZY) == "5 then"
    assert normalize(".5 and 3-4", FUZZY) == "5 and 3-4"
    assert normalize("«quoted» — dash", FUZZY) == "quoted dash"


def test_digits_kept_by_default_and_maskable() -> None:
    assert normalize("Buy 12 apples") != normalize("Buy 13 apples")
    masked = NormalizeConfig(mask_digits=True)
    assert (
        normalize("Buy 12 apples", masked) == normalize("Buy 134 apples", masked) == "buy 0 apples"
    )


def test_fields_are_normalized_separately_and_kept_apart() -> None:
    joined = normalize_fields(["A  b", "C"], EXACT)
    assert joined == f"a b{FIELD_SEPARATOR}c"
    assert normalize_fields(["a b", "c"]) != normalize_fields(["a", "b c"])
    assert shingles(joined, 2) == ["a b", "b c"]


def test_word_and_char_shingles() -> None:
    assert shingles("a b c d", 3) == ["a b c", "b c d"]
    assert shingles("a b", 3) == ["a b"]  # short text: itself
    assert shingles("", 3) == []
    assert shingles("abcd", 3, "char") == ["abc", "bcd"]
    assert shingles("ab", 3, "char") == ["ab"]
    with pytest.raises(ValueError):
        shingles("a", 0)
    with pytest.raises(ValueError):
        shingles("a", 2, "line")  # type: ignore[arg-type]


def test_jaccard() -> None:
    a = shingle_set(["a b c d"], 2)
    b = shingle_set(["a b c e"], 2)
    assert jaccard(a, b) == pytest.approx(2 / 4)
    assert jaccard(set(), set()) == 1.0


def test_hashes_are_stable() -> None:
    import hashlib
    import struct

    expected = struct.unpack("<I", hashlib.sha1(b"hello world").digest()[:4])[0]
    assert sha1_32(["hello world"]).tolist() == [expected]
    assert blake2b_64(["x", "x", "y"]).tolist()[0] == blake2b_64(["x"]).tolist()[0]
    cols = np.array([[1, 2], [1, 2], [2, 1]], dtype=np.uint32)
    h = combine_columns(cols)
    assert h[0] == h[1] != h[2]
    assert combine_columns(cols, salt=1)[0] != h[0]


def test_window_hashes_match_per_text() -> None:
    texts = [["a", "b", "c", "d"], ["x"], [], ["b", "c", "d"]]
    tokens = tokenize(texts)
    h, text, offset = window_hashes(tokens, 3)
    assert text.tolist() == [0, 0, 3]
    assert offset.tolist() == [0, 1, 0]
    assert h[1] == h[2]  # "b c d" in both texts
    assert h[0] != h[1]
    h2, _, _ = window_hashes(tokens, 2)
    assert not set(h2.tolist()) & set(h.tolist())  # lengths are salted apart
