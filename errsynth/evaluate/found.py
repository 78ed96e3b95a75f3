"""The record :func:`~errsynth.evaluate.find_equations` returns for each equation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FoundEquation:
    """One ``expr = claimed`` link found in a text.

    ``[start, end)`` is the span of the equation as written: the whole ``<<...>>`` for
    annotations (every link of ``<<a=b=c>>`` shares it), from the first character of
    ``expr`` to the last of ``claimed`` otherwise. ``kind`` is ``"annotation"``,
    ``"inline"`` or ``"latex"``; ``syntax`` (``"plain"`` or ``"latex"``) is what to pass
    to :func:`~errsynth.evaluate.check_equation`.
    """

    expr: str
    claimed: str
    start: int
    end: int
    kind: str
    syntax: str
