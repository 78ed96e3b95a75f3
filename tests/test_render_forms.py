"""Output forms: chat shapes kept (messages, sharegpt, trl), PRM labels, annotations,
notice punctuation; real corpora converted to chat round-trip exactly."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.cli import main
from errsynth.ingest.run import ingest
from errsynth.render import StyleConfig, render
from errsynth.render.annotations import glue_for, strip_text
from errsynth.render.config import step_separator
from errsynth.render.forms import (
    finish_sample,
    prm_columns,
    strip_message_attempts,
    style_output_for,
)
from errsynth.schema import SAMPLE_SCHEMA
from errsynth.steps.augment import AugmentSpec, augment_table
from errsynth.transforms import make_transform
from errsynth.transforms.protected import protected_positions
from errsynth.types.candidates import Candidate
from tests.test_render_properties import candidates, step_text

CHAT = Path(__file__).parent / "data" / "chat"


def _augment(tmp_path: Path, source: Path, form: str, style: str = "back", **kw) -> list[dict]:
    ingest([source], tmp_path / "ing")
    spec = AugmentSpec(
        transforms=[make_transform(t) for t in kw.pop("transforms", ("reorder", "arith"))],
        style=StyleConfig(name=style, output=style_output_for(form)),
        include_clean=kw.pop("include_clean", True),
        form=form,
        annotations=kw.pop("annotations", "auto"),
        prm_prompt=kw.pop("prm_prompt", "question"),
    )
    augment_table(tmp_path / "ing" / "solutions.parquet", tmp_path / "aug", spec, **kw)
    table = pq.read_table(tmp_path / "aug" / "samples.parquet")
    assert table.schema.equals(SAMPLE_SCHEMA)
    return table.to_pylist()


def _text(content: object) -> str:
    if isinstance(content, list):
        return "".join(p["text"] for p in content)
    return content or ""


def test_messages_form_keeps_conversation_and_thinking(tmp_path: Path) -> None:
    samples = _augment(tmp_path, CHAT / "messages.jsonl", "messages", style="natural")
    originals = {}
    for line in (CHAT / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        msgs = json.loads(line)["messages"]
        if isinstance(msgs, list) and all(isinstance(m, dict) for m in msgs):
            users = [m for m in msgs if m.get("role") == "user"]
            if users and msgs[-1].get("role") == "assistant":
                originals[_text(users[-1]["content"])] = msgs[-1]
    with_errors = 0
    for s in samples:
        reply = s["messages"][-1]
        assert reply["role"] == "assistant"
        original = dict(originals[s["question"]])
        original["content"] = _text(original["content"])
        errs = s["message_errors"]
        for e in errs:
            field = reply[e["field"]]
            assert field[e["marker_start"] : e["marker_end"]].strip()
        content_errs = [e for e in errs if e["field"] == "content"]
        reasoning_errs = [e for e in errs if e["field"] == "reasoning_content"]
        assert strip_message_attempts(reply["content"], content_errs) == original["content"]
        if original.get("reasoning_content"):
            assert (
                strip_message_attempts(reply["reasoning_content"], reasoning_errs)
                == original["reasoning_content"]
            )
        if "<think>" in original["content"] and content_errs:
            close = reply["content"].find("</think>")
            assert all(e["insert_end"] <= close or close < 0 for e in content_errs)
        with_errors += bool(errs)
    assert with_errors >= 3
    system = next(s for s in samples if s["messages"][0]["role"] == "system")
    assert system["messages"][0]["content"].startswith("You are a helpful assistant.")
    tool = next(s for s in samples if any(m["tool_calls"] for m in s["messages"]))
    assert [m["role"] for m in tool["messages"]] == ["user", "assistant", "tool", "assistant"]


def test_thinking_rows_get_attempts_inside_the_thinking() -> None:
    row = {
        "steps": ["a", "b", "c", "d"],
        "self_corrections": [],
        "meta": json.dumps({"chat": {"n_reasoning_steps": 2}}),
    }
    assert protected_positions(row) == {2, 3}
    row = {"steps": ["a", "Wait, no.", "c", "d"], "self_corrections": [1], "meta": "{}"}
    assert protected_positions(row) == {1, 2}


def test_transforms_avoid_self_corrections(tmp_path: Path) -> None:
    rows = []
    for k in range(30):
        rows.append(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": f"Tom has {k + 3} apples and buys 4 more. How many?",
                    },
                    {
                        "role": "assistant",
                        "content": f"He starts with {k + 3} apples.\n{k + 3} + 4 = {k + 8}.\n"
                        f"Wait, that is wrong: {k + 3} + 4 = {k + 7}.\n"
                        f"So he has {k + 3} + 4 = {k + 7} apples.\nHe eats none.\n"
                        f"Therefore, Tom has {k + 7} apples.",
                    },
                ]
            }
        )
    path = tmp_path / "sc.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    samples = _augment(
        tmp_path, path, "text", transforms=("reorder", "arith", "distractor"), include_clean=False
    )
    assert samples
    for s in samples:
        for e in s["errors"]:
            assert e["step"] not in (2, 3), (s["kind"], e)
            assert not e["wrong_text"].startswith("Wait")


def test_sharegpt_and_trl_forms(tmp_path: Path) -> None:
    share = _augment(tmp_path / "s", CHAT / "sharegpt.jsonl", "sharegpt")
    vince = next(s for s in share if "Vince" in s["question"])
    assert [t["from"] for t in vince["conversations"]] == ["system", "human", "gpt"]
    assert vince["messages"] is None
    trl = _augment(tmp_path / "t", CHAT / "trl.jsonl", "trl")
    first = trl[0]
    assert [m["role"] for m in first["prompt_messages"]] == ["system", "user"]
    assert first["completion_messages"][0]["role"] == "assistant"
    assert first["prompt"] and first["text"]  # the style's columns stay


def test_prm_form(tmp_path: Path) -> None:
    samples = _augment(tmp_path, CHAT / "messages.jsonl", "prm", transforms=("reorder",))
    for s in samples:
        assert len(s["completions"]) == len(s["labels"]) > 0
        if s["kind"] == "clean":
            assert all(s["labels"])
        else:
            assert s["labels"][-1] is False and all(s["labels"][:-1])
            assert s["completions"][-1] == s["errors"][0]["wrong_text"]


def test_prm_prompt_is_the_problem_as_asked(tmp_path: Path) -> None:
    """TRL's stepwise supervision wants the problem statement as `prompt`, not the style's
    template ("Question: ...\nAnswer: "); a chat's problem is its last user turn."""
    samples = _augment(tmp_path / "q", CHAT / "messages.jsonl", "prm", transforms=("reorder",))
    assert samples
    for s in samples:
        assert s["prompt"] == s["question"]
        assert not s["prompt"].startswith("Question: ")
    follow_up = next(s for s in samples if s["question"].startswith("Now add 7"))
    assert follow_up["prompt"] == "Now add 7 to that and tell me the result."
    styled = _augment(
        tmp_path / "s",
        CHAT / "messages.jsonl",
        "prm",
        transforms=("reorder",),
        prm_prompt="style",
    )
    assert styled and all(s["prompt"] == f"Question: {s['question']}\nAnswer: " for s in styled)
    assert all(s["text"] == s["prompt"] + s["completion"] for s in styled)


@pytest.mark.corpora
def test_prm_on_gsm8k_prompt_and_labels(tmp_path: Path) -> None:
    lines = corpus("gsm8k/train.jsonl").read_text().splitlines()[:150]
    head = tmp_path / "gsm.jsonl"
    head.write_text("\n".join(lines) + "\n")
    questions = {json.loads(line)["question"] for line in lines}
    samples = _augment(tmp_path, head, "prm", transforms=("reorder", "arith"), limit=150)
    wrong = 0
    for s in samples:
        assert s["prompt"] in questions and s["prompt"] == s["question"]
        assert len(s["completions"]) == len(s["labels"]) > 0
        assert all("<<" not in c for c in s["completions"]) or s["style"] == "back"
        if s["kind"] != "clean":
            wrong += 1
            assert s["labels"][-1] is False and all(s["labels"][:-1])
    assert wrong >= 50


def test_prm_from_corpus_labels() -> None:
    steps = ["a = 1", "b = 2", "c = 4", "d = 5"]
    pb = {"steps": steps, "meta": json.dumps({"first_error_step": 2})}
    assert prm_columns(pb, None, False) == {
        "completions": steps[:3],
        "labels": [True, True, False],
    }
    ok = {"steps": steps, "meta": json.dumps({"first_error_step": -1})}
    assert prm_columns(ok, None, False)["labels"] == [True] * 4
    prm800k = {"steps": steps, "meta": json.dumps({"ratings": [1, 0, -1, 1]})}
    assert prm_columns(prm800k, None, False) == {
        "completions": steps[:3],
        "labels": [True, True, False],
    }


def test_natural_notice_after_a_step_without_period() -> None:
    assert (
        glue_for("…3 bolts of fabric", "Not yet: that depends on a later value.", "natural") == ". "
    )
    assert glue_for("3 bolts of fabric.", "Wait, no.", "natural") == " "
    assert glue_for("Define X as", "BACK.", "igsm") == " "
    assert glue_for("x = 3", "[BACK]", "back") == " "


def test_annotations_stripped_for_natural_and_kept_for_back(tmp_path: Path) -> None:
    gsm = corpus("gsm8k/train.jsonl")
    head = tmp_path / "gsm.jsonl"
    head.write_text("\n".join(gsm.read_text().splitlines()[:40]) + "\n")
    natural = _augment(tmp_path / "n", head, "text", style="natural", limit=40)
    assert natural and all("<<" not in s["text"] for s in natural)
    for s in natural:
        for e in s["errors"]:
            assert s["text"][e["start"] : e["end"]] == e["wrong_text"]
            marker = s["text"][e["marker_start"] : e["marker_end"]]
            assert marker[:1].isupper()
            glue = s["text"][e["attempt_end"] : e["marker_start"]]
            ends = s["text"][e["attempt_end"] - 1] in ".!?:;"
            assert glue == (" " if ends else ". ")  # never "…fabric Wait"
    back = _augment(tmp_path / "b", head, "text", style="back", limit=40)
    assert any("<<" in s["text"] for s in back)
    kept = _augment(tmp_path / "k", head, "text", style="natural", annotations="keep", limit=40)
    assert any("<<" in s["text"] for s in kept)


def _chat_records(kind: str, limit: int) -> list[dict]:
    if kind == "gsm8k":
        lines = corpus("gsm8k/train.jsonl").read_text().splitlines()
        pairs = [(r["question"], r["answer"]) for r in map(json.loads, lines)]
    elif kind == "math":
        lines = corpus("math/math_test_4500.jsonl").read_text().splitlines()
        pairs = [(r["problem"], r["solution"]) for r in map(json.loads, lines)]
    else:
        lines = corpus("metamath/GSM8K_Backward.jsonl").read_text().splitlines()
        pairs = [
            (r["question"], r.get("inv_question_pred_answer") or r["output"])
            for r in map(json.loads, lines)
        ]
    random.Random(0).shuffle(pairs)
    return [
        {
            "messages": [
                {"role": "system", "content": "Solve the problem."},
                {"role": "user", "content": q},
                {"role": "assistant", "content": a},
            ]
        }
        for q, a in pairs[:limit]
    ]


@pytest.mark.corpora
@pytest.mark.parametrize("kind", ["gsm8k", "math", "metamath"])
def test_real_corpora_in_chat_form_round_trip(tmp_path: Path, kind: str) -> None:
    records = _chat_records(kind, 300)
    path = tmp_path / f"{kind}_chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    originals = {r["messages"][1]["content"]: r["messages"][2]["content"] for r in records}
    samples = _augment(tmp_path, path, "messages", transforms=("reorder", "arith"))
    with_errors = 0
    for s in samples:
        reply = s["messages"][-1]
        restored = strip_message_attempts(reply["content"], s["message_errors"])
        assert restored == originals[s["messages"][1]["content"]]
        with_errors += bool(s["message_errors"])
    assert with_errors >= 200


def test_cli_form_and_annotations(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "augment",
            str(CHAT / "sharegpt.jsonl"),
            "-o",
            str(tmp_path / "o"),
            "--form",
            "sharegpt",
            "--annotations",
            "strip",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["form"] == "sharegpt" and manifest["annotations"] == "strip"


def test_recipe_output_form(tmp_path: Path) -> None:
    from errsynth.recipe import load_recipe
    from errsynth.runner import run_recipe

    recipe = tmp_path / "chat.yaml"
    recipe.write_text(
        f"""name: chat
seed: 0
sources:
  - {{name: chat, path: {CHAT / "messages.jsonl"}}}
process:
  - augment:
      transforms: [{{reorder: {{rate: 0.3}}}}]
      style: {{name: natural}}
      include_clean: true
output:
  shard_rows: 1000
  form: messages
"""
    )
    run_recipe(load_recipe(recipe), tmp_path / "run")
    shards = sorted((tmp_path / "run" / "shards").glob("*.parquet"))
    rows = [r for p in shards for r in pq.read_table(p).to_pylist()]
    assert rows and all(r["messages"][-1]["role"] == "assistant" for r in rows)
    assert any(r["messages"][0]["role"] == "system" for r in rows)
    assert any(r["message_errors"] for r in rows)


def test_step_labelled_corpora_to_prm_columns(tmp_path: Path) -> None:
    """ProcessBench (label = first wrong step, -1 all correct) and PRM800K (ratings)."""
    got = {}
    for name in ("processbench", "prm800k"):
        res = CliRunner().invoke(
            main,
            [
                "augment",
                str(CHAT / f"{name}.jsonl"),
                "--clean-only",
                "--form",
                "prm",
                "-q",
                "-o",
                str(tmp_path / name),
            ],
        )
        assert res.exit_code == 0, res.output
        manifest = json.loads((tmp_path / name / "ingest" / "manifest.json").read_text())
        assert manifest["rows_rejected"] == 0
        got[name] = pq.read_table(tmp_path / name / "samples.parquet").to_pylist()
    pb = got["processbench"]
    assert [r["labels"] for r in pb] == [[True, True, True], [True, False], [True, True]]
    assert pb[1]["completions"] == [
        "Two pens cost 2 * 3 = 6 dollars.",
        "Adding the book, 6 + 7 = 14 dollars.",
    ]
    prm = got["prm800k"]
    assert [r["labels"] for r in prm] == [[True, True, True], [False]]
    assert prm[0]["completions"][1] == "That makes 4 divisors."  # the chosen completion


def test_inspect_filters_and_chat_turns(tmp_path: Path) -> None:
    out = tmp_path / "aug"
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "augment",
            str(CHAT / "messages.jsonl"),
            "-o",
            str(out),
            "--form",
            "messages",
            "--include-clean",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["inspect", str(out), "-n", "50", "--kind", "reorder"])
    assert res.exit_code == 0, res.output
    assert "reorder ·" in res.output and "clean ·" not in res.output
    assert "0 · system" in res.output and "assistant" in res.output
    res = runner.invoke(
        main,
        ["inspect", str(out / "ingest"), "-n", "50", "--where", "meta.answer_source=conclusion"],
    )
    assert res.exit_code == 0, res.output
    assert "Tom has 3 boxes" in res.output and "Natalia" not in res.output
    res = runner.invoke(main, ["inspect", str(out), "--where", "bogus=1"])
    assert res.exit_code == 2 and "no column" in res.output
    res = runner.invoke(main, ["inspect", str(out), "--where", "n_errors=7"])
    assert res.exit_code == 0 and "no rows" in res.output


def _conversation(s: dict, form: str) -> list[dict]:
    """The messages a chat-form sample's message_errors index."""
    if form == "messages":
        return s["messages"]
    if form == "trl":
        return [*s["prompt_messages"], *s["completion_messages"]]
    return [{"value": t["value"], "content": t["value"]} for t in s["conversations"]]


def _check_record_chat(s: dict, form: str, original: dict, system: str | None) -> None:
    """A lema/cac sample in a chat form: spans exact, the retraction in a later turn than
    its attempt, the conversation's system prompt kept, the original reply at the end."""
    messages = _conversation(s, form)
    assert len(s["message_errors"]) == s["n_errors"] == len(s["errors"]) > 0
    for me, e in zip(s["message_errors"], s["errors"], strict=True):
        field = messages[me["message"]][me["field"]]
        assert field[me["start"] : me["end"]] == e["wrong_text"]
        assert (
            field[me["attempt_start"] : me["attempt_end"]]
            == (s["text"][e["attempt_start"] : e["attempt_end"]])
        )
        marker = messages[me["marker_message"]][me["marker_field"]]
        retraction = marker[me["marker_start"] : me["marker_end"]]
        assert retraction == s["text"][e["marker_start"] : e["marker_end"]]
        assert me["marker_message"] > me["message"]
        if s["style"] == "lema":
            assert retraction.startswith("Incorrect step: ")
            if form != "sharegpt":
                assert messages[me["message"]]["role"] == "user"
                assert messages[me["marker_message"]]["role"] == "assistant"
        elif form != "sharegpt":
            assert messages[me["message"]]["role"] == "assistant"
    reply = strip_text(original["content"])
    if form == "sharegpt":
        assert messages[-1]["content"].endswith(reply)
    else:
        assert messages[-1]["role"] == "assistant"
        assert messages[-1]["content"].endswith(reply)
        thinking = original.get("reasoning_content")
        assert messages[-1]["reasoning_content"] == (thinking and strip_text(thinking))
    if system is not None:
        assert messages[0]["content"] == system


def _originals_by_question(path: Path) -> dict[str, tuple[dict, str | None]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        msgs = json.loads(line)["messages"]
        if isinstance(msgs, list) and all(isinstance(m, dict) for m in msgs):
            users = [m for m in msgs if m.get("role") == "user"]
            if users and msgs[-1].get("role") == "assistant":
                reply = {**msgs[-1], "content": _text(msgs[-1]["content"])}
                system = msgs[0]["content"] if msgs[0].get("role") == "system" else None
                out[_text(users[-1]["content"])] = (reply, system)
    return out


@pytest.mark.parametrize("form", ["messages", "sharegpt", "trl"])
@pytest.mark.parametrize("style", ["lema", "cac"])
def test_record_styles_in_chat_forms(tmp_path: Path, style: str, form: str) -> None:
    originals = _originals_by_question(CHAT / "messages.jsonl")
    samples = _augment(tmp_path, CHAT / "messages.jsonl", form, style=style)
    made = [s for s in samples if s["kind"] != "clean"]
    assert len(made) >= 3
    for s in made:
        original, system = originals[s["question"]]
        _check_record_chat(s, form, original, system)
    if form == "trl":
        for s in made:  # trl's completion is the final answer, the rest its prompt
            assert len(s["completion_messages"]) == 1
            assert s["prompt_messages"][-1]["role"] == "user"
    for s in samples:
        if s["kind"] == "clean":  # a clean row is the conversation as it came
            original, _ = originals[s["question"]]
            msgs = _conversation(s, form)
            assert msgs[-1]["content"].endswith(strip_text(original["content"]))
            assert s["message_errors"] == []


def test_cac_rounds_in_messages_form(tmp_path: Path) -> None:
    rows = []
    for k in range(12):
        a, b, c = k + 3, k + 5, k + 2
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": "Show your work."},
                    {"role": "user", "content": f"Ann has {a} pens, gets {b}, then {c}. Total?"},
                    {
                        "role": "assistant",
                        "content": f"First {a} + {b} = {a + b}.\nThen {a + b} + {c} = "
                        f"{a + b + c}.\nSo {a + b + c} - 0 = {a + b + c}.\n"
                        f"The answer is {a + b + c}.",
                    },
                ]
            }
        )
    path = tmp_path / "pens.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ingest([path], tmp_path / "ing")
    spec = AugmentSpec(
        transforms=[make_transform("arith", rate=0.9, min_errors=2)],
        style=StyleConfig(name="cac", output="messages", rounds=3),
        form="messages",
    )
    augment_table(tmp_path / "ing" / "solutions.parquet", tmp_path / "aug", spec)
    samples = pq.read_table(tmp_path / "aug" / "samples.parquet").to_pylist()
    originals = _originals_by_question(path)
    multi = [s for s in samples if s["n_errors"] >= 2]
    assert multi
    for s in samples:
        original, system = originals[s["question"]]
        _check_record_chat(s, "messages", original, system)
        roles = [m["role"] for m in s["messages"]]
        assert roles == ["system", "user"] + ["assistant", "user"] * s["n_errors"] + ["assistant"]
        # the n-th critique stands in the turn after the n-th wrong answer
        for n, me in enumerate(s["message_errors"]):
            assert (me["message"], me["marker_message"]) == (2 + 2 * n, 4 + 2 * n)


@pytest.mark.corpora
@pytest.mark.parametrize("style", ["lema", "cac"])
def test_record_styles_on_gsm8k_in_chat_form(tmp_path: Path, style: str) -> None:
    records = _chat_records("gsm8k", 200)
    path = tmp_path / "gsm8k_chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    originals = _originals_by_question(path)
    samples = _augment(tmp_path, path, "messages", style=style, transforms=("reorder", "arith"))
    made = [s for s in samples if s["kind"] != "clean"]
    assert len(made) >= 120
    for s in made:
        original, system = originals[s["question"]]
        _check_record_chat(s, "messages", original, system)
        assert "<<" not in s["messages"][-1]["content"]  # auto strips in lema and cac


def test_cli_record_style_in_chat_form(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "augment",
            str(CHAT / "trl.jsonl"),
            "-o",
            str(tmp_path / "o"),
            "--style",
            "lema",
            "--form",
            "messages",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = pq.read_table(tmp_path / "o" / "samples.parquet").to_pylist()
    assert any(r["message_errors"] for r in rows)
    res = CliRunner().invoke(main, ["inspect", str(tmp_path / "o"), "-n", "3"])
    assert res.exit_code == 0 and "Incorrect step" in res.output


_REPLY = st.text(alphabet=st.sampled_from(list("ab 12.=\n$\\[]<>think/")), max_size=120)


@settings(max_examples=200, deadline=None)
@given(content=_REPLY, data=st.data())
def test_chat_insertions_strip_back_to_the_reply(content: str, data: st.DataObject) -> None:
    from errsynth.ingest.segment import segment
    from errsynth.render.forms import chat_columns

    spans = segment(content)
    if not spans:
        return
    steps = [content[a:b] for a, b in spans]
    chat = {
        "form": "messages",
        "context": [{"role": "user", "content": "q"}],
        "roles": None,
        "content": content,
        "reasoning": None,
        "steps": [["content", a, b] for a, b in spans],
        "n_reasoning_steps": 0,
    }
    text, errors = "", []
    for at in sorted(data.draw(st.lists(st.integers(0, len(steps) - 1), max_size=4))):
        attempt = data.draw(st.text(alphabet="xyz. ", min_size=1, max_size=8))
        marker = data.draw(st.sampled_from(["[BACK]", "Wait, no."]))
        a0 = len(text)
        text += attempt + " " + marker + "|"
        errors.append(
            {
                "step": at,
                "start": a0,
                "end": a0 + len(attempt),
                "attempt_start": a0,
                "attempt_end": a0 + len(attempt),
                "marker_start": a0 + len(attempt) + 1,
                "marker_end": a0 + len(attempt) + 1 + len(marker),
            }
        )
    row = {"steps": steps, "question": "q", "meta": json.dumps({"chat": chat})}
    out = chat_columns(row, {"text": text, "errors": errors}, "messages", strip=False)
    reply = out["messages"][-1]["content"]
    assert strip_message_attempts(reply, out["message_errors"]) == content
    for e in out["message_errors"]:
        assert reply[e["marker_start"] : e["marker_end"]] in ("[BACK]", "Wait, no.")
        assert content[spans[e["step"]][0] : spans[e["step"]][1]] in reply[e["insert_end"] :]


def test_sample_schema_file_matches_code() -> None:
    from errsynth.schema import dump_json_schema, sample_json_schema

    path = Path(__file__).resolve().parents[1] / "schemas" / "sample.schema.json"
    assert path.read_text() == dump_json_schema(sample_json_schema()), (
        "schemas/sample.schema.json is stale: run `errsynth schema sample > schemas/sample.schema.json`"
    )


def test_notice_glue_reads_the_whole_written_attempt() -> None:
    """Found by the layout property test: an attempt whose last step is blank after a
    full stop got '. ' in the render and ' ' in the round-trip check."""
    from errsynth.render import render, render_clean, round_trip_ok
    from errsynth.types.candidates import Candidate, WrongAttempt

    attempt = WrongAttempt(
        at=0, kind="reorder", steps=(".", ""), finding="why", detail={"premature": False}
    )
    row = {"id": "r", "format": "gsm8k", "question": "Q?", "steps": [""]}
    cand = Candidate(row=row, transform="t", attempts=(attempt,))
    style = StyleConfig(name="natural")
    got = render(cand, style, random.Random(0))
    assert round_trip_ok(cand, got, style, render_clean(row, style)) == (True, "")


_CONTEXTS = st.sampled_from(
    [
        [],
        [{"role": "system", "content": "Be exact. <<2*3=6>>"}],
        [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
        ],
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    cand=candidates(),
    style_name=st.sampled_from(["lema", "cac"]),
    form=st.sampled_from(["messages", "sharegpt", "trl"]),
    rounds=st.integers(1, 4),
    before=_CONTEXTS,
    thinking=st.one_of(st.none(), step_text),
    annotations=st.sampled_from(["keep", "strip"]),
    seed=st.integers(0, 2**32),
)
def test_record_chat_spans_exact_for_any_steps(
    cand, style_name, form, rounds, before, thinking, annotations, seed
) -> None:
    """Any steps (the layouts' own words included), any context and thinking: every span
    of a lema/cac chat is exact and the conversation ends with the original reply."""
    if not cand.attempts:
        return
    reply = step_separator(cand.row).join(cand.row["steps"]) + " <<1+1=2>>2"
    chat = {
        "form": "messages",
        "context": [*before, {"role": "user", "content": cand.row["question"]}],
        "roles": None,
        "content": reply,
        "reasoning": thinking,
        "steps": [],
        "n_reasoning_steps": 0,
    }
    row = {**cand.row, "meta": json.dumps({"chat": chat})}
    cand = Candidate(row=row, transform=cand.transform, attempts=cand.attempts)
    style = StyleConfig(name=style_name, output=style_output_for(form), rounds=rounds)
    sample = render(cand, style, random.Random(seed)).columns()
    s = finish_sample(sample, row, cand, form, annotations)
    strip = annotations == "strip"
    messages = _conversation(s, form)
    for me, e in zip(s["message_errors"], s["errors"], strict=True):
        field = messages[me["message"]][me["field"]]
        assert field[me["start"] : me["end"]] == e["wrong_text"]
        assert (
            field[me["attempt_start"] : me["attempt_end"]]
            == (s["text"][e["attempt_start"] : e["attempt_end"]])
        )
        marker = messages[me["marker_message"]][me["marker_field"]]
        assert (
            marker[me["marker_start"] : me["marker_end"]]
            == (s["text"][e["marker_start"] : e["marker_end"]])
        )
        assert me["message"] < me["marker_message"]
    want = strip_text(reply) if strip else reply
    assert messages[-1]["content"].endswith(want)
    if form != "sharegpt":
        want_thinking = strip_text(thinking) if strip and thinking else thinking
        assert messages[-1]["reasoning_content"] == want_thinking
        assert messages[: len(before)] == [
            {
                **m,
                "content": strip_text(m["content"]) if strip else m["content"],
                "reasoning_content": None,
                "tool_calls": None,
                "tool_call_id": None,
                "name": None,
            }
            for m in before
        ]
