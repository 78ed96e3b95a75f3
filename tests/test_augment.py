"""The augment stage end to end: transforms → render → validate → samples, from the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import corpus

from errsynth.cli import main
from errsynth.ingest.run import ingest
from errsynth.render import StyleConfig
from errsynth.schema import CANDIDATE_REJECT_SCHEMA, SAMPLE_SCHEMA
from errsynth.steps.augment import AugmentSpec, augment_table
from errsynth.transforms import make_transform


def _check_samples(out: Path) -> tuple[list[dict], list[dict], dict]:
    samples = pq.read_table(out / "samples.parquet")
    rejects = pq.read_table(out / "rejects.parquet")
    assert samples.schema.equals(SAMPLE_SCHEMA)
    assert rejects.schema.equals(CANDIDATE_REJECT_SCHEMA)
    manifest = json.loads((out / "manifest.json").read_text())
    for name, st in manifest["per_transform"].items():
        assert st["tried"] == st["emitted"] + st["rejected"], name
    rows = samples.to_pylist()
    for s in rows:
        assert s["text"] == s["prompt"] + s["completion"]
        assert s["n_errors"] == len(s["errors"])
        for e in s["errors"]:
            assert s["text"][e["start"] : e["end"]] == e["wrong_text"]
            assert (
                e["attempt_start"]
                <= e["start"]
                <= e["end"]
                <= e["attempt_end"]
                <= e["marker_start"]
            )
            assert e["marker_start"] < e["marker_end"]
        for m in s["mask_spans"]:
            assert m["mode"] in ("wrong", "attempt") and 0 <= m["start"] < m["end"] <= len(
                s["text"]
            )
    return rows, rejects.to_pylist(), manifest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_augment_raw_corpus_every_transform(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "aug"
    res = CliRunner().invoke(
        main,
        [
            "augment",
            str(data_dir / "gsm8k_mini.jsonl"),
            "-o",
            str(out),
            "-t",
            "reorder",
            "-t",
            "arith",
            "-t",
            "distractor",
            "--rate",
            "0.3",
            "--include-clean",
            "-p",
            "arith.propagate=1",
        ],
    )
    assert res.exit_code == 0, res.output
    rows, rejects, manifest = _check_samples(out)
    assert (out / "ingest" / "solutions.parquet").exists()
    kinds = {r["kind"] for r in rows}
    assert {"clean", "reorder", "arith", "distractor"} <= kinds
    assert manifest["transforms"]["arith"]["propagate"] == 1
    # one-step solutions cannot be reordered: a recorded rejection, not a silent drop
    assert any(r["transform"] == "reorder" and r["reason"] == "too_few_steps" for r in rejects)
    back = [r for r in rows if r["kind"] != "clean"]
    assert back and all("[BACK]" in r["completion"] for r in back)


@pytest.mark.parametrize("style", ["back", "igsm", "natural", "lema", "cac"])
@pytest.mark.parametrize("form", ["text", "prompt_completion", "messages"])
def test_every_style_and_form(tmp_path: Path, data_dir: Path, style: str, form: str) -> None:
    ingest([data_dir / "gsm8k_mini.jsonl", data_dir / "steps_mini.jsonl"], tmp_path / "ing")
    spec = AugmentSpec(
        transforms=[make_transform("reorder", rate=0.4), make_transform("arith", rate=0.4)],
        style=StyleConfig(name=style, output=form, rounds=2),
        seed=5,
    )
    manifest = augment_table(tmp_path / "ing" / "solutions.parquet", tmp_path / "out", spec)
    rows, _, _ = _check_samples(tmp_path / "out")
    assert manifest["rows_out"] == len(rows) > 0
    assert all(r["style"] == style for r in rows)
    if form == "messages" or style == "cac":
        assert all(r["messages"] for r in rows)


def test_augment_is_deterministic(tmp_path: Path, data_dir: Path) -> None:
    args = [
        "augment",
        str(data_dir / "gsm8k_mini.jsonl"),
        "-t",
        "reorder",
        "-t",
        "arith",
        "--seed",
        "3",
        "-q",
    ]
    runner = CliRunner()
    for name in ("a", "b"):
        res = runner.invoke(main, [*args, "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    assert _sha(tmp_path / "a" / "samples.parquet") == _sha(tmp_path / "b" / "samples.parquet")
    res = runner.invoke(main, [*args[:-3], "--seed", "4", "-q", "-o", str(tmp_path / "c")])
    assert _sha(tmp_path / "a" / "samples.parquet") != _sha(tmp_path / "c" / "samples.parquet")


def test_cli_errors_are_clear(tmp_path: Path, data_dir: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        main, ["augment", str(data_dir / "gsm8k_mini.jsonl"), "-o", str(tmp_path), "-t", "nope"]
    )
    assert res.exit_code == 2 and "choose from" in res.output
    res = runner.invoke(
        main, ["augment", str(data_dir / "gsm8k_mini.jsonl"), "-o", str(tmp_path), "-p", "bogus=1"]
    )
    assert res.exit_code == 2 and "bogus" in res.output
    res = runner.invoke(
        main, ["augment", str(data_dir / "gsm8k_mini.jsonl"), "-o", str(tmp_path), "--rate", "2"]
    )
    assert res.exit_code == 2 and "rate" in res.output


def test_inspect_shows_samples(tmp_path: Path, data_dir: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        main, ["augment", str(data_dir / "gsm8k_mini.jsonl"), "-o", str(tmp_path), "-q"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["inspect", str(tmp_path), "-n", "2"])
    assert res.exit_code == 0, res.output
    assert "[BACK]" in res.output and "reorder" in res.output


@pytest.mark.corpora
def test_gsm8k_reorder_and_arith_coverage(tmp_path: Path) -> None:
    ingest([corpus("gsm8k/train.jsonl")], tmp_path / "ing")
    spec = AugmentSpec(
        transforms=[make_transform("reorder", rate=0.2), make_transform("arith", rate=0.2)],
        style=StyleConfig(name="back"),
    )
    manifest = augment_table(tmp_path / "ing" / "solutions.parquet", tmp_path / "out", spec)
    sols = pq.read_table(
        tmp_path / "ing" / "solutions.parquet", columns=["steps", "equations"]
    ).to_pylist()
    multi = sum(1 for s in sols if len(s["steps"]) >= 2)
    with_eq = sum(1 for s in sols if any(e["ok"] for e in s["equations"]))
    reorder, arith = manifest["per_transform"]["reorder"], manifest["per_transform"]["arith"]
    assert reorder["emitted"] / multi >= 0.98, reorder
    assert arith["emitted"] / with_eq >= 0.98, arith
    assert reorder["rejected_by_reason"].get("invalid", 0) == 0
    assert arith["rejected_by_reason"].get("invalid", 0) == 0
    assert reorder["rejected_by_reason"].get("transform_error", 0) == 0
    assert arith["rejected_by_reason"].get("transform_error", 0) == 0


@pytest.mark.parametrize("parent_id", ["r1", 'quote " é 😀 \\ \n', ""])
@pytest.mark.parametrize("fmt", [None, "gsm8k", "é"])
def test_sample_json_splices_what_json_dumps_writes(parent_id: str, fmt: str | None) -> None:
    from errsynth.steps.augment_rows import _SampleJson, sample_id

    style = StyleConfig(name="natural", marker="<<é>>")
    params = make_transform("arith", rate=0.3, kinds=["digit"]).param_dict()
    keys = _SampleJson("arith", style, 7, params)
    assert keys.sample_id(parent_id) == sample_id(parent_id, "arith", style, 7, params)
    assert keys.sample_id(12) == sample_id(12, "arith", style, 7, params)  # generic path
    meta = {"transform": "arith", "params": params, "seed": 7, "format": fmt}
    want = json.dumps(meta, sort_keys=True, default=str)
    assert keys.meta(fmt) == want and keys.meta(fmt) == want  # built, then cached


def test_sample_json_cache_tells_equal_params_of_other_types_apart() -> None:
    from errsynth.steps.augment_rows import _same_json, _sample_json

    spec = AugmentSpec(transforms=[])
    one = _sample_json(spec, "reorder", {"rate": 1, "kinds": ("a",)})
    assert _sample_json(spec, "reorder", {"rate": 1, "kinds": ("a",)}) is one
    assert _sample_json(spec, "reorder", {"rate": 1.0, "kinds": ("a",)}) is not one
    assert not _same_json({"k": True}, {"k": 1}) and not _same_json({"k": (1,)}, {"k": [1]})
    assert not _same_json({"s": {1, 2}}, {"s": {1, 2}})  # str() of equal sets may differ


def test_param_dict_is_a_fresh_copy_of_the_current_params() -> None:
    t = make_transform("reorder", rate=0.3)
    a, b = t.param_dict(), t.param_dict()
    assert a == b and a is not b and a["rate"] == 0.3
    a["rate"] = 0.9
    assert t.param_dict()["rate"] == 0.3
    t.params = type(t.params)(rate=0.1)
    assert t.param_dict()["rate"] == 0.1


def test_augment_table_restores_the_collector(tmp_path: Path, data_dir: Path) -> None:
    import gc

    ingest([data_dir / "gsm8k_mini.jsonl"], tmp_path / "ing")
    before = gc.get_threshold()
    spec = AugmentSpec(transforms=[make_transform("reorder")])
    augment_table(tmp_path / "ing" / "solutions.parquet", tmp_path / "out", spec)
    assert gc.get_threshold() == before
