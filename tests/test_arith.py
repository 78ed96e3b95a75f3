"""arith: one test per perturbation kind and per equation format, propagation, validation."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import pytest

from errsynth.evaluate import check_equation
from errsynth.igsm.generator import generate
from errsynth.ingest.base import READERS, ReaderOptions
from errsynth.ingest.readers import ensure_registered
from errsynth.ingest.run import solution_row
from errsynth.transforms.arith import ArithParams, ArithTransform
from errsynth.transforms.arith_perturb import operator_swaps
from errsynth.transforms.arith_text import format_numeral, numeral_style
from errsynth.transforms.base import Skip, row_rng
from errsynth.types.candidates import Candidate, WrongAttempt
from errsynth.validate.arith import validate_arith

NATALIA_Q = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
    "clips in May. How many clips did Natalia sell altogether in April and May?"
)
NATALIA_A = (
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May, so she kept 24 for June.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n"
    "#### 72"
)


def row_of(fmt: str, record: dict[str, Any]) -> dict[str, Any]:
    ensure_registered()
    return solution_row(READERS[fmt].parse(record, ReaderOptions()), fmt, fmt)


def gsm8k(answer: str, question: str = "How many?") -> dict[str, Any]:
    return row_of("gsm8k", {"question": question, "answer": answer})


def apply(row: dict[str, Any], seed: int = 0, **params: Any) -> Candidate:
    cand = ArithTransform(**params).apply(row, row_rng(seed, row["id"], "arith"))
    assert validate_arith(cand) == [], validate_arith(cand)
    return cand


def attempts_at(
    row: dict[str, Any], step: int, seeds: int = 60, **params: Any
) -> list[WrongAttempt]:
    """Attempts before `step` over several seeds (apply draws the step itself)."""
    out = []
    for seed in range(seeds):
        out += [a for a in apply(row, seed, **params).attempts if a.at == step]
    assert out, f"no attempt at step {step} in {seeds} seeds"
    return out


@pytest.fixture
def natalia() -> dict[str, Any]:
    return gsm8k(NATALIA_A, NATALIA_Q)


# --- one test per kind (GSM8K calculator annotations) ---------------------------------


def test_offset_rewrites_claim_echo_and_later_mentions(natalia: dict[str, Any]) -> None:
    for a in attempts_at(natalia, 0, kinds=("offset",), max_offset=2):
        w = int(a.detail["wrong"])
        assert 1 <= abs(w - 24) <= 2
        assert a.steps == (
            f"Natalia sold 48/2 = <<48/2={w}>>{w} clips in May, so she kept {w} for June.",
        )
        assert a.finding == f"48/2 is 24, not {w}"
        assert a.detail["perturbation"] == "offset" and a.detail["equation"] == 0
        assert a.detail["correct"] == "24" and a.detail["expr"] == "48/2"
        s, e = a.detail["wrong_span"]
        assert a.steps[0][s:e] == str(w)


def test_digit_changes_exactly_one_digit(natalia: dict[str, Any]) -> None:
    for a in attempts_at(natalia, 0, kinds=("digit",)):
        w = a.detail["wrong"]
        assert len(w) == 2 and sum(x != y for x, y in zip(w, "24", strict=True)) == 1


def test_transpose_swaps_adjacent_digits(natalia: dict[str, Any]) -> None:
    for a in attempts_at(natalia, 0, kinds=("transpose",)):
        assert a.detail["wrong"] == "42"
    for a in attempts_at(natalia, 1, kinds=("transpose",)):
        assert a.detail["wrong"] == "27" and a.finding == "48+24 is 72, not 27"


def test_operator_is_the_value_with_one_operator_swapped(natalia: dict[str, Any]) -> None:
    seen = set()
    for a in attempts_at(natalia, 0, kinds=("operator",)):
        as_if = a.detail["as_if"]
        assert as_if in {"48+2", "48-2", "48*2"}
        assert int(a.detail["wrong"]) == eval(as_if)  # trusted literal arithmetic, test only
        seen.add(as_if)
    assert len(seen) >= 2


def test_operator_swaps_skip_signs_and_cover_powers() -> None:
    assert operator_swaps("-3+5", "plain", None) == ["-3-5", "-3*5", "-3/5"]
    assert operator_swaps("6^2", "plain", None) == ["6*2"]
    assert operator_swaps("12 x 4", "plain", None)[0] == "12 + 4"
    assert operator_swaps("2 * 3", "plain", 23) == ["2 + 3", "2 - 3"]
    assert "\\frac{3}{4}+ 24" in operator_swaps("\\frac{3}{4}\\cdot 24", "latex", None)


def test_decimal_keeps_integers_integer(natalia: dict[str, Any]) -> None:
    for a in attempts_at(natalia, 0, kinds=("decimal",)):
        assert a.detail["wrong"] == "240"  # 24/10 is not an integer
    row = gsm8k("He pays 1.25*2 = $<<1.25*2=2.50>>2.50 in all.\n#### 2.50")
    wrongs = {a.detail["wrong"] for a in attempts_at(row, 0, kinds=("decimal",))}
    assert wrongs <= {"25.0", "0.250", "250"} and len(wrongs) >= 2
    for a in attempts_at(row, 0, kinds=("decimal",)):
        w = a.detail["wrong"]
        assert a.steps[0] == f"He pays 1.25*2 = $<<1.25*2={w}>>{w} in all."


def test_rounding_goes_to_a_coarser_unit(natalia: dict[str, Any]) -> None:
    assert {a.detail["wrong"] for a in attempts_at(natalia, 0, kinds=("rounding",))} == {"20"}
    assert {a.detail["wrong"] for a in attempts_at(natalia, 1, kinds=("rounding",))} == {
        "70",
        "100",
    }


def test_money_keeps_two_decimals() -> None:
    row = gsm8k("Each costs 9/2 = $<<9/2=4.50>>4.50 now.\n#### 4.50")
    for a in attempts_at(row, 0, kinds=("offset",)):
        w = a.detail["wrong"]
        assert len(w.split(".")[1]) == 2, w
        assert check_equation("9/2", w).ok is False


def test_rounded_claims_are_only_perturbed_beyond_rounding() -> None:
    row = gsm8k("Each gets 10/3 = <<10/3=3.33>>3.33 pies.\n#### 3.33")
    for a in attempts_at(row, 0):
        assert check_equation("10/3", a.detail["wrong"]).ok is False


# --- formats ----------------------------------------------------------------------------


def test_inline_equation() -> None:
    row = gsm8k("He bought 12 x 4 = 48 eggs.\nThen 48 + 2 = 50 eggs in all.\n#### 50")
    assert [e["kind"] for e in row["equations"]] == ["inline", "inline"]
    for a in attempts_at(row, 0, kinds=("offset",), max_offset=2):
        w = a.detail["wrong"]
        assert a.steps == (f"He bought 12 x 4 = {w} eggs.",)
        assert a.finding == f"12 x 4 is 48, not {w}"


def test_latex_equation() -> None:
    row = row_of(
        "math",
        {"problem": "p", "solution": "So $\\frac{3}{4}\\cdot 24 = 18$ pies, so $\\boxed{18}$."},
    )
    for a in attempts_at(row, 0, kinds=("offset",), max_offset=1):
        assert a.steps[0].startswith("So $\\frac{3}{4}\\cdot 24 = 1")
        assert a.detail["wrong"] in {"17", "19"}
        w = a.detail["wrong"]
        assert a.steps == (f"So $\\frac{{3}}{{4}}\\cdot 24 = {w}$ pies, so $\\boxed{{{w}}}$.",)
        assert a.finding == f"\\frac{{3}}{{4}}\\cdot 24 is 18, not {w}"


def test_boxed_latex_claim() -> None:
    row = row_of("math", {"problem": "p", "solution": "Thus $501 + 334 = \\boxed{835}$."})
    for a in attempts_at(row, 0):
        assert a.steps[0] == f"Thus $501 + 334 = \\boxed{{{a.detail['wrong']}}}$."


def test_percent_claim_keeps_its_sign() -> None:
    row = gsm8k("The rest is 100 - 40 = 60% of it.\n#### 60")
    eq = row["equations"][0]
    assert eq["claimed"] == "60%" and eq["ok"] is True
    for a in attempts_at(row, 0, kinds=("offset", "operator")):
        assert a.detail["wrong"].endswith("%")
        assert check_equation("100 - 40", a.detail["wrong"]).ok is False


def igsm_rows(n: int = 60) -> list[dict[str, Any]]:
    return [row_of("igsm", rec) for rec in generate(n, 8, seed=3)]


def test_igsm_mod_23() -> None:
    seen_ops = 0
    for row in igsm_rows():
        cand = apply(row, kinds=("offset", "digit", "transpose", "operator"))
        for a in cand.attempts:
            eq = row["equations"][a.detail["equation"]]
            w = int(a.detail["wrong"])
            assert 0 <= w <= 22 and (w - int(eq["claimed"])) % 23 != 0
            assert a.detail["modulus"] == 23 and "(mod 23)" in a.finding
            assert a.head is None  # the igsm style must write the wrong arithmetic out in full
            clean = row["steps"][a.at]
            assert (
                a.steps[0] == clean[: eq["end"] - len(eq["claimed"])] + str(w) + clean[eq["end"] :]
            )
            if eq["expr"] != eq["claimed"]:
                seen_ops += 1
                assert a.finding == f"{eq['expr']} is {eq['claimed']} (mod 23), not {w}"
    assert seen_ops


def test_igsm_example_from_the_brief() -> None:
    steps = ["Define A as F; so F = 1.", "Define B as J; so J = 3 * F = 3 * 1 = 3."]
    ops = [(0, "F = 1", "1", "1"), (1, "J = 3 * F = 3 * 1 = 3", "3 * 1", "3")]
    row = {
        "id": "x",
        "format": "igsm",
        "meta": "{}",
        "question": "q",
        "steps": steps,
        "equations": [
            {
                "step": i,
                "kind": "igsm",
                "expr": expr,
                "claimed": claimed,
                "start": steps[i].index(op),
                "end": steps[i].index(op) + len(op),
                "ok": True,
                "value": claimed,
                "reason": "exact",
                "modulus": 23,
            }
            for i, op, expr, claimed in ops
        ],
        "produces": [["F"], ["J"]],
        "uses": [[], [{"ref": "F", "step": 0}]],
    }
    for a in attempts_at(row, 1, copies=False):
        w = a.detail["wrong"]
        assert a.steps == (f"Define B as J; so J = 3 * F = 3 * 1 = {w}.",)
        assert a.finding == f"3 * 1 is 3 (mod 23), not {w}"
    for a in attempts_at(row, 0, propagate=1):  # a copy misread, carried into J = 3 * F
        w = int(a.detail["wrong"])
        assert a.finding == f"F is 1 (mod 23), not {w}"
        assert a.steps[1] == f"Define B as J; so J = 3 * F = 3 * {w} = {3 * w % 23}."


# --- propagation ------------------------------------------------------------------------

BAKER = (
    "In the morning she sells 36/3 = <<36/3=12>>12 rolls.\n"
    "After the afternoon she has sold 12+5 = <<12+5=17>>17 rolls.\n"
    "So 36-17 = <<36-17=19>>19 rolls are left.\n"
    "#### 19"
)


@pytest.mark.parametrize("k", [1, 2])
def test_propagate_carries_the_wrong_value(k: int) -> None:
    row = gsm8k(BAKER, "A baker makes 36 rolls and sells a third. Then 5 more. How many are left?")
    for a in attempts_at(row, 0, kinds=("offset",), max_offset=3, propagate=k):
        w = int(a.detail["wrong"])
        assert a.at == 0 and a.wrong_step == 0
        assert a.detail["propagated_steps"] == list(range(1, k + 1))
        assert len(a.steps) == 1 + k
        assert a.steps[0] == f"In the morning she sells 36/3 = <<36/3={w}>>{w} rolls."
        s = w + 5
        assert a.steps[1] == f"After the afternoon she has sold {w}+5 = <<{w}+5={s}>>{s} rolls."
        if k == 2:
            assert a.steps[2] == f"So 36-{s} = <<36-{s}={36 - s}>>{36 - s} rolls are left."


def test_propagate_stops_at_the_last_step(natalia: dict[str, Any]) -> None:
    for a in attempts_at(natalia, 1, propagate=3):
        assert a.detail["propagated_steps"] == [] and len(a.steps) == 1
    for a in attempts_at(natalia, 0, propagate=3):
        assert a.detail["propagated_steps"] == [1] and len(a.steps) == 2


def test_propagate_stops_before_a_step_it_cannot_recompute() -> None:
    # 36-w would go negative for w > 36: the carry ends before that step
    row = gsm8k("So 6*7 = <<6*7=42>>42 in all.\nThen 50-42 = <<50-42=8>>8 left.\n#### 8")
    for a in attempts_at(row, 0, kinds=("decimal",), propagate=1):
        assert a.detail["wrong"] == "420" and a.detail["propagated_steps"] == []


def test_propagate_stops_before_an_equation_nobody_checked() -> None:
    row = gsm8k(
        "Half is 10000/2=<<10000/2=5000>>5000 dollars.\nRick gets 5000(.60)=3000 dollars.\n"
        "#### 3000"
    )
    assert [e["step"] for e in row["equations"]] == [0]  # the finder leaves "5000(.60)" out
    for a in attempts_at(row, 0, propagate=1):
        assert a.detail["propagated_steps"] == []
    math = row_of(
        "math",
        {
            "problem": "p",
            "solution": "So the radius is $500/2=250$ meters.\n\n"
            "Thus the area is $\\pi 250^2\\approx196300$, or $\\boxed{196300}$ square meters.",
        },
    )
    assert len(math["steps"]) == 2
    for a in attempts_at(math, 0, propagate=1):
        assert a.detail["propagated_steps"] == []


def test_propagate_copies_untouched_steps() -> None:
    row = gsm8k(
        "He has 3*4 = <<3*4=12>>12 cards.\nShe has 2+5 = <<2+5=7>>7 pens.\n"
        "Together 12+7 = <<12+7=19>>19.\n#### 19"
    )
    for a in attempts_at(row, 0, kinds=("offset",), propagate=2):
        w = int(a.detail["wrong"])
        assert a.steps[1] == row["steps"][1]
        assert a.steps[2] == f"Together {w}+7 = <<{w}+7={w + 7}>>{w + 7}."


def test_igsm_propagate() -> None:
    carried = 0
    for row in igsm_rows():
        for k in (1, 2):
            for a in apply(row, propagate=k).attempts:
                assert len(a.steps) == 1 + len(a.detail["propagated_steps"])
                carried += any(s != row["steps"][a.at + 1 + j] for j, s in enumerate(a.steps[1:]))
    assert carried > 10


# --- skips, params, placement -----------------------------------------------------------


def test_skip_reasons() -> None:
    t = ArithTransform()
    with pytest.raises(Skip) as exc:
        t.apply(gsm8k("She has some apples.\n#### 3"), row_rng(0, "a", "arith"))
    assert exc.value.reason == "no_equation"
    with pytest.raises(Skip) as exc:
        t.apply(gsm8k("She eats 1/2 = <<1/2=1/2>>1/2 of it.\n#### 1/2"), row_rng(0, "b", "arith"))
    assert exc.value.reason == "no_numeric_equation"


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown arith kind"):
        ArithTransform(kinds=("offset", "nope"))
    with pytest.raises(ValueError, match="max_offset"):
        ArithTransform(max_offset=0)
    with pytest.raises(ValueError, match="propagate"):
        ArithTransform(propagate=-1)
    assert ArithTransform(kinds=["digit"]).params.kinds == ("digit",)
    assert ArithParams().kinds == (
        "offset",
        "digit",
        "transpose",
        "operator",
        "decimal",
        "rounding",
    )


def test_repeats_at_one_step_are_different(natalia: dict[str, Any]) -> None:
    for seed in range(40):
        cand = apply(natalia, seed, rate=0.9, max_per_step=3)
        by_step: dict[int, list[str]] = {}
        for a in cand.attempts:
            by_step.setdefault(a.at, []).append(a.detail["wrong"])
        for wrongs in by_step.values():
            assert len(wrongs) == len(set(wrongs))
        assert [a.at for a in cand.attempts] == sorted(a.at for a in cand.attempts)


def test_min_errors_and_rate_zero(natalia: dict[str, Any]) -> None:
    assert len(apply(natalia, rate=0.0, min_errors=1).attempts) == 1
    assert len(apply(natalia, rate=0.0, min_errors=2).attempts) == 2
    assert apply(natalia, rate=0.0, min_errors=0).attempts == ()


def test_deterministic(natalia: dict[str, Any]) -> None:
    assert apply(natalia, 5, rate=0.5) == apply(natalia, 5, rate=0.5)
    runs = {tuple((a.at, a.steps) for a in apply(natalia, s, rate=0.5).attempts) for s in range(20)}
    assert len(runs) > 5


def test_question_and_operands_never_change() -> None:
    row = gsm8k(
        "She buys 24 + 24 = <<24+24=48>>48 pens, and 48 is a lot.\n#### 48",
        question="She buys 24 pens and 24 more. How many?",
    )
    for a in attempts_at(row, 0, kinds=("offset",)):
        w = a.detail["wrong"]
        assert a.steps == (f"She buys 24 + 24 = <<24+24={w}>>{w} pens, and {w} is a lot.",)


def test_equation_used_later_in_its_step_is_not_perturbed() -> None:
    row = gsm8k("He has 3*4 = <<3*4=12>>12, then 12+1 = <<12+1=13>>13.\n#### 13")
    for seed in range(30):
        for a in apply(row, seed).attempts:
            assert a.detail["equation"] == 1


# --- the validator catches tampering ------------------------------------------------------


def _tamper(cand: Candidate, **changes: Any) -> Candidate:
    a = dataclasses.replace(cand.attempts[0], **changes)
    return dataclasses.replace(cand, attempts=(a, *cand.attempts[1:]))


def test_validator_rejects_tampered_attempts(natalia: dict[str, Any]) -> None:
    a = attempts_at(natalia, 0, kinds=("offset",))[0]
    cand = Candidate(row=natalia, transform="arith", attempts=(a,))
    assert validate_arith(cand) == []
    w = a.detail["wrong"]
    assert validate_arith(_tamper(cand, at=a.at + 1 if a.at == 0 else 0))
    assert validate_arith(_tamper(cand, steps=(natalia["steps"][a.at],)))
    assert validate_arith(_tamper(cand, steps=(a.steps[0].replace("48/2", "48/3"),)))
    assert validate_arith(_tamper(cand, steps=(a.steps[0].replace("May", "June"),)))
    assert validate_arith(_tamper(cand, finding="it is wrong"))
    correct = a.detail["correct"]
    detail = {**a.detail, "wrong": correct}
    assert validate_arith(_tamper(cand, detail=detail, steps=(natalia["steps"][a.at],)))
    assert validate_arith(_tamper(cand, steps=(a.steps[0].replace(f">>{w}", ">>99"),)))


def test_validator_rejects_inconsistent_propagation() -> None:
    row = gsm8k(BAKER)
    a = attempts_at(row, 0, kinds=("offset",), propagate=2)[0]
    cand = Candidate(row=row, transform="arith", attempts=(a,))
    assert validate_arith(cand) == []
    s1 = a.steps[1]
    bad = (a.steps[0], row["steps"][1], a.steps[2])  # step 1 not carried
    assert validate_arith(_tamper(cand, steps=bad))
    bad = (a.steps[0], s1.replace("rolls", "buns"), a.steps[2])
    assert validate_arith(_tamper(cand, steps=bad))
    bad = (a.steps[0], a.steps[1])  # fewer texts than propagated steps
    assert validate_arith(_tamper(cand, steps=bad))


# --- number style helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "like", "out"),
    [
        (Fraction(26), "24", "26"),
        (Fraction(1210), "1,200", "1,210"),
        (Fraction(1, 4), ".5", ".25"),
        (Fraction(3), "2.50", "3.00"),
        (Fraction(26, 10), "24", "2.6"),
        (Fraction(26, 3), "8.67", "8.67"),
        (Fraction(-1), "2", None),
    ],
)
def test_format_numeral(value: Fraction, like: str, out: str | None) -> None:
    assert format_numeral(value, numeral_style(like), rounding=True) == out
