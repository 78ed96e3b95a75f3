"""Token counters, chosen by a short spec string.

- ``whitespace`` (default): runs of characters other than ASCII space, tab,
  newline, carriage return and form feed; counted over the UTF-8 bytes with
  numpy, so no Python loop over rows.
- ``tiktoken:<encoding>``: an OpenAI encoding (e.g. ``cl100k_base``); needs the
  ``tiktoken`` package and its encoding file already on disk (this never
  downloads: set ``TIKTOKEN_CACHE_DIR`` to a folder that holds it).
- ``hf:<path/to/tokenizer.json>``: a Hugging Face ``tokenizers`` file read
  from disk.

Tokenizers are small picklable objects that load their model lazily, so an
engine can ship them to workers (Ray) and each worker loads once.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

DEFAULT_TOKENIZER = "whitespace"


class TokenizerError(ValueError):
    """A tokenizer spec that cannot be used; the message says what to do instead."""


class Tokenizer(ABC):
    """Counts tokens of texts; ``spec`` is the string that rebuilds it."""

    spec: str

    @abstractmethod
    def count(self, texts: list[str]) -> list[int]:
        """Token count of each text (no special tokens added)."""

    def count_array(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Token counts of an Arrow string column as int64 (nulls count 0)."""
        values = [t if t is not None else "" for t in texts.to_pylist()]
        return np.asarray(self.count(values), dtype=np.int64)

    def check(self) -> None:  # noqa: B027 - nothing to load by default
        """Load the model now so a bad spec fails before any data is read."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


class WhitespaceTokenizer(Tokenizer):
    spec = "whitespace"

    def count(self, texts: list[str]) -> list[int]:
        return self.count_array(pa.array(texts, pa.string())).tolist()

    def count_array(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        if isinstance(texts, pa.ChunkedArray):
            parts = [self.count_array(c) for c in texts.chunks]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return whitespace_counts(texts)


def whitespace_counts(texts: pa.Array) -> np.ndarray:
    """Runs of bytes other than space, tab, LF, CR, FF in each string (int64; null: 0).

    Works on the UTF-8 bytes directly: those five are ASCII and no byte of a
    multi-byte character is below 0x80, so byte runs are character runs. Same
    result as counting the regex ``[^ \\t\\n\\r\\f]+``, at memory speed.
    """
    if not pa.types.is_string(texts.type):
        texts = texts.cast(pa.string())
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    _, off_buf, data_buf = texts.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int32)[texts.offset : texts.offset + n + 1]
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buf, dtype=np.uint8)[lo:hi] if data_buf is not None else None
    if data is None or len(data) == 0:
        return np.zeros(n, dtype=np.int64)
    word = (data != 0x20) & (data != 0x0A) & (data != 0x09) & (data != 0x0D) & (data != 0x0C)
    start = word.copy()
    start[1:] &= ~word[:-1]
    rel = (offsets - lo).astype(np.int64)
    inner = rel[:-1][rel[:-1] < len(data)]
    start[inner] = word[inner]  # a string's first byte starts a word whatever came before
    pos = np.flatnonzero(start)
    counts = np.searchsorted(pos, rel[1:]) - np.searchsorted(pos, rel[:-1])
    if texts.null_count:
        counts[np.asarray(texts.is_null().to_numpy(zero_copy_only=False))] = 0
    return counts


class _LazyTokenizer(Tokenizer):
    """Holds only its spec when pickled; loads the model on first use."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._impl: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.spec = state["spec"]
        self._impl = None

    @property
    def impl(self) -> Any:
        if self._impl is None:
            self._impl = self._load()
        return self._impl

    def check(self) -> None:
        _ = self.impl

    @abstractmethod
    def _load(self) -> Any: ...


class TiktokenTokenizer(_LazyTokenizer):
    def __init__(self, spec: str, encoding: str) -> None:
        super().__init__(spec)
        self.encoding = encoding

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "encoding": self.encoding}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.encoding = state["encoding"]

    def _load(self) -> Any:
        try:
            import tiktoken
        except ImportError as exc:
            raise TokenizerError(
                f"tokenizer {self.spec!r} needs the tiktoken package (pip install tiktoken), "
                "or use 'whitespace' or 'hf:<path/to/tokenizer.json>'"
            ) from exc
        try:
            return tiktoken.get_encoding(self.encoding)
        except Exception as exc:  # unknown name, or the download tiktoken tries offline
            cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
            where = f"TIKTOKEN_CACHE_DIR={cache}" if cache else "TIKTOKEN_CACHE_DIR is not set"
            raise TokenizerError(
                f"tokenizer {self.spec!r}: tiktoken could not load encoding "
                f"{self.encoding!r} ({type(exc).__name__}: {exc}). errsynth does not download "
                f"it ({where}): put the encoding file in a folder and set TIKTOKEN_CACHE_DIR "
                "to it, or use 'whitespace' or 'hf:<path/to/tokenizer.json>'"
            ) from exc

    def count(self, texts: list[str]) -> list[int]:
        enc = self.impl
        # encode_ordinary: a text that happens to contain "<|endoftext|>" is data, not a token.
        return [len(ids) for ids in enc.encode_ordinary_batch(texts)]


class HFTokenizer(_LazyTokenizer):
    def __init__(self, spec: str, path: str) -> None:
        super().__init__(spec)
        self.path = path

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.path = state["path"]

    def _load(self) -> Any:
        try:
            from tokenizers import Tokenizer as HFTok
        except ImportError as exc:
            raise TokenizerError(
                f"tokenizer {self.spec!r} needs the Hugging Face tokenizers package "
                "(pip install tokenizers), or use 'whitespace'"
            ) from exc
        if not Path(self.path).is_file():
            raise TokenizerError(
                f"tokenizer {self.spec!r}: no file {self.path!r} (hf: takes a local "
                "tokenizer.json; nothing is downloaded)"
            )
        try:
            return HFTok.from_file(self.path)
        except Exception as exc:
            raise TokenizerError(
                f"tokenizer {self.spec!r}: {self.path!r} is not a tokenizers JSON file ({exc})"
            ) from exc

    def count(self, texts: list[str]) -> list[int]:
        impl = self.impl
        # encode_batch_fast (tokenizers >= 0.20) skips character offsets we do not need.
        encode = getattr(impl, "encode_batch_fast", impl.encode_batch)
        return [len(e.ids) for e in encode(texts, add_special_tokens=False)]


def get_tokenizer(spec: str | None = None) -> Tokenizer:
    """The tokenizer a spec names (see the module docstring); raises TokenizerError."""
    spec = (spec or DEFAULT_TOKENIZER).strip()
    name, sep, arg = spec.partition(":")
    if name == "whitespace" and not sep:
        return WhitespaceTokenizer()
    if name == "tiktoken":
        if not arg:
            raise TokenizerError("tiktoken needs an encoding: 'tiktoken:cl100k_base'")
        return TiktokenTokenizer(spec, arg)
    if name == "hf":
        if not arg:
            raise TokenizerError("hf needs a file: 'hf:path/to/tokenizer.json'")
        return HFTokenizer(spec, arg)
    raise TokenizerError(
        f"unknown tokenizer {spec!r}: use 'whitespace', 'tiktoken:<encoding>' "
        "or 'hf:<path/to/tokenizer.json>'"
    )
