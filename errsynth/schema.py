"""Arrow schemas of the tables errsynth writes, and their JSON Schema export.

The solution table is the contract between ingest and every later stage: a
solution is a question, an ordered list of step strings, a normalized answer,
the equations found in each step (with the evaluator's verdict) and the number
flow between steps (which step first produced a value that a later step uses).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

EQUATION = pa.struct(
    [
        pa.field("step", pa.int32(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # annotation | inline | latex | igsm
        pa.field("expr", pa.string(), nullable=False),
        pa.field("claimed", pa.string(), nullable=False),
        pa.field("start", pa.int32(), nullable=False),  # char span inside steps[step]
        pa.field("end", pa.int32(), nullable=False),
        pa.field("ok", pa.bool_()),  # null: could not be judged
        pa.field("value", pa.string()),  # canonical value of expr, when computed
        pa.field("reason", pa.string(), nullable=False),
        pa.field("modulus", pa.int32()),
    ]
)

USE = pa.struct(
    [
        pa.field("ref", pa.string(), nullable=False),  # canonical number or iGSM variable
        pa.field("step", pa.int32(), nullable=False),  # the earlier step that produced it
    ]
)

SOLUTION_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("question", pa.string(), nullable=False),
        pa.field("solution", pa.string(), nullable=False),
        pa.field("steps", pa.list_(pa.string()), nullable=False),
        pa.field("answer", pa.string(), nullable=False),
        pa.field("equations", pa.list_(EQUATION), nullable=False),
        pa.field("produces", pa.list_(pa.list_(pa.string())), nullable=False),
        pa.field("uses", pa.list_(pa.list_(USE)), nullable=False),
        pa.field("self_corrections", pa.list_(pa.int32())),  # steps with the writer's own fix
        pa.field("meta", pa.string(), nullable=False),  # JSON object: format-specific fields
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        pa.field("file", pa.string(), nullable=False),
        pa.field("record", pa.int64()),  # 0-based line or row number; null for file-level
        pa.field("format", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("raw", pa.string()),  # the record as read (truncated), for a human to look at
    ]
)

ERROR = pa.struct(
    [
        pa.field("step", pa.int32(), nullable=False),  # clean step the attempt comes before
        pa.field("kind", pa.string(), nullable=False),  # transform that made it
        pa.field("wrong_text", pa.string(), nullable=False),  # the wrong part as written
        pa.field("start", pa.int32(), nullable=False),  # wrong part: text[start:end]
        pa.field("end", pa.int32(), nullable=False),
        pa.field("attempt_start", pa.int32(), nullable=False),  # whole attempt, marker excluded
        pa.field("attempt_end", pa.int32(), nullable=False),
        pa.field("marker_start", pa.int32(), nullable=False),  # the retraction marker
        pa.field("marker_end", pa.int32(), nullable=False),
        pa.field("premature", pa.bool_()),  # reorder/igsm_retry: step not computable yet
        pa.field("finding", pa.string(), nullable=False),  # why it is wrong, in words
        pa.field("detail", pa.string(), nullable=False),  # JSON evidence
    ]
)

MASK_SPAN = pa.struct(
    [
        pa.field("mode", pa.string(), nullable=False),  # wrong | attempt
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
    ]
)

MESSAGE = pa.struct(
    [
        pa.field("role", pa.string(), nullable=False),
        pa.field("content", pa.string(), nullable=False),
        # chat forms: the reply's separate thinking, and a context turn's tool call fields
        pa.field("reasoning_content", pa.string()),
        pa.field("tool_calls", pa.string()),  # JSON text of the turn's tool_calls
        pa.field("tool_call_id", pa.string()),
        pa.field("name", pa.string()),
    ]
)

SHAREGPT_TURN = pa.struct(
    [
        pa.field("from", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
    ]
)

MESSAGE_ERROR = pa.struct(
    [
        pa.field("message", pa.int32(), nullable=False),  # index into messages
        pa.field("field", pa.string(), nullable=False),  # content | reasoning_content
        pa.field("step", pa.int32(), nullable=False),
        pa.field("start", pa.int32(), nullable=False),  # the wrong part, in that field
        pa.field("end", pa.int32(), nullable=False),
        pa.field("attempt_start", pa.int32(), nullable=False),
        pa.field("attempt_end", pa.int32(), nullable=False),
        pa.field("marker_start", pa.int32(), nullable=False),  # in the marker's message
        pa.field("marker_end", pa.int32(), nullable=False),
        pa.field("insert_end", pa.int32(), nullable=False),  # end of what was inserted
        # where the retraction stands: the same message field for the inline styles, a
        # later turn for lema (its correction) and cac (its critique)
        pa.field("marker_message", pa.int32(), nullable=False),
        pa.field("marker_field", pa.string(), nullable=False),
    ]
)

SAMPLE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("parent_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("style", pa.string(), nullable=False),
        pa.field("question", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("completion", pa.string(), nullable=False),
        pa.field("messages", pa.list_(MESSAGE)),
        pa.field("answer", pa.string(), nullable=False),
        pa.field("n_errors", pa.int32(), nullable=False),
        pa.field("errors", pa.list_(ERROR), nullable=False),
        pa.field("mask_spans", pa.list_(MASK_SPAN), nullable=False),
        pa.field("meta", pa.string(), nullable=False),
        # output forms (errsynth.render.forms): null unless the form writes them
        pa.field("message_errors", pa.list_(MESSAGE_ERROR)),
        pa.field("conversations", pa.list_(SHAREGPT_TURN)),
        pa.field("prompt_messages", pa.list_(MESSAGE)),
        pa.field("completion_messages", pa.list_(MESSAGE)),
        pa.field("completions", pa.list_(pa.string())),
        pa.field("labels", pa.list_(pa.bool_())),
    ]
)

CANDIDATE_REJECT_SCHEMA = pa.schema(
    [
        pa.field("parent_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("transform", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
    ]
)

_DESCRIPTIONS = {
    "id": "Stable id: hash of source, question and solution text (same input, same id).",
    "source": "Name of the source (defaults to the format).",
    "format": "Reader that produced the row (gsm8k, math, igsm, metamath, steps, jsonl, "
    "messages, sharegpt, trl, prompt_response).",
    "question": "The problem statement.",
    "solution": "The solution text as read.",
    "steps": "Ordered solution steps.",
    "answer": "Normalized final answer.",
    "equations": "Equations found in the steps; span is inside steps[step]; ok is the "
    "evaluator's verdict (null when it could not judge).",
    "produces": "Per step, the values (or iGSM variables) that step produces first.",
    "uses": "Per step, the values it uses that an earlier step produced, with that step.",
    "self_corrections": "Steps that open or contain a self-correction of the writer's own "
    "(Wait, / Let me double-check / Actually, ...): no fake attempt is placed at them or "
    "right after them. Null in tables written before the column existed.",
    "meta": "JSON object: format-specific fields, or the transform's parameters and seed.",
    "parent_id": "Id of the clean solution the sample was made from.",
    "kind": "clean, or the transform that made the wrong attempts (reorder, arith, ...).",
    "style": "Rendering style: back, igsm, natural, lema, cac.",
    "text": "The rendered training text (prompt + completion); all spans index it.",
    "prompt": "The part a trainer conditions on (the question, and for lema the wrong solution).",
    "completion": "The part a trainer learns to write.",
    "messages": "OpenAI-style chat turns, when the style or output is a chat; with form "
    "messages, the whole conversation in the shape it came in (system prompt, earlier turns, "
    "tool calls, the reply with its thinking) with the attempts inside the reply.",
    "message_errors": "Chat forms: each attempt's spans inside messages[message][field], its "
    "retraction's inside messages[marker_message][marker_field]; inline styles: removing "
    "[attempt_start, insert_end) gives the original reply back; lema/cac: the last message "
    "ends with the original reply.",
    "conversations": "Form sharegpt: the conversation as {from, value} turns.",
    "prompt_messages": "Form trl: the conversational prompt (TRL's prompt column).",
    "completion_messages": "Form trl: the assistant reply (TRL's completion column).",
    "completions": "Form prm: the step strings of TRL's stepwise supervision.",
    "labels": "Form prm: one bool per completion (false: the wrong step; the trace ends there).",
    "n_errors": "Number of wrong attempts in the text.",
    "errors": "Each wrong attempt: clean step it precedes, kind, wrong text and its spans in text.",
    "mask_spans": "Spans of text to mask from the loss: mode wrong (the wrong part only) or "
    "attempt (the whole wrong attempt but the marker).",
}


def _json_type(t: pa.DataType) -> dict[str, Any]:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return {"type": "string"}
    if pa.types.is_integer(t):
        return {"type": "integer"}
    if pa.types.is_floating(t):
        return {"type": "number"}
    if pa.types.is_boolean(t):
        return {"type": "boolean"}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return {"type": "array", "items": _json_type(t.value_type)}
    if pa.types.is_struct(t):
        return _object_schema(list(t))
    raise TypeError(f"no JSON Schema mapping for {t}")


def _object_schema(fields: list[pa.Field]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in fields:
        sub = _json_type(f.type)
        if f.nullable:
            sub = {"anyOf": [sub, {"type": "null"}]}
        if f.name in _DESCRIPTIONS:
            sub["description"] = _DESCRIPTIONS[f.name]
        props[f.name] = sub
    return {
        "type": "object",
        "properties": props,
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


def json_schema(schema: pa.Schema, title: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one row of an Arrow table."""
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title}
    out.update(_object_schema(list(schema)))
    return out


def solution_json_schema() -> dict[str, Any]:
    return json_schema(SOLUTION_SCHEMA, "errsynth solution row")


def sample_json_schema() -> dict[str, Any]:
    return json_schema(SAMPLE_SCHEMA, "errsynth sample row")


def dump_json_schema(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, sort_keys=False) + "\n"
