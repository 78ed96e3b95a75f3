"""Text as tagged pieces, written into one string with exact spans.

Styles never compute offsets by hand: they write pieces of text, some tagged with
what they are (the wrong step of attempt 2, the marker of attempt 0, ...), into a
:class:`Layout`, which concatenates them and reports each tag's span. Spans are
therefore positional and stay exact whatever the step texts contain, the marker
text itself included. Styles that assemble their turns out of order build lists
of :class:`Seg` and :func:`flatten` them; the inline styles write straight into a
layout (a sample is rendered for every candidate, so this path is kept short).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

Tag = tuple[str, int]  # (what, attempt number): what is wrong | attempt | marker | fix
Role = Literal["user", "assistant"]

ROLE_LABELS: dict[str, str] = {"user": "User: ", "assistant": "Assistant: "}
TURN_GAP = "\n\n"  # between two turns of a flattened chat


class Seg(NamedTuple):
    """A piece of text and what it is (its tags)."""

    text: str
    tags: tuple[Tag, ...] = ()


class Turn(NamedTuple):
    role: Role
    segs: tuple[Seg, ...]


class Flat(NamedTuple):
    """A written layout: the text, where its prompt ends, its chat messages, the tag spans."""

    text: str
    prompt_len: int  # text[:prompt_len] is the prompt, the rest the completion
    messages: list[dict[str, str]] | None
    spans: Mapping[Tag, Sequence[int]]  # tag -> [start, end]


def join(parts: Sequence[Seg | Sequence[Seg]], sep: str, tags: tuple[Tag, ...] = ()) -> list[Seg]:
    """Segments (or groups of segments) with `sep` between them; the separators get `tags`."""
    out: list[Seg] = []
    for i, part in enumerate(parts):
        if i:
            out.append(Seg(sep, tags))
        out.extend([part] if isinstance(part, Seg) else part)
    return out


class Layout:
    """A sample written turn by turn, left to right: the text, each tag's span, the turns.

    Not a chat: exactly two turns written back to back (prompt, then completion).
    A chat: ``"User: ...\\n\\nAssistant: ..."``, turns separated by a blank line, the
    prompt ending with the last ``"Assistant: "`` label. Either way the completion is
    the content of the last turn, which must be the assistant's.
    """

    __slots__ = ("_pieces", "_pos", "_spans", "_turns", "chat")

    def __init__(self, chat: bool) -> None:
        self.chat = chat
        self._pieces: list[str] = []
        self._pos = 0
        self._spans: dict[Tag, list[int]] = {}
        self._turns: list[list[Any]] = []  # [role, start, end] of each turn's content

    def turn(self, role: Role) -> None:
        """Start a turn (in a chat, after its label)."""
        if self._turns:
            self._turns[-1][2] = self._pos
        if self.chat:
            self.write((TURN_GAP if self._turns else "") + ROLE_LABELS[role])
        self._turns.append([role, self._pos, self._pos])

    def write(self, text: str, tags: tuple[Tag, ...] = ()) -> None:
        """Append `text`; each of `tags` spans it (widened if the tag was written before)."""
        start = self._pos
        end = self._pos = start + len(text)
        self._pieces.append(text)
        for tag in tags:
            span = self._spans.get(tag)
            if span is None:
                self._spans[tag] = [start, end]
            else:
                if start < span[0]:
                    span[0] = start
                if end > span[1]:
                    span[1] = end

    def done(self) -> Flat:
        turns = self._turns
        if not turns or turns[-1][0] != "assistant":
            raise ValueError("the last turn must be the assistant's")
        if not self.chat and len(turns) != 2:
            raise ValueError(f"a text layout has a prompt and a completion, got {len(turns)} turns")
        turns[-1][2] = self._pos
        text = "".join(self._pieces)
        messages = None
        if self.chat:
            messages = [{"role": role, "content": text[a:b]} for role, a, b in turns]
        return Flat(text, turns[-1][1], messages, self._spans)


def flatten(turns: Sequence[Turn], chat: bool) -> Flat:
    """One string from the turns; the completion is the content of the last turn.

    The layout is :class:`Layout`'s (a text layout takes exactly two turns).
    """
    if not turns or turns[-1].role != "assistant":
        raise ValueError("the last turn must be the assistant's")
    if not chat and len(turns) != 2:
        raise ValueError(f"a text layout has a prompt and a completion, got {len(turns)} turns")
    layout = Layout(chat)
    for turn in turns:
        layout.turn(turn.role)
        for text, tags in turn.segs:
            layout.write(text, tags)
    return layout.done()


def flatten_messages(messages: Sequence[dict[str, str]]) -> str:
    """The flattened chat text of `messages` (the same layout :func:`flatten` writes)."""
    return "".join(
        (TURN_GAP if i else "") + ROLE_LABELS[m["role"]] + m["content"]
        for i, m in enumerate(messages)
    )
