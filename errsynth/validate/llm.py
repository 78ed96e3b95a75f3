"""Exact checks of model-written solutions and steps (evaluator; iGSM checker for iGSM rows).

Nothing a model writes is trusted: equations are re-judged by the exact evaluator,
final answers compared with the gold answer by :func:`answers_equal`, and iGSM
solutions replayed by the independent iGSM checker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.evaluate import answers_equal
from errsynth.igsm import check
from errsynth.ingest.equations import step_equations


def is_igsm(row: Mapping[str, Any]) -> bool:
    return row.get("format") == "igsm"


def igsm_check(question: str, steps: Sequence[str], answer: str) -> tuple[bool, str]:
    try:
        res = check(question, " ".join(s.strip() for s in steps), answer)
    except Exception as exc:  # the checker's own parse errors: the text is not iGSM
        return False, f"{type(exc).__name__}: {exc}"
    return res.ok, res.reason


def equations(steps: Sequence[str]) -> list[dict[str, Any]]:
    return step_equations(list(steps), syntax="auto")


def false_equations(steps: Sequence[str]) -> list[str]:
    """Each equation the evaluator proves false, in words."""
    return [
        f"step {e['step'] + 1}: {e['expr']} = {e['claimed']} is false"
        + (f" (it is {e['value']})" if e["value"] is not None else "")
        for e in equations(steps)
        if e["ok"] is False
    ]


def solution_problems(row: Mapping[str, Any], steps: Sequence[str], answer: str) -> list[str]:
    """Why a complete solution is not right (empty: right as far as can be checked).

    iGSM rows: the iGSM checker on the question, the steps and `answer` (which the
    caller has compared with the gold answer). Other rows: no equation may be false.
    """
    if is_igsm(row):
        ok, why = igsm_check(row["question"], steps, answer)
        return [] if ok else [f"iGSM checker: {why}"]
    return false_equations(steps)


def step_value(row: Mapping[str, Any], k: int) -> str | None:
    """The value step k computes: the claimed result of its last equation judged right."""
    found = [e for e in row.get("equations") or [] if e["step"] == k and e["ok"] is True]
    return found[-1]["claimed"] if found else None


def checkable_steps(row: Mapping[str, Any]) -> list[int]:
    """Steps with an equation the evaluator judged right (a mistake there can be checked)."""
    if is_igsm(row):
        return list(range(len(row["steps"])))
    return sorted({e["step"] for e in row.get("equations") or [] if e["ok"] is True})


def mistake_problems(
    row: Mapping[str, Any], k: int, mistake: str, correction: str
) -> tuple[list[str], str]:
    """(problems, how the mistake is wrong) for a model-written mistake at step k.

    The mistake must be wrong: for iGSM rows the checker must reject the solution
    with step k replaced by it; otherwise an equation in it is false
    (``false_equation``) or its result differs from the step's right value
    (``wrong_value``). The correction must be right: the checker accepts the
    solution with it (iGSM), or its equations are all true and its result is the
    step's value.
    """
    steps = list(row["steps"])
    original = steps[k]
    problems: list[str] = []
    if " ".join(mistake.split()) == " ".join(original.split()):
        return ["the mistake is the original step unchanged"], ""
    if is_igsm(row):
        bad = [*steps[:k], mistake, *steps[k + 1 :]]
        ok, why = igsm_check(row["question"], bad, row["answer"])
        if ok:
            problems.append("the mistake is not wrong: the iGSM checker accepts it")
        good = [*steps[:k], correction, *steps[k + 1 :]]
        ok_c, why_c = igsm_check(row["question"], good, row["answer"])
        if not ok_c:
            problems.append(f"the correction is not right: {why_c}")
        return problems, "" if ok else f"igsm_checker: {why}"
    value = step_value(row, k)
    if value is None:
        return [f"step {k + 1} has no equation judged right"], ""
    eq_m = equations([mistake])
    how = ""
    if any(e["ok"] is False for e in eq_m):
        how = "false_equation"
    elif eq_m and eq_m[-1]["ok"] is True and not answers_equal(eq_m[-1]["claimed"], value):
        how = "wrong_value"
    else:
        problems.append(
            "the mistake is not provably wrong: no false equation and no other result"
            if eq_m
            else "the mistake has no equation the evaluator can judge"
        )
    eq_c = equations([correction])
    if not eq_c:
        problems.append("the correction has no equation")
    elif any(e["ok"] is False for e in eq_c):
        problems.append("the correction has a false equation")
    elif not answers_equal(eq_c[-1]["claimed"], value):
        problems.append(f"the correction gives {eq_c[-1]['claimed']}, the step's value is {value}")
    return problems, how
