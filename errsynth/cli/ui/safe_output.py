"""Text from data is shown on a terminal, never obeyed by it.

Corpus records, LLM replies, file names and reasons can hold terminal escape sequences
(set the title, clear the screen, conceal text, move the cursor), C1 controls (a bare
0x9b starts a sequence on many terminals), bidi overrides (text that reads differently
than it is) and rich markup (``[link=...]``). Every printer of errsynth goes through
this module:

- :func:`neutralize` draws each such character as a visible symbol, one character for
  one (C0 controls as their Unicode control pictures, ``␛`` for ESC; C1 controls, lone
  surrogates and bidi controls as ``\N{REPLACEMENT CHARACTER}``), so character offsets computed on
  the raw text (highlight spans) stay valid. Newline and tab are kept.
- :func:`plain` makes a rich ``Text`` of data (no markup parsing), :func:`markup_escape`
  makes data safe to interpolate into a markup string.
- :func:`safe_console` is the console every command prints with: a rich ``Console``
  whose every rendered text segment is neutralized, a backstop for anything a printer
  forgot (rich's own colour and cursor codes are separate segments and stay).
- :func:`echo` is ``click.echo`` for text that may hold data; :class:`SafeGroup`
  neutralizes the message of every ``ClickException`` a command raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from errsynth.core.terminal_text import neutralize

__all__ = [
    "SafeConsole",
    "SafeGroup",
    "echo",
    "markup_escape",
    "neutralize",
    "plain",
    "safe_console",
]


def plain(text: Any, style: str = "") -> Text:
    """A rich Text of ``text`` (str() of it), neutralized and never read as markup."""
    return Text(neutralize(str(text)), style=style)


def markup_escape(text: Any) -> str:
    """``text`` neutralized and with rich markup escaped, for an f-string of markup."""
    return escape(neutralize(str(text)))


class SafeConsole(Console):
    """A rich Console that neutralizes the text of every segment it renders."""

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and segment.text:
                cleaned = neutralize(segment.text)
                if cleaned != segment.text:
                    segment = Segment(cleaned, segment.style)
            yield segment


def safe_console(**kwargs: Any) -> SafeConsole:
    """The console errsynth prints with (same arguments as rich's Console)."""
    return SafeConsole(**kwargs)


def echo(message: Any = "", **kwargs: Any) -> None:
    """``click.echo`` of ``message`` neutralized."""
    click.echo(neutralize(str(message)), **kwargs)


class SafeGroup(click.Group):
    """A click group whose commands' error messages are neutralized before they print."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = neutralize(str(exc.message))
            raise
