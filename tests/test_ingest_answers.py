"""Answers from model-written text: sources, the step-list reader's last steps, the real
corpora (GSM8K prose conclusions, MATH answers against math-verify)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import corpus

from errsynth.evaluate import answers_equal, normalize_answer
from errsynth.evaluate.grader import equivalent, grader_available, math_verify_equal
from errsynth.ingest.final_answer import find_answer
from errsynth.ingest.latex_text import last_boxed
from errsynth.ingest.run import ingest


@pytest.mark.parametrize(
    ("text", "raw", "source"),
    [
        (r"So $x = \boxed{\frac{1}{\sqrt{2}}}$.", r"\frac{1}{\sqrt{2}}", "boxed"),
        (r"Thus \boxed{\{1, 2\}} and \boxed{7}", "7", "boxed"),
        ("We add them.\nFinal answer: 42", "42", "final_answer"),
        ("**Final Answer:** 3/4", "3/4", "final_answer"),
        ("Adding gives 12. The answer is 12.", "12", "the_answer_is"),
        ("The answer is: 18", "18", "the_answer_is"),
        ("48 + 24 = 72\n#### 72", "72", "hash"),
        ("So she pays 5 + 3 = 8 dollars.\n\n**8**", "8", "bold"),
        ("Therefore, the customer paid $37 on this shopping trip.", "37", "conclusion"),
        ("Therefore, Vince stapled a total of 2,280 reports.", "2280", "conclusion"),
        ("In total she has 3 + 4 = 7 apples. That is a lot of fruit!", "7", "conclusion"),
        ("She can make 16 biscuits because 144 divided by 9 equals 16.", "16", "conclusion"),
        ("The final answer is 150 km.", "150", "the_answer_is"),
    ],
)
def test_find_answer(text: str, raw: str, source: str) -> None:
    found = find_answer(text)
    assert found is not None and (normalize_answer(found.raw), found.source) == (
        normalize_answer(raw),
        source,
    )


def test_no_answer_in_prose() -> None:
    assert find_answer("The rain falls softly on the roof.") is None


def test_step_list_last_step_conclusions(tmp_path: Path) -> None:
    """ProcessBench-style model-written step lists used to be rejected no_final_answer."""
    records = [
        {
            "problem": "Items cost $12, $15 and $10. How much did the customer pay?",
            "steps": ["12 + 15 + 10 = 37.", "Therefore, the customer paid $37 on this trip."],
            "label": -1,
        },
        {
            "problem": "Vince staples 190 reports a day for 12 days. How many?",
            "steps": ["190 * 12 = 2280.", "Therefore, Vince stapled a total of 2,280 reports."],
            "label": 1,
        },
    ]
    path = tmp_path / "pb.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    stats = ingest([path], tmp_path / "out", fmt="steps")
    assert stats.rows_out == 2 and stats.rows_rejected == 0


@pytest.mark.corpora
def test_gsm8k_prose_conclusions_get_an_answer() -> None:
    """A well-formed model-style corpus: GSM8K solutions without their '####' line (no
    annotations) end in a sentence that states the answer: >= 99% must get one."""
    rows = [json.loads(x) for x in corpus("gsm8k/train.jsonl").read_text().splitlines()]
    got = right = 0
    for r in rows:
        body, gold = r["answer"].rsplit("####", 1)
        found = find_answer(re.sub(r"<<[^>]*>>", "", body).strip())
        if found is not None:
            got += 1
            right += answers_equal(found.raw, gold.strip())
    assert got >= 0.99 * len(rows)
    assert right >= 0.98 * len(rows)


# math-verify misreads these references themselves (bare words read as products of
# symbols, "5,\!525" and "111, \! 111" not read as one number, "\frac \pi4" as \frac{\}{p},
# a trailing "i." unparsed); errsynth's normalized forms are right.
GRADER_MISREADS = {
    r"\text{June 20}",
    r"\frac{12}{5,\!525}",
    r"\frac \pi4 + 2 - \sqrt2",
    r"8\sqrt{3} \text { square inches}",
    r"\frac{7}{5} + \frac{1}{5} i.",
    r"\text{A,D}",
    r"\text{C,E}",
    r"\text{1:03 PM}",
    r"111, \! 111, \! 111",
    r"\text{4:30 p.m.}",
    r"\text{B, E, G}",
    r"\text{C, F, H}",
    r"\text{A,C,F}",
}


@pytest.mark.corpora
@pytest.mark.slow
def test_math_answers_keep_meaning_per_math_verify() -> None:
    if not grader_available():
        pytest.skip("math-verify not installed")
    lines = corpus("math/math_test_4500.jsonl").read_text().splitlines()
    disagree = set()
    for line in lines:
        ref = last_boxed(json.loads(line)["solution"])
        assert ref is not None
        norm = normalize_answer(ref)
        assert equivalent(ref, norm)
        if math_verify_equal(ref, norm) is not True:
            disagree.add(ref)
    assert disagree <= GRADER_MISREADS, sorted(disagree - GRADER_MISREADS)


def test_matrix_keeps_row_separators() -> None:
    ref = r"\begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix}"
    assert normalize_answer(ref) == r"\begin{pmatrix}-1/3\\2/3\end{pmatrix}"
    if grader_available():
        assert math_verify_equal(ref, normalize_answer(ref)) is True
