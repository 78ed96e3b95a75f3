"""Ingest on the project's own fixtures: every format, bad input, the CLI and the manifest."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.core.errors import Rejection
from errsynth.core.registry import UnknownName
from errsynth.ingest.base import Reject
from errsynth.ingest.readers import READERS
from errsynth.ingest.records import read_records
from errsynth.ingest.run import FormatError, detect_format, ingest
from errsynth.schema import REJECT_SCHEMA, SOLUTION_SCHEMA


def _run(tmp_path: Path, *inputs: Path, **kw) -> tuple[list[dict], list[dict], dict]:
    out = tmp_path / "out"
    ingest(list(inputs), out, **kw)
    sols = pq.read_table(out / "solutions.parquet")
    rej = pq.read_table(out / "rejects.parquet")
    assert sols.schema.equals(SOLUTION_SCHEMA)
    assert rej.schema.equals(REJECT_SCHEMA)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    assert manifest["rows_out"] == sols.num_rows and manifest["rows_rejected"] == rej.num_rows
    return sols.to_pylist(), rej.to_pylist(), manifest


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("gsm8k_mini.jsonl", "gsm8k"),
        ("math_mini.jsonl", "math"),
        ("metamath_mini.jsonl", "metamath"),
        ("steps_mini.jsonl", "steps"),
    ],
)
def test_auto_detects_each_format(data_dir: Path, name: str, fmt: str) -> None:
    head = list(read_records(data_dir / name))
    assert detect_format(head, name) == fmt


def test_undetectable_format_says_what_to_do(tmp_path: Path) -> None:
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"text": "a story", "label": 3}\n{"text": "another", "label": 1}\n')
    head = list(read_records(odd))
    with pytest.raises(FormatError, match="--field question="):
        detect_format(head, "odd.jsonl")


def test_prompt_output_pairs_are_detected(data_dir: Path) -> None:
    # issue 11: prompt/output pairs used to need a field map
    head = list(read_records(data_dir / "custom_mini.jsonl"))
    assert detect_format(head, "custom_mini.jsonl") == "prompt_response"


def test_gsm8k_steps_equations_flow_and_verdicts(tmp_path: Path, data_dir: Path) -> None:
    sols, rej, manifest = _run(tmp_path, data_dir / "gsm8k_mini.jsonl")
    assert not rej and manifest["per_format"] == {"gsm8k": 4}
    baker = sols[0]
    assert baker["answer"] == "19"
    assert len(baker["steps"]) == 3
    assert [(e["step"], e["expr"], e["claimed"], e["ok"]) for e in baker["equations"]] == [
        (0, "36/3", "12", True),
        (1, "12+5", "17", True),
        (2, "36-17", "19", True),
    ]
    eq = baker["equations"][0]
    assert baker["steps"][0][eq["start"] : eq["end"]] == "<<36/3=12>>"
    # 12 comes from step 0, 17 from step 1; 36 and 5 are given in the question
    assert baker["produces"] == [["12"], ["17"], ["19"]]
    assert baker["uses"] == [[], [{"ref": "12", "step": 0}], [{"ref": "17", "step": 1}]]
    tom = sols[1]
    assert tom["answer"] == "10"
    assert tom["uses"][1] == [{"ref": "0.25", "step": 0}]
    assert sols[2]["answer"] == "300" and sols[2]["equations"][0]["ok"] is True
    wrong = sols[3]["equations"][0]  # 7+5=13 is a real error in the fixture
    assert wrong["ok"] is False and wrong["value"] == "12"


def test_ids_are_stable_and_content_based(tmp_path: Path, data_dir: Path) -> None:
    a, _, _ = _run(tmp_path / "a", data_dir / "gsm8k_mini.jsonl")
    b, _, _ = _run(tmp_path / "b", data_dir / "gsm8k_mini.jsonl")
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert len({r["id"] for r in a}) == len(a)
    c, _, _ = _run(tmp_path / "c", data_dir / "gsm8k_mini.jsonl", source="other")
    assert not {r["id"] for r in a} & {r["id"] for r in c}


def test_math_boxed_steps_and_latex_equations(tmp_path: Path, data_dir: Path) -> None:
    sols, rej, _ = _run(tmp_path, data_dir / "math_mini.jsonl")
    assert not rej
    assert [s["answer"] for s in sols] == ["18", sols[1]["answer"], "4"]
    assert "sqrt" in sols[1]["answer"]
    assert all(len(s["steps"]) >= 2 for s in sols)
    frac = next(e for e in sols[0]["equations"] if e["claimed"] == "18")
    assert frac["ok"] is True
    meta = json.loads(sols[0]["meta"])
    assert meta["level"] == "Level 1" and meta["type"] == "Prealgebra"


def test_metamath_and_steps(tmp_path: Path, data_dir: Path) -> None:
    sols, rej, _ = _run(tmp_path, data_dir / "metamath_mini.jsonl")
    assert not rej
    assert sols[0]["answer"] == "40" and len(sols[0]["steps"]) == 2
    assert all(e["ok"] for e in sols[0]["equations"])
    assert sols[1]["answer"] == "25"
    sols, rej, _ = _run(tmp_path / "s", data_dir / "steps_mini.jsonl")
    assert not rej
    assert sols[0]["answer"] == "50" and sols[0]["uses"][1] == [{"ref": "42", "step": 0}]
    assert json.loads(sols[1]["meta"])["first_error_step"] == 1
    assert sols[1]["answer"] == "80"


def test_field_map(tmp_path: Path, data_dir: Path) -> None:
    fm = {"question": "prompt", "solution": "output", "answer": "gold"}
    sols, rej, _ = _run(tmp_path, data_dir / "custom_mini.jsonl", fmt="jsonl", field_map=fm)
    assert not rej
    assert [s["answer"] for s in sols] == ["180", "45"]
    assert sols[0]["steps"][1] == "So it goes 60 * 3 = 180 miles."
    assert sols[0]["equations"][0]["ok"] is True


BAD_LINES = [
    b'{"question": "q1", "answer": "no final line"}',
    b'{"question": 5, "answer": "x\\n#### 1"}',
    b'{"answer": "x = <<1+1=2>>2\\n#### 2"}',
    b'{"question": "", "answer": "x\\n#### 1"}',
    b'{"question": "q", "answer": ["not", "text"]}',
    b"{broken json",
    b'{"question": "caf\xe9", "answer": "x\\n#### 1"}',
    b'{"question": "q", "answer": "#### 3"}',
]
HOSTILE = ["9**9**9**9", "10^10^10", "1e999999", "(" * 10000 + "1" + ")" * 10000, "2**99999999"]


def test_bad_input_becomes_rejections_without_loss(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    good = [
        json.dumps({"question": f"q{i}", "answer": f"It is <<{expr}=5>>5.\n#### 5"}).encode()
        for i, expr in enumerate(HOSTILE)
    ]
    p.write_bytes(b"\n".join(BAD_LINES + good) + b"\n")
    started = time.perf_counter()
    sols, rej, manifest = _run(tmp_path, p, fmt="gsm8k")
    assert time.perf_counter() - started < 30  # bounded, not a benchmark: a hang would fail
    assert manifest["rows_in"] == len(BAD_LINES) + len(HOSTILE)
    reasons = sorted(r["reason"] for r in rej)
    assert reasons == sorted(
        [
            "no_final_answer",
            "mistyped_field",
            "missing_field",
            "empty_field",
            "mistyped_field",
            "malformed_json",
            "not_utf8",
            "no_steps",
        ]
    )
    assert all(r["detail"] for r in rej)
    assert {r["record"] for r in rej} == set(range(len(BAD_LINES)))
    # hostile expressions are rows whose equation is judged not-ok, never a crash
    assert len(sols) == len(HOSTILE)
    for row in sols:
        (eq,) = row["equations"]
        assert eq["ok"] is not True, eq
        assert eq["reason"] not in ("exact", "rounded")


def test_empty_file_counts_as_one_rejection(tmp_path: Path, data_dir: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    sols, rej, manifest = _run(tmp_path, data_dir / "gsm8k_mini.jsonl", empty, fmt="gsm8k")
    assert len(sols) == 4 and [r["reason"] for r in rej] == ["empty_file"]
    assert manifest["rows_in"] == 5


def test_cli_ingest_and_inspect(tmp_path: Path, data_dir: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o"
    res = runner.invoke(
        main,
        [
            "ingest",
            str(data_dir / "gsm8k_mini.jsonl"),
            str(data_dir / "math_mini.jsonl"),
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "format gsm8k" in res.output and "format math" in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["per_format"] == {"gsm8k": 4, "math": 3}
    res = runner.invoke(main, ["inspect", str(out), "-n", "1"])
    assert res.exit_code == 0, res.output
    assert "baker" in res.output and "36/3" in res.output
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"text": "a story", "label": 3}\n')
    res = runner.invoke(main, ["ingest", str(odd), "-o", str(tmp_path / "c")])
    assert res.exit_code != 0 and "--field" in res.output
    res = runner.invoke(
        main,
        [
            "ingest",
            str(data_dir / "custom_mini.jsonl"),
            "-o",
            str(tmp_path / "c"),
            "--field",
            "question=prompt",
            "--field",
            "solution=output",
            "--field",
            "answer=gold",
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main,
        [
            "ingest",
            str(data_dir / "custom_mini.jsonl"),
            "-o",
            str(tmp_path / "c"),
            "--field",
            "bogus=prompt",
        ],
    )
    assert res.exit_code == 2 and "unknown field role" in res.output


def test_schema_file_matches_code() -> None:
    from errsynth.schema import dump_json_schema, solution_json_schema

    path = Path(__file__).resolve().parents[1] / "schemas" / "solution.schema.json"
    assert path.read_text() == dump_json_schema(solution_json_schema()), (
        "schemas/solution.schema.json is stale: run `errsynth schema solution > schemas/solution.schema.json`"
    )


def test_readers_are_one_registry_and_reject_the_kernel_rejection() -> None:
    assert READERS.names() == [
        *("gsm8k", "igsm", "jsonl", "math", "messages", "metamath"),
        *("prompt_response", "sharegpt", "steps", "trl"),
    ]
    assert Reject is Rejection
    with pytest.raises(UnknownName, match="unknown reader 'nope'; choose from gsm8k"):
        READERS.get("nope")
