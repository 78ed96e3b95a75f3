"""Chat-shaped records: OpenAI `messages`, ShareGPT `conversations`, prompt/response pairs,
TRL conversational prompt/completion.

Every shape becomes one list of turns ``{role, content}`` (roles ``system``, ``user``,
``assistant``, ``tool``). The last assistant turn is the solution; the turns before it
are the context, kept verbatim in ``meta.chat`` so that the sample can be written back
in the shape it came in (the reply itself is the row's `solution`, see `reasoning_chars`). The question is the last user turn of the context. The reply's
thinking (``<think>…</think>`` or a ``reasoning_content`` field) and its answer part are
both cut into steps (:mod:`errsynth.ingest.segment`); ``meta.chat.steps`` records where
each step is (``part``: ``content`` or ``reasoning``, and its span), and
``meta.chat.n_reasoning_steps`` how many of the steps are thinking.

Records that cannot give a solution are rejected with a reason: ``no_assistant_turn``,
``empty_assistant_turn``, ``no_user_turn``, ``unanswered_turn`` (the conversation ends
after the last assistant turn with a turn it does not answer), ``unknown_role``,
``mistyped_field`` (a turn that is not an object, content that is not text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.evaluate import normalize_answer
from errsynth.ingest.base import Parsed, Reader, ReaderOptions, Reject, register
from errsynth.ingest.equations import step_equations
from errsynth.ingest.final_answer import FoundAnswer, find_answer
from errsynth.ingest.readers.common import extra_meta
from errsynth.ingest.reasoning import REASONING_FIELDS, split_reply
from errsynth.ingest.segment import segment

ROLE_ALIASES: dict[str, str] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "model": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "tool": "tool",
    "function": "tool",
    "observation": "tool",
    "ipython": "tool",
    "function_call": "tool_call",
    "tool_call": "tool_call",
}
ANSWER_FIELDS = (
    "answer",
    "final_answer",
    "gold_answer",
    "ground_truth",
    "reference_answer",
    "expected_answer",
    "gold",
    "target",
)
PROMPT_FIELDS = ("prompt", "instruction", "question", "problem", "query", "input")
RESPONSE_FIELDS = ("response", "completion", "output", "generation", "model_output")
SYSTEM_FIELDS = ("system", "system_prompt")


def _content_text(value: Any, where: str) -> str:
    """A turn's content as text: a string, null (a tool-call turn), or text parts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAI content parts: [{"type": "text", "text": ...}]
        texts = []
        for k, part in enumerate(value):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise Reject("mistyped_field", f"{where} part {k} is {kind!r}, not text")
        return "".join(texts)
    raise Reject("mistyped_field", f"{where} is {type(value).__name__}, expected text")


def _turns(value: Any, field: str, role_key: str, text_key: str) -> list[dict[str, Any]]:
    """Normalized turns ``{role, content, reasoning, reasoning_field, raw_role}``."""
    if not isinstance(value, list):
        raise Reject(
            "mistyped_field", f"field {field!r} is {type(value).__name__}, expected a list"
        )
    out = []
    for k, turn in enumerate(value):
        where = f"{field}[{k}]"
        if not isinstance(turn, Mapping):
            raise Reject("mistyped_field", f"{where} is {type(turn).__name__}, expected an object")
        raw_role = turn.get(role_key, turn.get("role", turn.get("from")))
        if not isinstance(raw_role, str):
            raise Reject("missing_field", f"{where} has no {role_key!r} string")
        role = ROLE_ALIASES.get(raw_role.strip().lower())
        if role is None:
            raise Reject("unknown_role", f"{where} has role {raw_role!r}")
        content = _content_text(turn.get(text_key, turn.get("content", turn.get("value"))), where)
        reasoning, reasoning_field = None, None
        for name in REASONING_FIELDS:
            if isinstance(turn.get(name), str) and turn[name].strip():
                reasoning, reasoning_field = turn[name], name
                break
        if turn.get("tool_calls") and role == "assistant" and not content.strip():
            role = "tool_call"  # an assistant turn that only calls tools is context
        extra = {
            key: turn[key] if isinstance(turn[key], str) else json.dumps(turn[key])
            for key in ("tool_calls", "tool_call_id", "name")
            if turn.get(key) is not None
        }
        out.append(
            {
                "role": role,
                "content": content,
                "reasoning": reasoning,
                "reasoning_field": reasoning_field,
                "raw_role": raw_role,
                "extra": extra,
            }
        )
    return out


def _split(turns: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(context turns, the solution turn): the last assistant turn and what came before."""
    last = max((k for k, t in enumerate(turns) if t["role"] == "assistant"), default=None)
    if last is None:
        if any(t["role"] == "tool_call" for t in turns):
            raise Reject("empty_assistant_turn", "the assistant only calls tools; no reply text")
        raise Reject("no_assistant_turn", "the conversation has no assistant turn")
    after = [t["raw_role"] for t in turns[last + 1 :]]
    if after:
        raise Reject(
            "unanswered_turn",
            f"the conversation goes on after its last assistant turn with {after[:3]}",
        )
    solution = turns[last]
    if not solution["content"].strip() and not (solution["reasoning"] or "").strip():
        raise Reject("empty_assistant_turn", "the last assistant turn is empty")
    context = turns[:last]
    if not any(t["role"] == "user" and t["content"].strip() for t in context):
        raise Reject("no_user_turn", "no user turn with text before the assistant's reply")
    return context, solution


# LaTeX in a reply: a command or delimiter (\frac, \(, \[), or ^ _ { inside $...$. A bare
# "$" is usually money ("$5 + $3 = $8"), read as plain text, where the prose finder reads it.
_LATEX_IN_STEP = re.compile(r"\\[A-Za-z(\[]|\$[^$\n]*[\^_{][^$\n]*\$")


def _may_hold_latex(step: str) -> bool:
    """What _LATEX_IN_STEP needs: a backslash, or a "$" and one of ^ _ { (money amounts
    alone, "$5 + $3 = $8", are not scanned)."""
    return "\\" in step or ("$" in step and ("^" in step or "_" in step or "{" in step))


def reply_equations(steps: list[str], evaluate: bool) -> list[dict[str, Any]]:
    """step_equations with the syntax chosen per step: LaTeX where the step has LaTeX
    (see _LATEX_IN_STEP), else plain (annotations, then prose equations)."""
    latex = {
        i for i, step in enumerate(steps) if _may_hold_latex(step) and _LATEX_IN_STEP.search(step)
    }
    if not latex:
        return step_equations(steps, syntax="plain", evaluate=evaluate)
    out = []
    for i, step in enumerate(steps):
        syntax = "latex" if i in latex else "plain"
        for eq in step_equations([step], syntax=syntax, evaluate=evaluate):
            eq["step"] = i
            out.append(eq)
    return out


def _steps_of(text: str, a: int, b: int, part: str) -> list[tuple[str, int, int]]:
    return [(part, a + s, a + e) for s, e in segment(text[a:b])]


def _record_answer(record: Mapping[str, Any]) -> str | None:
    for name in ANSWER_FIELDS:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return None


def parse_chat(
    record: Mapping[str, Any],
    turns: list[dict[str, Any]],
    form: str,
    used: Sequence[str],
    evaluate: bool = True,
) -> Parsed:
    """A solution from normalized turns (shared by every chat shape)."""
    context, solution = _split(turns)
    question = next(t["content"] for t in reversed(context) if t["role"] == "user")
    content = solution["content"]
    reasoning = solution["reasoning"]
    parts = split_reply(content)
    located: list[tuple[str, int, int]] = []
    if reasoning is not None:
        located += _steps_of(reasoning, 0, len(reasoning), "reasoning")
    if parts.think is not None:
        located += _steps_of(content, *parts.think, "content")
    n_reasoning = len(located)
    located += _steps_of(content, *parts.answer, "content")
    texts = {"content": content, "reasoning": reasoning or ""}
    steps = [texts[p][a:b] for p, a, b in located]
    if not steps:
        raise Reject("no_steps", "the reply has no text to cut into steps")
    found: FoundAnswer | None = None
    raw = _record_answer(record)
    if raw is not None:
        found = FoundAnswer(raw, "field")
    else:
        answer_text = content[parts.answer[0] : parts.answer[1]]
        found = find_answer(answer_text) if answer_text.strip() else None
        if found is None:  # a reply cut off while thinking: the thinking's own conclusion
            thinking = reasoning or (
                content[parts.think[0] : parts.think[1]] if parts.think else ""
            )
            found = find_answer(thinking) if thinking else None
    if found is None:
        raise Reject(
            "no_final_answer",
            "no answer field, box, 'Final answer', 'The answer is', bold answer or concluding "
            "value in the reply",
        )
    meta = extra_meta(record, used)
    meta["answer_raw"] = found.raw
    meta["answer_source"] = found.source
    meta["chat"] = {
        "form": form,
        "context": [_context_turn(t) for t in context],
        "roles": [t["raw_role"] for t in [*context, solution]],
        # the reply is the row's `solution`: the reasoning field's text (this many
        # characters) and a blank line before the content when there is one, else the content
        "reasoning_chars": None if reasoning is None else len(reasoning),
        "reasoning_field": solution["reasoning_field"],
        "think": list(parts.think) if parts.think is not None else None,
        "think_tag": parts.tag,
        "think_closed": parts.closed,
        "steps": [[p, a, b] for p, a, b in located],
        "n_reasoning_steps": n_reasoning,
        "n_tool_turns": sum(1 for t in context if t["role"] in ("tool", "tool_call")),
    }
    solution_text = content if reasoning is None else reasoning + "\n\n" + content
    return Parsed(
        question=question,
        solution=solution_text,
        steps=steps,
        answer=normalize_answer(found.raw),
        equations=reply_equations(steps, evaluate),
        meta=meta,
    )


def _context_turn(turn: dict[str, Any]) -> dict[str, Any]:
    """A context turn as an OpenAI message: a tool-calling turn is the assistant's, with
    its `tool_calls` (JSON text), `tool_call_id` and `name` kept."""
    role = "assistant" if turn["role"] == "tool_call" else turn["role"]
    out = {"role": role, "content": turn["content"]}
    out.update(turn.get("extra") or {})
    if turn["role"] == "tool_call" and "tool_calls" not in out:
        out["tool_calls"] = json.dumps([{"type": "function", "function": turn["content"]}])
    return out


def _system_turn(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    for name in SYSTEM_FIELDS:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return _with_defaults([{"role": "system", "content": value, "raw_role": "system"}])
    return []


def _with_defaults(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for t in turns:
        t.setdefault("reasoning", None)
        t.setdefault("reasoning_field", None)
    return turns


class _ChatReader(Reader):
    """Chat shapes share parse_chat; each says how to get the turns."""

    form: str
    fields: tuple[str, ...]

    def turns(self, record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        raise NotImplementedError

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        turns, used = self.turns(record)
        return parse_chat(record, turns, self.form, used, options.evaluate)


def _is_turn_list(value: Any, keys: tuple[str, str]) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[0], Mapping)
        and keys[0] in value[0]
        and keys[1] in value[0]
    )


@register
class MessagesReader(_ChatReader):
    name = "messages"
    form = "messages"
    description = "OpenAI chat: {messages: [{role, content}, ...]} (system/user/assistant/tool)"

    def detect(self, record: Mapping[str, Any]) -> bool:
        return _is_turn_list(record.get("messages"), ("role", "content"))

    def turns(self, record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        if "messages" not in record:
            raise Reject(
                "missing_field", f"record has no 'messages' (fields: {sorted(record)[:12]})"
            )
        return _turns(record["messages"], "messages", "role", "content"), ["messages"]


@register
class ShareGPTReader(_ChatReader):
    name = "sharegpt"
    form = "sharegpt"
    description = "ShareGPT: {conversations: [{from: human|gpt|system, value}, ...]}"

    def detect(self, record: Mapping[str, Any]) -> bool:
        return any(
            _is_turn_list(record.get(f), ("from", "value"))
            for f in ("conversations", "conversation", "messages")
        )

    def turns(self, record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        field = next(
            (f for f in ("conversations", "conversation", "messages") if f in record), None
        )
        if field is None:
            raise Reject("missing_field", "record has no 'conversations' list")
        turns = _turns(record[field], field, "from", "value")
        return _system_turn(record) + turns, [field, *SYSTEM_FIELDS]


@register
class TRLReader(_ChatReader):
    name = "trl"
    form = "trl"
    description = "TRL conversational prompt/completion: {prompt: [turns], completion: [turns]}"

    def detect(self, record: Mapping[str, Any]) -> bool:
        return _is_turn_list(record.get("prompt"), ("role", "content")) and isinstance(
            record.get("completion"), list
        )

    def turns(self, record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        for name in ("prompt", "completion"):
            if name not in record:
                raise Reject("missing_field", f"record has no {name!r} list")
        prompt = _turns(record["prompt"], "prompt", "role", "content")
        completion = _turns(record["completion"], "completion", "role", "content")
        if not any(t["role"] == "assistant" for t in completion):
            raise Reject("no_assistant_turn", "the completion has no assistant turn")
        return prompt + completion, ["prompt", "completion"]


@register
class PromptResponseReader(_ChatReader):
    name = "prompt_response"
    form = "prompt_response"
    description = "prompt (or instruction [+ input]) + response/completion/output text"

    def detect(self, record: Mapping[str, Any]) -> bool:
        return any(isinstance(record.get(f), str) for f in PROMPT_FIELDS) and any(
            isinstance(record.get(f), str) for f in RESPONSE_FIELDS
        )

    def turns(self, record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        prompt_field = next((f for f in PROMPT_FIELDS if record.get(f) is not None), None)
        response_field = next((f for f in RESPONSE_FIELDS if record.get(f) is not None), None)
        if prompt_field is None or response_field is None:
            raise Reject(
                "missing_field",
                f"need a prompt ({'/'.join(PROMPT_FIELDS)}) and a response "
                f"({'/'.join(RESPONSE_FIELDS)}); fields: {sorted(record)[:12]}",
            )
        for name in (prompt_field, response_field):
            if not isinstance(record[name], str):
                raise Reject(
                    "mistyped_field",
                    f"field {name!r} is {type(record[name]).__name__}, expected text",
                )
        prompt = record[prompt_field]
        used = [prompt_field, response_field, *SYSTEM_FIELDS]
        extra = record.get("input") if prompt_field == "instruction" else None
        if isinstance(extra, str) and extra.strip():  # Alpaca: instruction + input
            prompt = prompt + "\n\n" + extra
            used.append("input")
        response = record[response_field]
        reply: dict[str, Any] = {
            "role": "assistant",
            "content": response,
            "raw_role": response_field,
        }
        for name in REASONING_FIELDS:
            if isinstance(record.get(name), str) and record[name].strip():
                reply["reasoning"], reply["reasoning_field"] = record[name], name
                used.append(name)
                break
        turns = [
            *_system_turn(record),
            {"role": "user", "content": prompt, "raw_role": prompt_field},
        ]
        return _with_defaults([*turns, reply]), used
