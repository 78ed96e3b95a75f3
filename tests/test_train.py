"""The bundled trainer: tokenizer, data packing, training, resume, evaluation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from errsynth.igsm import generate
from errsynth.train.config import ModelConfig, TrainConfig, apply_overrides
from errsynth.train.data import BlockStream, Sample, encode_sample, load_samples
from errsynth.train.solutions import (
    check_igsm,
    count_retractions,
    final_answer,
    retraction_followups,
    strip_retractions,
)
from errsynth.train.tokenizer import WordTokenizer, load_tokenizer

torch = pytest.importorskip("torch")

PROBLEM = (
    "The number of each A1's B2 equals 3. The number of each A1's B3 equals 4 more than "
    "each A1's B2. How many B3 does A1 have?"
)
SOLUTION = "Define A1's B2 as x; so x = 3. Define A1's B3 as y; so y = 4 + x = 4 + 3 = 7."


def _gen_file(tmp: Path, n: int, seed: int, name: str = "gen.parquet") -> Path:
    rows = list(generate(n, 3, seed, names="short", distractors=1))
    path = tmp / name
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _tiny(**kw: object) -> TrainConfig:
    base = dict(
        model=ModelConfig(block_size=96, n_layer=1, n_head=2, n_embd=32),
        max_steps=40, batch_size=8, lr=1e-2, warmup_steps=4, log_every=1,
        loss_on="completion", threads=1,
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


# --- tokenizer and solutions (no torch needed) -------------------------------------


def test_word_tokenizer_round_trip_marker_one_token(tmp_path: Path) -> None:
    text = "Question: " + PROBLEM + "\nAnswer: " + SOLUTION + " y = 5 [BACK] y = 7.\n\n  end"
    tok = WordTokenizer.build([text])
    assert tok.decode(tok.encode(text)) == text
    assert len(tok.encode(" [BACK]")) == 1 and len(tok.encode(" BACK")) == 1
    assert len(tok.encode(" A1's")) == 2  # the name, then 's
    assert tok.encode("never seen zebra")[-1] == tok.unk_id
    tok.save(tmp_path / "t.json")
    again = load_tokenizer(tmp_path / "t.json")
    assert again.encode(text) == tok.encode(text)
    ids, starts = tok.encode_with_offsets(text)
    assert "".join(text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)) == text
    assert len(ids) == len(starts)


def test_strip_retractions_igsm_and_back_forms() -> None:
    gen = "Define A1's B3 as BACK. Define A1's B2 as x; so x = 3. Define A9's C as BACK. " + (
        "Define A1's B3 as y; so y = 4 + x = 4 + 3 = 7."
    )
    assert count_retractions(gen) == 2
    assert strip_retractions(gen) == SOLUTION
    assert final_answer(strip_retractions(gen)) == "7"
    back = "a = 2. b = a + 2 = 5 [BACK] b = a + 2 = 4. So the answer is 4."
    assert strip_retractions(back) == "a = 2. b = a + 2 = 4. So the answer is 4."
    assert final_answer("x = 1 #### 12") == "12"
    assert final_answer("") is None


def test_check_igsm_first_wrong_step_and_followups() -> None:
    ok = check_igsm(PROBLEM, "Define A1's B3 as BACK. " + SOLUTION, "7")
    assert ok.ok and ok.first_wrong is None and ok.back_steps == (0,)
    assert retraction_followups(ok) == (1, 1)
    bad = SOLUTION.replace("= 7.", "= 8.")
    wrong = check_igsm(PROBLEM, "Define A1's B3 as BACK. " + bad, "7")
    assert not wrong.ok and wrong.first_wrong == 2
    assert retraction_followups(wrong) == (1, 1)  # the step right after the BACK is right
    early = check_igsm(PROBLEM, "Define A1's B3 as BACK. Define A1's B3 as y; so y = 7.", "7")
    assert early.first_wrong == 1 and retraction_followups(early) == (1, 0)
    assert not check_igsm(PROBLEM, "gibberish", "7").parsed


# --- data --------------------------------------------------------------------------


def test_encode_sample_masks_prompt_and_spans() -> None:
    prompt = "Question: q?\nAnswer: "
    completion = "Define A1's B3 as BACK. Define A1's B2 as x; so x = 3."
    text = prompt + completion
    a = text.index("Define A1's B3")
    b = text.index(" as BACK") + len(" as")
    s = Sample("1", "igsm_retry", text, len(prompt), [("wrong", a, b)])
    tok = WordTokenizer.build([text])
    enc = encode_sample(tok, s, loss_on="completion", mask="none")
    pieces = [tok.token_str(i) for i in enc.ids[:-1]]
    first = pieces.index(" Define")
    assert enc.loss[:first].sum() == 0 and enc.loss[first:].all()  # eos counts too
    masked = encode_sample(tok, s, loss_on="completion", mask="wrong")
    dropped = [
        p
        for p, w, full in zip(pieces, masked.loss[:-1], enc.loss[:-1], strict=True)
        if full and not w
    ]
    assert dropped == [" Define", " A1", "'s", " B3", " as"]
    assert masked.loss[pieces.index(" BACK")] == 1  # the marker is learned
    assert encode_sample(tok, s, loss_on="all").loss.all()


def test_block_stream_packs_whole_samples_deterministically(tmp_path: Path) -> None:
    samples = load_samples([_gen_file(tmp_path, 60, 3)])
    tok = WordTokenizer.build(s.text for s in samples)
    enc = [encode_sample(tok, s, "completion") for s in samples]
    a = BlockStream(enc, 96, 4, seed=5, eos_id=tok.eos_id)
    b = BlockStream(enc, 96, 4, seed=5, eos_id=tok.eos_id)
    for step in (0, 3, 40, 7):  # any order, across epochs
        x, y = a.batch(step), b.batch(step)
        assert all(np.array_equal(x[k], y[k]) for k in x)
    blk = a.batch(1)
    for row_ids, row_sample, row_tok in zip(blk["ids"], blk["sample"], blk["token"], strict=True):
        assert row_ids[0] == tok.eos_id
        for i in set(row_sample[row_sample >= 0].tolist()):
            where = np.nonzero(row_sample == i)[0]
            assert np.array_equal(row_ids[where], enc[i].ids[: len(where)])
            assert row_tok[where].tolist() == list(range(len(where)))  # never split
    assert not np.array_equal(a.batch(0)["ids"], BlockStream(enc, 96, 4, 6, 0).batch(0)["ids"])


def test_config_overrides_and_validation() -> None:
    d = apply_overrides({}, ["model.n_layer=3", "lr=3e-3", "loss_on=completion"])
    cfg = TrainConfig.from_dict(d)
    assert cfg.model.n_layer == 3 and cfg.lr == 3e-3
    with pytest.raises(ValueError):
        TrainConfig.from_dict({"loss_on": "prompt"})
    with pytest.raises(ValueError):
        TrainConfig.from_dict({"bogus": 1})
    assert TrainConfig(tokens=10_000, batch_size=2, model=ModelConfig(block_size=100)).steps() == 50


# --- model and loop ----------------------------------------------------------------


@pytest.mark.parametrize("pos", ["learned", "rope"])
def test_model_is_causal_and_tied(pos: str) -> None:
    from errsynth.train.model import GPT

    torch.manual_seed(0)
    m = GPT(ModelConfig(vocab_size=11, block_size=16, n_layer=2, n_head=2, n_embd=16, pos=pos))
    assert m.head.weight is m.wte.weight
    x = torch.randint(0, 11, (2, 10))
    y = x.clone()
    y[:, 6:] = (y[:, 6:] + 1) % 11
    a, b = m(x), m(y)
    assert torch.allclose(a[:, :6], b[:, :6], atol=1e-6)  # later tokens never leak back
    assert not torch.allclose(a[:, 6:], b[:, 6:])


def test_tiny_training_loss_falls(tmp_path: Path) -> None:
    from errsynth.train.loop import read_log, train

    data = _gen_file(tmp_path, 120, 1)
    summary = train(_tiny(), [data], tmp_path / "run")
    losses = [r["loss"] for r in read_log(tmp_path / "run")]
    assert len(losses) == 40 and summary["finished"]
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:3])
    for name in ("config.json", "tokenizer.json", "ckpt.pt", "summary.json"):
        assert (tmp_path / "run" / name).exists()


def test_resume_continues_the_same_run(tmp_path: Path) -> None:
    from errsynth.train.loop import TrainError, load_run, read_log, train

    data = _gen_file(tmp_path, 80, 2)
    cfg = dict(max_steps=14, ckpt_every=4)
    train(_tiny(**cfg), [data], tmp_path / "full")
    part = train(_tiny(**cfg), [data], tmp_path / "cut", stop_after=6)
    assert not part["finished"] and part["steps"] == 6
    train(_tiny(**cfg), [data], tmp_path / "cut")
    full, cut = read_log(tmp_path / "full"), read_log(tmp_path / "cut")
    assert [r["step"] for r in cut] == list(range(1, 15))
    assert [r["loss"] for r in full] == [r["loss"] for r in cut]
    ma, _, _ = load_run(tmp_path / "full")
    mb, _, _ = load_run(tmp_path / "cut")
    for (na, pa_), (_, pb) in zip(ma.state_dict().items(), mb.state_dict().items(), strict=True):
        assert torch.equal(pa_, pb), na
    with pytest.raises(TrainError):
        train(_tiny(max_steps=15), [data], tmp_path / "cut")  # other settings, same dir


# --- evaluation --------------------------------------------------------------------


class _Scripted(torch.nn.Module):
    """A fake model that writes a fixed continuation (then <eos>), whatever the prompt."""

    def __init__(self, script: list[int], vocab: int, block: int) -> None:
        super().__init__()
        self.script = script
        self.vocab = vocab
        self.cfg = ModelConfig(vocab_size=vocab, block_size=block)
        self.blocks: list[object] = []
        self.calls = 0

    def forward(self, idx, pos=None, mask=None, cache=None):
        k = self.calls  # one call per decoded token, with or without a KV cache
        self.calls += 1
        out = torch.zeros(idx.shape[0], idx.shape[1], self.vocab)
        nxt = self.script[k] if k < len(self.script) else 0
        out[:, -1, nxt] = 1.0
        return out


def test_greedy_decode_caps_retractions() -> None:
    from errsynth.train.heldout_eval import greedy_decode

    tok = WordTokenizer.build(["Define A1's B3 as BACK. x"])
    back = tok.encode(" BACK")[0]
    script = [back] * 8
    model = _Scripted(script, tok.vocab_size, 64)
    out = greedy_decode(model, [[5, 6]], tok.eos_id, 8, ban=[back], max_retractions=2)[0]
    assert out[:2] == [back, back] and back not in out[2:]
    model = _Scripted(script, tok.vocab_size, 64)
    assert (
        greedy_decode(model, [[5, 6]], tok.eos_id, 8, ban=[back], max_retractions=None)[0] == script
    )


def test_greedy_decode_retract_threshold() -> None:
    from errsynth.train.heldout_eval import greedy_decode

    tok = WordTokenizer.build(["Define A1's B3 as BACK. x"])
    back = tok.encode(" BACK")[0]
    p_back = float(torch.softmax(torch.tensor([1.0] + [0.0] * (tok.vocab_size - 1)), 0)[0])
    assert 0.1 < p_back < 0.5  # the argmax, yet less likely than not
    kept = greedy_decode(_Scripted([back] * 3, tok.vocab_size, 64), [[5]], 0, 3, ban=[back], retract_threshold=0.1)  # fmt: skip
    assert kept[0] == [back] * 3
    dropped = greedy_decode(_Scripted([back] * 3, tok.vocab_size, 64), [[5]], 0, 3, ban=[back], retract_threshold=0.5)  # fmt: skip
    assert back not in dropped[0]


def test_eval_strips_retractions_and_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from errsynth.train import heldout_eval as ev

    gens = {
        "right after a retraction": "Define A1's B3 as BACK. " + SOLUTION,
        "wrong value": SOLUTION.replace("= 7.", "= 8."),
        "clean right": SOLUTION,
    }
    rows = [{"problem": PROBLEM, "solution": SOLUTION, "answer": "7", "op": 2}] * 3
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "test.parquet")
    tok = WordTokenizer.build([PROBLEM, *gens.values()])
    texts = list(gens.values())
    monkeypatch.setattr(ev, "greedy_decode", lambda m, prompts, *a, **k: [tok.encode(" " + t) for t in texts[: len(prompts)]])  # fmt: skip
    monkeypatch.setattr(ev, "load_run", lambda run, device: (None, tok, {}))
    rep = ev.evaluate_run("unused", tmp_path / "test.parquet", out=tmp_path / "ev")
    o = rep["overall"]
    assert o["n"] == 3 and o["accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert o["solution_ok"] == pytest.approx(2 / 3, abs=1e-3)
    assert o["retraction_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert o["correct_after_retraction"] == 1.0
    assert o["majority_answer"] == "7" and o["majority_accuracy"] == 1.0
    assert set(rep["by_op"]) == {"2"}
    rows_out = pq.read_table(tmp_path / "ev" / "eval_rows.parquet").to_pylist()
    assert [r["pred"] for r in rows_out] == ["7", "8", "7"]


def test_cli_train_and_eval_end_to_end(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from errsynth.cli import main

    data = _gen_file(tmp_path, 40, 4)
    test = _gen_file(tmp_path, 4, 99, "test.parquet")
    args = ["train", str(data), "-o", str(tmp_path / "run"), "-q", "--set", "max_steps=3"]
    for kv in ("model.n_layer=1", "model.n_embd=16", "model.n_head=2", "model.block_size=96", "batch_size=4"):  # fmt: skip
        args += ["--set", kv]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["eval", str(tmp_path / "run"), "--test", str(test), "--max-new-tokens", "8"])  # fmt: skip
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "run" / "eval-test" / "eval.json").read_text())
    assert rep["overall"]["n"] == 4 and rep["settings"]["max_retractions"] == 4
    assert "failures_by_type" in rep["overall"] and len(rep["rows"]) == 4
    assert "failure taxonomy" in r.output
    # the regret probe from the CLI: made from the test problems, recorded beside eval.json
    out = tmp_path / "probed"
    r = CliRunner().invoke(main, ["eval", str(tmp_path / "run"), "--test", str(test), "--max-new-tokens", "8", "--probe", "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    probe = json.loads((out / "probe.json").read_text())
    assert json.loads((out / "eval.json").read_text())["probe"] == probe
    assert probe["samples"] + sum(probe["data"]["skipped"].values()) == 4
    assert "Regret probe" in r.output
    r = CliRunner().invoke(main, ["eval", str(tmp_path / "run"), "--test", str(test), "--probe", "--probe-rate", "1.5"])  # fmt: skip
    assert r.exit_code != 0 and "--probe-rate" in r.output


def test_errsynth_imports_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import errsynth.cli, errsynth.train, errsynth.train.validate_mix, errsynth.train.solutions\n"
        "import errsynth.train.taxonomy, errsynth.train.bootstrap, errsynth.train.arm_stats\n"
        "import errsynth.train.probe_data\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(errsynth.cli.main, ['train', '--help'])\n"
        "assert r.exit_code == 0, r.output\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
