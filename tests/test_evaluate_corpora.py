"""The evaluator on the real corpora in ../shared/corpora (skipped when absent)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from errsynth.evaluate import answers_equal, check_equation, find_equations, normalize_answer
from errsynth.evaluate.audit import audit_rows, render

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

pytestmark = pytest.mark.corpora


def rows(relative: str, limit: int | None = None) -> list[dict[str, str]]:
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"{relative} not present under {CORPORA}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
            if limit is not None and len(out) >= limit:
                break
    return out


def test_gsm8k_annotations_are_judged_ok() -> None:
    answers = [r["answer"] for r in rows("gsm8k/train.jsonl")]
    audit = audit_rows(answers)
    total = sum(audit.annotations.values())
    assert total > 20_000
    assert audit.annotation_ok_fraction >= 0.99, render(audit, "gsm8k")
    # Prose equations (annotations removed) are mostly right; the wrong ones are few.
    prose_total = sum(audit.inline.values())
    prose_wrong = sum(n for (ok, _), n in audit.inline.items() if ok is False)
    assert prose_total > 10_000
    assert prose_wrong / prose_total < 0.01


def test_gsm8k_final_answers_normalize_to_numbers() -> None:
    for r in rows("gsm8k/train.jsonl", limit=2000):
        final = r["answer"].rsplit("####", 1)[-1].strip()
        canonical = normalize_answer(final)
        assert canonical == final.replace(",", "")
        assert answers_equal(final, canonical)


def test_igsm_steps_check_exactly_mod_23() -> None:
    verdicts: Counter[tuple[bool | None, str]] = Counter()
    for r in rows("igsm/igsm_med_retry_1000.jsonl"):
        for eq in find_equations(r["solution"], kind="inline"):
            v = check_equation(eq.expr, eq.claimed, modulus=23)
            verdicts[(v.ok, v.reason)] += 1
    assert sum(verdicts.values()) > 2000
    assert set(verdicts) == {(True, "exact")}


def test_math_latex_equations_are_rarely_judged_wrong() -> None:
    verdicts: Counter[bool | None] = Counter()
    for r in rows("math/math_test_4500.jsonl", limit=600):
        for eq in find_equations(r["solution"], kind="latex"):
            verdicts[check_equation(eq.expr, eq.claimed, syntax="latex").ok] += 1
    judged = verdicts[True] + verdicts[False]
    assert judged > 500
    # MATH solutions are almost always right, so "wrong" verdicts must stay rare
    # (the few there are real slips or "=" used for "≈" in the data).
    assert verdicts[False] / judged < 0.01


def test_math_boxed_answers_normalize_idempotently() -> None:
    for r in rows("math/math_test_4500.jsonl"):
        solution = r["solution"]
        boxed = solution[solution.rfind("\\boxed") :]
        canonical = normalize_answer(boxed)
        assert canonical
        assert normalize_answer(canonical) == canonical
        assert answers_equal(boxed, canonical)
