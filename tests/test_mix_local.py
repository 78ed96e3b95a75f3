"""End to end: mix_and_write under the local engine; loaders, determinism, accounting."""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_samples import synthetic_samples

from errsynth.engine.local import mix_and_write
from errsynth.mix import (
    KEY_COLUMN,
    SORT_KEYS,
    KeyHistogram,
    MixJob,
    MixPlanError,
    Refiner,
    Selection,
    ShardWriter,
    get_tokenizer,
    input_schema,
    output_schema,
    plan_mix,
    prepare_batch,
    select_batch,
    sort_table,
    stream_totals,
)

SAMPLES = synthetic_samples(3000, seed=11)


def _spec(**mix: Any) -> dict[str, Any]:
    out = mix.pop("output", {"shard_rows": 400, "row_group_rows": 128})
    d: dict[str, Any] = {
        "seed": 5,
        "weight_by": "tokens",
        "target": {"tokens": 40_000},
        "streams": [
            {"name": "clean", "where": {"kind": "clean"}, "weight": 0.5},
            {"name": "reorder_back", "where": {"kind": "reorder", "style": "back"}, "weight": 0.2},
            {"name": "retry", "where": {"kind": {"in": ["arith", "igsm_retry"]}}, "weight": 0.3},
        ],
    }
    d.update(mix)
    return {"mix": d, "output": out}


def _digests(run: Path) -> list[str]:
    files = sorted((run / "shards").glob("*.parquet")) + sorted((run / "rejects").glob("*.parquet"))
    return [f"{f.parent.name}/{f.name}:{hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files]


def _shuffled(table: pa.Table, seed: int) -> pa.Table:
    return table.take(pa.array(np.random.default_rng(seed).permutation(table.num_rows)))


def _chunks(table: pa.Table, cuts: list[int]) -> list[pa.Table]:
    bounds = sorted({0, table.num_rows, *[c % (table.num_rows + 1) for c in cuts]})
    return [table.slice(a, b - a) for a, b in itertools.pairwise(bounds)]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("mix")
    return out, mix_and_write(SAMPLES, out, _spec(), recipe={"name": "test"})


def test_manifest_contract(run: tuple[Path, dict[str, Any]]) -> None:
    out, m = run
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(m))
    for key in (
        "rows_in",
        "rows_out",
        "rows_rejected",
        "shards",
        "recipe",
        "seed",
        "errsynth_version",
        "per_kind",
        "tokenizer",
        "elapsed_s",
        "mix",
    ):
        assert key in m
    assert m["rows_in"] == 3000 and m["seed"] == 5 and m["recipe"] == {"name": "test"}
    assert m["rows_in"] == m["rows_selected"] + m["rows_rejected"]
    assert m["rows_out"] == sum(s["rows"] for s in m["shards"])
    for s in m["shards"]:
        assert set(s) >= {"path", "rows", "sha256", "bytes"}
        assert s["sha256"] == hashlib.sha256((out / s["path"]).read_bytes()).hexdigest()
    assert sum(v["rows_in"] for v in m["per_kind"].values()) == 3000
    assert sum(v["rows_out"] for v in m["per_kind"].values()) == m["rows_out"]
    streams = m["mix"]["streams"]
    assert abs(sum(s["tokens_out"] for s in streams.values()) - 40_000) < 300
    assert m["tokens_out"] == sum(s["tokens_out"] for s in streams.values())
    assert not list(out.glob(".mix-tmp*"))


def test_loads_in_polars_pyarrow_and_datasets(run: tuple[Path, dict[str, Any]]) -> None:
    out, m = run
    df = pl.read_parquet(out / "shards" / "*.parquet")
    assert df.height == m["rows_out"]
    assert set(df["stream"].unique()) == {"clean", "reorder_back", "retry"}
    dset = pads.dataset(out / "shards", format="parquet")
    assert dset.count_rows() == m["rows_out"]
    assert dset.to_table().column("id").to_pylist() == df["id"].to_list()  # file order kept
    datasets = pytest.importorskip("datasets")
    files = sorted(str(p) for p in (out / "shards").glob("*.parquet"))
    with tempfile.TemporaryDirectory() as cache:
        hf = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache)
        assert hf.num_rows == m["rows_out"]
        assert hf[0]["id"] == df["id"][0] and hf[0]["text"] == df["text"][0]


def test_accounting_no_row_lost_or_duplicated(run: tuple[Path, dict[str, Any]]) -> None:
    out, m = run
    shards = pq.read_table(out / "shards")
    rejects = pq.read_table(out / "rejects")
    ids_out = shards.column("id").to_pylist()
    assert len(ids_out) == len(set(ids_out))  # no repeats asked
    ids_rej = rejects.column("id").to_pylist()
    assert set(ids_out).isdisjoint(ids_rej)
    assert sorted(ids_out + ids_rej) == sorted(SAMPLES.column("id").to_pylist())
    assert Counter(rejects.column("reason").to_pylist()) == Counter(
        {k: v for k, v in m["rejected_by_reason"].items() if v}
    )
    # Rows keep their content.
    by_id = {r["id"]: r for r in SAMPLES.select(["id", "text", "kind"]).to_pylist()}
    for r in shards.select(["id", "text", "kind", "n_tokens"]).to_pylist()[:200]:
        assert by_id[r["id"]]["text"] == r["text"]
        assert r["n_tokens"] == len(r["text"].split())
    # Each row's stream is the first that matches it.
    streams = dict(zip(ids_out, shards.column("stream").to_pylist(), strict=True))
    for rid, s in streams.items():
        kind = by_id[rid]["kind"]
        assert (s == "clean") == (kind == "clean")


def test_reordered_input_gives_identical_bytes(
    run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = run
    mix_and_write(_chunks(_shuffled(SAMPLES, 1), [17, 999, 2000]), tmp_path, _spec())
    assert _digests(tmp_path) == _digests(out)


@settings(max_examples=8, deadline=None)
@given(
    st.integers(0, 10**6),
    st.lists(st.integers(0, 3000), max_size=5),
    st.sampled_from([64, 500, 8192]),
    st.sampled_from([20_000, 10**9]),
)
def test_determinism_over_chunkings(
    perm: int, cuts: list[int], batch_rows: int, memory: int
) -> None:
    small = SAMPLES.slice(0, 800)
    spec = _spec(target={"tokens": 15_000}, output={"shard_rows": 150, "memory": memory})
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        mix_and_write(small, a, spec)
        mix_and_write(_chunks(_shuffled(small, perm), cuts), b, spec, batch_rows=batch_rows)
        assert _digests(Path(a)) == _digests(Path(b))


def test_files_polars_written_and_spilling_match_tables(
    run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = run
    src = tmp_path / "in"
    src.mkdir()
    shuffled = _shuffled(SAMPLES, 3)
    pq.write_table(shuffled.slice(0, 1000), src / "a.parquet")
    pl.from_arrow(shuffled.slice(1000)).write_parquet(src / "b.parquet")  # large/view strings
    spec = _spec()
    spec["output"] = {**spec["output"], "memory": 50_000}  # forces spills and many buckets
    mix_and_write(src, tmp_path / "run", spec)
    assert _digests(tmp_path / "run") == _digests(out)


def test_seed_changes_order_and_choice(run: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = run
    spec = _spec()
    spec["mix"]["seed"] = 6
    mix_and_write(SAMPLES, tmp_path, spec)
    a = pq.read_table(out / "shards").column("id").to_pylist()
    b = pq.read_table(tmp_path / "shards").column("id").to_pylist()
    assert a != b
    assert set(a) != set(b)


def test_row_weights_exact_and_all_mode(tmp_path: Path) -> None:
    spec = _spec(weight_by="rows", target="all")
    m = mix_and_write(SAMPLES, tmp_path, spec)
    s = m["mix"]["streams"]
    avail = {n: v["available_rows"] for n, v in s.items()}
    total = m["mix"]["target"]
    # the scarcest stream (relative to its weight) is used up; the others follow its ratio
    limiting = min(avail, key=lambda n: avail[n] / s[n]["requested_share"])
    assert s[limiting]["rows_out"] == avail[limiting]
    for v in s.values():
        assert abs(v["rows_out"] - v["requested_share"] * total) < 1
    assert m["rows_out"] == total


def test_repeats_only_when_asked(tmp_path: Path) -> None:
    spec = _spec(weight_by="rows", target=4000)
    with pytest.raises(MixPlanError, match="allow_repeat"):
        mix_and_write(SAMPLES, tmp_path / "a", spec)
    spec["mix"]["streams"][1]["allow_repeat"] = True  # reorder_back is the small stream
    spec["mix"]["streams"][0]["weight"] = 0.15
    spec["mix"]["streams"][2]["weight"] = 0.25
    spec["mix"]["streams"][1]["weight"] = 0.6  # 2400 rows of ~250
    m = mix_and_write(SAMPLES, tmp_path / "b", spec)
    t = pq.read_table(tmp_path / "b" / "shards")
    assert t.num_rows == 4000 and m["rows_repeated"] > 0
    pairs = list(zip(t.column("id").to_pylist(), t.column("repeat").to_pylist(), strict=True))
    assert len(set(pairs)) == len(pairs)
    rb = t.filter(pa.compute.equal(t.column("stream"), "reorder_back"))
    assert rb.num_rows == 2400
    copies = Counter(rb.column("id").to_pylist())
    epochs = m["mix"]["streams"]["reorder_back"]["full_epochs"]
    assert set(copies.values()) <= {epochs, epochs + 1}
    # Repeats are spread by the shuffle, not stacked together.
    pos = [i for i, (rid, r) in enumerate(pairs) if r == 1]
    assert pos and np.std(pos) > 500


def test_stream_column_and_no_stream_rejects(tmp_path: Path) -> None:
    names = ["a", "b", "zzz"]
    t = SAMPLES.append_column("bucket", pa.array([names[i % 3] for i in range(3000)]))
    m = mix_and_write(
        t,
        tmp_path,
        {
            "mix": {
                "stream_column": "bucket",
                "streams": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}],
            }
        },
    )
    assert m["rejected_by_reason"]["no_stream"] == 1000
    assert m["rows_out"] == 2000
    out = pq.read_table(tmp_path / "shards")
    assert out.column_names[-3:] == ["stream", "repeat", "n_tokens"]
    assert out.column("stream").to_pylist() == out.column("bucket").to_pylist()
    assert len(m["shards"]) == 1  # default: 256 MiB shards


def test_refuses_to_mix_over_old_output(run: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    mix_and_write(SAMPLES, tmp_path, _spec())
    with pytest.raises(FileExistsError, match="overwrite"):
        mix_and_write(SAMPLES, tmp_path, _spec())
    spec = _spec(output={"shard_rows": 5000})
    mix_and_write(SAMPLES, tmp_path, spec, overwrite=True)
    assert len(list((tmp_path / "shards").glob("*.parquet"))) == 1


def test_example_recipe_end_to_end(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    from errsynth.mix.spec import EXAMPLE_RECIPE

    recipe = yaml.safe_load(EXAMPLE_RECIPE)
    recipe["mix"]["target"] = {"tokens": 30_000}
    m = mix_and_write(SAMPLES, tmp_path, recipe, recipe=recipe)
    s = m["mix"]["streams"]
    assert m["seed"] == 1234 and m["recipe"] == recipe
    for v in s.values():
        assert abs(v["achieved_share"] - v["requested_share"]) < 0.01
    out = pq.read_table(tmp_path / "shards")
    other = out.filter(pa.compute.equal(out.column("stream"), "other_retry"))
    assert min(other.column("n_errors").to_pylist()) >= 1


def _emulated_engine(table: pa.Table, spec: dict[str, Any], n_parts: int, out: Path) -> None:
    """What a distributed engine does with the per-batch steps and mergeable results."""
    job = MixJob.from_dict(spec)
    tok = get_tokenizer(job.mix.tokenizer)
    in_schema = input_schema([table.schema])
    out_schema = output_schema(in_schema)
    rows = _shuffled(table, n_parts)
    step = -(-rows.num_rows // n_parts)
    prepared = [
        prepare_batch(rows.slice(i, step), in_schema, job.mix, tok)[0]
        for i in range(0, rows.num_rows, step)
    ]
    n_rows: Counter[str] = Counter()
    n_tok: Counter[str] = Counter()
    for p in prepared:
        r, t = stream_totals(p)
        n_rows.update(r)
        n_tok.update(t)
    plan = plan_mix(job.mix, n_tok if job.mix.weight_by == "tokens" else n_rows)
    hist = KeyHistogram()
    for p in prepared:  # one partial histogram per worker, merged
        h = KeyHistogram()
        h.update(plan, p)
        hist.merge(h)
    refiner = Refiner(hist.crossings(plan))
    for p in reversed(prepared):
        r = Refiner(refiner.crossings)
        r.update(plan, p)
        refiner.merge(r)
    selection = Selection(plan, refiner.cuts(plan))
    keyed = pa.concat_tables([select_batch(p, selection, out_schema)[0] for p in prepared])
    ordered = sort_table(keyed, SORT_KEYS).drop_columns([KEY_COLUMN])
    o = job.output
    writer = ShardWriter(
        out,
        out_schema,
        target_rows=o.shard_rows,
        target_bytes=o.target_bytes,
        row_group_rows=o.row_group_rows,
        compression=o.compression,
        compression_level=o.compression_level,
    )
    for i in range(0, ordered.num_rows, 777):
        writer.write(ordered.slice(i, 777))
    writer.close()


@pytest.mark.parametrize("n_parts", [1, 3, 16])
def test_engine_contract_gives_the_same_shards(
    run: tuple[Path, dict[str, Any]], tmp_path: Path, n_parts: int
) -> None:
    out, _ = run
    _emulated_engine(SAMPLES, _spec(), n_parts, tmp_path)
    shards = [d for d in _digests(out) if d.startswith("shards/")]
    assert _digests(tmp_path) == shards
