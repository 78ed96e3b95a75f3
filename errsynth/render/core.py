"""render and render_clean: dispatch on the style, then flatten into text with spans."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from errsynth.render.attempts import ordered_attempts, question_of
from errsynth.render.cac import cac_turns
from errsynth.render.config import INLINE_STYLES, StyleConfig
from errsynth.render.inline import clean_body, inline_body
from errsynth.render.lema import lema_turns
from errsynth.render.phrases import phrase_rng
from errsynth.render.result import Rendered, assemble
from errsynth.render.segments import Seg, Turn, flatten
from errsynth.transforms.base import Candidate, WrongAttempt


def question_turn(row: Mapping[str, Any], style: StyleConfig) -> Turn:
    """The prompt side of a plain sample: the bare question in a chat, else the template."""
    q = question_of(row)
    return Turn("user", (Seg(q if style.chat else style.question_template.format(question=q)),))


def render(candidate: Candidate, style: StyleConfig, rng: random.Random) -> Rendered:
    """The candidate as a training sample in `style`.

    Deterministic in (candidate, style, rng state). The natural and cac styles take one
    draw from `rng` (their wording generator); back, igsm and lema take none.
    The candidate is only read.
    """
    attempts = ordered_attempts(candidate)
    row = candidate.row
    placed: list[tuple[WrongAttempt, str]]
    if style.name in INLINE_STYLES:
        prng = phrase_rng(rng, style.phrases_seed) if style.name == "natural" else None
        body, placed = inline_body(row, attempts, style, prng)
        turns = [question_turn(row, style), Turn("assistant", tuple(body))]
    elif style.name == "lema":
        turns, placed = lema_turns(row, attempts, style)
    else:
        turns, placed = cac_turns(row, attempts, style, phrase_rng(rng, style.phrases_seed))
    return assemble(flatten(turns, style.chat), style.name, placed)


def render_clean(row: Mapping[str, Any], style: StyleConfig) -> Rendered:
    """The clean solution alone, laid out as `style` lays out its question and answer.

    back, igsm, natural: the same prompt, and the clean body as completion (a chat
    with messages output). lema: a plain question/answer sample (LEMA mixes its
    correction records with ordinary solutions). cac: a two-turn chat.
    """
    turns = [question_turn(row, style), Turn("assistant", (Seg(clean_body(row)),))]
    return assemble(flatten(turns, style.chat), style.name, [])
