"""Harvest writes value and formula mistakes too: the model's whole step, retracted, then the
right one; every sample checked exactly (and the checker stays strict without retractions).

The "model" here writes generator-made iGSM solutions with one step made wrong by hand, in
its own variable letters (the gold letters with their case swapped), so each mistake kind
is built on purpose and the letters have to be renamed back into the gold solution's.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errsynth.igsm import check, generate, parse_solution
from errsynth.igsm.replay import evaluate_terms, replay_step
from errsynth.igsm.text import IgsmParseError, Step, parse_step
from errsynth.render.roundtrip import strip_attempts
from errsynth.train.harvest_retry import STEP_KINDS, mistake_kind, retry_from_mistake
from errsynth.train.solutions import check_igsm, count_retractions, strip_retractions

_LETTER = re.compile(r"(?<![A-Za-z'])[A-Za-z](?![A-Za-z'])")
MOD = 23


def swap_letters(step_text: str) -> str:
    """The step in other letters (case swapped): how another writer names the variables."""
    head, body = step_text.split(" as ", 1)
    return head + " as " + _LETTER.sub(lambda m: m.group().swapcase(), body)


def _with_last_op(step: Step, op_text: str) -> str:
    op = step.ops[-1]
    return step.text[: op.start] + op_text + step.text[op.end :]


def _expr(target: str, terms: list[str], operators: list[str], nums: list[int]) -> str:
    sym = " ".join(x for pair in zip(terms, [*operators, ""], strict=True) for x in pair).strip()
    num = " ".join(x for pair in zip(map(str, nums), [*operators, ""], strict=True) for x in pair)
    return f"{target} = {sym} = {num.strip()} = {evaluate_terms(nums, operators, MOD)}"


def make_wrong(kind: str, step: Step, env: dict[str, int], earlier: dict[str, str]) -> str | None:
    """``step`` with a mistake of ``kind`` in its last op (None: this step has no such form).

    ``env``: letter -> value before the step; ``earlier``: letter -> parameter there.
    """
    op = step.ops[-1]
    if not op.operators:
        if kind == "formula" and not op.operands:  # a constant: another literal
            return _with_last_op(step, f"{op.target} = {(op.claimed + 1) % MOD}")
        return None
    terms = list(op.terms)
    nums = [int(x) for x in op.numeric.split(" ")[0::2]]
    ops = list(op.operators)
    var_at = [k for k, t in enumerate(terms) if not t.isdigit() and t in step.uses]
    if kind == "arithmetic":
        text = " = ".join(step.text[op.start : op.end].split(" = ")[:3])
        return _with_last_op(step, f"{text} = {(op.claimed + 1) % MOD}")
    if kind == "copy" and var_at:
        nums[var_at[0]] = (nums[var_at[0]] + 1) % MOD
        return _with_last_op(step, _expr(op.target, terms, ops, nums))
    if kind == "formula":
        ops[0] = "*" if ops[0] != "*" else "+"
        return _with_last_op(step, _expr(op.target, terms, ops, nums))
    if kind == "wrong_inputs" and var_at:
        k = var_at[0]
        read = {earlier.get(t) for t in step.uses}
        other = [v for v, p in earlier.items() if p not in read and v not in step.intermediates]
        if not other or other[0] == step.var:
            return None
        terms[k], nums[k] = other[0], env[other[0]]
        return _with_last_op(step, _expr(op.target, terms, ops, nums))
    return None


def model_attempts(rows: list[dict], kind: str) -> list[tuple[dict, int, str, str]]:
    """(row, wrong step index, the model's whole solution, the wrong step in gold letters)."""
    out = []
    for row in rows:
        gold = parse_solution(row["solution"])
        env: dict[str, int] = {}
        earlier: dict[str, str] = {}
        for i, step in enumerate(gold):
            wrong = make_wrong(kind, step, dict(env), dict(earlier))
            replay_step(step, env)
            for o in step.ops[:-1]:
                earlier.pop(o.target, None)
            earlier[step.var or ""] = step.param
            if wrong is None:
                continue
            texts = [s.text for s in gold]
            texts[i] = wrong
            out.append((row, i, " ".join(swap_letters(t) for t in texts), wrong))
            break
    return out


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [
        r
        for r in generate(120, 6, 21, names="short", distractors=1)
        if len(parse_solution(r["solution"])) >= 3
    ]


@pytest.mark.parametrize("kind", STEP_KINDS)
@pytest.mark.parametrize("style", ["igsm", "back"])
def test_each_value_and_formula_kind_becomes_a_checked_retry(
    rows: list[dict], kind: str, style: str
) -> None:
    built = 0
    for row, i, model_text, wrong_gold in model_attempts(rows, kind):
        q, answer = row["problem"], row["answer"]
        v = check_igsm(q, model_text, answer)
        assert not v.ok and v.first_wrong == i, (v, model_text)
        assert mistake_kind(v.reason) == kind, v.reason
        steps = parse_solution(model_text)
        made = retry_from_mistake(q, row["solution"], answer, steps[:i], steps[i], style=style)
        assert not isinstance(made, str), made
        assert made.form == "step" and made.detail["checker_kind"] == kind
        c = made.completion
        marker = "BACK." if style == "igsm" else "[BACK]"
        assert c[made.attempt_start : made.attempt_end] == made.wrong_text
        assert c[made.marker_start : made.marker_end] == marker
        # renamed into the gold letters: exactly the hand-made wrong step (no intermediates)
        if not parse_step(wrong_gold).intermediates:
            assert made.wrong_text == wrong_gold
        # the right step for the same parameter comes right after the retraction
        after = c[made.marker_end + 1 :]
        assert after.startswith(f"Define {steps[i].param} as ")
        # the clean text (attempt and marker cut by their spans) passes the strict checker
        clean = c[: made.attempt_start] + c[made.marker_end + 1 :]
        assert check(q, clean.strip(), answer).ok
        assert strip_retractions(c) == clean.strip()
        if style == "igsm":  # the sample passes with the retraction allowed, and only so
            assert check(q, c, answer, allow_back=True).ok
            assert not check(q, c, answer).ok
        # the wrong step without its retraction still fails, where it was written
        plain = c[: made.attempt_end] + c[made.marker_end :]
        res = check(q, plain, answer, allow_back=True)
        assert not res.ok and mistake_kind(res.reason) == kind, res.reason
        assert res.reason.startswith(f"step {made.at + 1} ")
        built += 1
    assert built >= 3, f"only {built} {kind} mistakes built"


def test_checker_reads_a_retracted_step_and_stays_strict(rows: list[dict]) -> None:
    row = rows[0]
    gold = parse_solution(row["solution"])
    q, answer = row["problem"], row["answer"]
    first = gold[0]
    wrong = make_wrong("formula", first, {}, {}) or make_wrong("arithmetic", first, {}, {})
    assert wrong is not None
    step = parse_step(wrong + " BACK.")
    assert step.back and step.var == first.var and step.param == first.param
    rest = [s.text for s in gold]
    retried = " ".join([wrong + " BACK.", *rest])
    assert check(q, retried, answer, allow_back=True).ok
    assert "BACK step in a clean solution" in check(q, retried, answer).reason
    # without its right step the retracted attempt defines nothing: a later read fails
    skipped = " ".join([wrong + " BACK.", *rest[1:]])
    assert not check(q, skipped, answer, allow_back=True).ok
    # a retraction cannot itself be retracted, and a retracted attempt must parse
    with pytest.raises(IgsmParseError):
        parse_step(f"Define {first.param} as BACK. BACK.")
    with pytest.raises(IgsmParseError):
        parse_step(f"Define {first.param} as x; so x = 3 +. BACK.")
    assert count_retractions(retried) == 1 and strip_retractions(retried) == " ".join(rest)
    # back style: the whole attempt before the marker goes, not just its last words
    back = " ".join([rest[0], wrong, "[BACK]", *rest[1:]]) if len(rest) > 1 else None
    if back:
        assert strip_retractions(back) == " ".join(rest)


def _fake_model(monkeypatch: pytest.MonkeyPatch, rows: list[dict], gens: list[str]) -> None:
    """harvest's model loader and decoder (imported by name there) replaced: it "writes" gens."""
    from errsynth.train import harvest as harvest_module
    from errsynth.train.tokenizer import WordTokenizer

    tok = WordTokenizer.build([r["problem"] + " " + g for r, g in zip(rows, gens, strict=True)])
    monkeypatch.setattr(harvest_module, "load_run", lambda run, device: (None, tok, {}))

    def decode(model: object, prompts: list, *args: object, **kw: object) -> list[list[int]]:
        return [tok.encode(" " + g) for g in gens]

    monkeypatch.setattr(harvest_module, "greedy_decode", decode)


@pytest.mark.parametrize("style", ["igsm", "back"])
def test_harvest_emits_every_kind_with_stats_and_meta(
    rows: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    from errsynth.schema import SAMPLE_SCHEMA
    from errsynth.train.harvest import harvest

    picked: list[tuple[dict, str, str]] = []
    for kind in STEP_KINDS:
        for row, _, model_text, _ in model_attempts(rows, kind)[:2]:
            picked.append((row, model_text, kind))
    # and a choice mistake: the second step first (not computable yet)
    for row in rows:
        gold = parse_solution(row["solution"])
        premature = " ".join(s.text for s in gold[1:])
        if mistake_kind(check_igsm(row["problem"], premature, row["answer"]).reason) == "premature":
            picked.append((row, premature, "premature"))
            break
    probs = [r for r, _, _ in picked]
    pq.write_table(pa.Table.from_pylist(probs), tmp_path / "p.parquet")
    _fake_model(monkeypatch, probs, [g for _, g, _ in picked])
    stats = harvest("runs/tiny", tmp_path / "p.parquet", tmp_path / "h.parquet", style=style)
    want = Counter(k for _, _, k in picked)
    for kind, n in want.items():
        assert stats[f"first_wrong:{kind}"] == n
        assert stats[f"emitted:{kind}"] == n, stats
    assert stats["emitted"] == len(picked)
    assert stats["emitted_form:step"] == len(picked) - want["premature"]
    assert stats["emitted_form:head"] == want["premature"]
    out = pq.read_table(tmp_path / "h.parquet")
    assert out.schema.equals(SAMPLE_SCHEMA) and out.num_rows == len(picked)
    saved = json.loads((tmp_path / "h.stats.json").read_text())
    assert saved["emitted:formula"] == want["formula"]
    seen = Counter()
    for r in out.to_pylist():
        meta = json.loads(r["meta"])
        assert meta["located_by"] == "igsm_checker" and meta["run"] == "runs/tiny"
        assert meta["temperature"] == 0.0 and meta["sample"] == 0
        assert r["style"] == style and r["text"] == r["prompt"] + r["completion"]
        seen[meta["mistake"]] += 1
        e = r["errors"][0]
        assert r["text"][e["start"] : e["end"]] == e["wrong_text"]
        marker = "BACK." if style == "igsm" else "[BACK]"
        assert r["text"][e["marker_start"] : e["marker_end"]] == marker
        clean = strip_attempts(r)[len(r["prompt"]) :]
        assert check(r["question"], clean, r["answer"]).ok  # the gold answer, strictly
        if style == "igsm":
            assert check(r["question"], r["completion"], r["answer"], allow_back=True).ok
        detail = json.loads(e["detail"])
        assert detail["mistake"] == meta["mistake"] and detail["model_step"]
    assert seen == want


def test_harvest_from_a_trained_run_keeps_working(rows: list[dict], tmp_path: Path) -> None:
    """A real (tiny) trained run, real decoding: the counts add up, every sample checks."""
    pytest.importorskip("torch")
    from errsynth.train.config import ModelConfig, TrainConfig
    from errsynth.train.harvest import harvest
    from errsynth.train.loop import train

    pq.write_table(pa.Table.from_pylist(rows[:40]), tmp_path / "g.parquet")
    cfg = TrainConfig(
        model=ModelConfig(block_size=128, n_layer=1, n_head=2, n_embd=32), max_steps=30,
        batch_size=8, warmup_steps=2, loss_on="completion", threads=1,
    )  # fmt: skip
    train(cfg, [tmp_path / "g.parquet"], tmp_path / "run")
    stats = harvest(
        tmp_path / "run", tmp_path / "g.parquet", tmp_path / "h.parquet",
        n_samples=2, temperature=1.0, limit=12, max_new_tokens=60,
    )  # fmt: skip
    assert stats["problems"] == 12 and stats["generations"] == 24
    located = sum(v for k, v in stats.items() if k.startswith("first_wrong:"))
    ends = ("correct", "unparsable", "incomplete")
    assert sum(stats.get(k, 0) for k in ends) + located == 24
    skipped = sum(v for k, v in stats.items() if k.startswith("skipped:"))
    assert stats.get("emitted", 0) + skipped + stats.get("duplicate", 0) == located
    for r in pq.read_table(tmp_path / "h.parquet").to_pylist():
        assert check(r["question"], r["completion"], r["answer"], allow_back=True).ok


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    kind=st.sampled_from(STEP_KINDS),
    style=st.sampled_from(["igsm", "back"]),
)
def test_any_built_sample_checks_or_says_why_not(seed: int, kind: str, style: str) -> None:
    """Whatever the problem and the mistake: a reason, or a sample that passes every check."""
    rows = list(generate(4, 6, seed, names="short", distractors=1))
    for row, i, model_text, _ in model_attempts(rows, kind):
        steps = parse_solution(model_text)
        v = check_igsm(row["problem"], model_text, row["answer"])
        assert v.first_wrong == i
        made = retry_from_mistake(
            row["problem"], row["solution"], row["answer"], steps[:i], steps[i], style=style
        )
        if isinstance(made, str):
            assert made  # a named reason
            continue
        c = made.completion
        clean = (c[: made.attempt_start] + c[made.marker_end + 1 :]).strip()
        assert check(row["problem"], clean, row["answer"]).ok
        plain = c[: made.attempt_end] + c[made.marker_end :]
        assert not check(row["problem"], plain, row["answer"], allow_back=True).ok


def test_a_model_that_orders_steps_its_own_way_is_followed(rows: list[dict]) -> None:
    """The model computes two independent steps the other way round, then errs: the sample
    follows the model's order (the gold steps reordered), and is checked like any other."""
    built = 0
    for row in rows:
        gold = parse_solution(row["solution"])
        env: dict[str, int] = {}
        earlier: dict[str, str] = {}
        for i in range(len(gold) - 1):
            a, b = gold[i], gold[i + 1]
            wrong = make_wrong("formula", a, dict(env), dict(earlier))
            replay_step(a, env)
            for o in a.ops[:-1]:
                earlier.pop(o.target, None)
            earlier[a.var or ""] = a.param
            if wrong is None or a.var in b.uses:
                continue
            texts = [s.text for s in gold]
            model = [*texts[:i], texts[i + 1], wrong, *texts[i + 2 :]]
            model_text = " ".join(swap_letters(t) for t in model)
            v = check_igsm(row["problem"], model_text, row["answer"])
            if v.first_wrong != i + 1 or mistake_kind(v.reason) != "formula":
                continue  # b reads a letter a rebinds: not a valid other order
            steps = parse_solution(model_text)
            made = retry_from_mistake(
                row["problem"], row["solution"], row["answer"], steps[: i + 1], steps[i + 1]
            )
            assert not isinstance(made, str), made  # before: "redefined", nothing emitted
            assert made.at == i + 1 and made.detail["at_model_position"]
            assert made.detail["reordered_gold"]
            c = made.completion
            clean = (c[: made.attempt_start] + c[made.marker_end + 1 :]).strip()
            assert clean == " ".join([*texts[:i], texts[i + 1], texts[i], *texts[i + 2 :]])
            assert check(row["problem"], clean, row["answer"]).ok
            assert check(row["problem"], c, row["answer"], allow_back=True).ok
            built += 1
            break
    assert built >= 3


def test_mistake_log_reads_a_retracted_attempt_as_one_retraction_step() -> None:
    from errsynth.train.mistake_log import step_spans

    c = "Define A1's B2 as x; so x = 3. Define A1's B3 as y; so y = x + 1 = 3 + 1 = 5. BACK. Define A1's B3 as y; so y = x + 1 = 3 + 1 = 4."  # fmt: skip
    spans = step_spans(c)
    assert [c[a:b].strip() for a, b, _ in spans] == [
        "Define A1's B2 as x; so x = 3.",
        "Define A1's B3 as y; so y = x + 1 = 3 + 1 = 5. BACK.",
        "Define A1's B3 as y; so y = x + 1 = 3 + 1 = 4.",
    ]
    assert [r for *_, r in spans] == [False, True, False]
