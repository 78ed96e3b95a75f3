"""Text as a list of tagged segments, flattened into one string with exact spans.

Styles never compute offsets by hand: they emit segments, some tagged with what
they are (the wrong step of attempt 2, the marker of attempt 0, ...), and
:func:`flatten` concatenates them and reports each tag's span. Spans are
therefore positional and stay exact whatever the step texts contain, the marker
text itself included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Tag = tuple[str, int]  # (what, attempt number): what is wrong | attempt | marker | fix
Role = Literal["user", "assistant"]

ROLE_LABELS: dict[str, str] = {"user": "User: ", "assistant": "Assistant: "}
TURN_GAP = "\n\n"  # between two turns of a flattened chat


@dataclass(frozen=True, slots=True)
class Seg:
    text: str
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    segs: tuple[Seg, ...]


@dataclass(frozen=True, slots=True)
class Flat:
    text: str
    prompt_len: int  # text[:prompt_len] is the prompt, the rest the completion
    messages: list[dict[str, str]] | None
    spans: dict[Tag, tuple[int, int]]


def join(parts: Sequence[Seg | Sequence[Seg]], sep: str, tags: tuple[Tag, ...] = ()) -> list[Seg]:
    """Segments (or groups of segments) with `sep` between them; the separators get `tags`."""
    out: list[Seg] = []
    for i, part in enumerate(parts):
        if i:
            out.append(Seg(sep, tags))
        out.extend([part] if isinstance(part, Seg) else part)
    return out


def _write(segs: Sequence[Seg], pieces: list[str], pos: int, spans: dict[Tag, list[int]]) -> int:
    for seg in segs:
        end = pos + len(seg.text)
        for tag in seg.tags:
            span = spans.setdefault(tag, [pos, end])
            span[0] = min(span[0], pos)
            span[1] = max(span[1], end)
        pieces.append(seg.text)
        pos = end
    return pos


def flatten(turns: Sequence[Turn], chat: bool) -> Flat:
    """One string from the turns; the completion is the content of the last turn.

    Not a chat: exactly two turns, written back to back (prompt, then completion).
    A chat: ``"User: ...\\n\\nAssistant: ..."``, turns separated by a blank line, the
    prompt ending with the last ``"Assistant: "`` label.
    """
    if not turns or turns[-1].role != "assistant":
        raise ValueError("the last turn must be the assistant's")
    if not chat and len(turns) != 2:
        raise ValueError(f"a text layout has a prompt and a completion, got {len(turns)} turns")
    pieces: list[str] = []
    spans: dict[Tag, list[int]] = {}
    pos = 0
    prompt_len = 0
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(turns):
        if chat:
            head = (TURN_GAP if i else "") + ROLE_LABELS[turn.role]
            pieces.append(head)
            pos += len(head)
        if i == len(turns) - 1:
            prompt_len = pos
        start = pos
        pos = _write(turn.segs, pieces, pos, spans)
        messages.append({"role": turn.role, "content": "".join(s.text for s in turn.segs)})
        assert pos - start == len(messages[-1]["content"])
    text = "".join(pieces)
    return Flat(
        text=text,
        prompt_len=prompt_len,
        messages=messages if chat else None,
        spans={tag: (a, b) for tag, (a, b) in spans.items()},
    )


def flatten_messages(messages: Sequence[dict[str, str]]) -> str:
    """The flattened chat text of `messages` (the same layout :func:`flatten` writes)."""
    return "".join(
        (TURN_GAP if i else "") + ROLE_LABELS[m["role"]] + m["content"]
        for i, m in enumerate(messages)
    )
