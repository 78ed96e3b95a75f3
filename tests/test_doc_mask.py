"""Document-masked attention in packed blocks: a sample is computed as if alone.

The loss of a sample must not change when another sample is packed before it; positions
restart at every document; runs made before the option resume with their old behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from errsynth.igsm import generate
from errsynth.train.config import LEGACY_SETTINGS, ModelConfig, TrainConfig
from errsynth.train.data import BlockStream, encode_sample, input_documents, load_samples
from errsynth.train.tokenizer import WordTokenizer

torch = pytest.importorskip("torch")

from errsynth.train.model import GPT, document_mask  # noqa: E402


def _gen_file(tmp: Path, n: int, seed: int) -> Path:
    path = tmp / f"gen{seed}.parquet"
    pq.write_table(pa.Table.from_pylist(list(generate(n, 3, seed, names="short", distractors=1))), path)  # fmt: skip
    return path


def test_document_mask_is_block_diagonal_and_positions_restart() -> None:
    doc = torch.tensor([[4, 4, 4, 9, 9, -1, -1], [2, 2, 2, 2, 2, 2, 2]])
    mask, pos = document_mask(doc)
    assert pos.tolist() == [[0, 1, 2, 0, 1, 0, 1], [0, 1, 2, 3, 4, 5, 6]]
    m = mask[0, 0]
    assert m[3].tolist() == [False, False, False, True, False, False, False]
    assert m[4].tolist() == [False, False, False, True, True, False, False]
    assert m[2].tolist() == [True, True, True, False, False, False, False]
    assert torch.equal(mask[1, 0], torch.ones(7, 7, dtype=torch.bool).tril())  # one doc: causal


def _sample_losses(model: GPT, stream: BlockStream, doc_mask: bool) -> dict[int, float]:
    """Per sample of batch 0: its summed loss (targets of that sample)."""
    b = stream.batch(0)
    ids = torch.from_numpy(b["ids"]).long()
    doc = torch.from_numpy(input_documents(b["sample"])) if doc_mask else None
    with torch.no_grad():
        logits = model(ids[:, :-1], doc=doc)
    ce = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none"
    ).reshape(ids.shape[0], -1)
    w = torch.from_numpy(b["loss"][:, 1:]).float()
    sample = b["sample"][:, 1:]
    return {
        int(i): float((ce * w)[torch.from_numpy(sample == i)].sum())
        for i in np.unique(sample)
        if i >= 0
    }


@pytest.mark.parametrize("pos", ["learned", "rope"])
def test_loss_of_a_sample_does_not_change_when_another_is_packed_before_it(
    tmp_path: Path, pos: str
) -> None:
    samples = load_samples([_gen_file(tmp_path, 6, 3)])
    tok = WordTokenizer.build(s.text for s in samples)
    enc = [encode_sample(tok, s, "completion") for s in samples]
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=tok.vocab_size, block_size=480, n_layer=2, n_head=2, n_embd=32, pos=pos)).eval()  # fmt: skip
    target = enc[0]
    alone = BlockStream([target], 480, 1, 0, tok.eos_id)
    assert alone.batch(0)["sample"][0, 1] == 0
    ref = _sample_losses(model, alone, True)[0]
    ref_unmasked = _sample_losses(model, alone, False)[0]
    assert ref == pytest.approx(ref_unmasked, rel=1e-5)  # alone, the mask changes nothing
    # pack other samples before it (seeds that put it last in the block)
    seen = 0
    for seed in range(40):
        packed = BlockStream([target, *enc[1:4]], 480, 1, seed, tok.eos_id)
        first = packed.batch(0)["sample"][0, 1]
        if first == 0 or 0 not in packed.batch(0)["sample"]:
            continue
        seen += 1
        got = _sample_losses(model, packed, True)[0]
        assert got == pytest.approx(ref, rel=1e-5, abs=1e-5)
        # without the mask the same sample's loss does change: the test can fail
        assert abs(_sample_losses(model, packed, False)[0] - ref) > 1e-2
        if seen == 3:
            break
    assert seen == 3


@pytest.mark.parametrize("pos", ["learned", "rope"])
def test_masked_logits_equal_the_sample_alone_exactly_position_by_position(pos: str) -> None:
    torch.manual_seed(1)
    m = GPT(ModelConfig(vocab_size=17, block_size=32, n_layer=2, n_head=2, n_embd=16, pos=pos)).eval()  # fmt: skip
    a, b = torch.randint(0, 17, (1, 9)), torch.randint(0, 17, (1, 12))
    packed = torch.cat([a, b], dim=1)
    doc = torch.tensor([[0] * 9 + [1] * 12])
    with torch.no_grad():
        out = m(packed, doc=doc)
        assert torch.allclose(out[:, 9:], m(b), atol=1e-5)
        assert torch.allclose(out[:, :9], m(a), atol=1e-5)
        assert not torch.allclose(m(packed)[:, 9:], m(b), atol=1e-3)


def _tiny(**kw: object) -> TrainConfig:
    base = dict(
        model=ModelConfig(block_size=128, n_layer=1, n_head=2, n_embd=16),
        max_steps=8, batch_size=4, lr=1e-2, warmup_steps=2, log_every=1,
        loss_on="completion", threads=1,
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_training_with_and_without_the_mask_and_it_is_recorded(tmp_path: Path) -> None:
    from errsynth.train.loop import read_log, train

    data = _gen_file(tmp_path, 60, 4)
    on = train(_tiny(), [data], tmp_path / "on")
    off = train(_tiny(doc_mask=False), [data], tmp_path / "off")
    assert on["doc_mask"] is True and off["doc_mask"] is False
    assert json.loads((tmp_path / "on" / "config.json").read_text())["train"]["doc_mask"] is True
    a, b = read_log(tmp_path / "on"), read_log(tmp_path / "off")
    assert a[0]["loss"] != b[0]["loss"]  # same batches, other attention: other losses
    assert a[0]["tokens_real"] == b[0]["tokens_real"]


def test_a_run_made_before_the_option_resumes_with_its_old_behaviour(tmp_path: Path) -> None:
    """config.json without doc_mask/token_budget: resumed without the mask, padded budget."""
    from errsynth.train.loop import load_run, read_log, train

    data = _gen_file(tmp_path, 60, 5)
    legacy = dict(doc_mask=False, token_budget="padded", max_steps=0, tokens=8 * 4 * 128)
    train(_tiny(**legacy, ckpt_every=2), [data], tmp_path / "full")
    train(_tiny(**legacy, ckpt_every=2), [data], tmp_path / "old", stop_after=4)
    cfg_path = tmp_path / "old" / "config.json"
    meta = json.loads(cfg_path.read_text())
    for k in LEGACY_SETTINGS:
        del meta["train"][k]  # as written before the settings existed
    cfg_path.write_text(json.dumps(meta, indent=2) + "\n")
    before = cfg_path.read_text()
    logs: list[str] = []
    # today's defaults (mask on, real budget) in the resumed call: the run keeps its own
    summary = train(_tiny(max_steps=0, tokens=8 * 4 * 128, ckpt_every=2), [data], tmp_path / "old", log=logs.append)  # fmt: skip
    assert any("continues with" in m for m in logs)
    assert summary["finished"] and summary["steps"] == 8
    assert summary["doc_mask"] is False and summary["token_budget"] == "padded"
    assert [r["loss"] for r in read_log(tmp_path / "old")] == [
        r["loss"] for r in read_log(tmp_path / "full")
    ]
    assert cfg_path.read_text() == before  # the stored settings stay as they were
    model, _, _ = load_run(tmp_path / "old")  # and it loads for evaluation
    assert model.cfg.block_size == 128
