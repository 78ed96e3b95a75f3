"""Charts as inline SVG, drawn with matplotlib (Agg backend, no display needed).

matplotlib is a core dependency because every run writes a report, but a broken or
stripped install must not cost a run its report: without it :data:`AVAILABLE` is False,
every chart function returns None and the page keeps its tables (which carry every
number anyway). Colours are the Okabe–Ito palette (distinguishable with the common
colour-vision deficiencies), and series differ by hatch or marker too.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only without matplotlib
    plt = None
    AVAILABLE = False

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
HATCHES = ("", "//", "..", "xx", "\\\\", "--", "++", "oo")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_ID = re.compile(r'id="([^"]+)"')

_RC = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, read by screen readers
    "svg.hashsalt": "errsynth-report",  # stable ids: the same run gives the same page
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
}


def _svg(fig: object, title: str) -> str:
    """The figure as an <svg> element with ids made unique within the page."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[union-attr]
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # ids unique within the page yet the same for the same chart (a deterministic page)
    prefix = "c" + hashlib.sha1((title + text).encode()).hexdigest()[:8] + "-"
    for name in set(_ID.findall(text)):
        text = text.replace(f'id="{name}"', f'id="{prefix}{name}"')
        text = text.replace(f"#{name})", f"#{prefix}{name})").replace(
            f'"#{name}"', f'"#{prefix}{name}"'
        )
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    percent: bool = False,
    horizontal: bool = False,
    colors: Sequence[str] | None = None,
) -> str | None:
    """Bars of several series side by side per category (colour and hatch per series)."""
    if not AVAILABLE or not categories or not series:
        return None
    with plt.rc_context(_RC):  # type: ignore[union-attr]
        n = len(series)
        height = max(2.4, 0.28 * len(categories) * max(1, n) + 0.9) if horizontal else 3.0
        fig, ax = plt.subplots(figsize=(6.4, min(height, 9.0)))  # type: ignore[union-attr]
        width = 0.8 / n
        for i, (name, values) in enumerate(series.items()):
            xs = [c + (i - (n - 1) / 2) * width for c in range(len(categories))]
            ys = [100 * v if percent else v for v in values]
            style = {
                "color": (colors or OKABE_ITO)[i % len(colors or OKABE_ITO)],
                "hatch": HATCHES[i % len(HATCHES)],
                "edgecolor": "#222222",
                "linewidth": 0.5,
                "label": name,
            }
            if horizontal:
                ax.barh(xs, ys, height=width, **style)
            else:
                ax.bar(xs, ys, width=width, **style)
        ticks = list(range(len(categories)))
        if horizontal:
            ax.set_yticks(ticks, categories)
            ax.invert_yaxis()
            ax.set_xlabel(ylabel)
        else:
            ax.set_xticks(
                ticks,
                categories,
                rotation=30 if len(categories) > 6 else 0,
                ha="right" if len(categories) > 6 else "center",
            )
            ax.set_ylabel(ylabel)
        if n > 1:
            ax.legend(frameon=False, fontsize=8)
        ax.set_title(title)
        fig.tight_layout()
        return _svg(fig, title)


def lines(
    title: str,
    xs: Sequence[float],
    series: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    percent: bool = False,
    baseline: Sequence[float] | None = None,
    baseline_label: str = "",
    ylim: tuple[float, float] | None = None,
) -> str | None:
    """One line per series (colour, marker and dash pattern per series)."""
    if not AVAILABLE or not xs or not series:
        return None
    dashes = ("-", "--", ":", "-.")
    with plt.rc_context(_RC):  # type: ignore[union-attr]
        fig, ax = plt.subplots(figsize=(6.4, 3.0))  # type: ignore[union-attr]
        for i, (name, values) in enumerate(series.items()):
            ax.plot(
                xs,
                [100 * v if percent else v for v in values],
                color=OKABE_ITO[i % len(OKABE_ITO)],
                marker=MARKERS[i % len(MARKERS)],
                markersize=3.5,
                linestyle=dashes[i % len(dashes)],
                linewidth=1.3,
                label=name,
            )
        if baseline is not None:
            ax.plot(
                xs,
                [100 * v if percent else v for v in baseline],
                color="#000000",
                linestyle=(0, (4, 2, 1, 2)),
                linewidth=1.0,
                label=baseline_label,
            )
        if logx:
            ax.set_xscale("log", base=2)
        elif all(isinstance(x, int) for x in xs) and len(xs) <= 30:
            ax.set_xticks(list(xs))  # whole numbers (operations, steps): no 1.25 ticks
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False, fontsize=8)
        ax.set_title(title)
        fig.tight_layout()
        return _svg(fig, title)
