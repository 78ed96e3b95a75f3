"""The record :func:`~errsynth.evaluate.find_equations` returns for each equation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self, expr: str, claimed: str, start: int, end: int, kind: str, syntax: str
    ) -> None:
        # Frozen: the generated __init__ would call object.__setattr__ per field (~1 µs
        # for six, ~65 times per long reply); the slots' own setters cost half of that.
        _set_expr(self, expr)
        _set_claimed(self, claimed)
        _set_start(self, start)
        _set_end(self, end)
        _set_kind(self, kind)
        _set_syntax(self, syntax)


_set_expr = FoundEquation.__dict__["expr"].__set__
_set_claimed = FoundEquation.__dict__["claimed"].__set__
_set_start = FoundEquation.__dict__["start"].__set__
_set_end = FoundEquation.__dict__["end"].__set__
_set_kind = FoundEquation.__dict__["kind"].__set__
_set_syntax = FoundEquation.__dict__["syntax"].__set__
