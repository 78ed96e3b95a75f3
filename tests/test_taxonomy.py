"""Failure taxonomy (errsynth/train/taxonomy.py): hand-made generations of every kind, on
problems from errsynth's own iGSM generator."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.igsm import check, parse_problem, parse_solution
from errsynth.igsm.generator import generate
from errsynth.train.taxonomy import FAILURE_KINDS, PROFILE_KIND, classify


def _find(pred, max_ops: int = 6, n: int = 400) -> dict:
    for r in generate(n, max_ops, 7, names="short", distractors=2):
        if pred(r):
            return r
    raise AssertionError("no generated problem fits")


def _steps(r: dict) -> list[str]:
    return [s.text for s in parse_solution(r["solution"])]


@pytest.fixture(scope="module")
def deep() -> dict:
    """A problem of ≥ 4 steps whose last step reads two earlier parameters."""

    def fits(r: dict) -> bool:
        steps = parse_solution(r["solution"])
        return len(steps) >= 4 and len(steps[-1].uses) >= 2 and steps[0].ops[-1].operands == ()

    return _find(fits)


def _kind(r: dict, steps: list[str], truncated: bool = False):
    f = classify(r["problem"], " ".join(steps), r["answer"], truncated=truncated)
    assert f is None or f.kind in FAILURE_KINDS
    return f


def test_the_gold_solution_and_a_retracted_premature_head_have_no_failure(deep: dict) -> None:
    steps = _steps(deep)
    assert _kind(deep, steps) is None
    last = parse_solution(deep["solution"])[-1]
    retracted = [f"Define {last.param} as BACK.", *steps]
    assert check(deep["problem"], " ".join(retracted), deep["answer"], allow_back=True).ok
    assert _kind(deep, retracted) is None


def test_premature_parameter(deep: dict) -> None:
    steps = _steps(deep)
    f = _kind(deep, [steps[0], steps[-1]])  # the query step before its inputs
    assert f is not None and f.kind == "premature" and f.step == 1
    assert "not defined yet" in f.detail and "which no earlier step defines" in f.reason


def test_arithmetic_slip_and_wrong_copies(deep: dict) -> None:
    steps = parse_solution(deep["solution"])
    i = next(k for k, s in enumerate(steps) if any(o.operators and o.operands for o in s.ops))
    s = steps[i]
    op = next(o for o in s.ops if o.operators and o.operands)
    text = s.text
    # the result written wrongly: an arithmetic slip
    slip = text.replace(f"{op.numeric} = {op.claimed}", f"{op.numeric} = {(op.claimed + 1) % 23}")
    f = _kind(deep, [t.text for t in steps[:i]] + [slip])
    assert f is not None and f.kind == "arithmetic" and f.step == i
    # a variable's value copied wrongly into the numeric form
    nums = op.numeric.split(" ")[0::2]
    k = next(j for j, t in enumerate(op.terms) if not t.isdigit())
    wrong_nums = list(nums)
    wrong_nums[k] = str((int(nums[k]) + 1) % 23)
    ops = op.numeric.split(" ")[1::2]
    wrong_numeric = " ".join(x for pair in zip(wrong_nums, [*ops, ""], strict=True) for x in pair).strip()  # fmt: skip
    copied = text.replace(f"= {op.numeric} =", f"= {wrong_numeric} =")
    assert copied != text
    f = _kind(deep, [t.text for t in steps[:i]] + [copied])
    assert f is not None and f.kind == "wrong_copy" and "written as" in f.detail


def _copy_step(r: dict) -> int | None:
    """Index of a copy step (``so K = e = 1``) with another variable defined before it."""
    steps = parse_solution(r["solution"])
    for k, step in enumerate(steps):
        op = step.ops[-1]
        if len(step.ops) == 1 and not op.operators and op.operands and k >= 2:
            return k
    return None


def test_a_copy_step_with_the_wrong_value_is_a_wrong_copy() -> None:
    r = _find(lambda r: _copy_step(r) is not None)
    steps = parse_solution(r["solution"])
    i = _copy_step(r)
    op = steps[i].ops[-1]
    bad = steps[i].text.replace(f"= {op.claimed}.", f"= {(op.claimed + 5) % 23}.")
    f = _kind(r, [s.text for s in steps[:i]] + [bad])
    assert f is not None and f.kind == "wrong_copy" and f.step == i


def test_reading_another_defined_variable_is_a_wrong_dependency() -> None:
    r = _find(lambda r: _copy_step(r) is not None)
    steps = parse_solution(r["solution"])
    i = _copy_step(r)
    st = steps[i]
    read = st.ops[-1].operands[0]
    other = next(t for t in steps[:i] if t.var != read)
    bad = f"Define {st.param} as {st.var}; so {st.var} = {other.var} = {other.value}."
    f = _kind(r, [s.text for s in steps[:i]] + [bad])
    assert f is not None and f.kind == "wrong_dependency" and "instead of" in f.reason


def test_a_wrong_formula_is_a_wrong_dependency() -> None:
    def sum_step(r: dict) -> int | None:
        for k, st in enumerate(parse_solution(r["solution"])):
            op = st.ops[-1]
            if len(st.ops) == 1 and op.operators == ("+",) and len(op.operands) == 2:
                return k
        return None

    r = _find(lambda r: sum_step(r) is not None)
    steps = parse_solution(r["solution"])
    i = sum_step(r)
    st = steps[i]
    x, y = st.ops[-1].operands
    a, b = (int(v) for v in st.ops[-1].numeric.split(" + "))
    bad = f"Define {st.param} as {st.var}; so {st.var} = {x} * {y} = {a} * {b} = {a * b % 23}."
    f = _kind(r, [s.text for s in steps[:i]] + [bad])
    assert f is not None and f.kind == "wrong_dependency" and "formula" in f.reason


def test_a_misquoted_number_of_the_problem_is_a_wrong_copy(deep: dict) -> None:
    steps = parse_solution(deep["solution"])
    s = steps[0]  # a constant: "so x = 8."
    bad = s.text.replace(f"= {s.value}.", f"= {(s.value + 3) % 23}.")
    f = _kind(deep, [bad])
    assert f is not None and f.kind == "wrong_copy"
    assert f"the problem's {s.value} written as {(s.value + 3) % 23}" == f.detail


def test_unneeded_parameter_query_runaway_and_other(deep: dict) -> None:
    steps = _steps(deep)
    # a parameter of the problem the query does not need (generated with distractors)
    needed = {s.param for s in parse_solution(deep["solution"])}
    prob = parse_problem(deep["problem"])
    spare = next(
        (p for p, d in prob.params.items() if p not in needed and d.kind == "constant"), None
    )
    if spare is not None:
        value = prob.params[spare].number % 23
        f = _kind(deep, [steps[0], f"Define {spare} as Z; so Z = {value}."])
        assert f is not None and f.kind == "unneeded_parameter"
    f = _kind(deep, [steps[0], steps[0]])
    assert f is not None and f.kind == "unneeded_parameter" and f.detail == "already defined"
    f = _kind(deep, steps[:-1])  # stops before the query
    assert f is not None and f.kind == "query" and "not the query" in f.reason
    cut = " ".join(steps[:-1]) + " " + steps[-1][: len(steps[-1]) // 2]
    f = classify(deep["problem"], cut, deep["answer"], truncated=True)
    assert f is not None and f.kind == "runaway"
    f = classify(deep["problem"], cut, deep["answer"], truncated=False)
    assert f is not None and f.kind == "other" and f.reason.startswith("parse:")
    f = classify(deep["problem"], "", deep["answer"], truncated=True)
    assert f is not None and f.kind == "runaway"
    # a mistake inside the complete steps wins over the cut-off tail
    f = classify(deep["problem"], " ".join([steps[-1], *steps]) + " Define", deep["answer"], truncated=True)  # fmt: skip
    assert f is not None and f.kind == "premature" and f.step == 0


def test_eval_records_a_failure_type_per_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    from errsynth.train import heldout_eval as ev
    from errsynth.train.tokenizer import WordTokenizer

    r = _find(lambda r: len(parse_solution(r["solution"])) >= 3)
    steps = _steps(r)
    gens = [
        " ".join(steps),  # right
        " ".join(steps[:-1]),  # query step missing
        " ".join([steps[-1]]),  # premature (the query first)
    ]
    rows = [{"problem": r["problem"], "solution": r["solution"], "answer": r["answer"], "op": r["op"]}] * 3  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "test.parquet")
    tok = WordTokenizer.build([r["problem"], *gens])
    monkeypatch.setattr(ev, "greedy_decode", lambda m, prompts, *a, **k: [tok.encode(" " + t) for t in gens[: len(prompts)]])  # fmt: skip
    monkeypatch.setattr(ev, "load_run", lambda run, device: (None, tok, {}))
    rep = ev.evaluate_run("unused", tmp_path / "test.parquet", out=tmp_path / "ev")
    kinds = [row["failure_type"] for row in rep["rows"]]
    assert kinds == [None, "query", "premature"]
    fb = rep["overall"]["failures_by_type"]
    assert fb["query"] == 1 and fb["premature"] == 1 and sum(fb.values()) == 2
    assert rep["by_op"][str(r["op"])]["failures_by_type"] == fb
    assert all(row["id"] == rep["rows"][0]["id"] for row in rep["rows"])  # the same problem
    assert "premature" in ev.format_report(rep)
    parquet_rows = pq.read_table(tmp_path / "ev" / "eval_rows.parquet").to_pylist()
    assert [p["failure_type"] for p in parquet_rows] == kinds


def _corruptions(problem: str, solution: str, answer: str) -> dict[str, object]:
    """kind → what classify says of a mistake of that kind made in a real solution."""
    steps = parse_solution(solution)
    texts = [s.text for s in steps]
    out: dict[str, object] = {"gold": classify(problem, solution, answer)}
    if steps[-1].uses:  # the query step before its inputs
        out["premature"] = classify(problem, " ".join([texts[-1], *texts]), answer)
    if len(texts) > 1:  # stops one step short of the query
        out["query"] = classify(problem, " ".join(texts[:-1]), answer)
    k = max((i for i, s in enumerate(steps) if any(o.operators for o in s.ops)), default=None)
    if k is not None:
        op = next(o for o in steps[k].ops if o.operators)
        bad = texts[k].replace(f"{op.numeric} = {op.claimed}", f"{op.numeric} = {(op.claimed + 1) % 23}")  # fmt: skip
        out["arithmetic"] = classify(problem, " ".join([*texts[:k], bad]), answer)
    out["runaway"] = classify(problem, solution[: len(solution) - 3], answer, truncated=True)
    return out


def _assert_kinds(found: dict[str, object]) -> None:
    assert found.pop("gold") is None
    for kind, failure in found.items():
        assert failure is not None and failure.kind == kind, (kind, failure)


def test_every_kind_on_the_paper_corpus() -> None:
    table = pq.read_table(corpus("igsm/igsm_med_test.parquet")).slice(0, 120)
    for r in table.to_pylist():
        _assert_kinds(_corruptions(r["problem"], r["solution"], str(r["answer"])))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_every_kind_on_generated_problems(seed: int, max_ops: int) -> None:
    r = next(iter(generate(1, max_ops, seed, names="short", distractors=2)))
    _assert_kinds(_corruptions(r["problem"], r["solution"], r["answer"]))


def test_profile_kinds_are_error_profile_kinds() -> None:
    from errsynth.types.error_profile import KINDS

    assert set(PROFILE_KIND) <= set(FAILURE_KINDS) and set(PROFILE_KIND.values()) <= set(KINDS)
    assert set(FAILURE_KINDS) - set(PROFILE_KIND) == {"query", "runaway"}
