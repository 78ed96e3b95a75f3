"""MinHash signatures equal datasketch's; LSH parameters match datasketch's choice."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa
import pytest
from conftest import corpus
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param

from errsynth.dedup.components import min_label_components
from errsynth.dedup.lsh import LshParams, band_hashes, candidate_probability, optimal_bands
from errsynth.dedup.minhash import MinHasher, MinHashParams, agreement, permutations
from errsynth.dedup.near import NearDedupConfig, lsh_edges, near_dedup
from errsynth.dedup.normalize import FUZZY, normalize, shingles

TEXTS = [
    "Natalia sold clips to 48 of her friends in April.",
    "Weng earns $12 an hour for babysitting.",
    "a",
    "",
    "The same words the same words the same words.",
    "Ünïcödé, ﬁne — text with ４８ full-width digits.",
]


def datasketch_signature(text: str, params: MinHashParams) -> np.ndarray:
    m = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme)
    m.update_batch([s.encode("utf-8") for s in shingles(text, params.ngram, params.unit)])
    return m.hashvalues.astype(np.uint64)


def assert_same_as_datasketch(texts: list[str], params: MinHashParams) -> None:
    normalized = [normalize(t, params.normalize) for t in texts]
    # A small chunk forces several reduceat chunks, with texts split across none.
    ours = MinHasher(params, chunk_shingles=257).signatures_normalized(normalized)
    for i, text in enumerate(normalized):
        np.testing.assert_array_equal(ours[i].astype(np.uint64), datasketch_signature(text, params))


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize(("unit", "ngram"), [("word", 3), ("word", 5), ("char", 5)])
def test_signatures_equal_datasketch_small(scheme: str, unit: str, ngram: int) -> None:
    params = MinHashParams(num_perm=64, seed=3, ngram=ngram, unit=unit, scheme=scheme)  # type: ignore[arg-type]
    assert_same_as_datasketch(TEXTS, params)


@pytest.mark.corpora
@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_signatures_equal_datasketch_on_gsm8k(scheme: str) -> None:
    path = corpus("gsm8k/train.jsonl")
    with path.open() as fh:
        questions = [json.loads(line)["question"] for _, line in zip(range(400), fh, strict=False)]
    assert_same_as_datasketch(questions, MinHashParams(scheme=scheme))  # type: ignore[arg-type]
    assert_same_as_datasketch(questions[:100], MinHashParams(num_perm=256, seed=42, ngram=5))


def test_permutations_are_datasketch_permutations() -> None:
    a, b = permutations(32, 11)
    m = MinHash(num_perm=32, seed=11)
    np.testing.assert_array_equal(a, m.permutations[0])
    np.testing.assert_array_equal(b, m.permutations[1])
    a, b = permutations(8, 2, "legacy")
    m = MinHash(num_perm=8, seed=2, scheme="legacy")
    np.testing.assert_array_equal(a, m.permutations[0])
    np.testing.assert_array_equal(b, m.permutations[1])


def test_empty_text_has_datasketch_empty_signature() -> None:
    sig = MinHasher(MinHashParams(num_perm=16)).signatures_normalized(["", "x"])
    assert (sig[0] == np.iinfo(np.uint32).max).all()
    assert not (sig[1] == np.iinfo(np.uint32).max).all()


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9])
@pytest.mark.parametrize("num_perm", [32, 128])
def test_optimal_bands_match_datasketch(threshold: float, num_perm: int) -> None:
    assert optimal_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)
    assert optimal_bands(threshold, num_perm, 0.2, 0.8) == _optimal_param(
        threshold, num_perm, 0.2, 0.8
    )


def test_lsh_params() -> None:
    p = LshParams.for_threshold(0.5, 128)
    assert (p.bands, p.rows, p.verify_threshold) == (25, 5, 0.5)
    assert LshParams.for_threshold(0.5, 128, verify=False).verify_threshold is None
    with pytest.raises(ValueError):
        LshParams(20, 7, None).check(128)
    with pytest.raises(ValueError):
        NearDedupConfig(bands=4).lsh()
    assert float(candidate_probability(1.0, 4, 8)) == 1.0
    assert float(candidate_probability(0.0, 4, 8)) == 0.0


def test_band_hashes_equal_iff_band_equal() -> None:
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(4, 12), dtype=np.uint64).astype(np.uint32)
    sig[1] = sig[0]
    sig[2, :4] = sig[0, :4]  # shares band 0 only
    h = band_hashes(sig, 3, 4)
    assert (h[0] == h[1]).all()
    assert h[0, 0] == h[2, 0] and (h[0, 1:] != h[2, 1:]).all()
    assert len(set(h[3].tolist()) & set(h[0].tolist())) == 0
    assert agreement(sig, np.array([0, 0]), np.array([1, 2])).tolist() == [1.0, 4 / 12]


def test_unverified_components_equal_datasketch_lsh_candidates() -> None:
    """Reference: with the same (bands, rows) and no verification, our leader links
    connect exactly what datasketch's MinHashLSH query results connect."""
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(40)]
    base = [" ".join(rng.choices(vocab, k=12)) for _ in range(40)]
    texts = base + [
        " ".join(w if rng.random() > 0.15 else rng.choice(vocab) for w in t.split()) for t in base
    ]
    params = MinHashParams(num_perm=64, ngram=2)
    lsh = LshParams(16, 4, None, max_rounds=1)
    sig = MinHasher(params).signatures_normalized([normalize(t, FUZZY) for t in texts])
    edges = lsh_edges(sig, lsh)
    ours = min_label_components(len(texts), edges.src, edges.dst)

    index = MinHashLSH(num_perm=64, params=(16, 4))
    hashes = []
    for i in range(len(texts)):
        m = MinHash(num_perm=64, hashvalues=sig[i], scheme="affine32")
        index.insert(i, m)
        hashes.append(m)
    src, dst = [], []
    for i, m in enumerate(hashes):
        for j in index.query(m):
            src.append(i)
            dst.append(j)
    ref = min_label_components(len(texts), np.array(src), np.array(dst))
    np.testing.assert_array_equal(ours, ref)
    assert (ours != np.arange(len(texts))).sum() > 5  # the check is not vacuous


def test_near_dedup_finds_identical_and_edited_texts() -> None:
    base = (
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
        "clips in May. How many clips did Natalia sell altogether in April and May?"
    )
    other = "Weng earns $12 an hour for babysitting. Yesterday she did 50 minutes. How much?"
    table = pa.table(
        {
            "id": ["a", "b", "c", "d", "e"],
            "question": [
                base,
                other,
                base.upper(),
                base.replace("May?", "May? Show your work."),
                "",
            ],
        }
    )
    res = near_dedup(table, "question", config=NearDedupConfig(threshold=0.6))
    assert res.kept_mask.tolist() == [True, True, False, False, True]
    assert res.duplicate_of.to_pylist() == [None, None, "a", "a", None]
    assert res.cluster_id.to_pylist() == ["a", "b", "a", "a", "e"]
    out = res.to_arrow()
    assert out.column("reason").to_pylist() == [
        None,
        None,
        "near_duplicate",
        "near_duplicate",
        None,
    ]
    assert out.column("similarity").to_pylist()[2] == pytest.approx(1.0)
