"""Mistake Log, its inspect view, mistake-guided placement of fake errors, harvest."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from errsynth.igsm import generate, parse_solution
from errsynth.train.mistake_log import step_spans, token_kind
from errsynth.transforms import make_transform
from errsynth.transforms.base import TransformParams
from errsynth.transforms.mistake_placement import weighted_place_counts
from errsynth.types.mistake_log import LOG_SCHEMA, step_weights, summarize_log

torch = pytest.importorskip("torch")


def _log_rows(gaps: dict[int, float]) -> list[dict]:
    rows = []
    for step, gap in gaps.items():
        for kind, tok in (("name", " A1"), ("number", " 7"), ("variable", " x")):
            rows.append(
                {
                    "train_step": 100, "sample_id": "s", "sample_kind": "clean", "token_index": 0,
                    "solution_step": step, "in_retraction": False, "token_kind": kind, "gold": tok,
                    "p_gold": 1 - gap, "gap": gap if kind != "variable" else 0.99,
                    "top1_ok": gap < 0.5, "top_tokens": [" 0"], "top_probs": [0.5],
                }
            )  # fmt: skip
    return rows


def test_step_spans_and_token_kinds() -> None:
    c = "Define A1's B2 as BACK. Define A1's B3 as x; so x = 3. Define A1's B4 as y; so y = x = 3."
    spans = step_spans(c)
    assert [c[a:b].strip() for a, b, _ in spans] == [
        "Define A1's B2 as BACK.", "Define A1's B3 as x; so x = 3.", "Define A1's B4 as y; so y = x = 3.",
    ]  # fmt: skip
    assert [b for *_, b in spans] == [True, False, False]
    kinds = [token_kind(t) for t in (" A1", "'s", " 17", " =", " x", " Define", " BACK", ".")]
    assert kinds == ["name", "name", "number", "operator", "variable", "word", "marker", "punct"]


def test_training_writes_mistake_log_and_inspect_shows_it(tmp_path: Path) -> None:
    from rich.console import Console

    from errsynth.cli.ui.inspect_view import inspect_path
    from errsynth.train.config import MistakeLogConfig, ModelConfig, TrainConfig
    from errsynth.train.loop import train

    rows = list(generate(60, 3, 7, names="short", distractors=1))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "g.parquet")
    cfg = TrainConfig(
        model=ModelConfig(block_size=96, n_layer=1, n_head=2, n_embd=32), max_steps=6,
        batch_size=4, warmup_steps=1, loss_on="completion", threads=1,
        mistake_log=MistakeLogConfig(every=2, topk=3, max_rows=2),
    )  # fmt: skip
    train(cfg, [tmp_path / "g.parquet"], tmp_path / "run")
    table = pq.read_table(tmp_path / "run" / "mistake_log")
    assert table.schema.equals(LOG_SCHEMA)
    assert sorted(set(table.column("train_step").to_pylist())) == [0, 2, 4]
    r = table.slice(0, 1).to_pylist()[0]
    assert len(r["top_tokens"]) == 3 and abs(r["gap"] + r["p_gold"] - 1) < 1e-6
    assert r["solution_step"] >= 0  # loss on the solution only: no prompt tokens logged
    n_steps = max(len(parse_solution(x["solution"])) for x in rows)
    assert max(table.column("solution_step").to_pylist()) < n_steps
    s = summarize_log(tmp_path / "run", last=1.0)
    assert s["tokens"] == table.num_rows and s["by_step"]
    from errsynth.train.mistake_probe import log_trained_model

    post = pq.read_table(log_trained_model(tmp_path / "run", tmp_path / "post", batches=2))
    assert set(post.column("train_step").to_pylist()) == {6} and post.num_rows > 0
    console = Console(record=True, width=200)
    inspect_path(tmp_path / "run", console=console)
    out = console.export_text()
    assert "Mistake Log" in out and "number" in out


def test_step_weights_follow_the_logged_gaps(tmp_path: Path) -> None:
    d = tmp_path / "mistake_log"
    d.mkdir()
    pq.write_table(pa.Table.from_pylist(_log_rows({0: 0.1, 1: 0.2, 2: 0.9}), schema=LOG_SCHEMA), d / "part-00000.parquet")  # fmt: skip
    w = step_weights(tmp_path)
    assert len(w) == 3 and abs(sum(w) / 3 - 1) < 1e-9
    assert w[0] < w[1] < w[2]  # variable letters (gap 0.99 everywhere) do not flatten it


def test_weighted_placement_moves_errors_to_heavy_steps() -> None:
    params = TransformParams(rate=0.2, max_per_step=3, min_errors=0)
    weights = (0.2, 0.2, 2.6)
    hits = [0, 0, 0]
    rng = random.Random(0)
    for _ in range(3000):
        for i, k in weighted_place_counts(rng, [0, 1, 2], params, {0: 3, 1: 3, 2: 3}, weights).items():  # fmt: skip
            hits[i] += k
    assert hits[2] > 5 * hits[0] and hits[2] > 5 * hits[1]


def test_igsm_retry_mistake_log_option(tmp_path: Path) -> None:
    d = tmp_path / "mistake_log"
    d.mkdir()
    pq.write_table(pa.Table.from_pylist(_log_rows({0: 0.01, 1: 0.01, 2: 0.01, 3: 0.99}), schema=LOG_SCHEMA), d / "part-00000.parquet")  # fmt: skip
    plain = make_transform("igsm_retry", rate=0.3, min_errors=0)
    placed = make_transform("igsm_retry", rate=0.3, min_errors=0, mistake_log=str(tmp_path))
    assert "mistake_log" not in plain.param_dict()  # default outputs unchanged
    assert placed.param_dict()["mistake_log"] == str(tmp_path)
    counts = {"plain": [0] * 4, "placed": [0] * 4}
    for i, row in enumerate(generate(300, 8, 3, names="short")):
        if len(parse_solution(row["solution"])) < 4:
            continue
        r = {"question": row["problem"], "solution": row["solution"]}
        for name, t in (("plain", plain), ("placed", placed)):
            try:
                cand = t.apply(r, random.Random(i))
            except Exception:
                continue
            for a in cand.attempts:
                if a.at < 4:
                    counts[name][a.at] += 1
    share = {k: v[3] / max(1, sum(v)) for k, v in counts.items()}
    assert share["placed"] > share["plain"] + 0.2


def test_retry_from_mistake_writes_a_checked_back_step() -> None:
    from errsynth.igsm import check
    from errsynth.train.harvest import mistake_kind, retry_from_mistake
    from errsynth.train.solutions import check_igsm

    for row in generate(40, 4, 11, names="short", distractors=2):
        gold = parse_solution(row["solution"])
        if len(gold) < 2:
            continue
        # the model skips the first step and writes the second: not computable yet
        attempt = " ".join([gold[1].text, *[s.text for s in gold[2:]]])
        v = check_igsm(row["problem"], attempt, row["answer"])
        if v.ok or v.first_wrong != 0 or mistake_kind(v.reason) != "premature":
            continue
        made = retry_from_mistake(row["problem"], row["solution"], row["answer"], [], gold[1])
        assert not isinstance(made, str), made
        completion, j, detail = made.completion, made.at, made.detail
        assert (
            j == 0
            and made.form == "head"
            and detail["premature"]
            and completion.startswith(f"Define {gold[1].param} as BACK. ")
        )
        assert check(row["problem"], completion, row["answer"], allow_back=True).ok
        # the right parameter with its right value is no mistake at all (value and formula
        # mistakes have their own retry form now: tests/test_harvest_kinds.py)
        assert retry_from_mistake(row["problem"], row["solution"], row["answer"], [], gold[0]) == "not_a_mistake"  # fmt: skip
        return
    pytest.fail("no row with a premature second step")


def test_harvest_emits_checked_samples_from_model_mistakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from errsynth.igsm import check
    from errsynth.schema import SAMPLE_SCHEMA
    from errsynth.train import harvest as harvest_module
    from errsynth.train.harvest import harvest
    from errsynth.train.tokenizer import WordTokenizer

    rows = [
        r
        for r in generate(200, 4, 5, names="short", distractors=1)
        if len(parse_solution(r["solution"])) >= 2
    ][:6]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p.parquet")
    # the "model" writes the second step first (premature), or the gold solution
    gens = []
    for i, r in enumerate(rows):
        steps = [s.text for s in parse_solution(r["solution"])]
        gens.append(" ".join(steps[1:] if i % 2 == 0 else steps))
    tok = WordTokenizer.build([r["problem"] + " " + g for r, g in zip(rows, gens, strict=True)])
    # harvest's own names of the model loader and the decoder (it imports them by name)
    monkeypatch.setattr(harvest_module, "load_run", lambda run, device: (None, tok, {}))
    monkeypatch.setattr(
        harvest_module,
        "greedy_decode",
        lambda m, prompts, *a, **k: [tok.encode(" " + g) for g in gens],
    )
    stats = harvest("run", tmp_path / "p.parquet", tmp_path / "h.parquet")
    assert stats["problems"] == 6 and stats["correct"] == 3
    out = pq.read_table(tmp_path / "h.parquet")
    assert out.schema.equals(SAMPLE_SCHEMA)
    assert stats["emitted"] == out.num_rows >= 1
    for r in out.to_pylist():
        assert r["kind"] == "harvest" and r["text"] == r["prompt"] + r["completion"]
        e = r["errors"][0]
        assert r["text"][e["start"] : e["end"]] == e["wrong_text"]
        assert r["text"][e["marker_start"] : e["marker_end"]] == "BACK."
        assert check(r["question"], r["completion"], r["answer"], allow_back=True).ok
