"""The exact fast path for equations with variables, surds and π (no SymPy unless needed).

Equations with variables are screened at rational points (a difference proves a
condition), then identities are proved exactly (polynomial expansion, or a grid for surd
coefficients); surd/π equations without variables are compared in a canonical form.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.evaluate import Node, Verdict, check_equation, parse
from errsynth.evaluate.budget import Budget
from errsynth.evaluate.errors import DEFAULT_LIMITS, EvalError
from errsynth.evaluate.exact import NeedSymbolic
from errsynth.evaluate.identity import prove_identity, screen
from errsynth.evaluate.polys import compare, constant_value
from errsynth.evaluate.surds import as_rational, walk_surd


def latex(lhs: str, rhs: str) -> Verdict:
    return check_equation(lhs, rhs, syntax="latex")


def tree(text: str) -> Node:
    return parse(text, syntax="latex")


# -- identities and conditions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lhs", "rhs", "ok", "reason"),
    [
        # identities, proved by exact expansion
        ("(x+1)^2", "x^2+2x+1", True, "identity"),
        ("(a+b)^3", "a^3+3a^2b+3ab^2+b^3", True, "identity"),
        (r"\frac{x^2-1}{x-1}", "x+1", True, "identity"),
        (r"\frac{1}{x} + \frac{1}{y}", r"\frac{x+y}{xy}", True, "identity"),
        (r"\left(t+\frac1t\right)^2 - \left(t-\frac1t\right)^2", "4", True, "exact"),
        (r"\pi r^2 + \pi r^2", r"2\pi r^2", True, "identity"),
        ("x^{-2}", r"\frac{1}{x^2}", True, "identity"),
        # conditions: a screening point where both sides differ
        ("2x + 3", "7", None, "symbolic"),
        ("x", "2", None, "symbolic"),
        ("(x+1)^2", "x^2+1", None, "symbolic"),
        ("a^2 + b^2", "c^2", None, "symbolic"),
        (r"\frac{1}{x-1}", "x", None, "symbolic"),
        # variables that cancel: judged as the numbers they are
        ("p - p + 1", "1", True, "exact"),
        (r"\frac{2x^3}{(2x)^3}", r"\frac14", True, "exact"),
        ("(x+1)^2 - x^2 - 2x", "2", False, "mismatch"),
    ],
)
def test_identity_or_condition(lhs: str, rhs: str, ok: bool | None, reason: str) -> None:
    verdict = latex(lhs, rhs)
    assert (verdict.ok, verdict.reason) == (ok, reason)


def test_a_condition_true_at_every_screening_point_is_not_an_identity() -> None:
    # Both sides are 0 at the three screening values of x (13/7, -61/23, 127/41); the
    # screen looks further because neither side has varied yet, and the proof is exact.
    cubic = r"(7x-13)(23x+61)(41x-127)"
    left, right = tree(cubic), tree("0")
    assert screen(left, right, ["x"], Budget(DEFAULT_LIMITS)) == (False, True)
    assert prove_identity(left, right, Budget(DEFAULT_LIMITS)) is False
    assert latex(cubic, "0") == Verdict(None, None, "symbolic")
    # With a second variable that varies, the three points agree and the proof decides.
    condition = r"(7x-13)(23x+61)(41x-127) + y"
    assert screen(tree(condition), tree("y"), ["x", "y"], Budget(DEFAULT_LIMITS)) == (True, True)
    assert latex(condition, "y") == Verdict(None, None, "symbolic")


def test_division_by_zero_at_a_screening_point_skips_that_point() -> None:
    # 7x - 13 vanishes at the first screening point x = 13/7.
    assert latex(r"\frac{(7x-13)(x+1)}{7x-13}", "x+1") == Verdict(True, None, "identity")
    assert latex(r"\frac{1}{7x-13}", "1") == Verdict(None, None, "symbolic")
    # A divisor that is zero everywhere is never usable: SymPy reports it.
    assert latex(r"\frac{1}{x-x}", "1").reason == "division_by_zero"


def test_screen_reports_agreement_and_variation() -> None:
    budget = Budget(DEFAULT_LIMITS)
    assert screen(tree("2x+3"), tree("7"), ["x"], budget) == (False, True)
    assert screen(tree("(x+1)^2"), tree("x^2+2x+1"), ["x"], budget) == (True, True)
    assert screen(tree("x-x+1"), tree("2"), ["x"], budget) == (False, False)  # constants
    # Roots are screened in floating point with error bounds: differences only.
    assert screen(tree(r"\sqrt{x^2}"), tree("x"), ["x"], budget) == (False, True)
    assert screen(tree(r"\sqrt{x}\sqrt{x}"), tree("x"), ["x"], budget)[0] is None


def test_conditions_and_proved_identities_never_import_sympy() -> None:
    code = """
import sys
from errsynth.evaluate import check_equation
cases = [("2x + 3", "7", "symbolic"), ("(x+1)^2", "x^2+2x+1", "identity"),
         (r"\\sqrt{x^2+1}", "x", "symbolic"), (r"\\sqrt{8}", r"2\\sqrt{2}", "exact"),
         (r"x\\sqrt{5} + \\sqrt{5}", r"\\sqrt{5}(x+1)", "identity"),
         (r"\\frac{1}{\\sqrt{2}+1}", r"\\sqrt{2}-1", "exact"), ("p-p+1", "1", "exact"),
         ("2^x", "8", "symbolic"), (r"\\sqrt{(13-b)^2+b^2}", r"\\sqrt{169-26b+2b^2}", "identity")]
for lhs, rhs, reason in cases:
    got = check_equation(lhs, rhs, syntax="latex").reason
    assert got == reason, (lhs, rhs, got)
assert "sympy" not in sys.modules, "SymPy was imported"
"""
    subprocess.run([sys.executable, "-c", code], check=True)


# -- surds and π without variables ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lhs", "rhs", "ok", "reason"),
    [
        (r"\sqrt{8}", r"2\sqrt{2}", True, "exact"),
        (r"\sqrt{12}\sqrt{3}", "6", True, "exact"),
        (r"\sqrt[3]{54}", r"3\sqrt[3]{2}", True, "exact"),
        (r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}", True, "exact"),
        # denominators made rational by conjugates (SymPy only saw these numerically)
        (r"\frac{1}{\sqrt{2}+1}", r"\sqrt{2}-1", True, "exact"),
        (r"\frac{4}{\sqrt{3}+1}", r"2(\sqrt{3}-1)", True, "exact"),
        (
            r"\frac{1}{\sqrt2 + \sqrt3 + \sqrt5}",
            r"\frac{1}{\sqrt5 + \sqrt3 + \sqrt2}",
            True,
            "exact",
        ),
        (r"2^{7/2}", r"8\sqrt{2}", True, "exact"),
        (r"\pi (3)^2", r"9\pi", True, "exact"),
        # nested radicals: SymPy, numerically
        (r"\sqrt{3+2\sqrt{2}}", r"1+\sqrt{2}", True, "numeric"),
        # not equal: SymPy for the rounding test and the value text
        (r"\sqrt{2}", "1.414", True, "rounded"),
        (r"\sqrt{2}", r"\sqrt{3}", False, "mismatch"),
    ],
)
def test_surd_verdicts(lhs: str, rhs: str, ok: bool | None, reason: str) -> None:
    verdict = latex(lhs, rhs)
    assert (verdict.ok, verdict.reason) == (ok, reason)


def test_surd_canonical_form() -> None:
    budget = Budget(DEFAULT_LIMITS)
    assert walk_surd(tree(r"\sqrt{12}"), budget) == walk_surd(tree(r"2\sqrt{3}"), budget)
    assert walk_surd(tree(r"\sqrt{2}\sqrt{3}"), budget) == walk_surd(tree(r"\sqrt{6}"), budget)
    assert as_rational(walk_surd(tree(r"(\sqrt{5}-1)(\sqrt{5}+1)"), budget)) == 4
    assert as_rational(walk_surd(tree(r"\sqrt[3]{-8}"), budget)) == -2
    assert walk_surd(tree(r"\sqrt{2}"), budget) != walk_surd(tree(r"\sqrt[3]{2}"), budget)
    with pytest.raises(NeedSymbolic):
        walk_surd(tree(r"\sqrt{3+2\sqrt{2}}"), budget)  # nested: left to SymPy
    with pytest.raises(EvalError):
        walk_surd(tree(r"\sqrt{-\sqrt{2}}"), budget)


# -- the exact proof --------------------------------------------------------------------------


def test_compare_is_exact_for_rational_functions_and_one_sided_with_atoms() -> None:
    budget = Budget(DEFAULT_LIMITS)
    assert compare(tree(r"\frac{x^2-y^2}{x-y}"), tree("x+y"), ["x", "y"], budget) is True
    assert compare(tree("(x+y)^2"), tree("x^2+y^2"), ["x", "y"], budget) is False
    # atoms: sqrt(x)^2 reduces to x; unequal expansions with atoms prove nothing
    assert compare(tree(r"\sqrt{x}^2"), tree("x"), ["x"], budget) is True
    assert compare(tree(r"\sqrt{x^2}"), tree("x"), ["x"], budget) is None
    assert constant_value(tree(r"\frac{(a+1)^2 + 1 - a^2}{a+1}"), ["a"], budget) == 2
    assert constant_value(tree("x+1"), ["x"], budget) is None


_LEAVES = st.sampled_from(["x", "y", "2", "3", "(-1)"])


def _expr(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return _LEAVES
    sub = _expr(depth - 1)
    return st.one_of(
        _LEAVES,
        st.tuples(sub, st.sampled_from(["+", "-", r"\cdot"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        sub.map(lambda e: f"({e})^{{2}}"),
    )


@settings(max_examples=60, deadline=None)
@given(_expr(3), _expr(3))
def test_identity_verdicts_match_exact_algebra(lhs: str, rhs: str) -> None:
    import sympy

    x, y = sympy.symbols("x y")

    def to_sympy(text: str) -> sympy.Expr:  # test oracle only: our own generated strings
        return sympy.sympify(text.replace(r"\cdot", "*").replace("^{2}", "**2"), {"x": x, "y": y})

    left, right = to_sympy(lhs), to_sympy(rhs)
    same = sympy.expand(left - right) == 0
    verdict = latex(lhs, rhs)
    if same:
        assert verdict.ok is True
        assert verdict.reason in ("identity", "exact")
    else:
        assert verdict.ok is not True
        assert verdict.reason in ("symbolic", "mismatch")


def test_grid_proof_with_surd_coefficients() -> None:
    verdict = latex(
        r"\frac{1 - t\sqrt{3}}{\sqrt{3} + t} \cdot \frac{1}{t}",
        r"\frac{1 - t\sqrt{3}}{t(\sqrt{3} + t)}",
    )
    assert verdict == Verdict(True, None, "identity")
    assert latex(r"\frac{x}{\sqrt{2}}", r"\frac{x\sqrt{2}}{2}").ok is True
    assert latex(r"\frac{x}{\sqrt{2}}", r"\frac{x\sqrt{3}}{2}") == Verdict(None, None, "symbolic")


def test_fraction_points_are_exact() -> None:
    # the screening values are rationals; float conversion is only for the bounded screen
    budget = Budget(DEFAULT_LIMITS)
    assert as_rational(walk_surd(tree("x^2"), budget, {"x": Fraction(13, 7)})) == Fraction(169, 49)


def test_a_failing_right_side_after_a_non_rational_left_side_keeps_the_old_order() -> None:
    assert check_equation("x", "(") == Verdict(None, None, "unknown_name")  # left fails first
    assert latex(r"\sqrt{2}", "(") == Verdict(None, None, "syntax")
    assert latex("2", "(") == Verdict(None, "2", "syntax")
