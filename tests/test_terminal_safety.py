"""Corpus text never drives the terminal (issue 14): escape sequences (title, clear screen,
conceal), C1 controls, bidi overrides and rich markup in data are shown, not obeyed, by
`inspect`, the summaries and error messages."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path
from random import Random

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from errsynth.cli import main
from errsynth.cli.ui.safe_output import plain, safe_console
from errsynth.core.terminal_text import BIDI, neutralize
from errsynth.render import StyleConfig, render
from errsynth.types.candidates import Candidate, WrongAttempt

HOSTILE = (
    "Title\x1b]0;pwned\x07 clear\x1b[2J\x1b[H conceal\x1b[8mhidden\x1b[28m c1\x9b31m "
    "bidi\u202eevil\u202c bs\x08\x08 [bold red]markup[/] [link=http://evil.example]x[/link]"
)
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colours rich itself writes
ENV = {"FORCE_COLOR": "1", "COLUMNS": "200", "TERM": "xterm-256color"}


def _assert_inert(output: str) -> None:
    """Only rich's own colour codes reach the terminal; nothing of the data's."""
    rest = SGR.sub("", output)
    for bad in ("\x1b", "\x07", "\x9b", "\x08", "\u202e", "\u202c"):
        assert bad not in rest, (bad, rest[:2000])


def _gsm8k_file(path: Path) -> Path:
    rows = [
        {"question": f"Q {HOSTILE}?", "answer": f"She has 3 + 4 = <<3+4=7>>7. {HOSTILE}\n#### 7"},
        {"question": "Plain?", "answer": "2 + 2 = <<2+2=4>>4.\n#### 4"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_ingest_summary_and_inspect_show_escapes_inertly(tmp_path: Path) -> None:
    src = _gsm8k_file(tmp_path / "evil\x1b[2J\x1b]0;t\x07[red]name.jsonl")
    out = tmp_path / "out"
    r = CliRunner(env=ENV).invoke(main, ["ingest", str(src), "-o", str(out), "--format", "gsm8k"])
    assert r.exit_code == 0, r.output
    _assert_inert(r.output)
    assert "[red]name" in SGR.sub("", r.output)  # markup in a file name is printed as text
    r = CliRunner(env=ENV).invoke(main, ["inspect", str(out), "-n", "2"])
    assert r.exit_code == 0, r.output
    _assert_inert(r.output)
    shown = SGR.sub("", r.output)
    assert "[bold red]markup[/]" in shown and "\u241b]0;pwned" in shown  # ␛ drawn, not obeyed


def test_inspect_samples_and_other_tables_are_inert(tmp_path: Path) -> None:
    steps = ["She has 3 + 4 = 7 apples.", f"After eating, 7 - 2 = 5 are left. {HOSTILE}"]
    wrong = WrongAttempt(at=1, kind="arith", steps=("7 - 2 = 4.",), finding=HOSTILE)
    row = {"format": "gsm8k", "question": HOSTILE, "steps": steps}
    r = render(Candidate(row=row, transform="t", attempts=(wrong,)), StyleConfig(), Random(0))
    samples = tmp_path / "samples.parquet"
    sample = {"id": HOSTILE, "kind": HOSTILE, "style": "back", "source": HOSTILE,
              "text": r.text, "answer": HOSTILE, "n_errors": 1, "errors": r.errors}  # fmt: skip
    pq.write_table(pa.Table.from_pylist([sample]), samples)
    other = tmp_path / "other.parquet"
    pq.write_table(pa.Table.from_pylist([{"anything": HOSTILE}]), other)
    for path in (samples, other):
        r = CliRunner(env=ENV).invoke(main, ["inspect", str(path), "-n", "1"])
        assert r.exit_code == 0, r.output
        _assert_inert(r.output)
        assert "[link=http://evil.example]" in SGR.sub("", r.output)


def test_error_messages_are_inert(tmp_path: Path) -> None:
    empty = tmp_path / "dir\x1b[2J\x1b]0;x\x07"
    empty.mkdir()
    r = CliRunner(env=ENV).invoke(main, ["inspect", str(empty)])
    assert r.exit_code == 1
    _assert_inert(r.output)
    assert "no solutions.parquet" in r.output


def test_run_summary_cells_are_text_not_markup() -> None:
    from errsynth.cli.ui.summary import run_summary

    manifest = {
        "elapsed_s": 1.0, "engine": "local", "rows_out": 1, "shards": [],
        "sources": {HOSTILE: {"rows_in": 1, "rows_out_clean": 1, "rows_rejected": 0,
                              "ingest_rejected_by_reason": {HOSTILE: 1}}},
        "stages": [{"stage": HOSTILE, "rows_in": 1, "rows_out": 1, "rows_rejected": 0,
                    "rejected_by_reason": {HOSTILE: 1}}],
    }  # fmt: skip
    buf = io.StringIO()
    safe_console(file=buf, force_terminal=True, width=400).print(run_summary(manifest, HOSTILE))
    _assert_inert(buf.getvalue())
    assert "[bold red]markup[/]" in SGR.sub("", buf.getvalue())


def test_the_console_backstop_neutralizes_whatever_it_is_given() -> None:
    buf = io.StringIO()
    safe_console(file=buf, force_terminal=True).print(Text(HOSTILE, style="green"))
    _assert_inert(buf.getvalue())
    plain_buf = io.StringIO()
    Console(file=plain_buf, force_terminal=True).print(Text(HOSTILE))  # rich alone does not
    assert "\x1b]0;pwned" in plain_buf.getvalue()


@given(st.text())
def test_neutralize_is_one_for_one_and_leaves_no_control(s: str) -> None:
    out = neutralize(s)
    assert len(out) == len(s)  # spans computed on the raw text stay valid
    assert all(
        c in "\n\t" or (unicodedata.category(c) not in ("Cc", "Cs") and c not in BIDI) for c in out
    ), out
    assert plain(s).plain == out
