"""Decontamination against eval sets: n-gram index, eval file reading, planted GSM8K leaks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import corpus
from text_perturb import perturb, wrap_copy

from errsynth.dedup.decontam import NgramIndex, decontaminate, decontaminate_batch
from errsynth.dedup.evalsets import EvalSet, load_eval_set
from errsynth.dedup.normalize import FUZZY, normalize

LONG_Q = (
    "A train travels 270 miles in 3 hours. At the same rate, how many additional hours "
    "would it take to travel an additional 180 miles?"
)


def test_load_eval_set_fields_and_ids(tmp_path: Path) -> None:
    jsonl = tmp_path / "gsm.jsonl"
    jsonl.write_text(
        json.dumps({"question": "Q one?", "idx": 7})
        + "\n\n"
        + json.dumps({"question": "Q two?"})
        + "\n"
        + json.dumps({"answer": "no question"})
        + "\n"
    )
    es = load_eval_set(jsonl)
    assert es.name == "gsm"
    assert es.ids == ["gsm:7", "gsm:1"]  # row number when there is no id field
    assert es.questions == ["Q one?", "Q two?"]

    parquet = tmp_path / "math500.parquet"
    pq.write_table(
        pa.table({"problem": ["Find $x$ if $x+1=2$."], "unique_id": ["test/algebra/1.json"]}),
        parquet,
    )
    es = load_eval_set(parquet, name="MATH-500")
    assert es.ids == ["MATH-500:test/algebra/1.json"]
    assert es.questions == ["Find $x$ if $x+1=2$."]
    es = load_eval_set(jsonl, question_field="answer", id_field="idx")
    assert es.questions == ["no question"] and es.ids == [
        "gsm:2"
    ]  # record number (blank lines skipped)


def test_ngram_match_records_eval_id_and_ngram() -> None:
    index = NgramIndex.build([EvalSet("ev", ["ev:a", "ev:b"], [LONG_Q, "Compute 12*4 now."])], n=13)
    assert index.lengths == [13, 3]  # the short question is indexed whole
    table = pa.table(
        {
            "id": [1, 2, 3, 4, 5],
            "question": [
                "Solve this: " + LONG_Q.upper() + " Show work.",
                "A train travels 270 miles in 3 hours. How far in 5?",  # 9 shared words only
                "Please compute 12*4 now, thanks.",
                "compute 12 4 now",  # 12*4 is kept as one token, so no match
                None,
            ],
            "text": [
                "",
                "",
                "",
                "",
                "... at the same rate how many additional hours would it take to travel an",
            ],
        }
    )
    res = decontaminate(table, index, ["question", "text"])
    assert res.kept_mask.tolist() == [False, True, False, True, False]
    assert res.eval_id == ["ev:a", None, "ev:b", None, "ev:a"]
    assert res.ngram[0] == "a train travels 270 miles in 3 hours at the same rate how"
    assert res.ngram[2] == "compute 12*4 now"
    assert res.matched_field == ["question", None, "question", None, "text"]
    out = decontaminate_batch(table.to_batches()[0], index, ["question", "text"])
    assert out.column("reason").to_pylist() == [
        "contaminated",
        None,
        "contaminated",
        None,
        "contaminated",
    ]
    assert out.column("eval_id").to_pylist() == res.eval_id


def test_min_words_and_first_owner() -> None:
    sets = [EvalSet("a", ["a:0", "a:1"], ["Simplify.", LONG_Q]), EvalSet("b", ["b:0"], [LONG_Q])]
    index = NgramIndex.build(sets, n=13, min_words=3)
    assert index.skipped == 1
    res = decontaminate(pa.table({"id": [0, 1], "question": ["Simplify.", LONG_Q]}), index)
    assert res.kept_mask.tolist() == [True, False]
    assert res.eval_id[1] == "a:1"  # the first eval question owning the n-gram


def _split_gsm8k(seed: int, n_eval: int) -> tuple[list[str], list[str]]:
    path = corpus("gsm8k/train.jsonl")
    with path.open() as fh:
        questions = [json.loads(line)["question"] for line in fh]
    rng = random.Random(seed)
    rng.shuffle(questions)
    return questions[n_eval:], questions[:n_eval]


@pytest.mark.corpora
@pytest.mark.slow
def test_planted_eval_questions_are_exactly_the_removed_ones(tmp_path: Path) -> None:
    train, held_out = _split_gsm8k(seed=3, n_eval=1000)
    eval_path = tmp_path / "gsm8k_eval.jsonl"
    with eval_path.open("w") as fh:
        for i, q in enumerate(held_out):
            fh.write(json.dumps({"idx": i, "question": q}) + "\n")
    index = NgramIndex.build([load_eval_set(eval_path)])

    # GSM8K itself has train/train overlaps (forward and backward versions of one
    # problem); they are found before planting and checked to be real 13-gram overlaps.
    base = decontaminate(pa.table({"id": list(range(len(train))), "question": train}), index)
    natural = set(np.flatnonzero(~base.kept_mask).tolist())
    for i in natural:
        gram = base.ngram[i]
        eval_q = held_out[int(base.eval_id[i].split(":")[1])]
        assert gram in normalize(train[i], FUZZY) and gram in normalize(eval_q, FUZZY)
    assert len(natural) <= 0.01 * len(train)

    rng = random.Random(4)
    planted = rng.sample(range(len(held_out)), 100)
    copies = [
        held_out[e] if k % 2 == 0 else wrap_copy(held_out[e], rng) for k, e in enumerate(planted)
    ]
    rows = train + copies
    res = decontaminate(pa.table({"id": list(range(len(rows))), "question": rows}), index)
    removed = set(np.flatnonzero(~res.kept_mask).tolist())
    planted_rows = {len(train) + k for k in range(len(planted))}
    assert removed == natural | planted_rows
    for k, e in enumerate(planted):
        assert res.eval_id[len(train) + k] == f"gsm8k_eval:{e}"

    # Paraphrase-level leaks (1 content edit) are what n-gram matching is weakest
    # at: an edit in the middle of a short question breaks every 13-gram.
    edited = [perturb(held_out[e], rng, max_content_edits=1) for e in planted]
    res = decontaminate(pa.table({"id": list(range(len(edited))), "question": edited}), index)
    caught = float(np.mean([res.eval_id[k] == f"gsm8k_eval:{e}" for k, e in enumerate(planted)]))
    print(f"natural overlaps {len(natural)}; one-edit copies caught {caught:.2f}")
    assert caught >= 0.8
