"""The inline styles (back, igsm, natural): attempts written into the solution body.

Body layout: the clean steps joined by the step separator; before clean step i,
each attempt with ``at == i`` in order, written as

    <attempt text> + " " + <marker> + <separator>

where the attempt text is its steps joined by the separator (in the igsm style, the
attempt's `head` alone when it has one), and the marker is the style's: the back
marker (default ``[BACK]``), ``BACK.`` for igsm, a retraction phrase for natural.
The single space before the marker belongs to no span; removing
``text[attempt_start : marker_end + 1]`` (the +1 is the separator after the marker)
for every attempt gives the clean body back.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.render.attempts import clean_steps
from errsynth.render.config import GLUE, IGSM_MARKER, StyleConfig, step_separator
from errsynth.render.phrases import bank_for
from errsynth.render.segments import Seg, Tag, join
from errsynth.transforms.base import WrongAttempt


def attempt_segs(attempt: WrongAttempt, n: int, sep: str, use_head: bool) -> tuple[list[Seg], str]:
    """The segments of attempt `n` (tagged attempt/wrong) and its wrong text as written."""
    body: tuple[Tag, ...] = (("attempt", n),)
    if use_head and attempt.head is not None:
        return [Seg(attempt.head, (*body, ("wrong", n)))], attempt.head
    segs = [
        Seg(s, (*body, ("wrong", n)) if j == attempt.wrong_step else body)
        for j, s in enumerate(attempt.steps)
    ]
    return join(segs, sep, body), attempt.steps[attempt.wrong_step]


def marker_for(attempt: WrongAttempt, style: StyleConfig, prng: random.Random | None) -> str:
    if style.name == "igsm":
        return IGSM_MARKER
    if style.name == "natural":
        if prng is None:
            raise ValueError("the natural style needs a random generator")
        return prng.choice(bank_for(attempt.kind, attempt.detail, style.phrases_by_kind))
    return style.marker


def inline_body(
    row: Mapping[str, Any],
    attempts: Sequence[WrongAttempt],
    style: StyleConfig,
    prng: random.Random | None,
) -> tuple[list[Seg], list[tuple[WrongAttempt, str]]]:
    """The body segments and the attempts placed in it, numbered in text order."""
    sep = step_separator(row)
    steps = clean_steps(row)
    before: dict[int, list[tuple[int, WrongAttempt]]] = {}
    for n, a in enumerate(attempts):
        before.setdefault(a.at, []).append((n, a))
    placed: list[tuple[WrongAttempt, str]] = []
    segs: list[Seg] = []
    for i, step in enumerate(steps):
        if i:
            segs.append(Seg(sep))
        for n, a in before.get(i, []):
            a_segs, wrong = attempt_segs(a, n, sep, use_head=style.name == "igsm")
            segs.extend(a_segs)
            segs.append(Seg(GLUE))
            segs.append(Seg(marker_for(a, style, prng), (("marker", n),)))
            segs.append(Seg(sep))
            placed.append((a, wrong))
        segs.append(Seg(step, tuple(("fix", n) for n, _ in before.get(i, []))))
    return segs, placed


def clean_body(row: Mapping[str, Any]) -> str:
    return step_separator(row).join(clean_steps(row))
