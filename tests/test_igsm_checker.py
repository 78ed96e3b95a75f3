"""The checker rejects every kind of wrong row (built from one of our generated rows)."""

from __future__ import annotations

from errsynth.igsm.checker import check
from errsynth.igsm.text import split_steps

PROBLEM = (
    "The number of each Energy Drinks's Duck Confit equals 2. The number of each Erewhon "
    "Market's Beer equals 21 times as much as each Erewhon Market's Energy Drinks. The number "
    "of each Fresh Thyme Market's Beer equals 3 times as much as each Erewhon Market's "
    "Product. The number of each Erewhon Market's Energy Drinks equals 1. The number of each "
    "Erewhon Market's Coffee equals 2 times as much as each Erewhon Market's Energy Drinks. "
    "The number of each Energy Drinks's Beef equals 2 times as much as each Erewhon Market's "
    "Coffee. How many Beer does Fresh Thyme Market have?"
)
SOLUTION = (
    "Define Erewhon Market's Energy Drinks as h; so h = 1. Define Erewhon Market's Coffee as "
    "L; so L = 2 * h = 2 * 1 = 2. Define Erewhon Market's Beer as n; so n = 21 * h = 21 * 1 = "
    "21. Define Erewhon Market's Product as F; G = n + L = 21 + 2 = 0; so F = G + h = 0 + 1 = "
    "1. Define Fresh Thyme Market's Beer as J; so J = 3 * F = 3 * 1 = 3."
)


def _reason(solution: str, answer: str = "3", problem: str = PROBLEM) -> str:
    result = check(problem, solution, answer)
    assert not result.ok
    return result.reason


def test_accepts_the_correct_row() -> None:
    assert check(PROBLEM, SOLUTION, "3").ok
    assert check(PROBLEM, SOLUTION, " 3 ").ok


def test_rejects_wrong_answer() -> None:
    assert "answer" in _reason(SOLUTION, "4")


def test_rejects_wrong_arithmetic() -> None:
    assert "arithmetic" in _reason(SOLUTION.replace("= 21 + 2 = 0", "= 21 + 2 = 1"))


def test_rejects_same_value_wrong_formula() -> None:
    # 1 + h equals 2 * h at h = 1, but it is not what the sentence says
    bad = SOLUTION.replace("so L = 2 * h = 2 * 1 = 2", "so L = 1 + h = 1 + 1 = 2")
    assert "formula" in _reason(bad)


def test_rejects_wrong_dependencies() -> None:
    bad = SOLUTION.replace("so F = G + h = 0 + 1 = 1", "so F = G + G = 0 + 0 = 0").replace(
        "3 * 1 = 3.", "3 * 0 = 0."
    )
    assert "reads" in _reason(bad, "0")


def test_rejects_missing_and_unneeded_steps() -> None:
    steps = split_steps(SOLUTION)
    assert "no earlier step" in _reason(" ".join(steps[1:]))
    extra = [*steps[:1], "Define Energy Drinks's Duck Confit as x; so x = 2.", *steps[1:]]
    assert "not needed" in _reason(" ".join(extra))
    assert "last step" in _reason(" ".join(steps[:-1]), "1")


def test_rejects_reordered_steps() -> None:
    steps = split_steps(SOLUTION)
    assert not check(PROBLEM, " ".join([steps[1], steps[0], *steps[2:]]), "3").ok


def test_rejects_unknown_parameter_and_parse_errors() -> None:
    assert "parse" in _reason("Define nonsense.")
    assert "parse" in _reason(SOLUTION, problem="no problem here")
    steps = split_steps(SOLUTION)
    bogus = [*steps[:-1], "Define Sam's Club's Beer as J; so J = 3 * F = 3 * 1 = 3."]
    assert "determines" in _reason(" ".join(bogus))


def test_back_steps_need_allow_back() -> None:
    steps = split_steps(SOLUTION)
    retry = " ".join([*steps[:2], "Define Energy Drinks's Beef as BACK.", *steps[2:]])
    assert "BACK" in _reason(retry)
    assert check(PROBLEM, retry, "3", allow_back=True).ok
