"""One entry point for the three equation finders."""

from __future__ import annotations

from typing import Literal

from .find_latex import find_latex
from .find_plain import find_annotations, find_inline
from .found import FoundEquation

Kind = Literal["annotation", "inline", "latex"]


def find_equations(text: str, *, kind: Kind) -> list[FoundEquation]:
    """Equations of one ``kind`` in ``text``, in order of position.

    ``"annotation"``: GSM8K calculator annotations ``<<expr=result>>``.
    ``"inline"``: prose equations such as ``12 x 4 = 48`` (outside annotations).
    ``"latex"``: equations inside LaTeX math.
    """
    if kind == "annotation":
        return find_annotations(text)
    if kind == "inline":
        return find_inline(text)
    if kind == "latex":
        return find_latex(text)
    raise ValueError(f"unknown equation kind {kind!r}")
