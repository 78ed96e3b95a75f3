"""Progress bars for long work (rich), off when asked or when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from errsynth.cli.ui.safe_output import markup_escape, safe_console


class _RateColumn(TextColumn):
    """Items per second from the task's own speed estimate."""

    def __init__(self, unit: str) -> None:
        super().__init__("")
        self.unit = unit

    def render(self, task):  # type: ignore[no-untyped-def]
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {self.unit}/s" if speed else f"- {self.unit}/s", style="cyan")


@contextmanager
def counter_progress(
    description: str, unit: str, total: int | None = None, *, disable: bool = False
) -> Iterator[Callable[[int], None]]:
    """A bar (or a counter when `total` is unknown); yields `advance(n)`."""
    disable = disable or not sys.stderr.isatty()
    columns = [SpinnerColumn(), TextColumn("[bold]{task.description}")]
    columns += (
        [BarColumn(), MofNCompleteColumn()] if total else [TextColumn("{task.completed:,} " + unit)]
    )
    columns += [_RateColumn(unit), TimeElapsedColumn()]
    with Progress(
        *columns, console=safe_console(stderr=True), disable=disable, transient=False
    ) as progress:
        task = progress.add_task(markup_escape(description), total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def stage_progress(
    *, disable: bool = False
) -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """One bar per pipeline stage; yields `new_bar(description, total) -> advance(n)`."""
    disable = disable or not sys.stderr.isatty()
    columns = [
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=safe_console(stderr=True), disable=disable) as progress:

        def new_bar(description: str, total: int | None) -> Callable[[int], None]:
            task = progress.add_task(markup_escape(description), total=total)
            return lambda n: progress.advance(task, n)

        yield new_bar
