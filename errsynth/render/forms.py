"""Output forms: the sample written back in the shape its solution came in, or as PRM rows.

The style's rendering (`text`, `prompt`, `completion`, `errors`, ...) is always made and
validated; a form *adds* columns built from it:

* ``messages``: the whole conversation as OpenAI messages — the solution's system prompt
  and earlier turns verbatim (tool calls included), then the assistant turn in which
  each wrong attempt, its notice and the correct step stand where the style put them,
  inserted into the original reply text. A reply with thinking (``<think>…</think>`` or
  ``reasoning_content``) keeps it, and the attempts made at thinking steps stand inside
  the thinking. ``message_errors`` gives each attempt's spans inside its message.
* ``sharegpt``: the same as ``conversations`` turns ``{from, value}`` (human / gpt /
  system / observation / function_call; the record's own role names when it was ShareGPT).
  A reply's separate thinking is written into its value as ``<think>…</think>``;
  ``message_errors`` index the values (field ``value``).
* ``trl``: TRL's conversational prompt/completion, as ``prompt_messages`` and
  ``completion_messages`` (rename them to ``prompt``/``completion`` for TRL; the string
  columns of those names stay the style's).
* ``prm``: TRL's stepwise supervision: ``prompt`` (the problem as the user asked it: the
  row's question, which for a chat is its last user turn; ``prm_prompt="style"`` keeps the
  style's templated prompt instead), ``completions`` (step strings) and ``labels`` (bools);
  see :func:`prm_columns`. Under this form ``text`` stays the style's rendering, so
  ``text == prompt + completion`` only holds with ``prm_prompt="style"``.

Removing ``content[attempt_start:insert_end]`` for every entry of ``message_errors`` (in
reverse order) gives back the original reply text exactly (:func:`strip_message_attempts`).
Each entry also names where its retraction stands (``marker_message``, ``marker_field``):
the attempt's own message field for the inline styles (back, igsm, natural). The record
styles (lema, cac) keep their own turns inside the conversation, the wrong attempt in an
earlier turn than its retraction, and end with the original reply as the correct
solution (:mod:`errsynth.render.record_chat`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.render.annotations import OffsetMap, strip_rendered_columns, strip_text, strips
from errsynth.render.config import STYLES, step_separator
from errsynth.render.record_chat import RECORD_STYLES, record_chat
from errsynth.types.candidates import Candidate

FORMS: tuple[str, ...] = ("text", "prompt_completion", "messages", "sharegpt", "trl", "prm")
CHAT_FORMS: tuple[str, ...] = ("messages", "sharegpt", "trl")
#: Where a prm row's ``prompt`` comes from: the problem itself, or the style's template.
PRM_PROMPTS: tuple[str, ...] = ("question", "style")

SHAREGPT_ROLES = {
    "system": "system",
    "user": "human",
    "assistant": "gpt",
    "tool": "observation",
}
_MESSAGE_KEYS = ("tool_calls", "tool_call_id", "name")


def chat_info(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's conversation (``meta.chat`` from a chat reader), or one made of the question
    and the steps joined by the step separator for rows of other formats."""
    meta = row.get("meta")
    meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
    chat = meta.get("chat")
    if chat is not None:
        return {**chat, **reply_texts(row.get("solution") or "", chat)}
    sep = step_separator(row)
    steps = list(row["steps"])
    spans, pos = [], 0
    for step in steps:
        spans.append(["content", pos, pos + len(step)])
        pos += len(step) + len(sep)
    return {
        "form": "text",
        "context": [{"role": "user", "content": row["question"]}],
        "roles": None,
        "content": sep.join(steps),
        "reasoning": None,
        "reasoning_field": None,
        "steps": spans,
        "n_reasoning_steps": 0,
    }


def reply_texts(solution: str, chat: Mapping[str, Any]) -> dict[str, str | None]:
    """The reply's `content` and `reasoning` (a separate reasoning field's text) from the
    row's `solution`, which is ``reasoning + "\n\n" + content`` when there is one."""
    if "content" in chat:  # written in full (tables from before reasoning_chars)
        return {"content": chat["content"], "reasoning": chat.get("reasoning")}
    n = chat.get("reasoning_chars")
    if n is None:
        return {"content": solution, "reasoning": None}
    return {"content": solution[n + 2 :], "reasoning": solution[:n]}


def _gap_separator(text: str, before: int, start: int) -> str:
    gap = text[before:start]
    if "\n\n" in gap:
        return "\n\n"
    return "\n" if "\n" in gap else " "


def _insertions(
    chat: Mapping[str, Any], text: str, errors: Sequence[Mapping[str, Any]]
) -> dict[str, list[tuple[int, str, dict[str, Any]]]]:
    """Per part (content / reasoning): (offset, chunk, spans inside the chunk) to insert."""
    spans = chat["steps"]
    parts: dict[str, list[tuple[int, str, dict[str, Any]]]] = {"content": [], "reasoning": []}
    for e in errors:
        part, start, _ = spans[e["step"]]
        source = chat["content"] if part == "content" else chat["reasoning"]
        previous = [b for p, _, b in spans[: e["step"]] if p == part]
        sep = _gap_separator(source, previous[-1] if previous else 0, start)
        attempt = text[e["attempt_start"] : e["attempt_end"]]
        glue = text[e["attempt_end"] : e["marker_start"]]
        marker = text[e["marker_start"] : e["marker_end"]]
        chunk = attempt + glue + marker + sep
        local = {
            "step": e["step"],
            "start": e["start"] - e["attempt_start"],
            "end": e["end"] - e["attempt_start"],
            "attempt_start": 0,
            "attempt_end": len(attempt),
            "marker_start": len(attempt) + len(glue),
            "marker_end": len(attempt) + len(glue) + len(marker),
            "insert_end": len(chunk),
        }
        parts[part].append((start, chunk, local))
    return parts


def _apply(source: str, inserts: list[tuple[int, str, dict[str, Any]]]) -> tuple[str, list[dict]]:
    """`source` with the chunks inserted (stable by offset); the chunks' spans in the result."""
    out: list[str] = []
    placed: list[dict[str, Any]] = []
    pos = length = 0
    for offset, chunk, local in sorted(inserts, key=lambda x: x[0]):
        piece = source[pos:offset]
        out.append(piece)
        length += len(piece)
        placed.append({k: (v + length if k != "step" else v) for k, v in local.items()})
        out.append(chunk)
        length += len(chunk)
        pos = offset
    out.append(source[pos:])
    return "".join(out), placed


def _context_messages(chat: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "role": t["role"],
            "content": t["content"],
            "reasoning_content": None,
            **{k: t.get(k) for k in _MESSAGE_KEYS},
        }
        for t in chat["context"]
    ]


def chat_columns(
    row: Mapping[str, Any], columns: Mapping[str, Any], form: str, strip: bool
) -> dict[str, Any]:
    """The columns a chat form adds (see the module docstring). `columns` are the sample's
    style columns, before annotations are stripped; `strip` removes them here too."""
    chat = chat_info(row)
    if columns.get("style") in RECORD_STYLES and columns["errors"]:
        context = _context_messages(chat)
        messages, message_errors = record_chat(chat, context, row, columns, strip)
        return _form_columns(form, messages, message_errors, roles=None)
    parts = _insertions(chat, columns["text"], columns["errors"])
    content, in_content = _apply(chat["content"], parts["content"])
    reasoning, in_reasoning = None, []
    if chat.get("reasoning") is not None:
        reasoning, in_reasoning = _apply(chat["reasoning"], parts["reasoning"])
    if strip:
        content, in_content = _stripped(content, in_content)
        if reasoning is not None:
            reasoning, in_reasoning = _stripped(reasoning, in_reasoning)
    context = _context_messages(chat)
    if strip:
        context = [{**m, "content": strip_text(m["content"])} for m in context]
    reply = {
        "role": "assistant",
        "content": content,
        "reasoning_content": reasoning,
        **dict.fromkeys(_MESSAGE_KEYS),
    }
    index = len(context)
    message_errors = [_located(e, index, "reasoning_content") for e in in_reasoning] + [
        _located(e, index, "content") for e in in_content
    ]
    message_errors.sort(key=lambda e: (e["field"] != "reasoning_content", e["attempt_start"]))
    return _form_columns(form, [*context, reply], message_errors, chat.get("roles"))


def _located(spans: Mapping[str, Any], message: int, field: str) -> dict[str, Any]:
    """A message_errors entry: attempt and marker in the same message field."""
    return {
        "message": message,
        "field": field,
        "marker_message": message,
        "marker_field": field,
        **spans,
    }


def _form_columns(
    form: str,
    messages: list[dict[str, Any]],
    message_errors: list[dict[str, Any]],
    roles: Sequence[str] | None,
) -> dict[str, Any]:
    """The form's columns from the whole conversation (trl: the prompt is every message
    but the last, the completion the last)."""
    out: dict[str, Any] = {"message_errors": message_errors}
    cut = len(messages) - 1
    if form == "messages":
        out["messages"] = messages
    elif form == "sharegpt":
        out["conversations"] = _sharegpt(messages, roles)
        out["message_errors"] = [_in_value(e, messages) for e in message_errors]
    elif form == "trl":
        out["prompt_messages"] = messages[:cut]
        out["completion_messages"] = messages[cut:]
    return out


def _stripped(text: str, placed: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    moved = OffsetMap(text)
    return strip_text(text), [
        {k: (moved(v) if k != "step" else v) for k, v in e.items()} for e in placed
    ]


def _value_offset(message: Mapping[str, Any], field: str) -> int:
    """Where `field` of `message` starts in its ShareGPT value (see :func:`_sharegpt`)."""
    thinking = message.get("reasoning_content")
    if field == "reasoning_content":
        return len(THINK_OPEN)
    return len(THINK_OPEN + thinking + THINK_CLOSE) if thinking else 0


def _in_value(e: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A message_errors entry moved into the ShareGPT turns' ``value`` strings."""
    shift = _value_offset(messages[e["message"]], e["field"])
    marker_shift = _value_offset(messages[e["marker_message"]], e["marker_field"])
    out = dict(e, field="value", marker_field="value")
    for key in ("start", "end", "attempt_start", "attempt_end", "insert_end"):
        out[key] = e[key] + shift
    for key in ("marker_start", "marker_end"):
        out[key] = e[key] + marker_shift
    return out


THINK_OPEN = "<think>\n"
THINK_CLOSE = "\n</think>\n\n"


def _sharegpt(messages: list[dict[str, Any]], roles: Sequence[str] | None) -> list[dict[str, str]]:
    out = []
    for k, m in enumerate(messages):
        name = SHAREGPT_ROLES.get(m["role"], m["role"])
        if m["role"] == "assistant" and m.get("tool_calls"):
            name = "function_call"
        if roles is not None and len(roles) == len(messages):
            name = roles[k]  # the record's own role names, when it was a chat
        value = m["content"]
        if m.get("reasoning_content"):
            value = THINK_OPEN + m["reasoning_content"] + THINK_CLOSE + value
        out.append({"from": name, "value": value})
    return out


def strip_message_attempts(content: str, message_errors: Sequence[Mapping[str, Any]]) -> str:
    """`content` with every attempt, notice and separator inserted into it removed: the
    original reply, for the inline styles (lema and cac insert nothing into the reply)."""
    for e in sorted(message_errors, key=lambda e: e["attempt_start"], reverse=True):
        content = content[: e["attempt_start"]] + content[e["insert_end"] :]
    return content


def prm_columns(row: Mapping[str, Any], candidate: Candidate | None, strip: bool) -> dict[str, Any]:
    """TRL stepwise-supervision columns ``completions`` and ``labels``.

    A retry sample: the clean steps before its first wrong attempt (true), then the
    attempt's steps up to the wrong one (the wrong one false); the trace ends there.
    A clean row: all its steps, true — unless the corpus labelled them: ProcessBench's
    ``label`` (index of the first wrong step, -1 all correct; ``meta.first_error_step``)
    or PRM800K's ratings (``meta.ratings``: 1 good, 0 neutral, -1 bad; neutral counts as
    not wrong), both ending at the first wrong step.
    """
    steps = [strip_text(s) for s in row["steps"]] if strip else list(row["steps"])
    if candidate is not None and candidate.attempts:
        first = min(candidate.attempts, key=lambda a: a.at)
        tried = list(first.steps[: first.wrong_step + 1])
        if strip:
            tried = [strip_text(s) for s in tried]
        completions = steps[: first.at] + tried
        labels = [True] * (len(completions) - 1) + [False]
        return {"completions": completions, "labels": labels}
    meta = row.get("meta")
    meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
    first_error = meta.get("first_error_step")
    ratings = meta.get("ratings")
    if isinstance(first_error, int) and 0 <= first_error < len(steps):
        return {
            "completions": steps[: first_error + 1],
            "labels": [True] * first_error + [False],
        }
    if isinstance(ratings, list) and len(ratings) == len(steps):
        labels = []
        for r in ratings:
            labels.append(r is None or r >= 0)
            if not labels[-1]:
                break
        return {"completions": steps[: len(labels)], "labels": labels}
    return {"completions": steps, "labels": [True] * len(steps)}


FORM_COLUMNS = (
    "message_errors",
    "conversations",
    "prompt_messages",
    "completion_messages",
    "completions",
    "labels",
)


def style_output_for(form: str) -> str:
    """The style layout of `text` under a form: a chat layout for messages, a prompt and
    completion for prompt_completion, plain text otherwise."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}; got {form!r}")
    return form if form in ("messages", "prompt_completion") else "text"


def check_form(form: str, style: str) -> None:
    """A clear error for an unknown form. Every style goes into every form: the inline
    styles' attempts are inserted into the reply, lema's and cac's records keep their own
    turns inside the conversation (:mod:`errsynth.render.record_chat`)."""
    style_output_for(form)
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}; got {style!r}")


def chat_form_of(sample: Mapping[str, Any]) -> str | None:
    """The chat form a finished sample was written in (from its columns), or None."""
    if sample.get("message_errors") is None:
        return None
    if sample.get("conversations") is not None:
        return "sharegpt"
    if sample.get("prompt_messages") is not None:
        return "trl"
    return "messages"


def rewritten_chat_columns(
    row: Mapping[str, Any], sample: Mapping[str, Any], columns: Mapping[str, Any]
) -> dict[str, Any]:
    """The chat-form columns of a rewrite of `sample` (a finished chat-form sample of `row`):
    `columns` are the rewrite's ``text`` and ``errors`` (every attempt verbatim, its notice
    reworded, the prose perhaps smoothed). The reply is rebuilt from the original reply with
    each attempt and its new notice inserted where the form puts them, so stripping the
    attempts still gives the original reply back; prose edits outside the attempts and
    notices stay in ``text`` only. Annotations are stripped when `sample` had them stripped.
    """
    settings = form_settings(sample, row)
    if settings is None or settings[0] not in CHAT_FORMS:
        raise ValueError("the sample was not written in a chat form")
    form, annotations, _ = settings
    return chat_columns(row, columns, form, annotations == "strip")


def form_settings(sample: Mapping[str, Any], row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(form, annotations, prm_prompt) a finished sample of `row` was written with, read
    back from its columns, so that a sample made from it (an LLM operator's) is written
    the same way; None for the text and prompt_completion forms (no columns added)."""
    form = chat_form_of(sample)
    if form is None and sample.get("completions") is not None:
        form = "prm"
    if form is None:
        return None
    annotated = any(strip_text(s) != s for s in row["steps"])
    stripped = annotated and strip_text(sample["text"]) == sample["text"]
    question = row["question"]
    asked = sample["prompt"] in (question, strip_text(question))
    return form, "strip" if stripped else "keep", "question" if asked else "style"


def check_prm_prompt(prm_prompt: str) -> None:
    if prm_prompt not in PRM_PROMPTS:
        raise ValueError(f"prm_prompt must be one of {', '.join(PRM_PROMPTS)}; got {prm_prompt!r}")


def finish_sample(
    sample: dict[str, Any],
    row: Mapping[str, Any],
    candidate: Candidate | None,
    form: str,
    annotations: str,
    prm_prompt: str = "question",
) -> dict[str, Any]:
    """The sample with its form's columns added and, when asked, annotations stripped
    from every text column (spans moved). `sample` is a SAMPLE_SCHEMA row of the style's
    rendering; `candidate` None for a clean sample. `prm_prompt` (form prm): see
    :data:`PRM_PROMPTS`."""
    strip = strips(annotations, sample["style"])
    extra: dict[str, Any] = dict.fromkeys(FORM_COLUMNS)
    if form in CHAT_FORMS:
        extra.update(chat_columns(row, sample, form, strip))
    elif form == "prm":
        extra.update(prm_columns(row, candidate, strip))
        check_prm_prompt(prm_prompt)
        if prm_prompt == "question":
            extra["prompt"] = strip_text(row["question"]) if strip else row["question"]
    out = strip_rendered_columns(sample) if strip else dict(sample)
    out.update({k: v for k, v in extra.items() if k != "messages"})  # prompt too, for prm
    if "messages" in extra:
        out["messages"] = extra["messages"]
    return out
