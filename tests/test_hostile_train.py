"""Careless trainer input: each ends in click's `Error:` with a non-zero exit, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.train.config import TrainConfig, apply_overrides

pytest.importorskip("torch")

TINY = [
    "--set", "max_steps=2", "--set", "batch_size=4", "--set", "model.n_layer=1",
    "--set", "model.n_embd=16", "--set", "model.n_head=2", "--set", "model.block_size=32",
    "--set", "log_every=1", "-q",
]  # fmt: skip


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


def _error(*args: str) -> str:
    code, out = _cli(*args)
    assert code != 0 and "Error:" in out, out
    return out


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "good.parquet"
    pq.write_table(pa.table({"text": ["Question: 1+1? Answer: 2"] * 40}), path)
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("run")
    code, out = _cli("train", str(_good(tmp)), "-o", str(tmp / "run"), *TINY)
    assert code == 0, out
    return tmp / "run"


def test_empty_data_dir(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = _error("train", str(tmp_path / "empty"), "-o", str(tmp_path / "o"), *TINY)
    assert "no Parquet files" in out


def test_non_string_text_column(tmp_path: Path) -> None:
    path = tmp_path / "ints.parquet"
    pq.write_table(pa.table({"text": list(range(40))}), path)
    out = _error("train", str(path), "-o", str(tmp_path / "o"), *TINY)
    assert "text" in out and "int64" in out


def test_training_data_that_is_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("not parquet at all")
    out = _error("train", str(path), "-o", str(tmp_path / "o"), *TINY)
    assert "not a readable Parquet file" in out


@pytest.mark.parametrize(
    "setting, needle",
    [
        ("model=3", "model"),
        ("max_steps=-5", "max_steps"),
        ("tokens=-1", "tokens"),
        ("batch_size=0", "batch_size"),
        ("lr=[1]", "lr"),
        ("model.n_layer=0", "n_layer"),
        ("model.n_head=0", "n_head"),
        ("model.block_size=x", "block_size"),
        ("max_steps.x=1", "max_steps"),
        ("mistake_log=oops", "mistake_log"),
    ],
)
def test_bad_settings(tmp_path: Path, setting: str, needle: str) -> None:
    out = _error("train", str(_good(tmp_path)), "-o", str(tmp_path / "o"), *TINY, "--set", setting)
    assert needle in out
    assert not (tmp_path / "o" / "summary.json").exists()


def test_config_checks_are_in_the_dataclasses() -> None:
    with pytest.raises(ValueError, match="max_steps"):
        TrainConfig(max_steps=-5)
    with pytest.raises(ValueError, match="expected a mapping"):
        TrainConfig.from_dict({"model": 3})
    with pytest.raises(ValueError, match="not a mapping"):
        apply_overrides({"lr": 1}, ["lr.x=2"])


def test_config_file_with_alias_bomb(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for k in range(1, 10):
        lines.append(f"a{k}: &a{k} [{','.join([f'*a{k - 1}'] * 9)}]")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    out = _error("train", str(_good(tmp_path)), "-o", str(tmp_path / "o"), "--config", str(cfg))
    assert "alias" in out


@pytest.mark.parametrize("kind", ["text", "truncated", "jsonl"])
def test_eval_test_file_not_parquet(tmp_path: Path, run_dir: Path, kind: str) -> None:
    path = tmp_path / ("t.jsonl" if kind == "jsonl" else "t.parquet")
    if kind == "truncated":
        pq.write_table(pa.table({"problem": ["q"] * 10, "answer": ["1"] * 10}), path)
        path.write_bytes(path.read_bytes()[:-20])
    else:
        path.write_text('{"problem": "q", "answer": "1"}\n')
    out = _error("eval", str(run_dir), "--test", str(path), "-o", str(tmp_path / "e"))
    assert "Parquet" in out


@pytest.mark.parametrize(
    "table, needle",
    [
        ({"foo": [1, 2]}, "problem, prompt or question"),
        ({"problem": [1, 2], "answer": ["1", "2"]}, "problem"),
        ({"problem": ["a", "b"], "answer": [None, "2"]}, "answer"),
        ({"problem": ["a", "b"]}, "answer"),
    ],
)
def test_eval_test_file_malformed(tmp_path: Path, run_dir: Path, table: dict, needle: str) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table(table), path)
    out = _error("eval", str(run_dir), "--test", str(path), "-o", str(tmp_path / "e"))
    assert needle in out


def test_eval_run_without_config_json(tmp_path: Path, run_dir: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "config.json").unlink()
    test = tmp_path / "t.parquet"
    pq.write_table(pa.table({"problem": ["q"], "answer": ["1"]}), test)
    out = _error("eval", str(broken), "--test", str(test), "-o", str(tmp_path / "e"))
    assert "config.json" in out
    (broken / "config.json").write_text("{not json")
    out = _error("eval", str(broken), "--test", str(test), "-o", str(tmp_path / "e"))
    assert "config.json" in out


def test_eval_limit_must_be_positive(tmp_path: Path, run_dir: Path) -> None:
    test = tmp_path / "t.parquet"
    pq.write_table(pa.table({"problem": ["q"], "answer": ["1"]}), test)
    out = _error("eval", str(run_dir), "--test", str(test), "--limit", "-1")
    assert "--limit" in out


def test_finished_run_reports_a_finite_loss(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["finished"] and summary["final_loss"] == summary["final_loss"]  # not NaN


def test_validate_mix_recipe_with_bad_settings(tmp_path: Path) -> None:
    recipe = tmp_path / "vm.yaml"
    recipe.write_text(
        "train_source: {generate: {n: 10}}\ntest: t.parquet\narms: []\nseeds: [0]\n"
        "train: {max_steps: -5}\n"
    )
    out = _error("validate-mix", str(recipe), "-o", str(tmp_path / "o"))
    assert "max_steps" in out
    out = _error("validate-mix", str(recipe), "-o", str(tmp_path / "o"), "--set", "seeds.x=1")
    assert "not a mapping" in out


def test_outputs_that_are_existing_files(tmp_path: Path, run_dir: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("precious")
    out = _error("train", str(_good(tmp_path)), "-o", str(taken), *TINY)
    assert "is a file" in out
    test = tmp_path / "t.parquet"
    pq.write_table(pa.table({"problem": ["q"], "answer": ["1"]}), test)
    out = _error("eval", str(run_dir), "--test", str(test), "-o", str(taken))
    assert "is a file" in out and taken.read_text() == "precious"
