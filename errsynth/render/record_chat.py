"""The record styles (lema, cac) written into a chat form (messages, sharegpt, trl).

The inline styles insert the attempts into the original reply. lema and cac cannot: in
their data the wrong solution is a turn of its own that a later turn corrects (LEMA's
training pair is question + wrong solution -> correction; Check-as-Context's chat is
answer -> check request -> critique and answer again). So their chat keeps the style's
own turns and puts them into the original conversation:

* the original system prompt and the turns before the last user turn, verbatim;
* the style's turns: lema's user turn (instruction, the question, the student's solution
  that stops at the wrong attempt) and its assistant turn; cac's question, wrong answers,
  check requests and critiques;
* the final assistant turn ends with the *original reply* in place of the clean steps
  (its text verbatim, its separate thinking kept as ``reasoning_content``), so the
  correct solution a model learns is the reply as it came.

``message_errors`` entries give each attempt where it stands: the wrong part and the
attempt in ``messages[message][field]`` (lema: the user turn; cac: the wrong answer's
assistant turn), the retraction (lema's ``Incorrect step: k`` line, cac's critique) in
``messages[marker_message][marker_field]``. Nothing is inserted into the original reply,
so ``insert_end == attempt_end``; the round trip is that the last message ends with the
original reply exactly (its thinking equal to the original's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.render.annotations import OffsetMap, strip_text
from errsynth.render.inline import clean_body
from errsynth.render.segments import ROLE_LABELS, TURN_GAP

RECORD_STYLES: tuple[str, ...] = ("lema", "cac")
LEMA_PROMPT_END = "\n\n"  # the lema prompt's trailing blank line in a text layout

_ATTEMPT_KEYS = ("start", "end", "attempt_start", "attempt_end", "insert_end")
_MARKER_KEYS = ("marker_start", "marker_end")


def style_turns(columns: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """(role, start, end) of each turn's content inside ``columns["text"]``: the chat
    layout's turns, or a text layout's prompt (less lema's trailing blank line) and
    completion."""
    messages = columns.get("messages")
    if messages:
        out, pos = [], 0
        for i, m in enumerate(messages):
            pos += len(TURN_GAP if i else "") + len(ROLE_LABELS[m["role"]])
            out.append((m["role"], pos, pos + len(m["content"])))
            pos += len(m["content"])
        return out
    prompt, cut = columns["prompt"], len(columns["prompt"])
    user_end = cut - len(LEMA_PROMPT_END) if prompt.endswith(LEMA_PROMPT_END) else cut
    return [("user", 0, user_end), ("assistant", cut, len(columns["text"]))]


def _turn_of(turns: Sequence[tuple[str, int, int]], start: int, end: int) -> int:
    for k, (_, a, b) in enumerate(turns):
        if a <= start and end <= b:
            return k
    raise ValueError(f"span {start}..{end} lies in no single turn of the rendered chat")


def record_chat(
    chat: Mapping[str, Any],
    context: list[dict[str, Any]],
    row: Mapping[str, Any],
    columns: Mapping[str, Any],
    strip: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages, message_errors) of a lema or cac sample in a chat form (module docstring).

    `chat` is the row's conversation (:func:`errsynth.render.forms.chat_info`), `context`
    its context turns as messages; `columns` the style's rendering, annotations not yet
    stripped (`strip` strips them here, spans moved)."""
    text = columns["text"]
    turns = style_turns(columns)
    if turns[-1][0] != "assistant":
        raise ValueError("the rendered chat does not end with the assistant's turn")
    users = [k for k, m in enumerate(context) if m["role"] == "user"]
    before = context[: users[-1]] if users else list(context)
    body = clean_body(row)
    _, last_start, last_end = turns[-1]
    if not text[last_start:last_end].endswith(body):
        raise ValueError("the rendered record does not end with the clean solution")
    messages: list[dict[str, Any]] = [dict(m) for m in before]
    base = len(messages)
    empty = {k: None for k in ("reasoning_content", "tool_calls", "tool_call_id", "name")}
    for k, (role, a, b) in enumerate(turns):
        if k == len(turns) - 1:
            reply = text[a : b - len(body)] + chat["content"]
            messages.append({"role": role, "content": reply, **empty})
            messages[-1]["reasoning_content"] = chat.get("reasoning")
        else:
            messages.append({"role": role, "content": text[a:b], **empty})
    errors = []
    for e in columns["errors"]:
        ka = _turn_of(turns, e["attempt_start"], e["attempt_end"])
        km = _turn_of(turns, e["marker_start"], e["marker_end"])
        at, mt = turns[ka][1], turns[km][1]
        errors.append(
            {
                "message": base + ka,
                "field": "content",
                "step": e["step"],
                "start": e["start"] - at,
                "end": e["end"] - at,
                "attempt_start": e["attempt_start"] - at,
                "attempt_end": e["attempt_end"] - at,
                "insert_end": e["attempt_end"] - at,
                "marker_message": base + km,
                "marker_field": "content",
                "marker_start": e["marker_start"] - mt,
                "marker_end": e["marker_end"] - mt,
            }
        )
    if strip:
        messages, errors = _stripped(messages, errors)
    return messages, errors


def _stripped(
    messages: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    maps = {k: OffsetMap(m["content"]) for k, m in enumerate(messages)}
    out = [{**m, "content": strip_text(m["content"])} for m in messages]
    moved = []
    for e in errors:
        e = dict(e)
        for key in _ATTEMPT_KEYS:
            e[key] = maps[e["message"]](e[key])
        for key in _MARKER_KEYS:
            e[key] = maps[e["marker_message"]](e[key])
        moved.append(e)
    return out, moved
