"""find_equations: annotations, prose equations and LaTeX math."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from errsynth.evaluate import FoundEquation, check_equation, find_equations
from errsynth.evaluate.audit import audit_rows, main, render


def pairs(text: str, kind: str) -> list[tuple[str, str]]:
    return [(e.expr, e.claimed) for e in find_equations(text, kind=kind)]  # type: ignore[arg-type]


def test_annotations_with_spans() -> None:
    text = "Natalia sold 48/2 = <<48/2=24>>24 clips.\nShe got <<5%*100=5>>5."
    found = find_equations(text, kind="annotation")
    assert found[0] == FoundEquation("48/2", "24", 20, 31, "annotation", "plain")
    assert text[found[0].start : found[0].end] == "<<48/2=24>>"
    assert [(e.expr, e.claimed) for e in found] == [("48/2", "24"), ("5%*100", "5")]


def test_annotation_chains_share_the_span() -> None:
    found = find_equations("x <<2*3=6=6.0>> y", kind="annotation")
    assert [(e.expr, e.claimed) for e in found] == [("2*3", "6"), ("6", "6.0")]
    assert {(e.start, e.end) for e in found} == {(2, 15)}
    assert find_equations("<<=5>> <<5>> <<3=>>", kind="annotation") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He bought 12 x 4 = 48 apples.", [("12 x 4", "48")]),
        ("It cost $1,200 / 4 = $300 each.", [("$1,200 / 4", "$300")]),
        ("So 3 + 5 = 8.", [("3 + 5", "8")]),
        ("She ate 2/3 * 9 = 6 cakes", [("2/3 * 9", "6")]),
        ("Total (3 + 4 = 7) pens", [("3 + 4", "7")]),
        ("(4+5)*2 = 18", [("(4+5)*2", "18")]),
        ("100% - 40% = 60% of them", [("100% - 40%", "60%")]),
        ("so 20 % were", []),
        ("G = n + L = 21 + 2 = 0; so F", [("21 + 2", "0")]),
        ("A = 3 * 4 = 12 = 12", [("3 * 4", "12")]),
        ("(300/3) x 2 = 100 x 2 = 200", [("(300/3) x 2", "100 x 2"), ("100 x 2", "200")]),
        # conservative: nothing invented from prose, dates or fragments
        ("On 12/25 he left.", []),
        ("Call 555-1234 = home", []),
        ("In 2019 = a year", []),
        ("a*2 + 3 = 9", []),
        ("2x - 230 = 450 pages", []),
        ("8 x 1 1/2 = 12 rolls", []),
        ("2 + 1/2 = 2 1/2 pieces", []),
        ("12 x 1 and 1/4 = 15", []),
        ("0900-0130 = 0730 hours", []),
        ("$1 / 2 = 50 cents", []),
        ("$80 000 x 20/100 = $16 000", []),
        ("3*30 = 30 + M trees", []),
        ("25 / 1/3 = 75 total", []),
        ("40 marbles - 3 - 5 = 32 marbles", []),
        ("it is 5 = 5", []),
        ("v1.2-3 = 7", []),
    ],
)
def test_inline(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(text, "inline") == expected


def test_inline_spans_and_annotations_are_skipped() -> None:
    text = "Natalia sold 48/2 = <<48/2=24>>24 clips, then 12 x 4 = 48."
    found = find_equations(text, kind="inline")
    assert len(found) == 1
    eq = found[0]
    assert text[eq.start : eq.end] == "12 x 4 = 48"
    assert (eq.kind, eq.syntax) == ("inline", "plain")
    assert find_equations("<<3+5=8>>", kind="inline") == []


def test_latex_regions_and_chains() -> None:
    text = (
        r"So $5 + 3 = 8$ and $$\frac{1}{2}+\frac12 = 1 = \frac{2}{2}$$ and "
        r"\[x+1 = 3 \implies x = 2\] and \(2\cdot 3=6\)."
    )
    assert pairs(text, "latex") == [
        ("5 + 3", "8"),
        (r"\frac{1}{2}+\frac12", "1"),
        ("1", r"\frac{2}{2}"),
        ("x+1", "3"),
        ("x", "2"),
        (r"2\cdot 3", "6"),
    ]
    for eq in find_equations(text, kind="latex"):
        assert text[eq.start : eq.end].startswith(eq.expr)
        assert text[eq.start : eq.end].endswith(eq.claimed)
        assert (eq.kind, eq.syntax) == ("latex", "latex")


def test_latex_align_rows_continue_the_chain() -> None:
    text = r"\begin{align*} x &= 2+3 \\ &= 5 \\ y &= a + b \\ &\quad + c \\ &= 7 \end{align*}"
    assert pairs(text, "latex") == [("x", "2+3"), ("2+3", "5")]
    lone = r"\begin{align*} &1 + 2 + 3 \\ &= 3 + 3 \\ &= 6 \end{align*}"
    assert pairs(lone, "latex") == [("1 + 2 + 3", "3 + 3"), ("3 + 3", "6")]


@pytest.mark.parametrize(
    "text",
    [
        r"$a \le b = 3$",
        r"$3 < 4 = 4$",
        r"$x \approx 2 = y$",
        r"$\text{cost} = 5$",
        r"$\sin 30 = 0.5$",
        r"$x = 1, y = 2$",
        r"we have \$5 and \$3 = cheap",
        r"$\begin{pmatrix} 1 \\ 2 \end{pmatrix} = (1)(5) + (2)(3)$",
        r"$50^{-1} = 24 \pmod{61}$",
        r"so modulo 7, $3 \cdot 5 = 1$",
        r"in base $7$, $44 \times 55 = 3506$",
        r"$\boxed{11} = 2$",
        r"$(3)$ x $(5) = 64$",
        r"$A\;\spadesuit\;2 = 19$",
        r"$\&(15\&) = 7$",
    ],
)
def test_latex_skips(text: str) -> None:
    assert pairs(text, "latex") == []


def test_latex_boxed_result_is_claimed() -> None:
    text = r"$(-3) \cdot (-2) + 5 \cdot 1 = \boxed{11}$"
    found = find_equations(text, kind="latex")
    assert [(e.expr, e.claimed) for e in found] == [(r"(-3) \cdot (-2) + 5 \cdot 1", "11")]
    assert text[found[0].start : found[0].end].endswith(r"\boxed{11}")
    assert check_equation(found[0].expr, found[0].claimed, syntax="latex").ok is True


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        find_equations("1+1=2", kind="prose")  # type: ignore[arg-type]


def test_audit_report_lists_what_is_not_ok(tmp_path: Path) -> None:
    answers = [
        "She has 48/2 = <<48/2=24>>24.\nThen 7+5 = <<7+5=13>>13.\n#### 13",
        "He pays 10 x 3 = 30 dollars, then <<1/0=1>>1.\n#### 1",
    ]
    audit = audit_rows(answers)
    assert audit.annotations == {
        (True, "exact"): 1,
        (False, "mismatch"): 1,
        (None, "division_by_zero"): 1,
    }
    assert [(f.row, f.kind, f.expr) for f in audit.findings] == [
        (0, "annotation", "7+5"),
        (0, "inline", "7+5"),
        (1, "annotation", "1/0"),
    ]
    report = render(audit, "mini")
    assert "annotations: 3, judged ok: 33.3333%" in report
    assert "row 0: <<7+5=13>> -> ok=False (mismatch), value 12" in report
    corpus = tmp_path / "train.jsonl"
    corpus.write_text("".join(json.dumps({"answer": a}) + "\n" for a in answers))
    out = tmp_path / "report.txt"
    assert main([str(corpus), "--out", str(out)]) == 0
    assert out.read_text() == render(audit, str(corpus))
