"""A sample row as HTML: the wrong attempt, its wrong part, the marker and the correction
marked with the same spans `errsynth inspect` colours (``render.highlight.highlight_spans``).

Each marked piece is a ``<span class="hl ROLE" data-err="I">``; a part that several
spans cover gets all their roles (the attempt around a wrong part, for example), and
the CSS gives every role its own line style as well as its colour. Chat-shaped rows
(a ``messages`` or ShareGPT ``conversations`` column) are shown turn by turn, each turn
found in the row's `text` so that the spans still apply.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from errsynth.render.highlight import highlight_spans, visible

ROLE_TITLES = {
    "attempt": "wrong attempt",
    "wrong": "wrong part",
    "marker": "retraction marker",
    "fix": "correction",
}
ROLE_ORDER = ("attempt", "wrong", "marker", "fix")
MAX_TEXT_CHARS = 20_000


def _spans(row: Mapping[str, Any]) -> list[tuple[int, int, str, int]]:
    try:
        return highlight_spans(row)
    except (KeyError, TypeError, ValueError, IndexError):
        return []  # a row without usable spans is shown plain, never dropped


def marked_html(text: str, spans: Sequence[tuple[int, int, str, int]], lo: int, hi: int) -> str:
    """text[lo:hi] as HTML, the parts inside `spans` wrapped in role-classed spans."""
    cuts = {lo, hi}
    for start, end, _, _ in spans:
        for p in (start, end):
            if lo < p < hi:
                cuts.add(p)
    points = sorted(cuts)
    out = []
    for a, b in itertools.pairwise(points):
        piece = escape(visible(text[a:b]))
        active = [
            (role, i) for start, end, role, i in spans if start <= a and b <= end and start < end
        ]
        if not active:
            out.append(piece)
            continue
        roles = sorted({role for role, _ in active}, key=ROLE_ORDER.index)
        top = roles[-1]
        err = next(i for role, i in reversed(active) if role == top)
        title = ", ".join(ROLE_TITLES[r] for r in roles)
        out.append(
            f'<span class="hl {" ".join(roles)}" data-err="{err}" title="{title}">{piece}</span>'
        )
    return "".join(out)


def chat_turns(row: Mapping[str, Any], column: str | None) -> list[tuple[str, int, int]] | None:
    """(role, start, end) of each turn's content inside `text`, or None when not a chat."""
    if column is None:
        return None
    turns = row.get(column)
    if not turns:
        return None
    text = row["text"]
    found = []
    pos = 0
    for turn in turns:
        if not isinstance(turn, Mapping):
            return None
        role = str(turn.get("role", turn.get("from", "?")))
        content = str(turn.get("content", turn.get("value", "")))
        at = text.find(content, pos)
        if at < 0:
            return None
        found.append((role, at, at + len(content)))
        pos = at + len(content)
    return found


def _notes(row: Mapping[str, Any]) -> str:
    items = []
    for i, e in enumerate(row.get("errors") or []):
        premature = e.get("premature")
        flag = "" if premature is None else (" · premature" if premature else " · not premature")
        items.append(
            f'<li data-err="{i}"><b>step {escape(str(e.get("step")))} · '
            f"{escape(str(e.get('kind')))}{flag}</b>: {escape(str(e.get('finding', '')))}"
            "</li>"
        )
    return f'<ol class="notes">{"".join(items)}</ol>' if items else ""


def sample_html(row: Mapping[str, Any], chat_column: str | None, index: int) -> str:
    """One sample as an <article> for the browser (data-* attributes for the filters)."""
    text = row["text"] or ""
    truncated = len(text) > MAX_TEXT_CHARS
    spans = _spans(row) if not truncated else []
    shown_end = min(len(text), MAX_TEXT_CHARS)
    turns = chat_turns(row, chat_column) if not truncated else None
    if turns:
        body = "".join(
            f'<div class="turn {escape(role)}"><div class="who">{escape(role)}</div>'
            f'<div class="said">{marked_html(text, spans, start, end)}</div></div>'
            for role, start, end in turns
        )
        body = f'<div class="chat">{body}</div>'
    else:
        prompt_end = min(shown_end, max(0, len(text) - len(row.get("completion") or text)))
        prompt = marked_html(text, spans, 0, prompt_end)
        prompt = f'<span class="prompt">{prompt}</span>' if prompt else ""
        body = f'<pre class="text">{prompt}{marked_html(text, spans, prompt_end, shown_end)}</pre>'
        if truncated:
            body += f'<p class="muted">… {len(text) - shown_end:,} more characters not shown</p>'
    kind, source, style = (escape(str(row.get(k, ""))) for k in ("kind", "source", "style"))
    meta = [f"<b>{kind}</b>", source, style]
    if row.get("stream"):
        meta.append(f"stream {escape(str(row['stream']))}")
    meta.append(f"{int(row.get('n_errors') or 0)} error(s)")
    if row.get("tok") is not None:
        meta.append(f"{int(row['tok']):,} tokens")
    if row.get("answer") is not None:
        meta.append(f"answer {escape(str(row['answer']))}")
    return (
        f'<article class="sample" id="s{index}" data-kind="{kind}" data-source="{source}" '
        f'data-style="{style}">'
        f'<header><span class="meta">{" · ".join(meta)}</span> '
        f'<code class="sid">{escape(str(row.get("id", "")))}</code></header>'
        f"{body}{_notes(row)}</article>"
    )
