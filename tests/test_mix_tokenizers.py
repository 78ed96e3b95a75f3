"""Tokenizer specs: whitespace counts, HF tokenizer.json from disk, clear errors."""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from errsynth.mix.tokenizers import TokenizerError, get_tokenizer


def test_whitespace_counts_runs_of_non_space() -> None:
    tok = get_tokenizer("whitespace")
    texts = ["", "a", "  a  b ", "x=1+2\n\ty = 3", "é ü 中文"]
    assert tok.count(texts) == [0, 1, 2, 4, 3]
    assert tok.count_array(pa.array([*texts, None])).tolist() == [0, 1, 2, 4, 3, 0]
    assert get_tokenizer(None).spec == "whitespace"


def test_whitespace_agrees_with_split_on_ascii_text() -> None:
    tok = get_tokenizer("whitespace")
    texts = ["Define Penguin Beach's Animal as BACK. x = 12 * 3 = 36", "1\n2\r\n3\f4"]
    assert tok.count(texts) == [len(t.split()) for t in texts]


@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=" \t\n\r\f\v\x85\xa0abé中=")), max_size=30),
    st.integers(0, 5),
)
def test_whitespace_byte_counter_equals_regex(texts: list[str | None], cut: int) -> None:
    arr = pa.array(texts, pa.string())
    arr = arr.slice(min(cut, len(arr)))  # offsets that do not start at 0
    want = pc.fill_null(pc.count_substring_regex(arr, r"[^ \t\n\r\f]+"), 0).to_pylist()
    assert get_tokenizer("whitespace").count_array(arr).tolist() == want
    chunked = pa.chunked_array([arr.slice(0, 3), arr.slice(3)], pa.string())
    assert get_tokenizer("whitespace").count_array(chunked).tolist() == want


def test_unknown_specs_are_clear() -> None:
    for bad in ("bpe", "whitespace:x", "tiktoken:", "hf:", "sentencepiece:a.model"):
        with pytest.raises(TokenizerError, match=r"tokenizer|needs"):
            get_tokenizer(bad)


def test_tiktoken_offline_error_names_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("tiktoken")

    def get_encoding(name: str) -> None:
        raise ConnectionError("could not reach openaipublic.blob.core.windows.net")

    fake.get_encoding = get_encoding  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tiktoken", fake)
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    tok = get_tokenizer("tiktoken:cl100k_base")
    with pytest.raises(TokenizerError, match="TIKTOKEN_CACHE_DIR"):
        tok.count(["hello"])


def test_tiktoken_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tiktoken", None)  # import raises ImportError
    with pytest.raises(TokenizerError, match="pip install tiktoken"):
        get_tokenizer("tiktoken:cl100k_base").check()


def test_hf_missing_file(tmp_path: Path) -> None:
    pytest.importorskip("tokenizers")
    with pytest.raises(TokenizerError, match="no file"):
        get_tokenizer(f"hf:{tmp_path / 'nope.json'}").check()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(TokenizerError, match="not a tokenizers JSON"):
        get_tokenizer(f"hf:{bad}").check()


def _train_bpe(path: Path) -> None:
    tk = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers, trainers

    tok = tk.Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=200, special_tokens=["[UNK]"])
    corpus = [f"Natalia sold {i} clips in April and {i * 2} in May. [BACK]" for i in range(300)]
    tok.train_from_iterator(corpus, trainer)
    tok.save(str(path))


def test_hf_tokenizer_from_local_file(tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.json"
    _train_bpe(path)
    from tokenizers import Tokenizer

    ref = Tokenizer.from_file(str(path))
    tok = get_tokenizer(f"hf:{path}")
    texts = ["Natalia sold 48 clips", "", "in May. [BACK] zzz"]
    want = [len(ref.encode(t, add_special_tokens=False).ids) for t in texts]
    assert tok.count(texts) == want
    assert want[2] > 4  # punctuation and pieces count, unlike whitespace (4)
    clone = pickle.loads(pickle.dumps(tok))  # what an engine ships to workers
    assert clone.count(texts) == want
