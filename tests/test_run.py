"""`errsynth run`: the quickstart end to end, resume after a kill, no-op re-run, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow.dataset as pads
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.engine import LocalExecutor, RayExecutor
from errsynth.recipe import load_recipe
from errsynth.runner import RunError, run_recipe

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
SMALL = ["sources.0.generate.n=300", "output.shard_rows=200", "engine.chunk_rows=100"]
SET_SMALL = [arg for s in SMALL for arg in ("--set", s)]


def _shard_hashes(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    }


def test_quickstart_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(
        main, ["run", str(RECIPES / "quickstart.yaml"), "-o", str(out), *SET_SMALL]
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    for key in (
        "rows_in",
        "rows_out",
        "rows_rejected",
        "shards",
        "recipe",
        "seed",
        "errsynth_version",
        "per_kind",
    ):
        assert key in manifest
    for s in manifest["sources"].values():
        assert s["rows_in"] == s["rows_out_clean"] + s["rows_rejected"]
    assert sum(s["rows"] for s in manifest["shards"]) == manifest["rows_out"] > 0
    for shard in manifest["shards"]:
        path = out / shard["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == shard["sha256"]
    # the outputs load in polars and pyarrow.dataset
    df = pl.read_parquet(str(out / "shards" / "*.parquet"))
    assert df.height == manifest["rows_out"]
    assert pads.dataset(out / "shards").count_rows() == manifest["rows_out"]
    assert {"clean", "igsm_retry"} <= set(df["kind"].unique().to_list())
    assert list((out / "rejects").glob("*.parquet"))
    # a finished run is a no-op; a different recipe in the same dir is refused
    again = CliRunner().invoke(
        main, ["run", str(RECIPES / "quickstart.yaml"), "-o", str(out), *SET_SMALL]
    )
    assert again.exit_code == 0 and "nothing to do" in again.output
    other = CliRunner().invoke(
        main, ["run", str(RECIPES / "quickstart.yaml"), "-o", str(out), "--set", "seed=5"]
    )
    assert other.exit_code != 0 and "--force" in other.output


def test_same_shards_whatever_the_chunking(tmp_path: Path) -> None:
    a = run_recipe(load_recipe(RECIPES / "quickstart.yaml", SMALL), tmp_path / "a")
    b = run_recipe(
        load_recipe(RECIPES / "quickstart.yaml", [*SMALL[:2], "engine.chunk_rows=37"]),
        tmp_path / "b",
    )
    assert a["rows_out"] == b["rows_out"]
    assert _shard_hashes(tmp_path / "a") == _shard_hashes(tmp_path / "b")


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/errsynth-cannot-write-here")
    else:
        target = tmp_path / "ro"
        target.mkdir()
        target.chmod(0o500)
    with pytest.raises((RunError, OSError)):
        run_recipe(load_recipe(RECIPES / "quickstart.yaml", SMALL), target)


def test_sigkill_then_resume_gives_identical_bytes(tmp_path: Path) -> None:
    overrides = ["sources.0.generate.n=1200", "output.shard_rows=300", "engine.chunk_rows=100"]
    ref = tmp_path / "ref"
    run_recipe(load_recipe(RECIPES / "quickstart.yaml", overrides), ref)
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "errsynth.cli",
        "run",
        str(RECIPES / "quickstart.yaml"),
        "-o",
        str(out),
        "-q",
    ]
    for s in overrides:
        cmd += ["--set", s]
    proc = subprocess.Popen(cmd, start_new_session=True)
    # kill once the augment stage has written some but not all chunks
    deadline = time.time() + 120
    stage = out / "stages" / "01-augment" / "data"
    while time.time() < deadline and proc.poll() is None:
        if stage.exists() and len(list(stage.glob("chunk-*.parquet"))) >= 3:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(stage.glob("chunk-*.parquet"))) if stage.exists() else 0
    assert not (out / "manifest.json").exists()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert _shard_hashes(out) == _shard_hashes(ref)
    assert done_before >= 1  # the resumed run started from finished chunks


@pytest.mark.slow
def test_ray_engine_gives_identical_bytes(tmp_path: Path, ray_local) -> None:
    local = run_recipe(
        load_recipe(RECIPES / "quickstart.yaml", SMALL),
        tmp_path / "local",
        executor=LocalExecutor(),
    )
    remote = run_recipe(
        load_recipe(RECIPES / "quickstart.yaml", SMALL), tmp_path / "ray", executor=RayExecutor()
    )
    assert remote["engine"] == "ray" and local["engine"] == "local"
    assert _shard_hashes(tmp_path / "local") == _shard_hashes(tmp_path / "ray")


def test_full_disk_is_a_clear_error_and_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch
) -> None:
    import errno

    import errsynth.core.atomic as run_mod  # the one atomic writer every stage uses

    ref = tmp_path / "ref"
    run_recipe(load_recipe(RECIPES / "quickstart.yaml", SMALL), ref)
    real = run_mod.pq.write_table
    calls = {"n": 0}

    def failing(table, where, **kw):  # the 6th Parquet write finds the disk full, mid-file
        calls["n"] += 1
        if calls["n"] == 6:
            Path(where).write_bytes(b"PAR1 partial")
            raise OSError(errno.ENOSPC, "No space left on device", str(where))
        return real(table, where, **kw)

    monkeypatch.setattr(run_mod.pq, "write_table", failing)
    out = tmp_path / "full"
    res = CliRunner().invoke(
        main, ["run", str(RECIPES / "quickstart.yaml"), "-o", str(out), *SET_SMALL]
    )
    assert (
        res.exit_code == 1
        and "No space left on device" in res.output
        and "disk space" in res.output
    )
    assert not list(out.rglob(".*.tmp-*")), "a temp file was left behind"
    assert not (out / "manifest.json").exists() and not (out / "shards").exists()
    monkeypatch.setattr(run_mod.pq, "write_table", real)
    res = CliRunner().invoke(
        main, ["run", str(RECIPES / "quickstart.yaml"), "-o", str(out), *SET_SMALL]
    )
    assert res.exit_code == 0, res.output
    assert _shard_hashes(out) == _shard_hashes(ref)
