"""Tokenizers saved with a run: a word-level vocabulary built from the corpus, or tiktoken.

The word tokenizer is lossless (``decode(encode(s)) == s`` for text made of known
tokens): a token is a word or a single punctuation character, carrying at most one
leading space (as GPT-2's pre-tokenizer does), or a run of whitespace. Special strings
such as the retraction marker ``[BACK]`` are matched first, so they are one token each.
Ids 0 and 1 are ``<eos>`` (also the separator before every sample) and ``<unk>``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

EOS = "<eos>"
UNK = "<unk>"
DEFAULT_SPECIALS = ("[BACK]",)
_BASE = r"'s\b| ?\w+| ?[^\s\w]|\s+(?!\S)|\s+"


class TrainTokenizer(Protocol):
    eos_id: int
    vocab_size: int

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[int]]:
        """Token ids and each token's start character offset in ``text``."""
        ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int]) -> str: ...

    def token_str(self, i: int) -> str: ...

    def save(self, path: Path) -> None: ...


def _pattern(specials: Iterable[str]) -> re.Pattern[str]:
    alts = [" ?" + re.escape(s) for s in sorted(specials, key=len, reverse=True)]
    return re.compile("|".join([*alts, _BASE]))


class WordTokenizer:
    """Word-level vocabulary; unknown pieces map to ``<unk>``."""

    kind = "word"

    def __init__(self, vocab: list[str], specials: Iterable[str] = DEFAULT_SPECIALS) -> None:
        if vocab[:2] != [EOS, UNK]:
            raise ValueError("vocab must start with <eos>, <unk>")
        self.vocab = list(vocab)
        self.specials = tuple(specials)
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.eos_id = 0
        self.unk_id = 1
        self.vocab_size = len(self.vocab)
        self._re = _pattern(self.specials)

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        specials: Iterable[str] = DEFAULT_SPECIALS,
        min_count: int = 1,
        max_size: int | None = None,
    ) -> WordTokenizer:
        specials = tuple(specials)
        pat = _pattern(specials)
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(pat.findall(t))
        forced = [s for sp in specials for s in (sp, " " + sp)]
        words = [w for w, c in counts.most_common() if c >= min_count and w not in forced]
        words.sort(key=lambda w: (-counts[w], w))  # deterministic order
        if max_size is not None:
            words = words[: max(0, max_size - 2 - len(forced))]
        return cls([EOS, UNK, *forced, *words], specials)

    def pieces(self, text: str) -> list[str]:
        return self._re.findall(text)

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[int]]:
        ids, starts = [], []
        get = self.index.get
        for m in self._re.finditer(text):
            ids.append(get(m.group(), 1))
            starts.append(m.start())
        return ids, starts

    def encode(self, text: str) -> list[int]:
        get = self.index.get
        return [get(p, 1) for p in self._re.findall(text)]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.vocab[i] for i in ids if i != self.eos_id)

    def token_str(self, i: int) -> str:
        return self.vocab[i]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "word", "specials": list(self.specials), "vocab": self.vocab}

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False) + "\n")


class TiktokenTokenizer:
    """A tiktoken BPE (e.g. ``cl100k_base``, from its offline cache); eos is its end-of-text."""

    kind = "tiktoken"

    def __init__(self, name: str) -> None:
        import tiktoken  # optional

        self.name = name
        self.enc = tiktoken.get_encoding(name)
        self.eos_id = self.enc.eot_token
        self.vocab_size = self.enc.n_vocab

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[int]]:
        ids = self.enc.encode_ordinary(text)
        _, starts = self.enc.decode_with_offsets(ids)
        return ids, list(starts)

    def encode(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def decode(self, ids: Iterable[int]) -> str:
        return self.enc.decode([i for i in ids if i != self.eos_id])

    def token_str(self, i: int) -> str:
        return self.enc.decode([i])

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"kind": "tiktoken", "name": self.name}) + "\n")


def build_tokenizer(spec: str, texts: Iterable[str], specials: Iterable[str]) -> TrainTokenizer:
    """``word`` (built from ``texts``) or ``tiktoken:NAME``."""
    if spec == "word":
        return WordTokenizer.build(texts, specials)
    if spec.startswith("tiktoken:"):
        return TiktokenTokenizer(spec.partition(":")[2])
    raise ValueError(f"tokenizer must be 'word' or 'tiktoken:NAME', got {spec!r}")


def load_tokenizer(path: str | Path) -> TrainTokenizer:
    data = json.loads(Path(path).read_text())
    if data["kind"] == "word":
        return WordTokenizer(data["vocab"], data.get("specials", DEFAULT_SPECIALS))
    if data["kind"] == "tiktoken":
        return TiktokenTokenizer(data["name"])
    raise ValueError(f"{path}: unknown tokenizer kind {data['kind']!r}")
