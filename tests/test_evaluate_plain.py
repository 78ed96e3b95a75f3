"""Plain-text syntax: GSM8K calculator annotations, prose arithmetic, iGSM mod 23."""

from __future__ import annotations

from fractions import Fraction

import pytest

from errsynth.evaluate import EvalError, Limits, evaluate, parse

F = Fraction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48/2", 24),
        ("12/60", F(1, 5)),
        ("0.2*50", 10),
        ("100-50-30-15", 5),
        ("3*2.5", F(15, 2)),
        ("50*.01", F(1, 2)),
        ("2**3", 8),
        ("2^3", 8),
        ("2**3**2", 512),  # right-associative
        ("-2**2", -4),  # unary minus binds looser than power, as in Python
        ("2**-1", F(1, 2)),
        ("(4+5)*2", 18),
        ("1/3*60", 20),
        ("5%*100", 5),
        ("25%", F(1, 4)),
        ("1,200/4", 300),
        ("$1,200/4", 300),
        ("$ 1,200 / 4", 300),
        ("12 x 4", 48),
        ("12x4", 48),
        ("12 X 4", 48),
        ("3 × 4 ÷ 6", 2),
        ("7 − 2", 5),
        ("$40 – $4", 36),
        ("3·4", 12),
        ("-7", -7),
        ("--7", 7),
        ("3*+6", 18),
        ("560//10", 56),
        ("7//2", 3),
        ("-7//2", -4),
        ("2(3+4)", 14),
        ("(1)(2)(3)", 6),
        ("1e3", 1000),
        ("1.5e-3", F(3, 2000)),
        ("144.00", 144),
        ("4!", 24),
        ("sqrt(16)", 4),
        ("sqrt(9/4)", F(3, 2)),
        ("(-8)^(1/3)", -2),
        ("8^(2/3)", 4),
        ("  1 +\t2\n", 3),
    ],
)
def test_plain_values(text: str, expected: int | Fraction) -> None:
    value = evaluate(text)
    assert value == expected
    assert type(value) is Fraction


def test_parse_returns_documented_tuples() -> None:
    assert parse("48/2") == ("prod", ("num", 48, "48"), "/", ("num", 2, "2"))
    assert parse("1,200 - 5%") == (
        "sum",
        ("num", 1200, "1,200"),
        "-",
        ("pct", ("num", 5, "5")),
    )
    assert parse("2^3^2") == ("pow", ("num", 2, "2"), ("pow", ("num", 3, "3"), ("num", 2, "2")))
    assert parse("-x") == ("neg", ("name", "x"))


def test_evaluate_accepts_a_parsed_tree() -> None:
    tree = parse("(4+5)*2")
    assert evaluate(tree) == 18
    assert evaluate(("sum", ("num", 1, "1"), "+", ("num", F(1, 2), "0.5"))) == F(3, 2)


@pytest.mark.parametrize(
    "tree",
    [
        ("bogus", 1),
        ("num", 1.5, "1.5"),  # floats are never values
        ("sum", ("num", 1, "1"), "*", ("num", 2, "2")),  # wrong operator for a sum
        ("sum", ("num", 1, "1")),
        ["num", 1, "1"],  # a list, not a tuple
    ],
)
def test_malformed_trees_are_refused(tree: object) -> None:
    with pytest.raises(EvalError) as err:
        evaluate(tree)  # type: ignore[arg-type]
    assert err.value.reason == "syntax"


def test_hand_built_deep_or_big_trees_are_refused() -> None:
    deep: tuple = ("num", 1, "1")
    for _ in range(200):
        deep = ("neg", deep)
    with pytest.raises(EvalError) as err:
        evaluate(deep)
    assert err.value.reason == "too_deep"
    wide = ("sum", *[part for k in range(6000) for part in (("num", k, str(k)), "+")][:-1])
    with pytest.raises(EvalError) as err:
        evaluate(wide)
    assert err.value.reason == "too_big"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1/0", "division_by_zero"),
        ("5//0", "division_by_zero"),
        ("0^-1", "division_by_zero"),
        ("sqrt(-4)", "domain"),
        ("(-8)^(1/2)", "domain"),
        ("2.5!", "domain"),
        ("", "syntax"),
        ("1 +", "syntax"),
        ("(1 + 2", "syntax"),
        ("1 2", "syntax"),
        ("1,2", "syntax"),
        ("1,2345", "syntax"),
        ("1 = 1", "syntax"),
        ("x + 1", "unknown_name"),
        ("2 apples", "unknown_name"),
        ("foo(2)", "unknown_name"),
    ],
)
def test_plain_errors(text: str, reason: str) -> None:
    with pytest.raises(EvalError) as err:
        evaluate(text)
    assert err.value.reason == reason
    assert isinstance(err.value, ValueError)


def test_symbols_in_plain_text() -> None:
    x = evaluate("2x + 1", symbols=True)
    assert str(x) == "2*x + 1"
    assert evaluate("x * 0", symbols=True) == 0
    assert str(evaluate("3 + x + 1", symbols=True)) == "x + 4"
    assert evaluate("12 x -3") == -36
    with pytest.raises(EvalError) as err:
        evaluate("2x + 1")
    assert err.value.reason == "unknown_name"


def test_surds_and_pi_give_sympy_values() -> None:
    import sympy

    assert evaluate("sqrt(8)") == 2 * sympy.sqrt(2)
    assert evaluate("sqrt(2)*sqrt(2)") == 2
    assert type(evaluate("sqrt(2)*sqrt(2)")) is Fraction  # rational results come back exact
    assert evaluate("2*pi") == 2 * sympy.pi


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21 + 2", 0),
        ("3 * 1", 3),
        ("12 * 0", 0),
        ("0 - 0", 0),
        ("5 - 7", 21),
        ("3 / 4", 3 * pow(4, -1, 23) % 23),
        ("2^-1", 12),
        ("10^100", pow(10, 100, 23)),
        ("-1", 22),
        ("0.5", 12),
        ("50%", 12),
        ("4!", 1),
    ],
)
def test_modulus(text: str, expected: int) -> None:
    assert evaluate(text, modulus=23) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1/23", "division_by_zero"), ("sqrt(4)", "unsupported"), ("7//2", "unsupported")],
)
def test_modulus_errors(text: str, reason: str) -> None:
    with pytest.raises(EvalError) as err:
        evaluate(text, modulus=23)
    assert err.value.reason == reason


def test_bad_modulus_and_syntax_arguments() -> None:
    with pytest.raises(EvalError):
        evaluate("1", modulus=1)
    with pytest.raises(ValueError, match="syntax"):
        parse("1", syntax="klingon")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse(5)  # type: ignore[arg-type]


def test_limits_are_configurable() -> None:
    tight = Limits(max_len=5, max_depth=2, max_exponent=3, max_literal_digits=2)
    for text, reason in [
        ("1+2+3", None),
        ("1+2+34", "too_long"),
        ("((1))", None),
        ("(((1)))", "too_deep"),
        ("2^4", "exponent_too_large"),
        ("123", "number_too_large"),
    ]:
        if reason is None:
            evaluate(text, limits=tight)
        else:
            with pytest.raises(EvalError) as err:
                evaluate(text, limits=tight)
            assert err.value.reason == reason
