"""Token budgets on real (non-padding) tokens; epochs and correct-step tokens reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe
from errsynth.train.config import ModelConfig, TrainConfig
from errsynth.train.data import BlockStream, encode_sample, load_samples, sample_of
from errsynth.train.tokenizer import WordTokenizer
from errsynth.train.validate_mix import TRAIN_COLUMNS, arm_recipe


@pytest.fixture(scope="module")
def retry_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Real retry data: errsynth's pipeline on generated problems (clean + retry rows)."""
    out = tmp_path_factory.mktemp("arm")
    gen = {"n": 60, "max_ops": 4, "seed": 1, "names": "short", "distractors": 1}
    spec = {"name": "t", "_dir": str(out), "train_source": {"generate": gen}}
    arm = {"transforms": [{"igsm_retry": {"rate": 0.5, "rule": "retry", "min_errors": 1}}]}
    (out / "r.yaml").write_text(yaml.safe_dump(arm_recipe(spec, "retry", arm)))
    run_recipe(load_recipe(out / "r.yaml"), out / "run", log=lambda m: None)
    return pq.read_table(out / "run" / "shards", columns=TRAIN_COLUMNS).to_pylist()


def _pairs(rows: list[dict]) -> list[tuple[dict, dict]]:
    clean = {r["parent_id"]: r for r in rows if r["kind"] == "clean"}
    return [(clean[r["parent_id"]], r) for r in rows if r["kind"] != "clean" and r["n_errors"]]


def test_arm_data_keeps_the_errors_column() -> None:
    assert "errors" in TRAIN_COLUMNS  # validate-mix arms keep where every attempt is


def test_correct_step_tokens_of_a_retry_sample_are_its_clean_solution(retry_rows) -> None:
    tok = WordTokenizer.build(r["text"] for r in retry_rows)
    pairs = _pairs(retry_rows)
    assert len(pairs) >= 20
    for clean, retry in pairs:
        for row in (retry, {**retry, "errors": None}):  # errors, or mask_spans + the marker
            e = encode_sample(tok, sample_of(row, 0), "completion")
            c = encode_sample(tok, sample_of(clean, 0), "completion")
            got = tok.decode(e.ids[e.correct.astype(bool)].tolist())
            assert got == tok.decode(c.ids[c.correct.astype(bool)].tolist())
            assert got.startswith(" Define") and "BACK" not in got
            # loss-carrying tokens of the retry sample include the attempts and markers
            assert e.loss.sum() > e.correct.sum()
            assert c.loss.sum() == c.correct.sum()


def _stream(rows: list[dict], tok: WordTokenizer, B: int = 4, T: int = 128) -> BlockStream:
    enc = [encode_sample(tok, sample_of(r, i), "completion") for i, r in enumerate(rows)]
    return BlockStream(enc, T, B, 0, tok.eos_id)


def test_steps_for_a_real_token_budget(retry_rows) -> None:
    tok = WordTokenizer.build(r["text"] for r in retry_rows)
    s = _stream(retry_rows, tok)
    budget = 3 * s.data_tokens + 17  # past three epochs
    n = s.steps_for_tokens(budget)
    real = [int((s.batch(k)["sample"][:, 1:] >= 0).sum()) for k in range(n)]
    assert sum(real) >= budget > sum(real[:-1])  # the fewest steps that hold the budget
    c = s.counts(n)
    assert c["tokens_real"] == sum(real)
    assert c["tokens_padded"] == n * 4 * 128 - sum(real)
    assert c["epochs"] == pytest.approx(sum(real) / s.data_tokens, abs=1e-4)
    assert 3.0 < c["epochs"] < 3.2
    correct = sum(int(s.batch(k)["correct"][:, 1:].sum()) for k in range(n))
    assert c["correct_step_tokens"] == correct
    with pytest.raises(ValueError):
        s.steps_for_tokens(0)


def test_same_real_budget_for_arms_with_different_padding(tmp_path: Path, retry_rows) -> None:
    """Clean and retry arms train on the same real tokens (not the same steps)."""
    pytest.importorskip("torch")
    from errsynth.train.loop import train

    clean = [r for r in retry_rows if r["kind"] == "clean"]
    have = {r["parent_id"] for r in retry_rows if r["kind"] != "clean"}
    mixed = [r for r in retry_rows if r["kind"] != "clean"] + [
        r for r in clean if r["parent_id"] not in have
    ]
    files = {}
    for name, rows in (("clean", clean), ("retry", mixed)):
        files[name] = tmp_path / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), files[name])
    budget = 6000
    cfg = dict(
        model=ModelConfig(block_size=128, n_layer=1, n_head=2, n_embd=16), tokens=budget,
        batch_size=4, lr=1e-2, warmup_steps=2, log_every=2, loss_on="completion", threads=1,
    )  # fmt: skip
    sums = {n: train(TrainConfig(**cfg), [f], tmp_path / n) for n, f in files.items()}  # type: ignore[arg-type]
    for name, sm in sums.items():
        assert budget <= sm["tokens_real"] < budget + 4 * 128, name
        assert sm["tokens_real"] + sm["tokens_padded"] == sm["tokens"] == sm["steps"] * 4 * 128
        assert sm["token_budget"] == "real" and sm["epochs"] > 0
        # padding takes room in every block: more steps than a budget counted with padding
        assert sm["steps"] > TrainConfig(**cfg).steps()  # type: ignore[arg-type]
    # at the same real budget the retry arm sees fewer correct-step tokens
    assert sums["retry"]["correct_step_tokens"] < sums["clean"]["correct_step_tokens"]
    log = [json.loads(ln) for ln in (tmp_path / "clean" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["tokens_real"] == sums["clean"]["tokens_real"]


def test_clean_data_correct_step_tokens_are_its_loss_tokens(tmp_path: Path) -> None:
    from errsynth.igsm import generate

    path = tmp_path / "g.parquet"
    pq.write_table(pa.Table.from_pylist(list(generate(30, 3, 2, names="short"))), path)
    samples = load_samples([path])
    tok = WordTokenizer.build(s.text for s in samples)
    enc = [encode_sample(tok, s, "completion") for s in samples]
    assert all(np.array_equal(e.loss, e.correct) for e in enc)
    # with loss on every token the prompt still is no correct step
    full = [encode_sample(tok, s, "all") for s in samples]
    assert all(np.array_equal(e.correct, f.correct) for e, f in zip(enc, full, strict=True))
    assert all(f.loss.sum() > f.correct.sum() for f in full)
