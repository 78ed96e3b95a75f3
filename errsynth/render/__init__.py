"""Rendering: a candidate with wrong attempts becomes training text in a style, with exact spans.

Styles: back (``[BACK]`` marker, Physics of LM 2.2), igsm (the iGSM generator's own
``Define X as BACK.`` form), natural (seeded retraction phrases), lema (a correction
record), cac (a Check-as-Context chat). Every span in a :class:`Rendered` is a
character offset into its `text`, computed from the layout, never found by search.
"""

from __future__ import annotations

from errsynth.render.config import OUTPUTS, STYLES, StyleConfig, step_separator
from errsynth.render.core import DRAWING_STYLES, RENDERERS, render, render_clean, style_draws
from errsynth.render.result import Rendered
from errsynth.render.roundtrip import round_trip_ok, strip_attempts

__all__ = [
    "DRAWING_STYLES",
    "OUTPUTS",
    "RENDERERS",
    "STYLES",
    "Rendered",
    "StyleConfig",
    "render",
    "render_clean",
    "round_trip_ok",
    "step_separator",
    "strip_attempts",
    "style_draws",
]
