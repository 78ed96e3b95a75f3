"""Bad input never crashes the reader: every piece becomes a record or a rejection with a reason."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.ingest.records import expand_inputs, read_records


def _reasons(path: Path, **kw) -> list[str | None]:
    return [r.reason for r in read_records(path, **kw)]


def test_jsonl_good_bad_and_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(
        b'{"question": "q", "answer": "a"}\n'
        b"\n"
        b"{not json}\n"
        b'["a list"]\n'
        b'{"question": "caf\xe9"}\n'  # latin-1 byte: not UTF-8
        b'{"question": "last"}'  # no trailing newline
    )
    recs = list(read_records(p))
    assert [r.reason for r in recs] == [None, "malformed_json", "not_an_object", "not_utf8", None]
    assert [r.index for r in recs] == [0, 2, 3, 4, 5]  # line numbers survive the blank line
    assert recs[3].raw is not None and "caf" in recs[3].raw
    assert recs[4].data == {"question": "last"}


def test_empty_and_blank_files_are_rejections(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n  \n")
    assert _reasons(empty) == ["empty_file"]
    assert _reasons(blank) == ["empty_file"]


def test_oversized_line_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    p = tmp_path / "big.jsonl"
    big = json.dumps({"question": "x" * (10 * 1024 * 1024)})
    p.write_text('{"a": 1}\n' + big + '\n{"b": 2}\n')
    recs = list(read_records(p, max_record_bytes=1024 * 1024))
    assert [r.reason for r in recs] == [None, "record_too_large", None]
    assert recs[2].data == {"b": 2}
    assert "limit" in (recs[1].detail or "")


def test_json_array_gzip_and_parquet(tmp_path: Path) -> None:
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([{"q": 1}, 5, {"q": 2}]))
    assert _reasons(arr) == [None, "not_an_object", None]
    gz = tmp_path / "b.jsonl.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write('{"q": 1}\n{"q": 2}\n')
    assert [r.data for r in read_records(gz)] == [{"q": 1}, {"q": 2}]
    pqf = tmp_path / "c.parquet"
    pq.write_table(pa.table({"q": ["x", "y", "z"]}), pqf)
    assert [r.index for r in read_records(pqf)] == [0, 1, 2]
    empty_pq = tmp_path / "d.parquet"
    pq.write_table(pa.table({"q": pa.array([], pa.string())}), empty_pq)
    assert _reasons(empty_pq) == ["empty_file"]


def test_corrupt_parquet_and_gzip(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    assert _reasons(bad) == ["unreadable_file"]
    badgz = tmp_path / "bad.jsonl.gz"
    badgz.write_bytes(b"not gzip at all")
    assert _reasons(badgz) == ["unreadable_file"]


def test_expand_inputs(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.jsonl").write_text("{}\n")
    (tmp_path / "d" / "a.parquet").write_bytes(b"")
    (tmp_path / "d" / "notes.txt").write_text("x")
    assert [p.name for p in expand_inputs([tmp_path / "d"])] == ["a.parquet", "b.jsonl"]
    try:
        expand_inputs([tmp_path / "missing.jsonl"])
    except FileNotFoundError as exc:
        assert "missing.jsonl" in str(exc)
    else:
        raise AssertionError("a missing input must raise FileNotFoundError")
