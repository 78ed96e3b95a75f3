"""render and render_clean: the style's renderer (from `RENDERERS`), then text with spans.

Each style name is registered in `RENDERERS` (one `core.registry.Registry`) with the
function that lays a candidate out: the inline styles (back, igsm, natural) write
attempt, marker and fix in one body; lema writes a correction record; cac a chat.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from errsynth.core.registry import Registry
from errsynth.render.attempts import clean_steps, ordered_attempts, question_of
from errsynth.render.cac import cac_turns
from errsynth.render.config import INLINE_STYLES, StyleConfig, format_question
from errsynth.render.inline import clean_body, write_inline_body
from errsynth.render.lema import lema_turns
from errsynth.render.phrases import phrase_rng
from errsynth.render.result import Rendered, assemble
from errsynth.render.segments import Layout, Seg, Turn, flatten
from errsynth.types.candidates import Candidate


def question_turn(row: Mapping[str, Any], style: StyleConfig) -> Turn:
    """The prompt side of a plain sample: the bare question in a chat, else the template."""
    q = question_of(row)
    return Turn("user", (Seg(q if style.chat else format_question(style.question_template, q)),))


#: The styles that draw from the sample's rng (one draw each, for their wording).
DRAWING_STYLES: tuple[str, ...] = ("natural", "cac")


def style_draws(style: StyleConfig) -> bool:
    """Whether :func:`render` draws from its rng in `style` (else the rng may be None)."""
    return style.name in DRAWING_STYLES


def _wording_rng(rng: random.Random | None, style: StyleConfig) -> random.Random:
    if rng is None:
        raise ValueError(f"the {style.name} style needs a random generator")
    return phrase_rng(rng, style.phrases_seed)


#: A style's renderer: (candidate, style, rng) to a rendered sample (see :func:`render`).
Renderer = Callable[[Candidate, StyleConfig, "random.Random | None"], Rendered]

RENDERERS: Registry[Renderer] = Registry("style")


def render(candidate: Candidate, style: StyleConfig, rng: random.Random | None) -> Rendered:
    """The candidate as a training sample in `style`.

    Deterministic in (candidate, style, rng state). The natural and cac styles take one
    draw from `rng` (their wording generator); back, igsm and lema take none, so they
    accept None (seeding a generator costs more than rendering a short sample).
    The candidate is only read.
    """
    return RENDERERS[style.name](candidate, style, rng)


def render_inline(candidate: Candidate, style: StyleConfig, rng: random.Random | None) -> Rendered:
    """back, igsm, natural: attempt, marker and fix in one body after the question."""
    row = candidate.row
    steps = clean_steps(row)
    attempts = ordered_attempts(candidate, steps)
    prng = _wording_rng(rng, style) if style.name == "natural" else None
    layout = _question_layout(row, style)
    layout.turn("assistant")
    placed = write_inline_body(layout, row, steps, attempts, style, prng)
    return assemble(layout.done(), style.name, placed)


def render_lema(candidate: Candidate, style: StyleConfig, rng: random.Random | None) -> Rendered:
    """lema: a correction record (the student's solution up to the wrong step, then the fix)."""
    row = candidate.row
    attempts = ordered_attempts(candidate, clean_steps(row))
    turns, placed = lema_turns(row, attempts, style)
    return assemble(flatten(turns, style.chat), style.name, placed)


def render_cac(candidate: Candidate, style: StyleConfig, rng: random.Random | None) -> Rendered:
    """cac: a Check-as-Context chat, up to `style.rounds` check rounds."""
    row = candidate.row
    attempts = ordered_attempts(candidate, clean_steps(row))
    turns, placed = cac_turns(row, attempts, style, _wording_rng(rng, style))
    return assemble(flatten(turns, style.chat), style.name, placed)


for _name in INLINE_STYLES:
    RENDERERS.add(_name, render_inline)
RENDERERS.add("lema", render_lema)
RENDERERS.add("cac", render_cac)


def render_clean(row: Mapping[str, Any], style: StyleConfig) -> Rendered:
    """The clean solution alone, laid out as `style` lays out its question and answer.

    back, igsm, natural: the same prompt, and the clean body as completion (a chat
    with messages output). lema: a plain question/answer sample (LEMA mixes its
    correction records with ordinary solutions). cac: a two-turn chat.
    """
    layout = _question_layout(row, style)
    layout.turn("assistant")
    layout.write(clean_body(row))
    return assemble(layout.done(), style.name, [])


def _question_layout(row: Mapping[str, Any], style: StyleConfig) -> Layout:
    """A layout with the prompt side of a plain sample written (see :func:`question_turn`)."""
    layout = Layout(style.chat)
    layout.turn("user")
    q = question_of(row)
    layout.write(q if layout.chat else format_question(style.question_template, q))
    return layout
