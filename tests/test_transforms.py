"""reorder, igsm_retry and distractor on the project's fixtures and on real corpora."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.evidence.numberflow import is_premature
from errsynth.igsm.generator import generate
from errsynth.igsm.text import computable_at, dependency_graph, parse_problem, parse_solution
from errsynth.ingest.run import ingest
from errsynth.transforms import Skip, make_transform, row_rng
from errsynth.transforms.base import TransformParams, place_counts
from errsynth.validate.distractor import validate_distractor
from errsynth.validate.igsm_retry import validate_igsm_retry
from errsynth.validate.reorder import validate_reorder


def _rows(tmp_path: Path, *files: Path, **kw) -> list[dict]:
    ingest(list(files), tmp_path, **kw)
    return pq.read_table(tmp_path / "solutions.parquet").to_pylist()


def _igsm_rows(tmp_path: Path, n: int = 200, max_ops: int = 8) -> list[dict]:
    import pyarrow as pa

    data = pa.Table.from_pylist(list(generate(n, max_ops, seed=7)))
    pq.write_table(data, tmp_path / "gen.parquet")
    return _rows(tmp_path / "ing", tmp_path / "gen.parquet")


def test_reorder_on_fixture(tmp_path: Path, data_dir: Path) -> None:
    rows = _rows(tmp_path, data_dir / "gsm8k_mini.jsonl")
    t = make_transform("reorder", rate=0.5)
    baker = rows[0]  # steps: 36/3=12 ; 12+5=17 ; 36-17=19
    cand = t.apply(baker, row_rng(0, baker["id"], "reorder"))
    assert cand.attempts and not validate_reorder(cand)
    for a in cand.attempts:
        y = a.detail["from_step"]
        assert y > a.at and a.steps == (baker["steps"][y],)
    # step 1 uses 12 from step 0 → writing it at step 0 is premature; step 2 uses 17 from step 1
    assert is_premature(baker, 0, 1) and is_premature(baker, 0, 2) and is_premature(baker, 1, 2)
    single = rows[2]
    with pytest.raises(Skip) as exc:
        t.apply(single, row_rng(0, single["id"], "reorder"))
    assert exc.value.reason == "too_few_steps"


def test_reorder_is_deterministic_and_seeded(tmp_path: Path, data_dir: Path) -> None:
    rows = _rows(tmp_path, data_dir / "gsm8k_mini.jsonl")
    t = make_transform("reorder", rate=0.5)
    a = t.apply(rows[0], row_rng(3, rows[0]["id"], "reorder"))
    b = t.apply(rows[0], row_rng(3, rows[0]["id"], "reorder"))
    assert a == b
    outs = {
        tuple(
            (a.at, a.steps) for a in t.apply(rows[0], row_rng(s, rows[0]["id"], "reorder")).attempts
        )
        for s in range(30)
    }
    assert len(outs) > 1


def test_unknown_transform_and_params_say_what_is_known() -> None:
    with pytest.raises(ValueError, match="choose from"):
        make_transform("nope")
    with pytest.raises(ValueError, match="premature_only"):
        make_transform("reorder", premature=True)
    with pytest.raises(ValueError, match="rate"):
        make_transform("reorder", rate=1.5)


@given(
    rate=st.floats(0.0, 0.9),
    cap=st.integers(1, 4),
    min_errors=st.integers(0, 3),
    n=st.integers(1, 12),
    seed=st.integers(0, 10**6),
)
@settings(max_examples=200, deadline=None)
def test_place_counts_respects_caps(
    rate: float, cap: int, min_errors: int, n: int, seed: int
) -> None:
    import random

    params = TransformParams(rate=rate, max_per_step=cap, min_errors=min_errors)
    choices = {i: (i % 3) + 1 for i in range(n)}
    counts = place_counts(random.Random(seed), list(range(n)), params, choices)
    assert all(0 < k <= min(cap, choices[i]) for i, k in counts.items())
    capacity = sum(min(cap, c) for c in choices.values())
    assert sum(counts.values()) >= min(min_errors, capacity)
    assert counts == place_counts(random.Random(seed), list(range(n)), params, choices)


def test_igsm_retry_rules_on_generated_data(tmp_path: Path) -> None:
    rows = _igsm_rows(tmp_path)
    strong = make_transform("igsm_retry", rate=0.3)
    weak = make_transform("igsm_retry", rate=0.3, rule="retry_weak")
    n_strong = n_weak = 0
    for row in rows:
        steps = parse_solution(row["solution"])
        problem = parse_problem(row["question"])
        graph = dependency_graph(problem, steps)
        try:
            cand = strong.apply(row, row_rng(1, row["id"], "igsm_retry"))
        except Skip:
            continue
        assert not validate_igsm_retry(cand)
        for a in cand.attempts:
            param = a.detail["param"]
            # independent check: the parameter is not computable and not yet defined
            assert param not in computable_at(problem, steps, a.at, graph)
            assert param not in {s.param for s in steps[: a.at]}
            assert a.steps == (f"Define {param} as",) and a.head == a.steps[0]
            n_strong += 1
        try:
            cand = weak.apply(row, row_rng(1, row["id"], "igsm_retry"))
        except Skip:
            continue
        assert not validate_igsm_retry(cand)
        for a in cand.attempts:
            later = [s.param for s in steps[a.at + 1 :]]
            assert a.detail["param"] in later and a.detail["param"] != steps[a.at].param
            n_weak += 1
    assert n_strong > 100 and n_weak > 50


def test_distractor_draws_foreign_steps(tmp_path: Path, data_dir: Path) -> None:
    rows = _rows(tmp_path, data_dir / "gsm8k_mini.jsonl")
    t = make_transform("distractor", rate=0.3)
    t.prepare(iter(rows), seed=0)
    for row in rows:
        cand = t.apply(row, row_rng(0, row["id"], "distractor"))
        assert cand.attempts and not validate_distractor(cand)
        for a in cand.attempts:
            assert a.detail["from_id"] != row["id"] and a.steps[0] not in row["steps"]
    # the pool does not depend on row order
    other = make_transform("distractor", rate=0.3)
    other.prepare(iter(reversed(rows)), seed=0)
    assert other.pools == t.pools
    fresh = make_transform("distractor")
    with pytest.raises(RuntimeError, match="prepare"):
        fresh.apply(rows[0], row_rng(0, rows[0]["id"], "distractor"))


@pytest.mark.corpora
def test_reorder_coverage_on_gsm8k(tmp_path: Path) -> None:
    rows = _rows(tmp_path, corpus("gsm8k/train.jsonl"))
    t = make_transform("reorder", rate=0.2)
    multi = [r for r in rows if len(r["steps"]) >= 2]
    made = premature = attempts = 0
    for row in multi:
        try:
            cand = t.apply(row, row_rng(0, row["id"], "reorder"))
        except Skip:
            continue
        assert not validate_reorder(cand)
        made += 1
        attempts += len(cand.attempts)
        premature += sum(a.detail["premature"] for a in cand.attempts)
    assert made / len(multi) >= 0.98
    assert premature / attempts > 0.5  # most later steps really need an earlier result


@pytest.mark.corpora
def test_igsm_retry_realized_rate_and_paper_statistics(tmp_path: Path) -> None:
    import pyarrow as pa

    src = pq.read_table(corpus("igsm/igsm_med_train.parquet")).slice(0, 3000)
    pq.write_table(src, tmp_path / "med.parquet")
    rows = _rows(tmp_path / "ing", tmp_path / "med.parquet")
    for rule in ("retry", "retry_weak"):
        t = make_transform("igsm_retry", rate=0.2, min_errors=0, rule=rule, max_per_step=50)
        eligible = with_attempt = attempts = steps = 0
        for row in rows:
            try:
                cand = t.apply(row, row_rng(0, row["id"], "igsm_retry"))
            except Skip:
                steps += len(row["steps"])
                continue
            assert not validate_igsm_retry(cand)
            eligible += len(cand.eligible)
            with_attempt += len({a.at for a in cand.attempts})
            attempts += len(cand.attempts)
            steps += len(row["steps"])
        assert eligible >= 10_000
        assert abs(with_attempt / eligible - 0.2) <= 0.01, (rule, with_attempt / eligible)
        if rule == "retry":
            # the paper's generator: about 0.25 BACK steps per solution step at rate 0.2
            raw = [
                json.loads(x)
                for x in corpus("igsm/igsm_med_retry_1000.jsonl").read_text().splitlines()
            ]
            paper = sum(r["n_back"] for r in raw) / sum(
                len(parse_solution(r["clean_solution"])) for r in raw
            )
            ours = attempts / steps
            assert abs(ours - paper) < 0.03, (ours, paper)
    del pa


def test_reorder_records_premature_on_igsm(tmp_path: Path) -> None:
    rows = _igsm_rows(tmp_path, n=100)
    t = make_transform("reorder", rate=0.4, premature_only=True)
    kinds = Counter()
    for row in rows:
        try:
            cand = t.apply(row, row_rng(0, row["id"], "reorder"))
        except Skip as skip:
            kinds[skip.reason] += 1
            continue
        assert all(a.detail["premature"] for a in cand.attempts)
        assert all(a.head and a.head.startswith("Define ") for a in cand.attempts)
        kinds["ok"] += 1
    assert kinds["ok"] > 30


def test_every_transform_has_an_independent_validator() -> None:
    """One validator module per transform, registered under its name, importing no transform."""
    import ast
    from pathlib import Path

    import errsynth.validate as validate
    from errsynth.transforms import TRANSFORMS
    from errsynth.validate import VALIDATORS

    assert set(TRANSFORMS) <= set(VALIDATORS)
    folder = Path(validate.__file__).parent
    for name in TRANSFORMS:
        tree = ast.parse((folder / f"{name}.py").read_text())
        imported = [
            n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
        ] + [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith("errsynth.transforms")], name
