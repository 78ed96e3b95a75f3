"""``errsynth igsm generate`` and ``errsynth igsm check`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli.igsm_commands import igsm


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_generate_then_check(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"rows{suffix}"
    runner = CliRunner()
    args = ["generate", "--n", "60", "--max-ops", "8", "--seed", "4", "-o", str(out), "-q"]
    res = runner.invoke(igsm, args)
    assert res.exit_code == 0, res.output
    assert "wrote 60 rows" in res.output and "op distribution" in res.output
    if suffix == ".parquet":
        rows = pq.read_table(out).to_pylist()
    else:
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 60 and {"problem", "solution", "answer", "op", "seed", "index"} <= set(
        rows[0]
    )
    assert all(1 <= r["op"] <= 8 for r in rows)
    res = runner.invoke(igsm, ["check", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert "60/60 rows pass" in res.output
    # same arguments, same bytes
    again = tmp_path / f"again{suffix}"
    assert runner.invoke(igsm, [*args[:-3], "-o", str(again), "-q"]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_generate_options(tmp_path: Path) -> None:
    out = tmp_path / "short.jsonl"
    res = CliRunner().invoke(
        igsm,
        ["generate", "--n", "20", "--max-ops", "4", "--names", "short", "--distractors", "2",
         "-o", str(out), "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["names"] == "short" and r["n_distractors"] <= 2 for r in rows)


def test_check_reports_failures(tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    assert (
        CliRunner()
        .invoke(igsm, ["generate", "--n", "5", "--seed", "1", "-o", str(out), "-q"])
        .exit_code
        == 0
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    rows[2]["answer"] = str((int(rows[2]["answer"]) + 1) % 23)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = CliRunner().invoke(igsm, ["check", str(out), "-q"])
    assert res.exit_code == 1
    assert "row 2: answer" in res.output and "4/5 rows pass" in res.output


def test_bad_output_suffix(tmp_path: Path) -> None:
    res = CliRunner().invoke(igsm, ["generate", "--n", "1", "-o", str(tmp_path / "x.csv")])
    assert res.exit_code != 0 and "parquet" in res.output


def test_check_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"problem": "x"}) + "\n")
    res = CliRunner().invoke(igsm, ["check", str(path), "-q"])
    assert res.exit_code != 0 and "lacks" in res.output
