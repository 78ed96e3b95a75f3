"""Hostile inputs: every one ends in a clean EvalError with the right reason, fast."""

from __future__ import annotations

import time

import pytest

from errsynth.evaluate import (
    REASONS,
    EvalError,
    Limits,
    check_equation,
    evaluate,
    find_equations,
    normalize_answer,
    parse_number,
)

FAST = 0.05  # seconds; the real cost is microseconds, the margin is for loaded machines

# SymPy is imported on the first expression that needs it; pay that once here so the
# timings below measure evaluation, not the import.
evaluate("sqrt(2) + x", symbols=True)


def refused(text: str, *, syntax: str = "plain", **kwargs: object) -> tuple[str, float]:
    start = time.perf_counter()
    with pytest.raises(EvalError) as err:
        evaluate(text, syntax=syntax, **kwargs)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    assert err.value.reason in REASONS
    return err.value.reason, elapsed


@pytest.mark.parametrize(
    ("text", "syntax", "reason"),
    [
        ("9**9**9**9", "plain", "exponent_too_large"),
        ("10^10^10", "plain", "exponent_too_large"),
        ("2**99999999", "plain", "exponent_too_large"),
        ("2**-99999999", "plain", "exponent_too_large"),
        ("2^{2^{2^{2^{2^{2}}}}}", "latex", "exponent_too_large"),
        (r"\sqrt{2}^{1000000}", "latex", "exponent_too_large"),
        (r"\sqrt[100000]{2}", "latex", "exponent_too_large"),
        ("2^(1/1000)", "plain", "exponent_too_large"),
        ("(2^1000)^1000", "plain", "number_too_large"),
        ("(10^399)^30", "plain", "number_too_large"),
        ("1e999999", "plain", "number_too_large"),
        ("1e-999999", "plain", "number_too_large"),
        ("1e9999999999999999999999", "plain", "number_too_large"),
        ("9" * 401, "plain", "number_too_large"),
        ("0." + "1" * 401, "plain", "number_too_large"),
        ("100000!", "plain", "number_too_large"),
        (r"\binom{100000}{50000}", "latex", "number_too_large"),
        ("999!*999!", "plain", "number_too_large"),
        ("(" + "9" * 400 + ")^8", "plain", "number_too_large"),
        ("(" * 10000 + "1" + ")" * 10000, "plain", "too_deep"),
        ("{" * 10000 + "1" + "}" * 10000, "latex", "too_deep"),
        ("-" * 1000 + "1", "plain", "too_deep"),
        ("1+" * 5_000_000 + "1", "plain", "too_long"),  # 10 MB
        ("__import__('os')", "plain", "syntax"),
        ("().__class__", "plain", "syntax"),
        ("__import__", "plain", "unknown_name"),
        ("os.system", "plain", "syntax"),
        ("eval", "plain", "unknown_name"),
        ("lambda", "plain", "unknown_name"),
        ("abc + 1", "plain", "unknown_name"),
        ("x + 1", "plain", "unknown_name"),
        (r"\frac{x}{2}", "latex", "unknown_name"),
        ("١٢ + 3", "plain", "syntax"),  # Arabic-Indic digits are not ASCII digits
        ("12\u0663", "plain", "syntax"),
        ("１２", "plain", "syntax"),  # full-width digits
        ("\x00", "plain", "syntax"),
        (r"\input{/etc/passwd}", "latex", "unknown_name"),
        (r"\def\x{1}", "latex", "unknown_name"),
    ],
)
def test_hostile_inputs(text: str, syntax: str, reason: str) -> None:
    got, elapsed = refused(text, syntax=syntax)
    assert got == reason
    assert elapsed < FAST


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(x+1)^{1000}", "exponent_too_large"),
        ("(x+y)^{65}", "exponent_too_large"),
        (r"x^{2^{20}}", "exponent_too_large"),
        (r"2^{\sqrt{2}\cdot 10^{6}}", "exponent_too_large"),
        (r"\sqrt[x]{2}", "domain"),
    ],
)
def test_hostile_symbolic_inputs(text: str, reason: str) -> None:
    got, elapsed = refused(text, syntax="latex", symbols=True)
    assert got == reason
    assert elapsed < FAST


def test_deep_nesting_is_refused_by_the_parser_not_by_recursion() -> None:
    deep = "(" * 10000 + "1" + ")" * 10000
    roomy = Limits(max_len=10**6)
    reason, elapsed = refused(deep, limits=roomy)
    assert reason == "too_deep"
    assert elapsed < FAST
    reason, _ = refused("{" * 10000 + "1" + "}" * 10000, syntax="latex", limits=roomy)
    assert reason == "too_deep"


def test_the_time_budget_stops_long_work() -> None:
    many = "+".join(["1000!"] * 330)
    assert len(many) < 2000
    reason, elapsed = refused(many, limits=Limits(max_seconds=0.001))
    assert reason == "budget"
    assert elapsed < 0.05
    reason, _ = refused("1+1+1+1", limits=Limits(max_ops=2))
    assert reason == "budget"


def test_other_entry_points_survive_hostile_text() -> None:
    junk = [
        "9**9**9**9",
        "(" * 10000,
        "<<" * 100000,
        "$" * 50000,
        "\\" * 30000,
        "\\[" * 30000,
        "\\begin{align}" * 10000,
        "1+" * 100000 + "=2",
        "$1 + " * 20000 + "= 2",
        "(" * 50000 + "1=1",
    ]
    for text in junk:
        start = time.perf_counter()
        verdict = check_equation(text, "1")
        assert verdict.ok is None
        find_equations(text, kind="annotation")
        find_equations(text, kind="inline")
        find_equations(text, kind="latex")
        normalize_answer(text)
        parse_number(text)
        assert time.perf_counter() - start < 1.0


def test_eval_error_is_a_value_error_with_a_reason() -> None:
    err = EvalError("syntax", "bad")
    assert isinstance(err, ValueError)
    assert err.reason == "syntax"
    assert "bad" in str(err)
