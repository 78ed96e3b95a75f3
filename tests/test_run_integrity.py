"""Data integrity under careless use (issue 14): a source changed between a kill and the
resume, a corrupt Parquet row group, an output directory inside a source directory, and
`run --force` on a directory another run is writing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import errsynth.runner.sources as sources
from errsynth.cli import main
from errsynth.recipe import load_recipe
from errsynth.runner import RunError, run_recipe

ROOT = Path(__file__).resolve().parents[1]


def _records(n: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {
            "question": f"Ann has {i} apples and gets {i + 2} more. How many does she have?",
            "answer": f"Ann has {i} + {i + 2} = <<{i}+{i + 2}={2 * i + 2}>>{2 * i + 2} apples.\n#### {2 * i + 2}",
        }
        for i in range(start, start + n)
    ]


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _recipe(tmp_path: Path, source: Path | str, chunk_rows: int = 4) -> Path:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"""name: integrity
seed: 1
sources:
  - {{name: apples, path: {json.dumps(str(source))}, format: gsm8k}}
process:
  - augment:
      transforms: [{{arith: {{rate: 0.5}}}}]
      style: {{name: back}}
engine: {{chunk_rows: {chunk_rows}}}
output: {{shard_rows: 50}}
"""
    )
    return recipe


class _Killed(Exception):
    pass


def _run_killed_after(recipe: Path, out: Path, parts: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run until `parts` parse jobs are done, then fail as a kill would (nothing after)."""
    real = sources.parse_part
    done = [0]

    def dying(job):  # type: ignore[no-untyped-def]
        if done[0] >= parts:
            raise _Killed
        done[0] += 1
        return real(job)

    monkeypatch.setattr(sources, "parse_part", dying)
    with pytest.raises(_Killed):
        run_recipe(load_recipe(recipe), out)
    monkeypatch.setattr(sources, "parse_part", real)


# --- a source changed between a kill and the resume -----------------------------------


@pytest.mark.parametrize("change", ["appended", "same_size_and_mtime"])
def test_a_source_changed_before_the_resume_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    src = _write_jsonl(tmp_path / "data" / "apples.jsonl", _records(12))
    recipe = _recipe(tmp_path, src)
    out = tmp_path / "run"
    _run_killed_after(recipe, out, 1, monkeypatch)
    before = src.stat()
    if change == "appended":
        _write_jsonl(src, _records(12) + _records(5, start=100))
    else:  # the same size and mtime, other bytes: only the content hash can tell
        text = src.read_text()
        src.write_text(text.replace("Ann has 7 ", "Ann has 8 ", 1))
        assert src.stat().st_size == before.st_size
        os.utime(src, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(RunError, match=r"apples\.jsonl.*changed") as err:
        run_recipe(load_recipe(recipe), out)
    assert "--force" in str(err.value)
    assert not (out / "manifest.json").exists()
    r = CliRunner().invoke(main, ["run", str(recipe), "-o", str(out), "-q"])
    assert r.exit_code == 1 and "apples.jsonl" in r.output and "Traceback" not in r.output


def test_an_unchanged_source_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _write_jsonl(tmp_path / "data" / "apples.jsonl", _records(12))
    recipe = _recipe(tmp_path, src)
    _run_killed_after(recipe, tmp_path / "run", 1, monkeypatch)
    os.utime(src)  # touched, not changed: the content hash decides
    m = run_recipe(load_recipe(recipe), tmp_path / "run")
    ref = run_recipe(load_recipe(recipe), tmp_path / "ref")
    assert m["sources"]["apples"]["rows_in"] == 12 == ref["sources"]["apples"]["rows_in"]
    assert m["rows_out"] == ref["rows_out"]


def test_a_file_added_to_a_source_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    _write_jsonl(data / "a.jsonl", _records(12))
    recipe = _recipe(tmp_path, data)
    out = tmp_path / "run"
    _run_killed_after(recipe, out, 1, monkeypatch)
    _write_jsonl(data / "b.jsonl", _records(3, start=50))
    with pytest.raises(RunError, match=r"b\.jsonl"):
        run_recipe(load_recipe(recipe), out)


# --- one corrupt Parquet row group ------------------------------------------------------


def _corrupt_row_group(path: Path, group: int) -> None:
    meta = pq.read_metadata(path)
    with path.open("r+b") as f:
        for c in range(meta.num_columns):
            col = meta.row_group(group).column(c)
            start = col.dictionary_page_offset or col.data_page_offset
            f.seek(start)
            f.write(b"\xff" * col.total_compressed_size)


def test_a_corrupt_row_group_rejects_only_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "apples.parquet"
    pq.write_table(pa.Table.from_pylist(_records(12)), path, row_group_size=4)
    _corrupt_row_group(path, 1)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["ingest", str(path), "-o", str(out), "--format", "gsm8k"])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["rows_in"] == 12 and m["rows_out"] == 8 and m["rows_rejected"] == 4
    assert m["rows_in"] == m["rows_out"] + m["rows_rejected"]
    rejects = pq.read_table(out / "rejects.parquet").to_pylist()
    assert [x["reason"] for x in rejects] == ["unreadable_row_group"] * 4
    assert [x["record"] for x in rejects] == [4, 5, 6, 7]
    assert "row group 1" in rejects[0]["detail"] and "4 rows" in rejects[0]["detail"]
    solutions = pq.read_table(out / "solutions.parquet").to_pylist()
    assert any("Ann has 11 " in s["question"] for s in solutions)  # the group after it


# --- the output directory inside a source directory ------------------------------------


def test_an_output_directory_inside_a_source_directory_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_jsonl(data / "a.jsonl", _records(8))
    recipe = _recipe(tmp_path, data)
    with pytest.raises(RunError, match="inside") as err:
        run_recipe(load_recipe(recipe), data / "run")
    assert str(data) in str(err.value)
    assert not (data / "run" / "run.json").exists()  # refused before anything was written
    r = CliRunner().invoke(main, ["run", str(recipe), "-o", str(data / "run"), "-q"])
    assert r.exit_code == 1 and "inside" in r.output


def test_a_source_inside_the_output_directory_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    src = _write_jsonl(out / "input" / "a.jsonl", _records(8))
    with pytest.raises(RunError, match="inside"):
        run_recipe(load_recipe(_recipe(tmp_path, src)), out)


# --- run --force on a directory another run is writing ---------------------------------


def _hold_lock(out: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time\n"
        "from errsynth.runner.runlock import RunLock\n"
        f"with RunLock({str(out)!r}):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_force_on_a_directory_another_run_writes_is_refused(tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "data" / "apples.jsonl", _records(8))
    recipe = _recipe(tmp_path, src)
    out = tmp_path / "run"
    out.mkdir()
    sentinel = out / "stages" / "input" / "chunk-000-00000.parquet"
    sentinel.parent.mkdir(parents=True)
    sentinel.write_bytes(b"being written")
    holder = _hold_lock(out)
    try:
        r = CliRunner().invoke(main, ["run", str(recipe), "-o", str(out), "-q", "--force"])
        assert r.exit_code == 1, r.output
        assert f"pid {holder.pid}" in r.output and socket.gethostname() in r.output, r.output
        assert sentinel.read_bytes() == b"being written"  # nothing of the other run deleted
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    # the holder died: its lock is stale and taken over
    r = CliRunner().invoke(main, ["run", str(recipe), "-o", str(out), "-q", "--force"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "manifest.json").read_text())["rows_in"] == 8


def test_the_lock_is_released_when_the_run_ends(tmp_path: Path) -> None:
    from errsynth.runner.runlock import RunLock, RunLockedError

    out = tmp_path / "run"
    with RunLock(out), pytest.raises(RunLockedError, match=f"pid {os.getpid()}"):
        RunLock(out).acquire()
    with RunLock(out):  # released: free again
        pass
    started = time.time()
    holder = json.loads((out / ".errsynth-run.lock").read_text())
    assert holder["pid"] == os.getpid() and abs(holder["started"] - started) < 60
