"""The regret probe (errsynth/train/regret_probe.py, probe_data.py): fixed-output models that
always, never or exactly retract, the rank AUC, and the held-out retry samples."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.igsm import check
from errsynth.igsm.generator import generate
from errsynth.train.probe_data import build_probe_data, iter_probe_samples

torch = pytest.importorskip("torch")

from errsynth.train.heldout_eval import banned_ids  # noqa: E402
from errsynth.train.regret_probe import head_positions, probe_model, roc_auc  # noqa: E402
from errsynth.train.tokenizer import WordTokenizer  # noqa: E402


@pytest.fixture(scope="module")
def test_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "test.parquet"
    pq.write_table(pa.Table.from_pylist(list(generate(40, 6, 11, names="short", distractors=2))), path)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def samples(test_file: Path) -> list[dict]:
    return [s for s in iter_probe_samples(test_file, rate=0.5, seed=3) if isinstance(s, dict)]


class _Fixed(torch.nn.Module):
    """Logits that put the marker at `p_marker` everywhere (0: never, 1: always retracts)."""

    def __init__(self, vocab: int, marker_ids: list[int], mode: str) -> None:
        super().__init__()
        self.vocab, self.marker_ids, self.mode = vocab, marker_ids, mode

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(*idx.shape, self.vocab)
        if self.mode == "always":
            out[..., self.marker_ids] = 30.0
        elif self.mode == "never":
            out[..., self.marker_ids] = -30.0
        else:  # "oracle" / "inverse": peek at the next token (teacher forcing makes it visible)
            nxt = torch.roll(idx, -1, dims=1)
            is_marker = torch.isin(nxt, torch.tensor(self.marker_ids))
            hit = is_marker if self.mode == "oracle" else ~is_marker
            out[..., self.marker_ids] = torch.where(hit, 30.0, -30.0).unsqueeze(-1)
        return out


def _probe(samples: list[dict], mode: str) -> dict:
    tok = WordTokenizer.build([s["prompt"] + s["completion"] for s in samples])
    marker_ids = banned_ids(tok, "[BACK]")
    assert marker_ids, "BACK is one token"
    model = _Fixed(tok.vocab_size, marker_ids, mode)
    return probe_model(model, tok, samples, block_size=512, batch_size=7)


def test_samples_are_real_retry_data_and_deterministic(
    test_file: Path, samples: list[dict]
) -> None:
    assert len(samples) >= 20
    for s in samples:
        problem = s["prompt"].split("Question: ", 1)[1].rsplit("\nAnswer: ", 1)[0]
        answer = next(r["answer"] for r in generate(40, 6, 11, names="short", distractors=2) if r["problem"] == problem)  # fmt: skip
        assert check(problem, s["completion"], answer, allow_back=True).ok
        assert s["completion"].count("as BACK.") == s["n_wrong_heads"] >= 1
    again = [s for s in iter_probe_samples(test_file, rate=0.5, seed=3) if isinstance(s, dict)]
    assert again == samples
    other = [s for s in iter_probe_samples(test_file, rate=0.5, seed=4) if isinstance(s, dict)]
    assert other != samples


def test_head_positions_mark_every_head(samples: list[dict]) -> None:
    for s in samples:
        text = s["prompt"] + s["completion"]
        heads = head_positions(text, len(s["prompt"]))
        assert sum(w for _, w in heads) == s["n_wrong_heads"]
        assert sum(not w for _, w in heads) == s["completion"].count("; so ")
        for c, wrong in heads:
            assert text[c - 3 : c] == " as" and text[c:].startswith(" BACK.") == wrong


def test_a_model_that_always_retracts_or_never_retracts_has_no_signal(samples: list[dict]) -> None:
    always = _probe(samples, "always")
    assert always["p_marker_after_wrong"] > 0.99 and always["p_marker_after_right"] > 0.99
    assert always["auc"] == pytest.approx(0.5, abs=1e-6)
    never = _probe(samples, "never")
    assert never["p_marker_after_wrong"] < 1e-6 and never["p_marker_after_right"] < 1e-6
    assert never["auc"] == pytest.approx(0.5, abs=1e-6)
    assert always["wrong_heads"] == sum(s["n_wrong_heads"] for s in samples)
    assert always["right_heads"] > always["wrong_heads"] > 0
    assert always["heads_unaligned"] == 0 and always["heads_beyond_block"] == 0


def test_a_model_that_retracts_exactly_after_wrong_heads_scores_auc_one(
    samples: list[dict],
) -> None:
    oracle = _probe(samples, "oracle")
    assert oracle["p_marker_after_wrong"] > 0.99 and oracle["p_marker_after_right"] < 1e-6
    assert oracle["auc"] == 1.0
    inverse = _probe(samples, "inverse")
    assert inverse["auc"] == 0.0


def test_heads_beyond_the_block_are_counted_not_scored(samples: list[dict]) -> None:
    tok = WordTokenizer.build([s["prompt"] + s["completion"] for s in samples])
    model = _Fixed(tok.vocab_size, banned_ids(tok, "[BACK]"), "always")
    short = probe_model(model, tok, samples, block_size=40)
    full = probe_model(model, tok, samples, block_size=512)
    assert short["heads_beyond_block"] > 0
    assert short["wrong_heads"] + short["right_heads"] + short["heads_beyond_block"] == (
        full["wrong_heads"] + full["right_heads"]
    )


def test_build_probe_data_counts_skips(test_file: Path, tmp_path: Path) -> None:
    made = build_probe_data(test_file, tmp_path / "p.parquet", seed=3)
    rows = pq.read_table(tmp_path / "p.parquet").num_rows
    assert made["samples"] == rows and rows + sum(made["skipped"].values()) == 40
    assert set(made["skipped"]) <= {"no_wrong_parameter"}


def test_roc_auc_known_values_and_ties() -> None:
    assert roc_auc([3, 4], [1, 2]) == 1.0
    assert roc_auc([1, 2], [3, 4]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5
    assert roc_auc([2, 1], [1, 0]) == pytest.approx(0.875)  # (1 + 1 + 0.5 + 1) / 4
    assert roc_auc([], [1]) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=12),
    st.lists(st.integers(0, 5), min_size=1, max_size=12),
)
def test_roc_auc_equals_the_pairwise_count(pos: list[int], neg: list[int]) -> None:
    pairs = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert roc_auc(pos, neg) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_back_style_samples_are_probed_the_same_way(test_file: Path) -> None:
    back = [s for s in iter_probe_samples(test_file, seed=3, style="back") if isinstance(s, dict)]
    assert back and all("as [BACK] Define" in s["completion"] for s in back)
    for s in back:
        heads = head_positions(s["prompt"] + s["completion"], len(s["prompt"]))
        assert sum(w for _, w in heads) == s["n_wrong_heads"]
    oracle = _probe(back, "oracle")
    assert oracle["auc"] == 1.0 and oracle["wrong_heads"] == sum(s["n_wrong_heads"] for s in back)
    with pytest.raises(ValueError, match="probe samples"):
        next(iter_probe_samples(test_file, style="lema"))


def test_probe_data_without_samples_is_refused_clearly(tmp_path: Path, test_file: Path) -> None:
    from errsynth.train.regret_probe import load_probe_samples

    with pytest.raises(ValueError, match="no prompt/completion"):
        load_probe_samples(test_file)  # a test file, not probe samples
    made = build_probe_data(test_file, tmp_path / "p.parquet", seed=3, limit=5)
    assert made["samples"] == 5 and len(load_probe_samples(tmp_path / "p.parquet")) == 5
