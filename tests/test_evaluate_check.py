"""check_equation: exact, rounded, wrong, and not judgeable equations."""

from __future__ import annotations

import pytest

from errsynth.evaluate import Verdict, check_equation


@pytest.mark.parametrize(
    ("lhs", "rhs", "ok", "reason", "value"),
    [
        ("48/2", "24", True, "exact", "24"),
        ("8*18", "144.00", True, "exact", "144"),
        ("2*20*.01", ".4", True, "exact", "0.4"),
        ("12/60", "0.2", True, "exact", "0.2"),
        ("1/3", "1/3", True, "exact", "1/3"),
        ("5%*100", "5", True, "exact", "5"),
        ("1/2", "50%", True, "exact", "0.5"),
        # rounding and truncation at the claimed precision
        ("10/3", "3.33", True, "rounded", "10/3"),
        ("2/3", "0.67", True, "rounded", "2/3"),
        ("2/3", "0.66", True, "rounded", "2/3"),
        ("2/3", "0.6667", True, "rounded", "2/3"),
        ("1/8", "0.13", True, "rounded", "0.125"),  # half up
        ("1/8", "0.12", True, "rounded", "0.125"),  # half even and truncation
        ("-2/3", "-0.67", True, "rounded", "-2/3"),
        ("-2/3", "-0.66", True, "rounded", "-2/3"),
        ("7/2", "3", True, "rounded", "3.5"),
        ("7/2", "4", True, "rounded", "3.5"),
        ("10/3", "3", True, "rounded", "10/3"),
        ("1/3", "33.3%", True, "rounded", "1/3"),
        # percent written as a unit after multiplying by 100
        ("100 - 40", "60%", True, "percent_unit", "60"),
        ("1/3*100", "33.3%", True, "percent_unit", "100/3"),
        # wrong
        ("10/3", "3.34", False, "mismatch", "10/3"),
        ("2/3", "0.65", False, "mismatch", "2/3"),
        ("10/3", "4", False, "mismatch", "10/3"),
        ("3*4", "13", False, "mismatch", "12"),
        ("3*4", "12.01", False, "mismatch", "12"),
        ("1/3", "1/4", False, "mismatch", "1/3"),  # not a literal: no rounding
        ("100 - 40", "61%", False, "mismatch", "60"),
        # not judgeable
        ("1/0", "1", None, "division_by_zero", None),
        ("2", "1/0", None, "division_by_zero", "2"),
        ("apples", "1", None, "unknown_name", None),
        ("9**9**9**9", "1", None, "exponent_too_large", None),
    ],
)
def test_plain_verdicts(
    lhs: str, rhs: str, ok: bool | None, reason: str, value: str | None
) -> None:
    assert check_equation(lhs, rhs) == Verdict(ok, value, reason)


def test_modulus_verdicts() -> None:
    assert check_equation("21 + 2", "0", modulus=23) == Verdict(True, "0", "exact")
    assert check_equation("3 * 1", "3", modulus=23).ok is True
    assert check_equation("12 * 0", "0", modulus=23).ok is True
    assert check_equation("21 + 2", "23", modulus=23).ok is True  # both sides reduce
    assert check_equation("21 + 2", "1", modulus=23) == Verdict(False, "0", "mismatch")
    assert check_equation("10 / 3", "3.33", modulus=23).ok is False  # no rounding mod m


@pytest.mark.parametrize(
    ("lhs", "rhs", "ok", "reason"),
    [
        (r"\frac{1}{2} + \frac{1}{3}", r"\frac{5}{6}", True, "exact"),
        (r"(x+1)^2", "x^2 + 2x + 1", True, "identity"),
        (r"\frac{x^2-1}{x-1}", "x+1", True, "identity"),
        (r"(a+b)(a-b)", "a^2 - b^2", True, "identity"),
        (r"\sqrt{x^2 + 2x + 1}", "x + 1", None, "symbolic"),  # not for x < -1
        ("x", "2", None, "symbolic"),  # a condition, not an error
        ("2x + 3", "7", None, "symbolic"),
        (r"\sqrt{8}", r"2\sqrt{2}", True, "exact"),
        (r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}", True, "exact"),
        (r"\sqrt{3+2\sqrt{2}}", r"1+\sqrt{2}", True, "numeric"),
        (r"\sqrt{2}", "1.414", True, "rounded"),
        (r"\sqrt{2}", "1.42", False, "mismatch"),
        (r"2\pi", "6.28", True, "rounded"),
        (r"\pi", "3", True, "rounded"),
        (r"\sqrt{2}", r"\sqrt{3}", False, "mismatch"),
        (r"2 \cdot 3", "7", False, "mismatch"),
        (r"\sin 30", r"\frac12", None, "unknown_name"),
        (r"2\frac{1}{2}", r"\frac52", None, "ambiguous"),
    ],
)
def test_latex_verdicts(lhs: str, rhs: str, ok: bool | None, reason: str) -> None:
    verdict = check_equation(lhs, rhs, syntax="latex")
    assert (verdict.ok, verdict.reason) == (ok, reason)


def test_verdict_value_text_for_symbolic_sides() -> None:
    # A mismatch reports the irrational value as SymPy prints it...
    assert check_equation(r"2\sqrt{3}", "4", syntax="latex").value == "2*sqrt(3)"
    # ...other verdicts on irrational or symbolic left sides do not print it.
    assert check_equation(r"\sqrt{8}", r"2\sqrt{2}", syntax="latex").value is None
    assert check_equation("(x+1)^2", "1", syntax="latex").value is None
    assert check_equation("(x+1)^2", "x^2+2x+1", syntax="latex").value is None
    # Rational left sides always carry their value.
    assert check_equation("4", "2x", syntax="latex").value == "4"
    assert check_equation(r"\frac{2x^3}{(2x)^3}", r"\frac14", syntax="latex").value == "0.25"


def test_verdict_is_frozen() -> None:
    verdict = check_equation("1+1", "2")
    with pytest.raises(AttributeError):
        verdict.ok = False  # type: ignore[misc]
