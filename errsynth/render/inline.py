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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from errsynth.render.annotations import glue_for
from errsynth.render.attempts import clean_steps
from errsynth.render.config import IGSM_MARKER, StyleConfig, step_separator
from errsynth.render.phrases import bank_for
from errsynth.render.segments import Layout, Seg, Tag, join
from errsynth.types.candidates import WrongAttempt


def attempt_segs(attempt: WrongAttempt, n: int, sep: str, use_head: bool) -> tuple[list[Seg], str]:
    """The segments of attempt `n` (tagged attempt/wrong) and its wrong text as written."""
    body: tuple[Tag, ...] = (("attempt", n),)
    if use_head and attempt.head is not None:
        return [Seg(attempt.head, (*body, ("wrong", n)))], attempt.head
    if len(attempt.steps) == 1 and attempt.wrong_step == 0:  # the common case, in short
        return [Seg(attempt.steps[0], (*body, ("wrong", n)))], attempt.steps[0]
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


def write_inline_body(
    layout: Layout,
    row: Mapping[str, Any],
    steps: Sequence[str],
    attempts: Sequence[WrongAttempt],
    style: StyleConfig,
    prng: random.Random | None,
) -> list[tuple[WrongAttempt, str]]:
    """Write the body into `layout`; the attempts placed in it (numbered in text order).

    `steps` are the row's :func:`clean_steps`; `attempts` must be in text order (by
    `at`). Only attempts, markers and the steps they come before are tagged; the clean
    text between two tagged pieces (runs of steps without attempts and their
    separators) is written as one piece.
    """
    sep = step_separator(row)
    use_head = style.name == "igsm"
    write = layout.write
    placed: list[tuple[WrongAttempt, str]] = []
    last = -1  # the clean step the current group of attempts comes before
    fixes: list[Tag] = []  # the tags of that step
    # The separator after each marker is written when what follows is known: the next
    # attempt of the group, or the group's step.
    for n, a in enumerate(attempts):
        at = a.at
        if at < last:
            raise ValueError(f"attempt {n} comes before step {at}, after step {last}: not in order")
        if at == last:
            write(sep)
        else:  # the first attempt before step `at`: the clean text up to it
            if fixes:  # the previous group's step
                write(sep)
                write(steps[last], tuple(fixes))
                fixes.clear()
                write(sep + "".join([s + sep for s in steps[last + 1 : at]]))
            elif at:
                write(sep.join(steps[:at]) + sep)
            last = at
        if use_head and a.head is not None:
            wrong = a.head
            write(wrong, (("attempt", n), ("wrong", n)))
        else:
            wrong = _write_attempt_steps(write, a, n, sep)
        marker = marker_for(a, style, prng)
        written = a.head if use_head and a.head is not None else sep.join(a.steps)
        write(glue_for(written, marker, style.name))
        write(marker, (("marker", n),))
        fixes.append(("fix", n))
        placed.append((a, wrong))
    if fixes:
        write(sep)
        write(steps[last], tuple(fixes))
        if last + 1 < len(steps):
            write(sep + sep.join(steps[last + 1 :]))
    elif steps:
        write(sep.join(steps))
    return placed


def _write_attempt_steps(write: Callable[..., None], a: WrongAttempt, n: int, sep: str) -> str:
    """Write an attempt's steps (the layout of :func:`attempt_segs`); its wrong text."""
    body: tuple[Tag, ...] = (("attempt", n),)
    for j, s in enumerate(a.steps):
        if j:
            write(sep, body)
        write(s, (*body, ("wrong", n)) if j == a.wrong_step else body)
    return a.steps[a.wrong_step]


def clean_body(row: Mapping[str, Any]) -> str:
    return step_separator(row).join(clean_steps(row))
