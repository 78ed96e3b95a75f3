"""Shard writer: targets by rows and bytes, byte identity, nothing varying in metadata."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_samples import synthetic_samples

from errsynth.mix.columns import row_nbytes, table_row_nbytes
from errsynth.mix.writer import ShardWriter

TABLE = synthetic_samples(900, seed=4)


def _write(out: Path, chunks: list[int], **kw: object) -> list:
    w = ShardWriter(out, TABLE.schema, **kw)  # type: ignore[arg-type]
    start = 0
    for c in chunks:
        w.write(TABLE.slice(start, c))
        start += c
    w.write(TABLE.slice(start))
    return w.close()


def _digests(out: Path) -> list[str]:
    return [
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    ]


def test_rows_target(tmp_path: Path) -> None:
    shards = _write(tmp_path, [100, 333], target_rows=250, row_group_rows=64)
    assert [s.rows for s in shards] == [250, 250, 250, 150]
    assert shards[0].path == "shards/part-00000.parquet"
    back = pq.read_table(tmp_path / "shards")
    assert back.num_rows == 900
    assert back.select(TABLE.column_names).equals(TABLE)
    md = pq.ParquetFile(tmp_path / shards[0].path).metadata
    assert md.num_row_groups == 4 and md.row_group(0).num_rows == 64
    assert md.row_group(0).column(0).compression == "ZSTD"
    for s in shards:
        assert s.sha256 == hashlib.sha256((tmp_path / s.path).read_bytes()).hexdigest()
        assert s.bytes == (tmp_path / s.path).stat().st_size
    assert not list((tmp_path / "shards").glob(".*"))  # no temp files left


def test_bytes_target(tmp_path: Path) -> None:
    sizes = table_row_nbytes(TABLE)
    target = int(sizes.max() * 20)
    shards = _write(tmp_path, [7, 500], target_bytes=target)
    assert sum(s.rows for s in shards) == 900
    start = 0
    for i, s in enumerate(shards):
        got = int(sizes[start : start + s.rows].sum())
        assert got == s.uncompressed_bytes <= target
        if i + 1 < len(shards):  # full: the next row would not have fit
            assert got + sizes[start + s.rows] > target
        start += s.rows


def test_oversized_row_gets_its_own_shard(tmp_path: Path) -> None:
    shards = _write(tmp_path, [], target_bytes=10)
    assert [s.rows for s in shards] == [1] * 900


def test_empty_output_still_has_a_readable_shard(tmp_path: Path) -> None:
    w = ShardWriter(tmp_path, TABLE.schema, target_rows=10)
    shards = w.close()
    assert len(shards) == 1 and shards[0].rows == 0
    assert pq.read_table(tmp_path / shards[0].path).schema == TABLE.schema


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 300), max_size=6), st.booleans())
def test_bytes_do_not_depend_on_chunking(chunks: list[int], by_bytes: bool) -> None:
    import tempfile

    kw = {"target_bytes": 100_000} if by_bytes else {"target_rows": 300}
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        _write(Path(a), [], row_group_rows=128, **kw)
        _write(Path(b), chunks, row_group_rows=128, **kw)
        assert _digests(Path(a)) == _digests(Path(b))


def test_metadata_holds_nothing_that_varies(tmp_path: Path) -> None:
    shards = _write(tmp_path, [], target_rows=1000)
    md = pq.ParquetFile(tmp_path / shards[0].path).metadata
    assert md.created_by.startswith("parquet-cpp-arrow version ")
    assert set(md.metadata) == {b"ARROW:schema"}
    raw = (tmp_path / shards[0].path).read_bytes()
    assert str(tmp_path).encode() not in raw


def test_row_nbytes_ignores_slicing_and_chunking() -> None:
    col = TABLE.column("errors")
    whole = row_nbytes(col)
    sliced = np.concatenate([row_nbytes(col.slice(0, 100)), row_nbytes(col.slice(100))])
    assert (whole == sliced).all()
    chunked = pa.chunked_array([col.combine_chunks().slice(0, 5), col.combine_chunks().slice(5)])
    assert (row_nbytes(chunked) == whole).all()
    strings = pa.array(["ab", None, "é"])
    assert row_nbytes(strings).tolist() == [6, 4, 6]
