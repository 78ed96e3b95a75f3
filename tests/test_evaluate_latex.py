"""LaTeX syntax: fractions, roots, grouping, implicit products, symbols, ambiguity."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from errsynth.evaluate import EvalError, evaluate, parse

F = Fraction


def lx(text: str, **kwargs: object) -> object:
    return evaluate(text, syntax="latex", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\frac{1}{2}", F(1, 2)),
        (r"\dfrac{3}{4}", F(3, 4)),
        (r"\tfrac{3}{4}", F(3, 4)),
        (r"\cfrac{3}{4}", F(3, 4)),
        (r"\frac12", F(1, 2)),
        (r"\frac 1 2", F(1, 2)),
        (r"\frac{1}2", F(1, 2)),
        (r"\frac12 + 3", F(7, 2)),
        (r"3 \times 4", 12),
        (r"3 \cdot 4", 12),
        (r"12 \div 4", 3),
        (r"12 / 4", 3),
        (r"2^{10}", 1024),
        (r"2^10", 0),  # TeX reads 2^1 then 0: "2^10" renders as 2¹0
        (r"2^{-1}", F(1, 2)),
        (r"\sqrt{16}", 4),
        (r"\sqrt4", 2),
        (r"\sqrt[3]{27}", 3),
        (r"\sqrt[3]{-8}", -2),
        (r"\left( 3 + 4 \right) \cdot 2", 14),
        (r"\left[ 3 + 4 \right] \cdot 2", 14),
        (r"\left\{ 3 + 4 \right\} \cdot 2", 14),
        (r"{3 + 4} \cdot 2", 14),
        (r"50\%", F(1, 2)),
        (r"50\% \cdot 20", 10),
        (r"3\!\,\;\: + 4", 7),
        (r"1{,}000 + 1", 1001),
        (r"1,000 + 1", 1001),
        (r"1\,000 + 1", 1001),
        (r"3(4)", 12),
        (r"(2)(3)", 6),
        (r"\$5 + \$3", 8),
        (r"180^\circ - 30^\circ", 150),
        (r"5!", 120),
        (r"\binom{5}{2}", 10),
        (r"\dbinom{5}{7}", 0),
        (r"-\frac{1}{2}", F(-1, 2)),
        (r"\frac{-1}{2}", F(-1, 2)),
        (r"\displaystyle \frac{1}{3} \cdot 3", 1),
        (r"1 / 2 \cdot 4", 2),
    ],
)
def test_latex_values(text: str, expected: int | Fraction) -> None:
    value = lx(text)
    assert value == expected
    assert type(value) is Fraction


def test_surds_pi_and_implicit_products() -> None:
    assert lx(r"2\sqrt{3}") == 2 * sympy.sqrt(3)
    assert lx(r"\sqrt{8}") == 2 * sympy.sqrt(2)
    assert lx(r"\frac{\sqrt{3}}{2}") == sympy.sqrt(3) / 2
    assert lx(r"\pi") == sympy.pi
    assert lx(r"2\pi r", symbols=True) == 2 * sympy.pi * sympy.Symbol("r")
    assert lx(r"\sqrt{2}^2") == 2


def test_implicit_product_binds_tighter_than_division() -> None:
    assert lx(r"19{,}404\pi \div 6\pi") == 3234
    assert lx(r"1/2x", symbols=True) == 1 / (2 * sympy.Symbol("x"))


def test_variables() -> None:
    x, y = sympy.symbols("x y")
    assert lx("2x", symbols=True) == 2 * x
    assert lx("x^2 + 2xy", symbols=True) == x**2 + 2 * x * y
    assert lx("x_1 + a_{n}", symbols=True) == sympy.Symbol("x_1") + sympy.Symbol("a_n")
    assert lx(r"\theta + \alpha", symbols=True) == sympy.Symbol("theta") + sympy.Symbol("alpha")
    with pytest.raises(EvalError) as err:
        lx("2x")
    assert err.value.reason == "unknown_name"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (r"2\frac{1}{2}", "ambiguous"),  # mixed number or product?
        (r"3\frac12", "ambiguous"),
        (r"f(3)", "ambiguous"),
        (r"P(0)", "ambiguous"),
        (r"f^{-1}(8)", "ambiguous"),
        (r"AB + 2", "ambiguous"),
        (r"2 * 3", "ambiguous"),
        (r"3!!", "ambiguous"),
        (r"(28,365)", "ambiguous"),
        (r"\sin 30", "unknown_name"),
        (r"\text{cm}", "unknown_name"),
        (r"a \le b", "unknown_name"),
        (r"\frac{1}{0}", "division_by_zero"),
        (r"\sqrt{-4}", "domain"),
        (r"\frac{1", "syntax"),
        (r"2 3", "syntax"),
        (r"\frac.5", "syntax"),
    ],
)
def test_latex_errors(text: str, reason: str) -> None:
    with pytest.raises(EvalError) as err:
        lx(text, symbols=True)
    assert err.value.reason == reason


def test_latex_and_plain_trees_share_a_shape() -> None:
    assert parse(r"\frac{4+5}{3}", syntax="latex") == parse("(4+5)/3")
    assert parse(r"2^{3}", syntax="latex") == parse("2^3")
