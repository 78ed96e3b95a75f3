"""A model's reply read as a solution: its steps, its final answer (and where that came
from), and whether the answer is the gold one.

Steps come from :func:`errsynth.ingest.segment.segment` (lines, display math kept whole,
closing answer lines left out), inside the thinking block when the reply has one and the
answer part is a bare conclusion. The final answer comes from
:func:`errsynth.ingest.final_answer.find_answer` (boxed, ``Final answer:``, ``The answer
is``, ``####``, bold, the concluding sentence) and is compared with
:func:`errsynth.evaluate.grader.equivalent` (exact rules, then math-verify within bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

from errsynth.evaluate import normalize_answer
from errsynth.evaluate.grader import equivalent
from errsynth.ingest.final_answer import find_answer
from errsynth.ingest.reasoning import split_reply
from errsynth.ingest.segment import segment

MAX_STEPS = 200  # a reply with more steps is read no further (a looping model)


@dataclass(frozen=True)
class Graded:
    """One reply as a graded solution."""

    steps: tuple[str, ...]
    answer: str | None  # normalized final answer; None: none found
    answer_raw: str | None
    answer_source: str | None  # boxed | final_answer | the_answer_is | hash | bold | conclusion
    correct: bool

    @property
    def n_steps(self) -> int:
        return len(self.steps)


def reply_steps(content: str) -> list[str]:
    """The steps of a reply (the thinking's when the answer part has fewer than two)."""
    parts = split_reply(content)
    a, b = parts.answer
    answer_text = content[a:b]
    text = answer_text
    if parts.think is not None and len(segment(answer_text)) < 2:
        t0, t1 = parts.think
        text = content[t0:t1] + "\n" + answer_text
    spans = segment(text)[:MAX_STEPS]
    return [text[s:e].strip() for s, e in spans if text[s:e].strip()]


def grade(content: str, gold: str) -> Graded:
    """Read `content` and compare its final answer with `gold` (a normalized answer)."""
    steps = tuple(reply_steps(content))
    parts = split_reply(content)
    a, b = parts.answer
    found = find_answer(content[a:b]) or find_answer(content)
    if found is None:
        return Graded(steps, None, None, None, False)
    normalized = normalize_answer(found.raw)
    ok = bool(normalized) and equivalent(gold, normalized)
    return Graded(steps, normalized, found.raw, found.source, ok)
