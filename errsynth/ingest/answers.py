"""Pull the final answer out of the ways corpora write it."""

from __future__ import annotations

import re

from errsynth.ingest.latex_text import last_boxed

_THE_ANSWER_RE = re.compile(
    r"(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*(.+?)\s*\.?\s*$", re.IGNORECASE
)


def split_hash_answer(text: str) -> tuple[str, str] | None:
    """GSM8K's `#### 72` last line: (solution before it, answer), or None."""
    idx = text.rfind("####")
    if idx < 0:
        return None
    return text[:idx].rstrip(), text[idx + 4 :].strip()


def the_answer_is(text: str) -> tuple[str, str] | None:
    """MetaMath's closing `The answer is: 18`: (text before that line, answer), or None."""
    stripped = text.rstrip()
    cut = stripped.rfind("\n") + 1
    last = stripped[cut:]
    m = _THE_ANSWER_RE.search(last)
    if not m or not last.lower().lstrip().startswith(("the answer", "answer", "the final answer")):
        return None
    return stripped[:cut].rstrip(), m.group(1).strip()


def extract_answer(text: str) -> str | None:
    """Best-effort final answer of a free-form solution: ####, 'The answer is', or the last box."""
    for finder in (split_hash_answer, the_answer_is):
        found = finder(text)
        if found and found[1]:
            return found[1]
    return last_boxed(text)
