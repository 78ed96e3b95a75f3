"""Hostile input files: every record ends as a solution or a reject with a reason, no traceback.

Each case runs `errsynth ingest` (and, where it differs, a recipe run) and checks
that the command finished with a manifest and `rows_in == rows_out + rows_rejected`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.cli import main
from errsynth.ingest import lines as lines_module
from errsynth.ingest.lines import numbered_lines
from errsynth.ingest.numberflow import arithmetic_flow
from errsynth.ingest.records import MAX_BLANK_RUN_BYTES

GOOD = {"question": "Tom has 3 apples and buys 4.", "answer": "3+4 = <<3+4=7>>7\n#### 7"}


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    out = result.output
    assert "Traceback" not in out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, out


def _ingest(tmp_path: Path, *inputs: Path, fmt: str = "gsm8k") -> dict:
    out = tmp_path / "out"
    code, text = _cli("ingest", *map(str, inputs), "-o", str(out), "-q", "--format", fmt)
    assert code == 0, text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    assert pq.read_table(out / "rejects.parquet").num_rows == manifest["rows_rejected"]
    assert pq.read_table(out / "solutions.parquet").num_rows == manifest["rows_out"]
    return manifest


def _rejects(tmp_path: Path) -> list[dict]:
    return pq.read_table(tmp_path / "out" / "rejects.parquet").to_pylist()


def _run_recipe(tmp_path: Path, source_path: Path) -> dict:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: r\nsources:\n  - {{name: s, path: {json.dumps(str(source_path))}, format: gsm8k}}\n"
    )
    code, text = _cli("run", str(recipe), "-o", str(tmp_path / "run"), "-q")
    assert code == 0, text
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    src = manifest["sources"]["s"]
    assert src["rows_in"] == src["rows_out_clean"] + src["rows_rejected"]
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    return manifest


@pytest.mark.parametrize("where", ["question", "answer", "key", "meta"])
def test_lone_surrogates_in_any_field_are_rejected(tmp_path: Path, where: str) -> None:
    record = dict(GOOD)
    if where == "key":
        record["\ud800bad"] = 1
    elif where == "meta":
        record["note"] = "x\udfff"
    else:
        record[where] = record[where] + " \ud800"
    path = tmp_path / "sur.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(record) + "\n")  # ASCII escapes
    manifest = _ingest(tmp_path, path)
    assert manifest["rows_out"] == 1 and manifest["rows_rejected"] == 1
    (reject,) = _rejects(tmp_path)
    assert reject["reason"] == "bad_unicode" and "surrogate" in reject["detail"]


def test_lone_surrogates_in_a_json_array_and_in_a_run(tmp_path: Path) -> None:
    path = tmp_path / "sur.json"
    path.write_text(json.dumps([GOOD, {**GOOD, "question": "\ud800"}]))
    manifest = _ingest(tmp_path, path)
    assert manifest["rows_rejected"] == 1 and _rejects(tmp_path)[0]["reason"] == "bad_unicode"
    manifest = _run_recipe(tmp_path, path)
    assert manifest["sources"]["s"]["rows_rejected"] == 1


def test_json_integers_over_the_digit_limit_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = "9" * 5000
    path.write_text(json.dumps(GOOD) + "\n" + f'{{"question": "q", "answer": {big}}}\n')
    manifest = _ingest(tmp_path, path)
    assert manifest["rows_rejected"] == 1
    (reject,) = _rejects(tmp_path)
    assert reject["reason"] == "malformed_json" and "digits" in reject["detail"]
    doc = tmp_path / "big.json"
    doc.write_text(f'[{json.dumps(GOOD)}, {{"answer": {big}}}]')
    manifest = _ingest(tmp_path, doc)
    assert manifest["rows_rejected"] == 1 and "digits" in _rejects(tmp_path)[0]["detail"]
    _run_recipe(tmp_path, path)


def test_invalid_utf8_in_parquet_string_columns_is_rejected_per_row(tmp_path: Path) -> None:
    answers = pa.array(
        [GOOD["answer"].encode(), b"bad \xff\xfe <<1+1=2>>2\n#### 2", GOOD["answer"].encode()],
        pa.binary(),
    ).view(pa.string())  # string column holding bytes that are not UTF-8
    table = pa.table({"question": ["q1", "q2", "q3"], "answer": answers})
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    manifest = _ingest(tmp_path, path)
    assert (manifest["rows_in"], manifest["rows_out"], manifest["rows_rejected"]) == (3, 2, 1)
    (reject,) = _rejects(tmp_path)
    assert reject["reason"] == "not_utf8" and reject["record"] == 1
    assert "answer" in reject["detail"]


def test_bom_at_the_start_of_jsonl_and_json(tmp_path: Path) -> None:
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD) + "\n").encode() * 2)
    manifest = _ingest(tmp_path, jsonl)
    assert (manifest["rows_out"], manifest["rows_rejected"]) == (2, 0)
    doc = tmp_path / "bom.json"
    doc.write_bytes(b"\xef\xbb\xbf" + json.dumps([GOOD]).encode())
    assert _ingest(tmp_path, doc, fmt="auto")["rows_out"] == 1
    one = tmp_path / "one.json"
    one.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert _ingest(tmp_path, one)["rows_out"] == 1


def test_gz_of_only_newlines_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "nl.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write((json.dumps(GOOD) + "\n").encode())
        block = b"\n" * (1 << 20)
        for _ in range(MAX_BLANK_RUN_BYTES // len(block) + 2):
            fh.write(block)
        fh.write((json.dumps(GOOD) + "\n").encode())
    started = time.perf_counter()
    manifest = _ingest(tmp_path, path)
    elapsed = time.perf_counter() - started
    assert manifest["rows_out"] == 1 and manifest["rows_rejected"] == 1
    (reject,) = _rejects(tmp_path)
    assert reject["reason"] == "too_many_blank_lines" and reject["record"] == 1
    assert elapsed < 60  # line by line it took minutes; a bulk skip takes about a second


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gaps.jsonl"
    path.write_text("\n\n" + json.dumps(GOOD) + "\n   \n\nnot json\n\n")
    _ingest(tmp_path, path)
    (reject,) = _rejects(tmp_path)
    assert reject["record"] == 5 and reject["reason"] == "malformed_json"


def test_non_utf8_file_name_in_rejects(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"bad\xff.jsonl")
    (folder / name).write_text(json.dumps(GOOD) + "\nnot json\n")
    manifest = _ingest(tmp_path, folder)
    assert manifest["rows_rejected"] == 1
    (reject,) = _rejects(tmp_path)
    assert reject["file"].endswith("bad\ufffd.jsonl")
    _run_recipe(tmp_path, folder)


def test_dangling_links_and_link_loops_are_rejects(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.jsonl").write_text(json.dumps(GOOD) + "\n")
    (folder / "dangling.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    (folder / "loop.jsonl").symlink_to(folder / "loop.jsonl")
    (folder / "sub").symlink_to(folder, target_is_directory=True)  # a folder loop
    manifest = _ingest(tmp_path, folder)
    assert (manifest["rows_out"], manifest["rows_rejected"]) == (1, 2)
    reasons = {Path(r["file"]).name: r["reason"] for r in _rejects(tmp_path)}
    assert reasons == {"dangling.jsonl": "broken_link", "loop.jsonl": "broken_link"}
    manifest = _run_recipe(tmp_path, folder)
    assert manifest["sources"]["s"]["rows_rejected"] == 2


def test_ingest_and_augment_into_an_existing_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    taken = tmp_path / "taken"
    taken.write_text("precious")
    code, out = _cli("ingest", str(src), "-o", str(taken), "-q")
    assert code != 0 and "Error:" in out and "is a file" in out
    code, out = _cli("augment", str(src), "-o", str(taken), "-q")
    assert code != 0 and "Error:" in out and "is a file" in out
    assert taken.read_text() == "precious"


def test_augment_limit_must_not_be_negative(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    code, out = _cli("augment", str(src), "-o", str(tmp_path / "a"), "--limit", "-1", "-q")
    assert code != 0 and "Error:" in out and "--limit" in out


def test_number_flow_of_a_step_with_60k_annotations_is_linear() -> None:
    n = 60_000
    step = " ".join(f"<<{i}+1={i + 1}>>{i + 1}" for i in range(n))
    eqs = [{"step": 0, "expr": f"{i}+1", "claimed": str(i + 1)} for i in range(n)]
    started = time.perf_counter()
    produces, uses = arithmetic_flow("q", [step, "so 5"], eqs)
    assert time.perf_counter() - started < 20  # quadratic: ~130 s on a 2-core VM; linear: < 1 s
    assert len(produces[0]) == n and uses[1] == [{"ref": "5", "step": 0}]


def test_augment_of_a_step_with_60k_annotations_is_linear(tmp_path: Path) -> None:
    n = 60_000
    step = " ".join(f"<<{i}+1={i + 1}>>{i + 1}" for i in range(n))
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"question": "q 1", "answer": step + "\n#### 5"}) + "\n")
    manifest = _ingest(tmp_path, path)
    assert manifest["rows_out"] == 1
    started = time.perf_counter()
    code, out = _cli(
        "augment",
        str(tmp_path / "out"),
        "-t",
        "reorder",
        "-t",
        "arith",
        "-o",
        str(tmp_path / "a"),
        "-q",
    )
    assert code == 0, out
    assert time.perf_counter() - started < 45  # quadratic used_later: ~105 s; linear: ~2 s


def test_augment_param_values_are_bounded(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    for value in ("9" * 5000, '"\\ud800"', "[&a [1,1], *a, *b]"):
        code, out = _cli("augment", str(src), "-o", str(tmp_path / "a"), "-p", f"rate={value}")
        assert code != 0 and "Error:" in out and "--param" in out


def test_blank_bytes_in_all_are_bounded_too(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(lines_module, "MAX_BLANK_RUN_BYTES", 64 << 10)
    monkeypatch.setattr(lines_module, "MAX_BLANK_BYTES", 256 << 10)
    path = tmp_path / "runs.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        for _ in range(10):  # 10 runs of 60 KiB: each under the run limit, 600 KiB in all
            fh.write((json.dumps(GOOD) + "\n").encode() + b"\n" * (60 << 10))
    manifest = _ingest(tmp_path, path)
    assert manifest["rows_out"] == 5 and manifest["rows_rejected"] == 1
    assert _rejects(tmp_path)[0]["reason"] == "too_many_blank_lines"


def _reference_lines(data: bytes, limit: int) -> list[tuple[int, bytes | int]]:
    """What `numbered_lines` must give, computed the slow obvious way."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    out: list[tuple[int, bytes | int]] = []
    pieces = data.split(b"\n")
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        if last and not piece:
            break
        line = piece if last else piece + b"\n"
        if len(piece) > limit:
            out.append((i, len(line)))
        elif line.strip():
            out.append((i, line))
    return out


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from([b"", b" ", b"\t \r", b"{}", b"x" * 7, b"y" * 30, b"\xef\xbb\xbf"]),
        max_size=40,
    ),
    newline_at_end=st.booleans(),
)
def test_numbered_lines_match_a_plain_split(parts: list[bytes], newline_at_end: bool) -> None:
    data = b"\n".join(parts) + (b"\n" if newline_at_end else b"")
    got = list(numbered_lines(io.BytesIO(data), 10))
    assert got == _reference_lines(data, 10)


@pytest.mark.parametrize(
    "args",
    [
        ("ingest", "{src}", "-o", "{out}", "--max-record-bytes", "-1"),
        ("ingest", "{src}", "-o", "{out}", "--max-record-bytes", "0"),
        ("augment", "{src}", "-o", "{out}", "--limit", "0"),
        ("inspect", "{src}", "-n", "-1"),
        ("inspect", "{src}", "--offset", "-5"),
    ],
)
def test_numbers_that_silently_did_nothing_are_errors(tmp_path: Path, args: tuple) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    filled = [a.format(src=src, out=tmp_path / "o") for a in args]
    code, out = _cli(*filled)
    assert code != 0 and "Error:" in out and "range" in out
