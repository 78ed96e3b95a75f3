"""Seeded near-duplicate planting, to measure recall of dedup and decontamination.

The edits imitate what a re-crawl, a copy into another dataset, or a light
paraphrase does to a math problem: presentation changes (case, whitespace,
punctuation) that normalization should absorb, plus a few content edits (a word
swapped for a synonym, a number changed, a short sentence added). Each
perturbed copy gets 1..`max_content_edits` content edits. `wrap_copy` models a
verbatim copy pasted into a prompt (the usual way eval questions leak).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

SYNONYMS: dict[str, str] = {
    "buys": "purchases",
    "bought": "purchased",
    "has": "owns",
    "gets": "receives",
    "got": "received",
    "gives": "hands",
    "gave": "handed",
    "total": "overall",
    "each": "every",
    "wants": "would like",
    "needs": "requires",
    "makes": "earns",
    "spent": "paid",
    "uses": "takes",
    "many": "many total",
    "much": "much in total",
    "store": "shop",
    "money": "cash",
    "friends": "pals",
    "week": "week's time",
    "half": "one half",
    "twice": "two times",
    "every": "each",
    "then": "after that",
    "cost": "price",
    "price": "cost",
    "large": "big",
    "small": "little",
    "children": "kids",
}

WRAPPERS = (
    ("Solve the following problem.", ""),
    ("Question:", "Answer:"),
    ("", "Show your work."),
    ("Here is a math problem for you.", "Give only the final answer."),
)

SENTENCES = (
    "Show your work.",
    "Explain your answer.",
    "Give the answer as a number.",
    "Think step by step.",
    "Answer in the simplest form.",
    "Please solve this problem.",
)

_WORD = re.compile(r"[A-Za-z]+")
_NUMBER = re.compile(r"\d+")


def _case(rng: random.Random, text: str) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return text.lower()
    if choice == 1:
        return text.upper()
    words = text.split(" ")
    i = rng.randrange(len(words))
    words[i] = words[i].capitalize() if words[i][:1].islower() else words[i].lower()
    return " ".join(words)


def _space(rng: random.Random, text: str) -> str:
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return text + "  "
    i = rng.choice(spaces)
    return text[:i] + rng.choice(["  ", "\n", " \t", "\u00a0"]) + text[i + 1 :]


def _punct(rng: random.Random, text: str) -> str:
    marks = [m.start() for m in re.finditer(r"[,.?!;:]", text)]
    if marks and rng.random() < 0.5:
        i = rng.choice(marks)
        return text[:i] + text[i + 1 :]
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return text + "."
    i = rng.choice(spaces)
    return text[:i] + rng.choice([",", ";", " -"]) + text[i:]


def _number(rng: random.Random, text: str) -> str:
    nums = list(_NUMBER.finditer(text))
    if not nums:
        return _word(rng, text)
    m = rng.choice(nums)
    old = int(m.group())
    new = old + rng.choice([1, 2, 3, 5, 10]) * rng.choice([-1, 1])
    if new < 0 or new == old:
        new = old + 1
    return text[: m.start()] + str(new) + text[m.end() :]


def _word(rng: random.Random, text: str) -> str:
    words = [m for m in _WORD.finditer(text) if len(m.group()) >= 3]
    if not words:
        return text + " " + rng.choice(SENTENCES)
    known = [m for m in words if m.group().lower() in SYNONYMS]
    m = rng.choice(known) if known else rng.choice(words)
    repl = SYNONYMS.get(m.group().lower(), "some")
    return text[: m.start()] + repl + text[m.end() :]


def _append(rng: random.Random, text: str) -> str:
    return text.rstrip() + " " + rng.choice(SENTENCES)


SURFACE_EDITS: tuple[Callable[[random.Random, str], str], ...] = (_case, _space, _punct)
CONTENT_EDITS: tuple[Callable[[random.Random, str], str], ...] = (_number, _word, _word, _append)


def perturb(text: str, rng: random.Random, max_content_edits: int = 3) -> str:
    """A lightly edited copy of `text`: 0-3 surface edits and 1..max content edits."""
    out = text
    for edit in rng.sample(SURFACE_EDITS, rng.randrange(len(SURFACE_EDITS) + 1)):
        out = edit(rng, out)
    for _ in range(rng.randint(1, max(1, max_content_edits))):
        out = rng.choice(CONTENT_EDITS)(rng, out)
    return out


def wrap_copy(text: str, rng: random.Random) -> str:
    """A copy as it appears when a problem is pasted into a prompt: 0-3 surface
    edits and an instruction before and/or after it, wording untouched."""
    out = text
    for edit in rng.sample(SURFACE_EDITS, rng.randrange(len(SURFACE_EDITS) + 1)):
        out = edit(rng, out)
    before, after = rng.choice(WRAPPERS)
    return " ".join(p for p in (before, out, after) if p)
