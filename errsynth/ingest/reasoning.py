"""Reasoning kept apart from the final-answer part of a model's reply.

Long chain-of-thought models write their thinking between ``<think>`` and ``</think>``
(also ``<thinking>``/``<reasoning>``) before the answer, or servers return it in a
separate field (``reasoning_content``, ``reasoning``, ``thinking``). Chat templates of
some models put the opening tag into the prompt, so a reply may start inside the
thinking and only close it (``…</think> answer``); a reply cut off while thinking has
an opening tag and no closing one (everything after it is thinking).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
REASONING_FIELDS = ("reasoning_content", "reasoning", "thinking")


class ReplyParts(NamedTuple):
    """Spans of a reply's content: the thinking (inside the tags) and the answer part.

    `think` is None when the reply has no thinking block; `tag` is the tag name used
    (``think``) and `closed` whether the block was closed.
    """

    think: tuple[int, int] | None
    answer: tuple[int, int]
    tag: str | None = None
    closed: bool = True


def split_reply(content: str) -> ReplyParts:
    """Where the thinking and the answer part of `content` are (see the module docstring)."""
    m = _OPEN.search(content)
    if m is not None:
        tag = m.group(1)
        close = re.compile(rf"</{re.escape(tag)}>", re.IGNORECASE).search(content, m.end())
        if close is None:
            return ReplyParts((m.end(), len(content)), (len(content), len(content)), tag, False)
        return ReplyParts((m.end(), close.start()), (close.end(), len(content)), tag, True)
    close = re.search(r"</(think|thinking|reasoning)>", content, re.IGNORECASE)
    if close is not None:  # the opening tag was in the prompt (chat template)
        return ReplyParts((0, close.start()), (close.end(), len(content)), close.group(1), True)
    return ReplyParts(None, (0, len(content)))
