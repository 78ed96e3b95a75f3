"""Ingest on the real public corpora in ../shared/corpora (skipped cleanly when absent)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import corpus

from errsynth.ingest.run import ingest

pytestmark = pytest.mark.corpora


def _ingest(tmp_path: Path, path: Path, fmt: str = "auto") -> tuple[list[dict], dict]:
    ingest([path], tmp_path, fmt=fmt)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    return pq.read_table(tmp_path / "solutions.parquet").to_pylist(), manifest


def test_gsm8k_train(tmp_path: Path) -> None:
    rows, manifest = _ingest(tmp_path, corpus("gsm8k/train.jsonl"))
    assert manifest["rows_in"] == 7473
    assert manifest["rows_out"] / manifest["rows_in"] >= 0.995
    annotations = [e for r in rows for e in r["equations"] if e["kind"] == "annotation"]
    ok = sum(1 for e in annotations if e["ok"] is True)
    assert len(annotations) > 15000
    assert ok / len(annotations) >= 0.99, f"{ok}/{len(annotations)} annotations ok"
    # every step's equation span points at its annotation
    for r in rows[:500]:
        for e in r["equations"]:
            written = r["steps"][e["step"]][e["start"] : e["end"]]
            if e["kind"] == "annotation":
                assert written.startswith("<<") and written.endswith(">>")
            else:
                assert e["expr"] in written and e["claimed"] in written
    # answers are normalized numbers
    assert (
        sum(1 for r in rows if re.fullmatch(r"-?\d+(\.\d+)?|-?\d+/\d+", r["answer"])) / len(rows)
        > 0.999
    )
    # the number flow links steps: most multi-step solutions use an earlier result
    multi = [r for r in rows if len(r["steps"]) >= 2]
    linked = sum(1 for r in multi if any(r["uses"][i] for i in range(1, len(r["steps"]))))
    assert linked / len(multi) > 0.9


def _sentences(text: str) -> int:
    """Sentence count of a MATH solution, independent of the splitter: ends outside $...$."""
    prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\\\[.*?\\\]", " M ", text, flags=re.S)
    return len(re.findall(r"[.!?](?=\s+[A-Z\\$]|\s*$)", prose.strip()))


def test_math_test_4500(tmp_path: Path) -> None:
    rows, manifest = _ingest(tmp_path, corpus("math/math_test_4500.jsonl"))
    assert manifest["rows_in"] == 4500
    assert manifest["rows_out"] / 4500 >= 0.99
    assert all(r["answer"] for r in rows)
    multi = [r for r in rows if _sentences(r["solution"]) >= 2]
    assert len(multi) / len(rows) > 0.6  # a real share of the data, so the check means something
    split = sum(1 for r in multi if len(r["steps"]) >= 2)
    assert split == len(multi), f"{len(multi) - split} multi-sentence solutions left as one step"
    hist = Counter(min(len(r["steps"]), 10) for r in rows)
    assert hist[1] < 0.2 * len(rows)


def test_igsm_all_files_exact(tmp_path: Path) -> None:
    for i, name in enumerate(["igsm_small_test.parquet", "igsm_med_test.parquet"]):
        rows, manifest = _ingest(tmp_path / str(i), corpus(f"igsm/{name}"))
        assert manifest["rows_rejected"] == 0, manifest["rejected_by_reason"]
        for r in rows:
            meta = json.loads(r["meta"])
            assert r["answer"] == meta["answer_raw"]
            assert all(e["ok"] is True for e in r["equations"])
            # the dependency graph: every use points at an earlier step producing that variable
            for k, used in enumerate(r["uses"]):
                for u in used:
                    assert u["step"] < k and u["ref"] in r["produces"][u["step"]]


@pytest.mark.slow
def test_igsm_med_train_exact(tmp_path: Path) -> None:
    _rows, manifest = _ingest(tmp_path, corpus("igsm/igsm_med_train.parquet"))
    assert manifest["rows_rejected"] == 0 and manifest["rows_out"] == 92075
    assert (
        manifest["equations"].get("wrong", 0) == 0 and manifest["equations"].get("unjudged", 0) == 0
    )


def test_igsm_retry_files_keep_back_steps(tmp_path: Path) -> None:
    rows, manifest = _ingest(tmp_path, corpus("igsm/igsm_med_retry_weak_1000.jsonl"), fmt="igsm")
    assert manifest["rows_rejected"] == 0
    raw = [
        json.loads(ln)
        for ln in corpus("igsm/igsm_med_retry_weak_1000.jsonl").read_text().splitlines()
    ]
    assert [json.loads(r["meta"])["n_back"] for r in rows] == [x["n_back"] for x in raw]


def test_metamath_backward(tmp_path: Path) -> None:
    rows, manifest = _ingest(tmp_path, corpus("metamath/GSM8K_Backward.jsonl"))
    assert manifest["per_format"] == {"metamath": manifest["rows_out"]}
    assert manifest["rows_out"] / manifest["rows_in"] >= 0.99
    raw = [
        json.loads(ln) for ln in corpus("metamath/GSM8K_Backward.jsonl").read_text().splitlines()
    ]
    gold = {x["question"]: x["answer"] for x in raw}
    from errsynth.evaluate import answers_equal

    agree = sum(1 for r in rows if answers_equal(r["answer"], gold[r["question"]]))
    assert agree / len(rows) >= 0.99
