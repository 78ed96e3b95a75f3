"""Chat-shaped ingest (messages, ShareGPT, prompt/response, TRL) on fixtures written from
each format's documentation, odd records included; segmentation and self-corrections."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from errsynth.ingest.reasoning import split_reply
from errsynth.ingest.run import ingest
from errsynth.ingest.segment import segment, self_correction_steps
from errsynth.schema import SOLUTION_SCHEMA

CHAT = Path(__file__).parent / "data" / "chat"


def _run(tmp_path: Path, name: str, fmt: str = "auto") -> tuple[list[dict], list[dict], dict]:
    out = tmp_path / name
    ingest([CHAT / name], out, fmt=fmt)
    sols = pq.read_table(out / "solutions.parquet")
    assert sols.schema.equals(SOLUTION_SCHEMA)
    rejects = pq.read_table(out / "rejects.parquet").to_pylist()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    return sols.to_pylist(), rejects, manifest


def _meta(row: dict) -> dict:
    return json.loads(row["meta"])


def test_messages_every_odd_record_is_a_reason(tmp_path: Path) -> None:
    rows, rejects, manifest = _run(tmp_path, "messages.jsonl")
    assert manifest["files"][0]["format"] == "messages"
    assert manifest["rows_in"] == 17 and manifest["rows_out"] == 8
    reasons = {r["record"]: r["reason"] for r in rejects}
    assert reasons == {
        3: "empty_assistant_turn",
        4: "no_assistant_turn",
        8: "mistyped_field",
        9: "mistyped_field",
        10: "unknown_role",
        11: "unanswered_turn",
        12: "empty_assistant_turn",
        13: "no_final_answer",
        14: "mistyped_field",
    }
    by_q = {r["question"][:12]: r for r in rows}
    think = by_q["Natalia sold"]
    chat = _meta(think)["chat"]
    assert chat["context"][0] == {
        "role": "system",
        "content": "You are a helpful assistant. Put the final answer in \\boxed{}.",
    }
    assert chat["n_reasoning_steps"] == 3 and chat["think_closed"] is True
    assert think["steps"][1].startswith("Wait, let me double-check")
    assert think["self_corrections"] == [1]
    assert think["answer"] == "72" and _meta(think)["answer_source"] == "boxed"
    # every step is verbatim at its recorded place
    for step, (part, a, b) in zip(think["steps"], chat["steps"], strict=True):
        assert part == "content" and think["solution"][a:b] == step
    multi = by_q["Now add 7 to"]
    assert [t["role"] for t in _meta(multi)["chat"]["context"]] == ["user", "assistant", "user"]
    assert multi["answer"] == "55" and multi["steps"] == ["We had 48.", "48 + 7 = 55."]
    tool = by_q["A shirt cost"]
    context = _meta(tool)["chat"]["context"]
    assert [t["role"] for t in context] == ["user", "assistant", "tool"]
    assert json.loads(context[1]["tool_calls"])[0]["function"]["name"] == "calculator"
    assert context[2]["tool_call_id"] == "call_1" and context[2]["content"] == "20"
    assert tool["answer"] == "20" and _meta(tool)["answer_source"] == "bold"
    cut = by_q["Tom has 3 bo"]
    assert _meta(cut)["chat"]["think_closed"] is False and cut["answer"] == "36"
    french = by_q["Zoë a 5 pomm"]
    assert _meta(french)["chat"]["reasoning_field"] == "reasoning_content"
    assert french["solution"].startswith("Zoë avait 5 pommes.\n\nElle en achète")
    assert _meta(french)["chat"]["n_reasoning_steps"] == 2 and french["answer"] == "12"
    closing_only = by_q["A train trav"]
    assert _meta(closing_only)["chat"]["n_reasoning_steps"] == 2
    assert closing_only["answer"] == "150" and closing_only["self_corrections"] == [1]
    display = by_q["Solve $2x + "]
    assert display["steps"][0].endswith("$$x = 4.$$") and display["answer"] == "4"


def test_sharegpt(tmp_path: Path) -> None:
    rows, rejects, manifest = _run(tmp_path, "sharegpt.jsonl")
    assert manifest["files"][0]["format"] == "sharegpt"
    assert {r["record"]: r["reason"] for r in rejects} == {
        2: "empty_assistant_turn",
        4: "mistyped_field",
    }
    answers = {r["question"][:10]: (r["answer"], _meta(r)["answer_source"]) for r in rows}
    assert answers["Vince stap"] == ("2280", "conclusion")
    assert answers["So in tota"] == ("24", "conclusion")
    vince = next(r for r in rows if r["question"].startswith("Vince"))
    assert _meta(vince)["chat"]["context"][0] == {
        "role": "system",
        "content": "Answer with a number.",
    }
    assert _meta(vince)["chat"]["roles"] == ["system", "human", "gpt"]


def test_prompt_response_crlf(tmp_path: Path) -> None:
    rows, rejects, manifest = _run(tmp_path, "prompt_response_crlf.jsonl")
    assert manifest["files"][0]["format"] == "prompt_response"
    assert {r["record"]: r["reason"] for r in rejects} == {
        3: "empty_assistant_turn",
        4: "mistyped_field",
    }
    pens = rows[0]
    assert pens["answer"] == "21" and _meta(pens)["answer_source"] == "conclusion"
    assert all("\r" not in s for r in rows for s in r["steps"])
    alpaca = rows[1]
    assert alpaca["question"] == "Compute the sum.\n\n14 + 29" and alpaca["answer"] == "43"
    field = rows[3]
    assert _meta(field)["answer_source"] == "field"
    assert _meta(field)["chat"]["reasoning_field"] == "reasoning"


def test_trl_conversational(tmp_path: Path) -> None:
    rows, rejects, manifest = _run(tmp_path, "trl.jsonl")
    assert manifest["files"][0]["format"] == "trl"
    assert [r["reason"] for r in rejects] == ["no_assistant_turn", "no_assistant_turn"]
    assert rows[0]["answer"] == "42" and rows[0]["question"] == "What is 14 * 3?"
    assert _meta(rows[1])["chat"]["n_reasoning_steps"] == 1


def test_named_format_on_wrong_shape_is_a_reject(tmp_path: Path) -> None:
    out = tmp_path / "o"
    stats = ingest([CHAT / "sharegpt.jsonl"], out, fmt="messages")
    assert stats.rows_out == 0 and stats.rows_rejected == stats.rows_in == 6


@pytest.mark.parametrize(
    ("content", "think", "answer"),
    [
        ("<think>a</think>b", "a", "b"),
        ("<think>\nno end", "\nno end", ""),
        ("reasoning only closes</think>\n42", "reasoning only closes", "\n42"),
        ("<THINKING>x</THINKING>y", "x", "y"),
        ("plain", None, "plain"),
    ],
)
def test_split_reply(content: str, think: str | None, answer: str) -> None:
    parts = split_reply(content)
    got = None if parts.think is None else content[parts.think[0] : parts.think[1]]
    assert got == think
    assert content[parts.answer[0] : parts.answer[1]] == answer


def test_segment_numbered_and_display() -> None:
    text = "Step 1: Let x be the cost.\nStep 2: Then\n$$2x = 10$$\nStep 3: So x = 5.\n#### 5"
    steps = [text[a:b] for a, b in segment(text)]
    assert steps == ["Step 1: Let x be the cost.", "Step 2: Then\n$$2x = 10$$", "Step 3: So x = 5."]


def test_self_corrections() -> None:
    steps = [
        "So 3 * 4 = 12.",
        "Wait, that's not what the question asks.",
        "Let me double-check the total: 12 + 5 = 17.",
        "Actually, the answer is 17.",
        "Hmm, fine.",
        "But wait, there's more.",
        "We add 5. Wait, 5 was already counted.",
        "The waiting time is 5 minutes.",
    ]
    assert self_correction_steps(steps) == [1, 2, 3, 4, 5, 6]


_TEXT = st.text(alphabet=st.sampled_from(list("ab .,:\n$\\[]{}1234Wait#")), min_size=0, max_size=80)


@given(_TEXT)
def test_segment_spans_are_verbatim_and_ordered(text: str) -> None:
    spans = segment(text)
    last = 0
    for a, b in spans:
        assert last <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip() and text[a:b]
        last = b


def test_reply_equations_tell_money_from_latex() -> None:
    from errsynth.ingest.readers.chat import reply_equations

    steps = [
        "He pays $5 + $3 = $8.",
        r"So $\frac{1}{2} + \frac12 = 1$.",
        "Natalia sold 48/2 = <<48/2=24>>24 clips.",
    ]
    found = [(e["step"], e["kind"], e["ok"]) for e in reply_equations(steps, True)]
    assert found == [(0, "inline", True), (1, "latex", True), (2, "annotation", True)]
