"""MinHash near dedup: properties, engine-step equivalence, planted GSM8K duplicates."""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest
from conftest import corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from text_perturb import perturb

from errsynth.dedup import batches
from errsynth.dedup.buckets import bucket_edges
from errsynth.dedup.minhash import MinHasher, MinHashParams
from errsynth.dedup.near import NearDedupConfig, near_dedup
from errsynth.dedup.normalize import FUZZY, jaccard, normalize, shingle_set

SMALL = NearDedupConfig(minhash=MinHashParams(num_perm=32), threshold=0.5)


def verdicts(res) -> dict:
    return {
        rid: (bool(k), c, d)
        for rid, k, c, d in zip(
            res.ids.to_pylist(),
            res.kept_mask.tolist(),
            res.cluster_id.to_pylist(),
            res.duplicate_of.to_pylist(),
            strict=True,
        )
    }


def synthetic_table(rnd: random.Random, n_base: int, n_copies: int) -> pa.Table:
    vocab = [f"w{i}" for i in range(30)] + ["3", "4", "apples"]
    base = [" ".join(rnd.choices(vocab, k=rnd.randint(0, 14))) for _ in range(n_base)]
    texts = list(base)
    for _ in range(n_copies):
        words = rnd.choice(base).split()
        if words and rnd.random() < 0.6:
            words[rnd.randrange(len(words))] = rnd.choice(vocab)
        texts.append(" ".join(words) if rnd.random() < 0.5 else " ".join(words).upper())
    n = len(texts)
    return pa.table(
        {"id": [f"id{i}" for i in range(n)], "order": rnd.sample(range(10 * n), n), "q": texts}
    )


def test_bucket_edges_leaders_and_rounds() -> None:
    keys = np.array([7, 7, 7, 9, 9, 1], dtype=np.uint64)
    ranks = np.array([5, 2, 8, 1, 0, 3])
    e = bucket_edges(keys, ranks)
    assert sorted(zip(e.src.tolist(), e.dst.tolist(), strict=True)) == [(0, 1), (2, 1), (3, 4)]
    # leader 1 matches nobody; members 0 and 2 match each other and link in round 2
    sig = np.array([[1, 1], [5, 6], [1, 1], [0, 0], [0, 0], [0, 0]], dtype=np.uint32)
    e = bucket_edges(keys, ranks, sig, verify_threshold=1.0, max_rounds=2)
    assert sorted(zip(e.src.tolist(), e.dst.tolist(), strict=True)) == [(2, 0), (3, 4)]
    e = bucket_edges(keys, ranks, sig, verify_threshold=1.0, max_rounds=1)
    assert sorted(zip(e.src.tolist(), e.dst.tolist(), strict=True)) == [(3, 4)]


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 25), st.integers(0, 25))
def test_near_dedup_properties(rnd: random.Random, n_base: int, n_copies: int) -> None:
    table = synthetic_table(rnd, n_base, n_copies)
    res = near_dedup(table, "q", order_col="order", config=SMALL)
    by_id = verdicts(res)

    perm = rnd.sample(range(table.num_rows), table.num_rows)
    assert (
        verdicts(near_dedup(table.take(pa.array(perm)), "q", order_col="order", config=SMALL))
        == by_id
    )

    order = dict(
        zip(table.column("id").to_pylist(), table.column("order").to_pylist(), strict=True)
    )
    members = defaultdict(list)
    for rid, (kept, cluster, dup) in by_id.items():
        members[cluster].append(rid)
        if kept:
            assert dup is None and cluster == rid
        else:
            assert dup == cluster and by_id[dup][0] and by_id[dup][1] == cluster
    for cluster, ids in members.items():
        assert min(ids, key=lambda r: order[r]) == cluster  # keep-first

    # identical normalized non-empty texts always end in one cluster
    norm = defaultdict(set)
    for rid, text in zip(
        table.column("id").to_pylist(), table.column("q").to_pylist(), strict=True
    ):
        if normalize(text, FUZZY):
            norm[normalize(text, FUZZY)].add(by_id[rid][1])
    assert all(len(c) == 1 for c in norm.values())


def run_steps(table: pa.Table, config: NearDedupConfig, rnd: random.Random, keep_signature: bool):
    """The Ray engine's flow, simulated: random batches, a shuffle by bucket, the
    groups handed to bucket_pairs in arbitrary chunks of whole buckets."""
    hasher = MinHasher(config.minhash)
    lsh = config.lsh()
    cuts = sorted(rnd.sample(range(1, table.num_rows), 3)) if table.num_rows > 4 else []
    bounds = [0, *cuts, table.num_rows]
    sig = [
        batches.signature_batch(table.slice(a, b - a), "q", hasher, order_col="order")
        for a, b in itertools.pairwise(bounds)
    ]
    bands = pa.concat_tables([batches.band_batch(s, lsh, keep_signature) for s in sig])
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, key in enumerate(
        zip(bands.column("band").to_pylist(), bands.column("band_hash").to_pylist(), strict=True)
    ):
        groups[key].append(i)
    keys = list(groups)
    rnd.shuffle(keys)
    pairs = []
    for lo in range(0, len(keys), 7):
        rows = [i for k in keys[lo : lo + 7] for i in groups[k]]
        pairs.append(batches.bucket_pairs(bands.take(pa.array(rows, pa.int64())), lsh))
    clusters = batches.clusters_from_pairs(pa.concat_tables(pairs))
    return batches.apply_clusters(table, clusters)


@pytest.mark.parametrize("verify", [True, False])
def test_engine_steps_equal_local(verify: bool) -> None:
    rnd = random.Random(11)
    table = synthetic_table(rnd, 60, 60)
    config = NearDedupConfig(minhash=MinHashParams(num_perm=32), threshold=0.5, verify=verify)
    local = near_dedup(table, "q", order_col="order", config=config)
    engine = run_steps(table, config, rnd, keep_signature=verify)
    assert local.num_removed > 10
    assert verdicts(engine) == verdicts(local)
    np.testing.assert_allclose(
        np.nan_to_num(engine.similarity, nan=-1), np.nan_to_num(local.similarity, nan=-1)
    )


PLANT_THRESHOLD = 0.4  # word 3-grams of ~45-word questions: see errsynth/dedup/README.md


@pytest.mark.corpora
@pytest.mark.slow
def test_planted_near_duplicates_in_gsm8k() -> None:
    path = corpus("gsm8k/train.jsonl")
    with path.open() as fh:
        originals = [json.loads(line)["question"] for line in fh]
    n = len(originals)
    rng = random.Random(0)
    planted = sorted(rng.sample(range(n), n // 10))
    copies = [perturb(originals[i], rng) for i in planted]
    texts = originals + copies
    table = pa.table(
        {
            "id": [f"r{i}" for i in range(len(texts))],
            "order": list(range(len(texts))),
            "question": texts,
        }
    )
    res = near_dedup(
        table, "question", order_col="order", config=NearDedupConfig(threshold=PLANT_THRESHOLD)
    )
    cluster = res.cluster_id.to_pylist()
    kept = res.kept_mask

    def shingle_jaccard(a: str, b: str) -> float:
        return jaccard(shingle_set([normalize(a, FUZZY)], 3), shingle_set([normalize(b, FUZZY)], 3))

    sims = np.array(
        [shingle_jaccard(originals[i], c) for i, c in zip(planted, copies, strict=True)]
    )
    found = [not kept[n + k] and cluster[n + k] == cluster[i] for k, i in enumerate(planted)]
    recall = float(np.mean(found))
    print(
        f"planted word-3 Jaccard: min {sims.min():.2f} p1 {np.percentile(sims, 1):.2f} "
        f"p10 {np.percentile(sims, 10):.2f} median {np.median(sims):.2f}; recall {recall:.4f}"
    )
    assert recall >= 0.99

    # Originals removed: each must be a genuine near duplicate of another original
    # in its cluster (GSM8K has such pairs: forward/backward versions of a problem).
    removed = [i for i in range(n) if not kept[i]]
    assert len(removed) <= 0.01 * n
    by_cluster = defaultdict(list)
    for j in range(n):
        by_cluster[cluster[j]].append(j)
    false_removals = []
    for i in removed:
        # the kept row is an original (originals come first in keep order)
        mates = [j for j in by_cluster[cluster[i]] if j != i]
        if max(shingle_jaccard(originals[i], originals[j]) for j in mates) < 0.3:
            false_removals.append(i)
    print(
        f"originals removed: {len(removed)} (genuine GSM8K near duplicates), false: {len(false_removals)}"
    )
    assert len(false_removals) <= 0.01 * n
    assert len(false_removals) == 0


def test_empty_table_and_empty_texts() -> None:
    empty = pa.table({"id": pa.array([], pa.int64()), "q": pa.array([], pa.string())})
    assert near_dedup(empty, "q").num_rows == 0
    # texts without shingles are never near duplicates of each other (exact dedup's job)
    res = near_dedup(pa.table({"id": [1, 2, 3], "q": ["", None, "  ...  "]}), "q")
    assert res.kept_mask.tolist() == [True, True, True]
