"""The sections made from one pass over the samples: mistakes, lengths, sample browser."""

from __future__ import annotations

from html import escape

import errsynth.report.charts as charts
from errsynth.report.html import Cell, figure, fmt, pair, pct, section, subsection, table
from errsynth.report.samples import ROLE_TITLES, sample_html
from errsynth.report.scan import FIRST_STEP_CAP, REL_BINS, TableStats, bin_center

PAGE_SIZE = 10


def _error_kinds(stats: TableStats) -> list[str]:
    return [k for k in sorted(stats.kinds) if stats.kinds[k].errors]


def mistakes_section(stats: TableStats, rates_html: str = "") -> str:
    kinds = _error_kinds(stats)
    by_kind_rows = []
    for (kind, ekind), n in sorted(stats.errors_by_kind.items()):
        known = stats.premature_known[(kind, ekind)]
        by_kind_rows.append(
            [kind, ekind, Cell(n), pct(stats.premature[(kind, ekind)] / known if known else None)]
        )
    counts = table(
        ["sample kind (transform)", "mistake kind", "mistakes", "premature share"],
        by_kind_rows,
        caption="Mistakes by transform and kind (premature: the step needs a value not known yet)",
    )
    per_sample_rows = []
    for kind in sorted(stats.kinds):
        ks = stats.kinds[kind]
        per_sample_rows.append(
            [
                kind,
                Cell(ks.rows),
                Cell(ks.with_errors),
                Cell(ks.errors),
                Cell(round(ks.errors / ks.rows, 3) if ks.rows else None),
            ]
        )
    per_sample = table(
        ["kind", "samples", "with a mistake", "mistakes", "mistakes per sample"],
        per_sample_rows,
        caption="Mistakes per sample",
    )
    max_n = max((n for _, n in stats.errors_per_sample), default=0)
    counts_n = list(range(0, min(max_n, 12) + 1))
    dist_rows = [
        [kind, *[Cell(stats.errors_per_sample[(kind, n)]) for n in counts_n]] for kind in kinds
    ]
    dist = table(
        ["kind", *[f"{n} mistake(s)" for n in counts_n]], dist_rows, caption="Samples by number of mistakes"
    ) if kinds else ""  # fmt: skip
    steps = list(range(FIRST_STEP_CAP + 1))
    used_steps = [s for s in steps if any(stats.first_step[(k, s)] for k in kinds)]
    step_rows = [[kind, *[Cell(stats.first_step[(kind, s)]) for s in used_steps]] for kind in kinds]
    step_table = table(
        ["kind", *[f"step {s}" + ("+" if s == FIRST_STEP_CAP else "") for s in used_steps]],
        step_rows,
        caption="Step index of the first mistake (0 = before the first step)",
    ) if kinds else ""  # fmt: skip

    def share(counter, kind: str, keys: list[int]) -> list[float]:
        total = sum(counter[(kind, k)] for k in keys) or 1
        return [counter[(kind, k)] / total for k in keys]

    step_chart = figure(
        charts.grouped_bars(
            "First mistake: step index",
            [f"{s}" + ("+" if s == FIRST_STEP_CAP else "") for s in used_steps],
            {k: share(stats.first_step, k, used_steps) for k in kinds},
            "share of samples (%)",
            percent=True,
        ),
        "Share of each kind's samples whose first mistake is before step i.",
    )
    deciles = list(range(REL_BINS))
    rel_rows = []
    for kind in kinds:
        n = sum(stats.first_rel[(kind, d)] for d in deciles)
        rel_rows.append(
            [kind, Cell(round(stats.first_rel_sum[kind] / n, 3) if n else None),
             *[pct(stats.first_rel[(kind, d)] / n if n else None) for d in deciles]]
        )  # fmt: skip
    rel_table = table(
        ["kind", "mean", *[f"{d / REL_BINS:.1f}–{(d + 1) / REL_BINS:.1f}" for d in deciles]],
        rel_rows,
        caption="Relative position of the first mistake in the completion (0 = start, 1 = end)",
    ) if kinds else ""  # fmt: skip
    rel_chart = figure(
        charts.lines(
            "First mistake: relative position",
            [(d + 0.5) / REL_BINS for d in deciles],
            {k: share(stats.first_rel, k, deciles) for k in kinds},
            "position in the completion (0 = start, 1 = end)",
            "share of samples (%)",
            percent=True,
        ),
        "Where in the completion the first wrong attempt starts, per kind (deciles).",
    )
    if not kinds:
        return section("mistakes", "Mistakes", per_sample, intro="No sample holds a mistake.")
    return section(
        "mistakes",
        "Mistakes",
        rates_html,
        counts,
        per_sample,
        dist,
        subsection(
            "Position of the first mistake",
            pair(step_table, step_chart),
            rel_table,
            rel_chart,
        ),
    )


def lengths_section(stats: TableStats) -> str:
    kinds = sorted(stats.kinds)
    rows = []
    for kind in kinds:
        ks = stats.kinds[kind]
        rows.append(
            [
                kind,
                Cell(ks.rows),
                Cell(round(ks.tokens.mean, 1)),
                Cell(round(ks.tokens.quantile(0.1))),
                Cell(round(ks.tokens.quantile(0.5))),
                Cell(round(ks.tokens.quantile(0.9))),
                Cell(ks.tokens.high),
                Cell(round(ks.chars.mean, 1)),
                Cell(round(ks.chars.quantile(0.5))),
                Cell(ks.chars.high),
                Cell(ks.tokens.total),
            ]
        )
    lengths = table(
        [
            "kind",
            "samples",
            "tokens mean",
            "p10",
            "median",
            "p90",
            "max",
            "characters mean",
            "median",
            "max",
            "tokens total",
        ],
        rows,
        caption=f"Length per sample by kind (tokens: {stats.token_measure}; quantiles read from "
        "1/8-octave bins, within ±5%)",
    )
    all_bins = sorted({b for k in kinds for b in stats.kinds[k].tokens.bins})
    chart = None
    if all_bins:
        lo, hi = all_bins[0], all_bins[-1]
        bins = list(range(lo, hi + 1))
        chart = charts.lines(
            "Tokens per sample",
            [bin_center(b) for b in bins],
            {
                k: [stats.kinds[k].tokens.bins[b] / max(stats.kinds[k].rows, 1) for b in bins]
                for k in kinds
            },
            f"tokens per sample ({stats.token_measure}, log scale)",
            "share of samples (%)",
            logx=True,
            percent=True,
        )
    return section(
        "lengths",
        "Lengths",
        lengths,
        figure(chart, "Distribution of tokens per sample, per kind (1/8-octave bins)."),
    )


def _options(name: str, label: str, values: list[str]) -> str:
    opts = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return (
        f'<label for="f-{name}">{label}</label>'
        f'<select id="f-{name}" data-filter="{name}"><option value="">all</option>{opts}</select>'
    )


def browser_section(stats: TableStats) -> str:
    kinds = sorted({r["kind"] for r in stats.sample})
    sources = sorted({r["source"] for r in stats.sample})
    styles = sorted({r["style"] for r in stats.sample})
    controls = (
        '<form class="controls" id="controls" role="search" hidden onsubmit="return false">'
        + _options("kind", "kind", kinds)
        + _options("source", "source", sources)
        + _options("style", "style", styles)
        + '<label for="f-q">search</label><input id="f-q" type="search" placeholder="text or id">'
        + '<button type="button" id="prev">◀ previous</button>'
        + '<button type="button" id="next">next ▶</button>'
        + "</form>"
        + '<p id="status" role="status" aria-live="polite"></p>'
    )
    legend = (
        '<p class="legend">Legend: '
        + " ".join(f'<span class="hl {role}">{escape(title)}</span>' for role, title in ROLE_TITLES.items())
        + "</p>"
    )  # fmt: skip
    articles = "".join(sample_html(row, stats.chat_column, i) for i, row in enumerate(stats.sample))
    strata = table(
        ["kind", "source", "style", "rows in the table", "shown here"],
        [
            [k, s, st, Cell(n), Cell(sum(1 for r in stats.sample if (r["kind"], r["source"], r["style"]) == (k, s, st)))]
            for (k, s, st), n in sorted(stats.strata.items())
        ],
        caption="Strata of the sample",
    )  # fmt: skip
    return section(
        "samples",
        "Samples",
        legend,
        controls,
        f'<div id="sample-list" data-page-size="{PAGE_SIZE}">{articles}</div>',
        f"<details><summary>How the samples were chosen</summary>{strata}</details>",
        intro=f"A stratified sample of {len(stats.sample):,} of {fmt(stats.rows)} rows: per "
        "kind × source × style, the rows with the smallest seeded hash of their id. "
        "Without JavaScript all of them are listed; with it, filter, search and page.",
    )
