"""`errsynth inspect` filters (``--kind``, ``--where column=value``) and chat rows shown
turn by turn.

A filter on a table column is an Arrow expression (pushed into the Parquet scan);
``meta.KEY=VALUE`` looks inside the JSON `meta` column (``meta.answer_source=conclusion``,
``meta.chat.form=sharegpt``). Values are read as YAML scalars (``n_errors=2``,
``premature=true``); a column the table does not have is an error that lists the columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds
import yaml
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from errsynth.render.forms import reply_texts

ROLE_STYLE = {
    "system": "magenta",
    "user": "cyan",
    "assistant": "green",
    "tool": "yellow",
}


@dataclass
class RowFilter:
    """Column conditions (Arrow) and meta conditions (Python), all of which must hold."""

    columns: dict[str, Any] = field(default_factory=dict)
    meta: dict[tuple[str, ...], Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.columns and not self.meta

    def expression(self, names: Sequence[str]) -> ds.Expression | None:
        missing = sorted(set(self.columns) - set(names))
        if missing:
            raise ValueError(f"no column {missing} in this table; columns: {', '.join(names)}")
        expr = None
        for name, value in self.columns.items():
            term = pc.field(name) == value
            expr = term if expr is None else expr & term
        return expr

    def meta_ok(self, row: Mapping[str, Any]) -> bool:
        if not self.meta:
            return True
        meta = row.get("meta")
        data = json.loads(meta) if isinstance(meta, str) else (meta or {})
        for path, want in self.meta.items():
            value: Any = data
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if value != want and str(value) != str(want):
                return False
        return True


def parse_filters(kind: str | None, where: Sequence[str]) -> RowFilter:
    """`--kind K` and `--where column=value` (repeatable) as a RowFilter."""
    out = RowFilter()
    if kind:
        out.columns["kind"] = kind
    for item in where:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--where {item!r}: expected column=value")
        value = yaml.safe_load(raw) if raw.strip() else ""
        name = name.strip()
        if name.startswith("meta."):
            out.meta[tuple(name.split(".")[1:])] = value
        else:
            out.columns[name] = value
    return out


def read_filtered(
    dataset: ds.Dataset, n: int, offset: int, row_filter: RowFilter
) -> list[dict[str, Any]]:
    """The first `n` matching rows after skipping `offset` matching rows."""
    expr = row_filter.expression(dataset.schema.names)
    rows: list[dict[str, Any]] = []
    skipped = 0
    for batch in dataset.to_batches(filter=expr, batch_size=max(64, n)):
        for row in batch.to_pylist():
            if not row_filter.meta_ok(row):
                continue
            if skipped < offset:
                skipped += 1
                continue
            rows.append(row)
            if len(rows) >= n:
                return rows
    return rows


def _turn_panel(index: int, message: Mapping[str, Any], marks: list[Mapping[str, Any]]) -> Panel:
    role = str(message.get("role"))
    body = Group(
        *[
            _marked(message.get(fld) or "", index, fld, marks, label)
            for fld, label in (("reasoning_content", "thinking"), ("content", None))
            if message.get(fld)
        ]
    )
    extra = [f"{k}={message[k]}" for k in ("tool_call_id", "name") if message.get(k)]
    if message.get("tool_calls"):
        extra.append(f"tool_calls={str(message['tool_calls'])[:80]}")
    return Panel(
        body,
        title=f"{index} · {role}",
        title_align="left",
        subtitle=" ".join(extra) or None,
        border_style=ROLE_STYLE.get(role, "white"),
    )


def _marked(
    content: str, index: int, fld: str, marks: list[Mapping[str, Any]], label: str | None
) -> Text:
    """One message field with the attempts and the retractions that stand in it marked
    (a lema or cac retraction stands in a later turn than its attempt)."""
    text = Text()
    if label:
        text.append(f"[{label}]\n", style="dim italic")
    base = len(text)
    text.append(content)
    for m in marks:
        if (m["message"], m["field"]) == (index, fld):
            text.stylize("red", base + m["attempt_start"], base + m["attempt_end"])
            text.stylize("bold red", base + m["start"], base + m["end"])
        where = (m.get("marker_message", m["message"]), m.get("marker_field", m["field"]))
        if where == (index, fld):
            text.stylize("bold yellow", base + m["marker_start"], base + m["marker_end"])
    return text


def chat_turns(row: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The conversation to show for a row: a sample's messages, the ShareGPT or TRL
    columns, or a solution's context turns and reply (``meta.chat``); None otherwise."""
    if row.get("messages"):
        return list(row["messages"])
    if row.get("conversations"):
        names = {"human": "user", "gpt": "assistant", "observation": "tool"}
        return [
            {"role": names.get(t["from"], t["from"]), "content": t["value"]}
            for t in row["conversations"]
        ]
    if row.get("prompt_messages"):
        return [*row["prompt_messages"], *(row.get("completion_messages") or [])]
    meta = row.get("meta")
    data = json.loads(meta) if isinstance(meta, str) else (meta or {})
    chat = data.get("chat") if isinstance(data, Mapping) else None
    if isinstance(chat, Mapping) and isinstance(row.get("solution"), str):
        texts = reply_texts(row["solution"], chat)
        reply = {
            "role": "assistant",
            "content": texts["content"],
            "reasoning_content": texts["reasoning"],
        }
        return [*chat.get("context", []), reply]
    return None


def _in_content(mark: Mapping[str, Any]) -> Mapping[str, Any]:
    """A ShareGPT mark (field ``value``) on the turn's content, as :func:`chat_turns` shows it."""
    if mark["field"] != "value":
        return mark
    return {**mark, "field": "content", "marker_field": "content"}


def render_chat(row: Mapping[str, Any], footer: Callable[[], Text] | None = None) -> Panel:
    """A chat row turn by turn; attempts red (the wrong part bold), notices yellow."""
    turns = chat_turns(row) or []
    marks = [_in_content(m) for m in row.get("message_errors") or []]
    panels = [_turn_panel(k, t, marks) for k, t in enumerate(turns)]
    parts: list[Any] = list(panels)
    if row.get("completions") is not None:
        steps = Text()
        for s, ok in zip(row["completions"], row.get("labels") or [], strict=False):
            steps.append("✓ " if ok else "✗ ", style="green" if ok else "bold red")
            steps.append(s + "\n")
        parts.append(steps)
    if footer is not None:
        parts.append(footer())
    title = " · ".join(
        str(row.get(k)) for k in ("kind", "style", "format", "source", "id") if row.get(k)
    )
    return Panel(Group(*parts), title=title, title_align="left")
