"""format_value, parse_number, normalize_answer and answers_equal."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from errsynth.evaluate import answers_equal, format_value, normalize_answer, parse_number

F = Fraction


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (F(72), "72"),
        (72, "72"),
        (F(-3), "-3"),
        (F(1, 2), "0.5"),
        (F(49, 4), "12.25"),
        (F(-1, 8), "-0.125"),
        (F(1, 3), "1/3"),
        (F(-7, 6), "-7/6"),
        (F(1, 2**100), f"1/{2**100}"),  # terminating, but too long as a decimal
        (sympy.Rational(3, 4), "0.75"),
        (sympy.Integer(5), "5"),
        (2 * sympy.sqrt(2), "2*sqrt(2)"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,200", F(1200)),
        ("$1,200", F(1200)),
        ("0.5", F(1, 2)),
        (".5", F(1, 2)),
        ("5.", F(5)),
        ("25%", F(1, 4)),
        (r"50\%", F(1, 2)),
        ("2/3", F(2, 3)),
        ("-7", F(-7)),
        ("−7", F(-7)),
        ("+7", F(7)),
        ("1e3", F(1000)),
        ("1.5E-2", F(3, 200)),
        (r"\frac{1}{2}", F(1, 2)),
        (r"\dfrac{3}{4}", F(3, 4)),
        (r"\frac12", F(1, 2)),
        (r"-\frac{1}{2}", F(-1, 2)),
        (r"\frac{-1}{2}", F(-1, 2)),
        (r"2\frac{1}{2}", F(5, 2)),
        ("-$5", F(-5)),
        (r"\$5", F(5)),
        ("1{,}000", F(1000)),
        (r"1\,000", F(1000)),
        ("  42 ", F(42)),
    ],
)
def test_parse_number(text: str, value: Fraction) -> None:
    assert parse_number(text) == value
    assert type(parse_number(text)) is Fraction


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1+2",
        "3 + 4",
        "1 2",
        "1,2345",
        "1/0",
        r"\frac{1}{0}",
        "1e999999",
        "9" * 500,
        "--5",
        "x",
    ],
)
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (r"\boxed{1,000}", "1000"),
        (r"The answer is \boxed{72}.", "72"),
        ("$5", "5"),
        (r"\$1,200.", "1200"),
        (r"5\text{ cm}", "5"),
        (r"10\text{ cm}^2", "10"),
        (r"90^\circ", "90"),
        (r"90^{\circ}", "90"),
        (r"50\%", "50%"),  # issue 11: the percent sign is kept (7.2% is not 7.2)
        ("0.50", "0.5"),
        (r"\begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix}", r"\begin{pmatrix}-1/3\\2/3\end{pmatrix}"),
        (r"45^\circ, 135^\circ", "45, 135"),  # a list, not the number 45135
        (r"111, \! 111, \! 111", "111111111"),
        (r"\text{June 20}", "June 20"),
        (r"2\pi r", r"2\pi r"),
        (r"\frac \pi4", r"\frac{\pi}{4}"),
        (r"\frac{1}{2}", "1/2"),
        (r"\dfrac{2}{4}", "1/2"),
        (r"\frac{4}{2}", "2"),
        (r"\tfrac{1}{3}", "1/3"),
        (r"3\frac18", "25/8"),
        (r"\dfrac{\sqrt3}{2}", r"\frac{\sqrt{3}}{2}"),
        (r"\text{(C)}", "C"),
        ("(C)", "C"),
        (r"\left( 1, 2 \right)", "(1,2)"),
        (r"[0, \infty)", r"[0,\infty)"),
        ("x^2 + 1", "x^2+1"),
        ("x = 5", "5"),
        (r"\text{east}", "east"),
        (r"\boxed{\text{Devon}}", "Devon"),
        ("1, 2, 3", "1, 2, 3"),  # "1,234" would read as one number
        (r"1\!000", "1000"),
    ],
)
def test_normalize_answer(text: str, canonical: str) -> None:
    assert normalize_answer(text) == canonical


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1,000", "1000"),
        ("0.5", r"\frac{1}{2}"),
        ("$5", "5"),
        (r"50\%", "50"),
        (r"50\%", "0.5"),  # a percent matches its number and its number / 100
        ("25%", r"\frac14"),
        (r"\frac{\sqrt{3}}{2}", r"\dfrac{\sqrt3}{2}"),
        (r"2\sqrt{2}", r"\sqrt{8}"),
        ("(1,2)", r"\left(1, 2\right)"),
        (r"(0.5, \frac{1}{3})", r"(\frac12, 1/3)"),
        ("x^2+1", "1+x^2"),
        (r"\text{(C)}", "C"),
        (r"2\frac{1}{2}", "5/2"),
        ("east", r"\text{east}"),
        (r"[0,\infty)", r"[0, \infty)"),
    ],
)
def test_answers_equal(a: str, b: str) -> None:
    assert answers_equal(a, b)
    assert answers_equal(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3", "4"),
        ("(1,2)", "(1,3)"),
        ("(1,2)", "[1,2]"),
        ("(1,2)", "1"),
        ("10%", "0.2"),
        ("east", "west"),
        ("x^2+1", "x^2-1"),
        (r"\frac{\sqrt{3}}{2}", "0.866"),
        ("C", "D"),
    ],
)
def test_answers_differ(a: str, b: str) -> None:
    assert not answers_equal(a, b)
