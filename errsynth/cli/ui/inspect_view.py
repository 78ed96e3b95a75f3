"""Pretty-print solution rows: steps, equations with the evaluator's verdicts, and the number flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from errsynth.cli.ui.inspect_chat import RowFilter, chat_turns, read_filtered, render_chat
from errsynth.cli.ui.mistake_log_view import render_summary
from errsynth.cli.ui.safe_output import markup_escape, neutralize, plain, safe_console
from errsynth.render.highlight import highlight
from errsynth.types.mistake_log import is_mistake_log

VERDICT_STYLE = {True: ("ok", "green"), False: ("WRONG", "bold red"), None: ("?", "yellow")}


def resolve_table_path(path: str | Path) -> Path:
    """A Parquet file, or the main table inside an errsynth output directory."""
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        for candidate in ("samples.parquet", "solutions.parquet", "shards"):
            if (p / candidate).exists():
                return p / candidate
        found = sorted(p.glob("*.parquet"))
        if found:
            return found[0]
        raise FileNotFoundError(f"{p}: no solutions.parquet, shards/ or *.parquet inside")
    raise FileNotFoundError(f"{p}: no such file or directory")


def read_rows(path: str | Path, n: int, offset: int = 0) -> list[dict[str, Any]]:
    """The first `n` rows after `offset`, without reading the whole table."""
    dataset = ds.dataset(resolve_table_path(path), format="parquet")
    rows: list[dict[str, Any]] = []
    skipped = 0
    for batch in dataset.to_batches(batch_size=max(64, n)):
        if skipped + batch.num_rows <= offset:
            skipped += batch.num_rows
            continue
        start = max(0, offset - skipped)
        skipped = offset
        rows.extend(batch.slice(start, n - len(rows)).to_pylist())
        if len(rows) >= n:
            break
    return rows


def _step_text(step: str, equations: list[dict[str, Any]]) -> Text:
    text = Text(neutralize(step))  # one character for one: the spans stay valid
    for eq in equations:
        _, style = VERDICT_STYLE[eq["ok"]]
        text.stylize(f"underline {style}", eq["start"], eq["end"])
    return text


def render_solution(row: dict[str, Any]) -> Panel:
    """One solution as a rich panel."""
    by_step: dict[int, list[dict[str, Any]]] = {}
    for eq in row.get("equations") or []:
        by_step.setdefault(eq["step"], []).append(eq)
    table = Table(show_header=True, header_style="bold", expand=True, box=None)
    table.add_column("#", justify="right", style="dim", width=3)
    table.add_column("step", ratio=5)
    table.add_column("equations", ratio=3)
    table.add_column("flow", ratio=2)
    produces = row.get("produces") or []
    uses = row.get("uses") or []
    for i, step in enumerate(row["steps"]):
        eqs = by_step.get(i, [])
        eq_text = Text()
        for eq in eqs:
            label, style = VERDICT_STYLE[eq["ok"]]
            mod = f" (mod {eq['modulus']})" if eq.get("modulus") else ""
            eq_text.append(neutralize(f"{eq['expr']} = {eq['claimed']}{mod} "), style="cyan")
            eq_text.append(f"[{label}", style=style)
            if eq["ok"] is not True or eq["reason"] not in ("exact",):
                eq_text.append(neutralize(f": {eq['reason']}"), style=style)
            if eq["ok"] is False and eq.get("value") is not None:
                eq_text.append(neutralize(f", is {eq['value']}"), style=style)
            eq_text.append("]\n", style=style)
        flow = Text()
        if i < len(uses) and uses[i]:
            flow.append(neutralize("uses " + ", ".join(f"{u['ref']}←{u['step']}" for u in uses[i])))
            flow.append("\n")
        if i < len(produces) and produces[i]:
            flow.append(neutralize("makes " + ", ".join(produces[i])), style="magenta")
        table.add_row(str(i), _step_text(step, eqs), eq_text, flow)
    meta = json.loads(row["meta"]) if isinstance(row.get("meta"), str) else (row.get("meta") or {})
    shown_meta = {
        k: v for k, v in meta.items() if isinstance(v, str | int | float) and len(str(v)) < 60
    }
    header = Text()
    header.append("Q: ", style="bold")
    header.append(neutralize(str(row["question"])))
    footer = Text()
    footer.append("answer: ", style="bold")
    footer.append(neutralize(str(row["answer"])), style="bold green")
    if shown_meta:
        footer.append(
            neutralize("   " + "  ".join(f"{k}={v}" for k, v in list(shown_meta.items())[:6])),
            style="dim",
        )
    title = plain(f"{row.get('source', '')} · {row.get('id', '')}")
    return Panel(Group(header, Text(""), table, Text(""), footer), title=title, title_align="left")


def render_sample(row: dict[str, Any]) -> Panel:
    """A retry sample: wrong parts red, markers yellow, the correction green, with findings."""
    body = highlight(row)
    notes = Text()
    for e in row.get("errors") or []:
        flag = (
            ""
            if e.get("premature") is None
            else (" premature" if e["premature"] else " not premature")
        )
        notes.append(neutralize(f"step {e['step']} · {e['kind']}{flag}: "), style="bold")
        notes.append(neutralize(f"{e['finding']}") + "\n", style="dim")
    title = plain(
        f"{row.get('kind', '')} · {row.get('style', '')} · {row.get('source', '')} · {row.get('id', '')}"
    )
    subtitle = plain(f"{row.get('n_errors', 0)} error(s) · answer {row.get('answer', '')}")
    return Panel(Group(body, Text(""), notes), title=title, title_align="left", subtitle=subtitle)


def inspect_path(
    path: str | Path,
    n: int = 3,
    offset: int = 0,
    console: Console | None = None,
    row_filter: RowFilter | None = None,
) -> int:
    """Print `n` rows (those `row_filter` keeps); returns how many were shown."""
    console = console or safe_console()
    if Path(path).is_dir() and is_mistake_log(path):  # a training run's Mistake Log
        console.print(render_summary(path))
        return 1
    if row_filter is not None and not row_filter.empty:
        dataset = ds.dataset(resolve_table_path(path), format="parquet")
        rows = read_filtered(dataset, n, offset, row_filter)
    else:
        rows = read_rows(path, n, offset)
    for row in rows:
        if chat_turns(row) is not None and ("messages" in row or "steps" in row):
            console.print(render_chat(row))
            if "steps" in row and "equations" in row:
                console.print(render_solution(row))
        elif "steps" in row and "equations" in row:
            console.print(render_solution(row))
        elif "text" in row and "errors" in row:
            console.print(render_sample(row))
        else:
            console.print(
                Panel(plain(json.dumps(row, indent=2, default=str, ensure_ascii=False)[:4000]))
            )
    if not rows:
        console.print(f"[yellow]{markup_escape(path)}: no rows at offset {offset}[/yellow]")
    return len(rows)
