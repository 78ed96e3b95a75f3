"""64-bit hashes of every word n-gram of many texts, vectorized.

Each distinct word is hashed once (BLAKE2b, 8 bytes); an n-gram's hash folds
its word hashes left to right through the fmix64 bijection, salted with n, so
n-grams of different lengths never share a hash by construction. All windows of
all texts are computed together: the per-text Python work is only splitting
into words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from errsynth.dedup.hashing import GOLDEN64, blake2b_64, fmix64


@dataclass(frozen=True, slots=True)
class Tokens:
    """Word hashes of several texts laid end to end."""

    hashes: np.ndarray  # uint64 per word
    starts: np.ndarray  # int64 offset of each text's first word
    lengths: np.ndarray  # int64 words per text


def tokenize(word_lists: Sequence[Sequence[str]]) -> Tokens:
    """Hash the words of each text (already normalized and split)."""
    vocab: dict[str, int] = {}
    codes: list[int] = []
    lengths = np.fromiter((len(w) for w in word_lists), dtype=np.int64, count=len(word_lists))
    for words in word_lists:
        codes.extend(vocab.setdefault(w, len(vocab)) for w in words)
    table = blake2b_64(vocab) if vocab else np.empty(0, dtype=np.uint64)
    hashes = table[np.asarray(codes, dtype=np.int64)] if codes else np.empty(0, dtype=np.uint64)
    starts = np.zeros(len(word_lists), dtype=np.int64)
    if len(word_lists) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return Tokens(hashes, starts, lengths)


def window_hashes(tokens: Tokens, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All n-word windows: (hash uint64, text index, word offset within the text).

    Texts shorter than n words have no window. Windows are listed text by text,
    in increasing offset.
    """
    counts = np.maximum(tokens.lengths - n + 1, 0)
    total = int(counts.sum())
    text = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    first = np.zeros(counts.shape[0], dtype=np.int64)
    if counts.shape[0] > 1:
        np.cumsum(counts[:-1], out=first[1:])
    offset = np.arange(total, dtype=np.int64) - first[text]
    pos = tokens.starts[text] + offset
    with np.errstate(over="ignore"):
        h = np.full(total, np.uint64(n) * GOLDEN64, dtype=np.uint64)
        for j in range(n):
            h = fmix64(h * GOLDEN64 + tokens.hashes[pos + j])
    return h, text, offset
