"""Checkpoints are loaded as weights only: a crafted pickle never runs, a broken file gets a
clear error naming it (issue 14)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.igsm import generate

torch = pytest.importorskip("torch")

TINY = ("model.n_layer=1", "model.n_embd=16", "model.n_head=2", "model.block_size=96", "batch_size=4")  # fmt: skip


def _gen_file(tmp: Path, n: int, seed: int, name: str) -> Path:
    path = tmp / name
    pq.write_table(pa.Table.from_pylist(list(generate(n, 3, seed, names="short"))), path)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(data file, test file, a finished 3-step run directory)."""
    tmp = tmp_path_factory.mktemp("ckpt")
    data = _gen_file(tmp, 40, 4, "data.parquet")
    test = _gen_file(tmp, 3, 99, "test.parquet")
    args = ["train", str(data), "-o", str(tmp / "run"), "-q", "--set", "max_steps=3"]
    for kv in TINY:
        args += ["--set", kv]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return data, test, tmp / "run"


def _copy_run(run: Path, dest: Path) -> Path:
    dest.mkdir()
    for p in run.iterdir():
        if p.is_file():
            (dest / p.name).write_bytes(p.read_bytes())
    return dest


class _Payload:
    """Unpickling this runs code (the crafted-checkpoint attack)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "pwned"))


def _eval(run: Path, test: Path) -> object:
    return CliRunner().invoke(main, ["eval", str(run), "--test", str(test), "--max-new-tokens", "4"])  # fmt: skip


def test_crafted_checkpoint_runs_no_code_in_eval(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, test, run = trained
    bad = _copy_run(run, tmp_path / "run")
    marker = tmp_path / "marker.txt"
    state = torch.load(run / "ckpt.pt", weights_only=True)
    state["extra"] = _Payload(marker)
    torch.save(state, bad / "ckpt.pt")
    r = _eval(bad, test)
    assert not marker.exists(), "loading the checkpoint ran code"
    assert r.exit_code == 1 and "ckpt.pt" in r.output and "weights" in r.output, r.output
    assert "Traceback" not in r.output


def test_crafted_checkpoint_runs_no_code_on_resume(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, _, run = trained
    bad = _copy_run(run, tmp_path / "run")
    marker = tmp_path / "marker.txt"
    with (bad / "ckpt.pt").open("wb") as f:
        pickle.dump({"model": _Payload(marker)}, f)
    args = ["train", str(data), "-o", str(bad), "-q", "--set", "max_steps=3"]
    for kv in TINY:
        args += ["--set", kv]
    r = CliRunner().invoke(main, args)
    assert not marker.exists(), "loading the checkpoint ran code"
    assert r.exit_code == 1 and "ckpt.pt" in r.output, r.output


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_broken_checkpoint_gets_a_clear_error(
    trained: tuple[Path, Path, Path], tmp_path: Path, damage: str
) -> None:
    _, test, run = trained
    bad = _copy_run(run, tmp_path / "run")
    blob = (run / "ckpt.pt").read_bytes()
    (bad / "ckpt.pt").write_bytes(
        {"empty": b"", "truncated": blob[: len(blob) // 2], "garbage": b"not a checkpoint"}[damage]
    )
    r = _eval(bad, test)
    assert r.exit_code == 1, r.output
    assert "Aborted" not in r.output and "Traceback" not in r.output
    assert "ckpt.pt" in r.output and ("truncated" in r.output or "not a" in r.output), r.output


def test_sound_checkpoint_still_evaluates(trained: tuple[Path, Path, Path]) -> None:
    _, test, run = trained
    r = _eval(run, test)
    assert r.exit_code == 0, r.output
