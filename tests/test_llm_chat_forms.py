"""llm_paraphrase on samples already written in a chat form (messages, sharegpt, trl) or as
PRM rows: the chat columns follow the rewrite (new notices inside the original reply,
spans exact, the original reply recovered by stripping the attempts)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import corpus

from errsynth.recipe import load_recipe
from errsynth.render.annotations import strip_text
from errsynth.render.forms import strip_message_attempts
from errsynth.runner import run_recipe
from tests.llm_models import Oracle
from tests.llm_server import FakeLLM

CHAT = Path(__file__).parent / "data" / "chat"
NOTICE = "Hold on, that cannot be right yet, so I take it back."
SMOOTHING = "Let me work through this carefully. "


@pytest.fixture(autouse=True)
def _test_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERRSYNTH_TEST_KEY", "test-key-for-the-loopback-server")


def _smooth(op: str, reply: dict) -> str | None:
    """The model also smooths the prose (the prompt allows it): a sentence before the rest."""
    return SMOOTHING + reply["text"] if op == "paraphrase" else None


def _run(
    tmp_path: Path, source: Path, form: str, style: str = "natural", op: str = "llm_paraphrase"
) -> list[dict]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "run"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"""name: chat_paraphrase
seed: 0
sources:
  - {{name: chat, path: {source}}}
process:
  - augment:
      transforms: [{{reorder: {{rate: 0.5}}}}, {{arith: {{rate: 0.5}}}}]
      style: {{name: {style}}}
      include_clean: true
  - {op}:
      model: test-model
      client: {{base_url: http://127.0.0.1:9/v1, api_key_env: ERRSYNTH_TEST_KEY,
               timeout_s: 2.0, max_retries: 2, backoff_base_s: 0.01, backoff_max_s: 0.05}}
      {"kinds: [reorder, arith]" if op == "llm_paraphrase" else f"style: {{name: {style}}}"}
output:
  shard_rows: 100000
  form: {form}
"""
    )
    with FakeLLM(responder=Oracle(out, _smooth)) as server:
        sets = [f"process.1.{op}.client.base_url={server.url}"]
        manifest = run_recipe(load_recipe(recipe, sets), out)
    stage = next(s for s in manifest["stages"] if s["stage"].endswith(op))
    per = stage["per_operator"][op]
    assert per["candidates"] == per["emitted"] + per["rejected"]
    rows: list[dict] = []
    for p in sorted((out / "stages").glob(f"*-{op}/data/chunk-*.parquet")):
        rows += pq.read_table(p).to_pylist()
    return rows


def _originals(source: Path) -> dict[str, dict]:
    """The original reply of each record, by its last user turn."""
    out = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        msgs = json.loads(line).get("messages")
        if not (isinstance(msgs, list) and msgs and all(isinstance(m, dict) for m in msgs)):
            continue
        users = [m for m in msgs if m.get("role") == "user"]
        if users and msgs[-1].get("role") == "assistant":
            out[_text(users[-1]["content"])] = {**msgs[-1], "content": _text(msgs[-1]["content"])}
    return out


def _text(content: object) -> str:
    """A message's text (OpenAI content parts joined)."""
    if isinstance(content, list):
        return "".join(p["text"] for p in content)
    return content or ""


def _check_reply(reply: dict, errors: list[dict], original: dict) -> None:
    for e in errors:
        field = reply[e["field"]]
        assert field[e["marker_start"] : e["marker_end"]] == NOTICE
        assert e["attempt_start"] <= e["start"] <= e["end"] <= e["attempt_end"]
    content = [e for e in errors if e["field"] == "content"]
    thinking = [e for e in errors if e["field"] == "reasoning_content"]
    assert strip_message_attempts(reply["content"], content) == (original.get("content") or "")
    if original.get("reasoning_content"):
        assert (
            strip_message_attempts(reply["reasoning_content"], thinking)
            == original["reasoning_content"]
        )
    assert SMOOTHING not in reply["content"]  # the chat keeps the original reply's prose


@pytest.mark.parametrize("form", ["messages", "trl"])
def test_paraphrase_of_chat_form_samples_keeps_spans_exact(tmp_path: Path, form: str) -> None:
    source = CHAT / "messages.jsonl"
    originals = _originals(source)
    rows = _run(tmp_path, source, form)
    made = [r for r in rows if r["kind"] == "llm_paraphrase"]
    assert len(made) >= 3
    for r in made:
        assert r["message_errors"], r["id"]
        assert len(r["message_errors"]) == r["n_errors"]
        if form == "messages":
            reply, index = r["messages"][-1], len(r["messages"]) - 1
        else:
            reply, index = r["completion_messages"][0], len(r["prompt_messages"])
        assert all(e["message"] == index for e in r["message_errors"])
        _check_reply(reply, r["message_errors"], originals[r["question"]])
        assert r["completion"].startswith(SMOOTHING)  # the rewrite itself is in `completion`
        for e in r["errors"]:
            assert r["text"][e["marker_start"] : e["marker_end"]] == NOTICE


def test_paraphrase_of_sharegpt_and_prm_samples(tmp_path: Path) -> None:
    share = _run(tmp_path / "s", CHAT / "messages.jsonl", "sharegpt")
    made = [r for r in share if r["kind"] == "llm_paraphrase"]
    assert made
    for r in made:
        assert r["message_errors"] and r["conversations"][-1]["from"] in ("gpt", "assistant")
        assert r["conversations"][-1]["value"].count(NOTICE) == r["n_errors"]
    prm = _run(tmp_path / "p", CHAT / "messages.jsonl", "prm", style="back")
    inputs = {r["id"]: r for r in prm if r["kind"] != "llm_paraphrase"}
    made = [r for r in prm if r["kind"] == "llm_paraphrase"]
    assert made
    for r in made:
        before = inputs[json.loads(r["meta"])["input_sample"]]
        assert r["prompt"] == r["question"]
        assert (r["completions"], r["labels"]) == (before["completions"], before["labels"])
        assert r["labels"][-1] is False


@pytest.mark.corpora
def test_paraphrase_of_gsm8k_in_chat_form_round_trips(tmp_path: Path) -> None:
    lines = corpus("gsm8k/train.jsonl").read_text().splitlines()
    pairs = [(r["question"], r["answer"]) for r in map(json.loads, lines)]
    random.Random(1).shuffle(pairs)
    pairs = [(q, a) for q, a in pairs if "\n\n" not in q][:120]
    source = tmp_path / "gsm_chat.jsonl"
    source.write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "Solve the problem."},
                        {"role": "user", "content": q},
                        {"role": "assistant", "content": a},
                    ]
                }
            )
            + "\n"
            for q, a in pairs
        )
    )
    originals = _originals(source)
    rows = _run(tmp_path, source, "messages")
    made = [r for r in rows if r["kind"] == "llm_paraphrase"]
    assert len(made) >= 40
    for r in made:
        assert r["messages"][0] == {
            "role": "system",
            "content": "Solve the problem.",
            "reasoning_content": None,
            "tool_calls": None,
            "tool_call_id": None,
            "name": None,
        }
        reply = r["messages"][-1]
        errors = r["message_errors"]
        assert errors and all(e["field"] == "content" for e in errors)
        for e in errors:
            assert reply["content"][e["start"] : e["end"]] in r["text"]
        original = originals[r["question"]]
        # natural strips GSM8K's <<a=b>> annotations, in the reply too
        stripped = strip_message_attempts(reply["content"], errors)
        assert "<<" not in stripped
        assert stripped == strip_text(original["content"])
        assert reply["content"].count(NOTICE) == len(errors)


@pytest.mark.parametrize("form", ["messages", "prm"])
def test_llm_mistake_samples_written_in_the_input_form(tmp_path: Path, form: str) -> None:
    source = CHAT / "messages.jsonl"
    originals = _originals(source)
    rows = _run(tmp_path, source, form, op="llm_mistake")
    made = [r for r in rows if r["kind"] == "llm_mistake"]
    assert made
    for r in made:
        e = r["errors"][0]
        if form == "prm":
            assert r["prompt"] == r["question"]
            assert r["completions"][-1] == e["wrong_text"] and r["labels"][-1] is False
            continue
        (me,) = r["message_errors"]
        reply = r["messages"][-1]
        field = reply[me["field"]]
        assert field[me["start"] : me["end"]] == e["wrong_text"]
        assert (
            field[me["marker_start"] : me["marker_end"]]
            == (r["text"][e["marker_start"] : e["marker_end"]])
        )
        original = originals[r["question"]]
        got = strip_message_attempts(reply[me["field"]], [me])
        want = original["content"] if me["field"] == "content" else original["reasoning_content"]
        assert got == strip_text(want)
