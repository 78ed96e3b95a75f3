"""The iGSM parsers, graph and checker on the paper generator's own corpora.

Skipped cleanly when ../shared/corpora is absent. The big train files are tested on a
seeded sample of 20k rows by default; the whole files run under ``@pytest.mark.slow``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errsynth.igsm.checker import check, check_parsed
from errsynth.igsm.formula import step_arith_ops
from errsynth.igsm.graph import computable_at, dependency_graph
from errsynth.igsm.structure import resolve_structure
from errsynth.igsm.text import parse_problem, parse_solution, recompute, split_steps

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
IGSM = CORPORA / "igsm"
PARQUETS = {
    "igsm_med_train.parquet": 92_075,
    "igsm_small_train.parquet": 100_000,
    "igsm_med_test.parquet": 2_000,
    "igsm_small_test.parquet": 1_000,
}
SAMPLE = 20_000

pytestmark = pytest.mark.corpora


def _path(name: str) -> Path:
    path = IGSM / name
    if not path.exists():
        pytest.skip(f"real corpus igsm/{name} not present at {CORPORA}")
    return path


def _rows(name: str, sample: int | None) -> list[dict]:
    table = pq.read_table(_path(name), columns=["problem", "solution", "answer", "op"])
    assert table.num_rows == PARQUETS[name]
    rows = table.to_pylist()
    if sample is not None and len(rows) > sample:
        rows = random.Random(1234).sample(rows, sample)
    return rows


def _verify_row(row: dict) -> None:
    """Everything we claim about one corpus row; raises AssertionError with the row."""
    problem = parse_problem(row["problem"])
    steps = parse_solution(row["solution"])
    assert " ".join(split_steps(row["solution"])) == row["solution"]
    assert " ".join(problem.sentences) == row["problem"]
    values = recompute(steps)
    assert str(steps[-1].value) == row["answer"]
    assert steps[-1].param == problem.query
    # op = per step max(1, binary operations), summed
    assert sum(max(1, s.n_arith) for s in steps) == row["op"]
    structure = resolve_structure(problem, steps, lookup=None)
    graph = dependency_graph(problem, steps, lookup=None, structure=structure)
    param_of: dict[str, str] = {}
    for s in steps:
        used = {param_of[v] for v in s.uses}
        if s.param in problem.params:  # explicit: the sentence's refs are exactly what is read
            assert used == set(problem.params[s.param].refs), s.text
        assert graph.exact[s.param], s.text  # abstract: the inferred graph is exact ...
        assert used == set(graph.deps[s.param]), s.text  # ... and matches the solution
        f = structure.formula(s.param)
        assert f is not None and step_arith_ops(f) == max(1, s.n_arith), s.text
        assert s.var is not None
        param_of[s.var] = s.param
    # the problem alone (plus the solution's category layers) gives the same values
    assert structure.values([problem.query]) | values == values | structure.values([problem.query])
    result = check_parsed(structure, steps, row["answer"])
    assert result.ok, result.reason


def _run(name: str, sample: int | None) -> None:
    rows = _rows(name, sample)
    failures = []
    for i, row in enumerate(rows):
        try:
            _verify_row(row)
        except Exception as e:  # collect, then report a few
            failures.append((i, repr(e)[:300], row["problem"][:200]))
    assert not failures, f"{len(failures)}/{len(rows)} rows fail, e.g. {failures[:3]}"


@pytest.mark.parametrize("name", sorted(PARQUETS))
def test_corpus_rows(name: str) -> None:
    _run(name, SAMPLE)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["igsm_med_train.parquet", "igsm_small_train.parquet"])
def test_corpus_rows_full(name: str) -> None:
    _run(name, None)


def test_checker_defaults_on_corpus_sample() -> None:
    # with our vocabulary passed (the default) nothing changes on the paper's names
    rows = _rows("igsm_med_test.parquet", None)
    bad = [r for r in rows if not check(r["problem"], r["solution"], r["answer"])]
    assert not bad


def test_checker_rejects_corpus_corruptions() -> None:
    rows = _rows("igsm_med_test.parquet", None)[:300]
    for r in rows:
        wrong = str((int(r["answer"]) + 1) % 23)
        assert not check(r["problem"], r["solution"], wrong).ok
        steps = split_steps(r["solution"])
        if len(steps) > 1:
            assert not check(r["problem"], " ".join(steps[1:]), r["answer"]).ok  # skips one
            swapped = " ".join([steps[-1], *steps[:-1]])
            assert not check(r["problem"], swapped, r["answer"]).ok


@pytest.mark.parametrize("name", ["igsm_med_retry_weak_1000.jsonl", "igsm_med_retry_1000.jsonl"])
def test_retry_files(name: str) -> None:
    rows = [json.loads(line) for line in _path(name).read_text().splitlines()]
    assert len(rows) == 1000
    n_back = 0
    for r in rows:
        steps = parse_solution(r["solution"])
        clean = " ".join(s.text for s in steps if not s.back)
        assert clean == r["clean_solution"]
        backs = sum(s.back for s in steps)
        assert backs == r["n_back"]
        n_back += backs
        assert check(r["problem"], r["solution"], r["answer"], allow_back=True).ok
        assert not check(r["problem"], r["solution"], r["answer"]).ok or backs == 0
    assert n_back > 1000


def test_retry_backs_are_not_computable_yet() -> None:
    """The strong retry rule, read back through our graph: a BACK parameter is never
    defined so far, and never computable yet whenever its dependencies are exact."""
    rows = [
        json.loads(line) for line in _path("igsm_med_retry_1000.jsonl").read_text().splitlines()
    ]
    exact = inexact = 0
    for r in rows:
        problem = parse_problem(r["problem"])
        steps = parse_solution(r["solution"])
        graph = dependency_graph(problem, steps)
        defined: set[str] = set()
        for i, s in enumerate(steps):
            if not s.back:
                defined.add(s.param)
                continue
            assert s.param not in defined
            if graph.exact[s.param]:
                exact += 1
                assert s.param not in computable_at(problem, steps, i, graph), s.param
            else:
                inexact += 1
    assert exact > 2 * inexact  # inexact: mostly categories the problem never names
