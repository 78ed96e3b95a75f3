"""Small HTML helpers: escaped tables with numbers right-aligned, sections, figures."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any


class Cell:
    """A table cell: its shown text, and optionally a manifest key the tests check it by."""

    __slots__ = ("html", "key", "numeric")

    def __init__(self, value: Any, key: str | None = None, raw_html: bool = False) -> None:
        self.numeric = isinstance(value, int | float) and not isinstance(value, bool)
        self.html = value if raw_html else escape(fmt(value))
        self.key = key


def fmt(value: Any) -> str:
    """Integers with thousands separators, floats to 4 significant digits, None as –."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4g}" if abs(value) >= 1 else f"{value:.4g}"
    return str(value)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    caption: str = "",
    row_heads: bool = True,
    css: str = "",
) -> str:
    """A data table; the first column is a row header when `row_heads`."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cell = value if isinstance(value, Cell) else Cell(value)
            attrs = ' class="num"' if cell.numeric else ""
            if cell.key:
                attrs += f' data-key="{escape(cell.key)}"'
            tag = "th" if i == 0 and row_heads else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{attrs}>{cell.html}</{tag}>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    klass = f' class="{css}"' if css else ""
    return (
        f'<div class="tablewrap"><table{klass}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(svg: str | None, caption: str) -> str:
    if svg is None:
        return ""
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def section(anchor: str, title: str, *parts: str, intro: str = "") -> str:
    lead = f'<p class="intro">{intro}</p>' if intro else ""
    return (
        f'<section id="{escape(anchor)}" aria-labelledby="{escape(anchor)}-h">'
        f'<h2 id="{escape(anchor)}-h">{escape(title)}</h2>{lead}{"".join(p for p in parts if p)}'
        "</section>"
    )


def subsection(title: str, *parts: str) -> str:
    body = "".join(p for p in parts if p)
    return f"<h3>{escape(title)}</h3>{body}" if body else ""


def pair(left: str, right: str) -> str:
    """Two blocks side by side on a wide screen (stacked on a narrow one)."""
    if not (left and right):
        return left or right
    return f'<div class="pair"><div>{left}</div><div>{right}</div></div>'
