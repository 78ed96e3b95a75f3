"""Unit tests of the iGSM text parsers, replay and dependency graph (no corpus needed)."""

from __future__ import annotations

import pytest

from errsynth.igsm.errors import IgsmArithmeticError, IgsmParseError
from errsynth.igsm.hierarchy import build_hierarchy, split_params
from errsynth.igsm.sentences import KINDS, ParamDef, parse_sentence, render_sentence
from errsynth.igsm.text import (
    computable_at,
    dependency_graph,
    parse_problem,
    parse_solution,
    recompute,
    split_steps,
)

PROBLEM = (
    "The number of each Energy Drinks's Duck Confit equals 2. The number of each Erewhon "
    "Market's Beer equals 21 times as much as each Erewhon Market's Energy Drinks. The number "
    "of each Beer's Duck Confit equals 0. The number of each Fresh Thyme Market's Beer equals 3 "
    "times as much as each Erewhon Market's Product. The number of each Beer's Turkey equals 1 "
    "times as much as each Energy Drinks's Duck Confit. The number of each Erewhon Market's "
    "Energy Drinks equals 1. The number of each Fresh Thyme Market's Coffee equals 16. The "
    "number of each Coffee's Turkey equals 3. The number of each Beer's Beef equals 3. The "
    "number of each Energy Drinks's Pork Chop equals 17 times as much as the sum of each "
    "Erewhon Market's Product, each Energy Drinks's Duck Confit and each Erewhon Market's "
    "Beer. The number of each Beer's Pork Chop equals 8. The number of each Fresh Thyme "
    "Market's Energy Drinks equals the sum of each Beer's Turkey, each Beer's Duck Confit, "
    "each Energy Drinks's Duck Confit and each Coffee's Beef. The number of each Coffee's Beef "
    "equals each Energy Drinks's Duck Confit. The number of each Energy Drinks's Beef equals 2 "
    "times as much as each Erewhon Market's Coffee. The number of each Erewhon Market's Coffee "
    "equals 2 times as much as each Erewhon Market's Energy Drinks. The number of each "
    "Coffee's Pork Chop equals each Energy Drinks's Duck Confit. How many Beer does Fresh "
    "Thyme Market have?"
)
SOLUTION = (
    "Define Erewhon Market's Energy Drinks as h; so h = 1. Define Erewhon Market's Coffee as "
    "L; so L = 2 * h = 2 * 1 = 2. Define Erewhon Market's Beer as n; so n = 21 * h = 21 * 1 = "
    "21. Define Erewhon Market's Product as F; G = n + L = 21 + 2 = 0; so F = G + h = 0 + 1 = "
    "1. Define Fresh Thyme Market's Beer as J; so J = 3 * F = 3 * 1 = 3."
)


def test_split_steps_round_trips() -> None:
    steps = split_steps(SOLUTION)
    assert len(steps) == 5
    assert " ".join(steps) == SOLUTION
    assert steps[3].startswith("Define Erewhon Market's Product as F;")
    back = SOLUTION.replace(
        " Define Fresh", " Define Energy Drinks's Ingredient as BACK. Define Fresh"
    )
    assert " ".join(split_steps(back)) == back
    assert split_steps("") == []


def test_parse_solution_fields() -> None:
    steps = parse_solution(SOLUTION)
    s = steps[3]
    assert (s.param, s.var, s.back, s.value) == ("Erewhon Market's Product", "F", False, 1)
    assert s.uses == ("n", "L", "h")  # the intermediate G is not a use
    g, f = s.ops
    assert (g.target, g.operands, g.operators, g.numeric, g.claimed) == (
        "G",
        ("n", "L"),
        ("+",),
        "21 + 2",
        0,
    )
    assert s.text[g.start : g.end] == "G = n + L = 21 + 2 = 0"
    assert s.text[f.start : f.end] == "F = G + h = 0 + 1 = 1"
    const = steps[0].ops[0]
    assert (const.operands, const.numeric, const.claimed) == ((), "1", 1)
    times = steps[1].ops[0]
    assert (times.operands, times.terms, times.operators) == (("h",), ("2", "h"), ("*",))
    assert [st.n_arith for st in steps] == [0, 1, 1, 2, 1]


def test_copy_op() -> None:
    (step,) = parse_solution("Define Harbortown University's Ceramics Studio as t; so t = M = 0.")
    op = step.ops[0]
    assert (op.target, op.operands, op.operators, op.numeric, op.claimed) == (
        "t",
        ("M",),
        (),
        "0",
        0,
    )
    assert step.uses == ("M",)


def test_back_step() -> None:
    (step,) = parse_solution("Define Sam's Club's Product as BACK.")
    assert (
        step.back and step.var is None and step.ops == () and step.param == "Sam's Club's Product"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "Define X's Y as h; h = 1.",  # no "so"
        "Define X's Y as h; so h = 1",  # no final period
        "Define X's Y as h; so g = 1.",  # assigns another letter
        "Define X's Y as h; so h = a + b = 1 * 2 = 2.",  # operators differ
        "Define X's Y as h; so h = 2 * a = 3 * 1 = 3.",  # literal rewritten
        "Define X's Y as h; so h = a / b = 1 / 1 = 1.",  # unknown operator
        "Define X's Y as hh; so hh = 1.",  # not a single letter
        "Define X's Y as h; so h = x.",  # constant that is no number
        "Let h be X's Y.",
        "",
    ],
)
def test_parse_solution_rejects(bad: str) -> None:
    with pytest.raises(IgsmParseError):
        parse_solution(bad)


def test_recompute() -> None:
    values = recompute(parse_solution(SOLUTION))
    assert values == {
        "Erewhon Market's Energy Drinks": 1,
        "Erewhon Market's Coffee": 2,
        "Erewhon Market's Beer": 21,
        "Erewhon Market's Product": 1,
        "Fresh Thyme Market's Beer": 3,
    }
    with pytest.raises(IgsmArithmeticError, match="claimed"):
        recompute(parse_solution(SOLUTION.replace("= 21 + 2 = 0", "= 21 + 2 = 1")))
    with pytest.raises(IgsmArithmeticError, match="before definition"):
        recompute(parse_solution("Define A's B as x; so x = y = 1."))
    with pytest.raises(IgsmArithmeticError, match="numeric form"):
        recompute(
            parse_solution(
                SOLUTION.replace("2 * h = 2 * 1", "2 * h = 2 * 5").replace(
                    "= 2 * 5 = 2", "= 2 * 5 = 10"
                )
            )
        )
    assert recompute(
        parse_solution(
            "Define A's B as x; so x = 9. Define A's C as y; so y = x * x = 9 * 9 = 11."
        ),
        modulus=70,
    ) == {
        "A's B": 9,
        "A's C": 11,
    }


def test_parse_problem() -> None:
    prob = parse_problem(PROBLEM)
    assert prob.query == "Fresh Thyme Market's Beer"
    assert prob.query_parts == ("Fresh Thyme Market", "Beer")
    assert len(prob.params) == 16 and len(prob.sentences) == 17
    d = prob.params["Energy Drinks's Pork Chop"]
    assert (d.kind, d.number) == ("times_sum", 17)
    assert d.refs == (
        "Erewhon Market's Product",
        "Energy Drinks's Duck Confit",
        "Erewhon Market's Beer",
    )
    assert prob.params["Coffee's Beef"].kind == "copy"
    assert prob.params["Fresh Thyme Market's Energy Drinks"].kind == "sum"
    assert "Erewhon Market's Product" in prob.mentioned
    assert "Erewhon Market's Product" not in prob.params
    assert " ".join(prob.sentences) == PROBLEM


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_round_trips(kind: str) -> None:
    two = kind in ("diff", "times_diff", "plus_diff", "sum", "times_sum", "plus_sum")
    refs = (
        ("Sam's Club's Track and Field", "99 Ranch Market's Product") if two else ("Marc's's Milk",)
    )
    if kind == "constant":
        refs = ()
    number = None if kind in ("copy", "sum", "diff") else 7
    p = ParamDef("Governor's District's Sam's Club", kind, number, refs, "")  # type: ignore[arg-type]
    text = render_sentence(p)
    back = parse_sentence(text)
    assert (back.name, back.kind, back.number, back.refs) == (p.name, kind, number, refs)


@pytest.mark.parametrize(
    "bad",
    [
        "The number of each A's B equals.",
        "The number of each A's B equals the sum of each A's C.",
        "The number of each A's B equals the difference of each A's C, each A's D and each A's E.",
        "The number of each A's B equals each A's C and each A's D.",
        "The number of each A's B equals 3 less than each A's C.",
    ],
)
def test_parse_sentence_rejects(bad: str) -> None:
    with pytest.raises(IgsmParseError):
        parse_sentence(bad)


def test_parse_problem_rejects() -> None:
    with pytest.raises(IgsmParseError):
        parse_problem("How many A does B have?")
    with pytest.raises(IgsmParseError):
        parse_problem("The number of each A's B equals 1. What is A's B?")
    with pytest.raises(IgsmParseError, match="twice"):
        parse_problem(
            "The number of each A's B equals 1. The number of each A's B equals 2. How many B does A have?"
        )


def test_split_params_uses_evidence() -> None:
    names = [
        "Governor's District's Dean's Natural Food Market",
        "Dean's Natural Food Market's Product",
        "Governor's District's Product",
    ]
    got = split_params(names, defined={names[0]})
    assert got[names[0]] == ("Governor's District", "Dean's Natural Food Market")
    assert got[names[1]] == ("Dean's Natural Food Market", "Product")
    assert got[names[2]] == ("Governor's District", "Product")
    # the question anchors a split
    got = split_params(
        ["Sam's Club's Cheddar Cheese"],
        {"Sam's Club's Cheddar Cheese": ("Sam's Club", "Cheddar Cheese")},
    )
    assert got["Sam's Club's Cheddar Cheese"] == ("Sam's Club", "Cheddar Cheese")


def test_hierarchy_of_example() -> None:
    h = build_hierarchy(parse_problem(PROBLEM))
    assert h.layer["Erewhon Market"] == 0 and h.layer["Beer"] == 1 and h.layer["Turkey"] == 2
    assert set(h.kids("Erewhon Market")) == {"Beer", "Energy Drinks", "Coffee"}
    assert h.categories == {"Product"}
    assert h.is_abstract("Erewhon Market's Product") and not h.is_abstract("Beer's Beef")


def test_name_on_two_layers() -> None:
    # "Popcorn" is a product and an ingredient in the paper's vocabulary
    text = (
        "The number of each Candy Bars's Popcorn equals 5. The number of each Popcorn's Wheat "
        "equals each Candy Bars's Popcorn. The number of each Popcorn's Popcorn equals each "
        "Popcorn's Wheat. How many Ingredient does Popcorn have?"
    )
    h = build_hierarchy(parse_problem(text))
    assert len(h.nodes_by_name["Popcorn"]) == 2
    owner = h.split("Popcorn's Ingredient")[0]
    assert {h.param(owner, k) for k in h.kids(owner)} == {"Popcorn's Wheat", "Popcorn's Popcorn"}


def test_dependency_graph_and_computable() -> None:
    prob = parse_problem(PROBLEM)
    steps = parse_solution(SOLUTION)
    g = dependency_graph(prob, steps)
    assert set(g.deps["Erewhon Market's Product"]) == {
        "Erewhon Market's Beer",
        "Erewhon Market's Energy Drinks",
        "Erewhon Market's Coffee",
    }
    assert g.exact["Erewhon Market's Product"]
    assert g.deps["Fresh Thyme Market's Beer"] == ("Erewhon Market's Product",)
    assert g.ancestors("Fresh Thyme Market's Beer") == {
        "Erewhon Market's Product",
        "Erewhon Market's Beer",
        "Erewhon Market's Energy Drinks",
        "Erewhon Market's Coffee",
    }
    at3 = computable_at(prob, steps, 3, g)
    assert "Erewhon Market's Product" in at3  # its three children are defined by then
    assert "Fresh Thyme Market's Beer" not in at3
    assert "Energy Drinks's Pork Chop" not in at3  # needs the Product and a Duck Confit
    assert "Fresh Thyme Market's Beer" in computable_at(prob, steps, 4, g)
    # the paper's retry rule: not computable yet and not defined so far
    defined = {s.param for s in steps[:1]}
    wrong = set(g.deps) - computable_at(prob, steps, 1, g) - defined
    assert "Erewhon Market's Product" in wrong and "Erewhon Market's Coffee" not in wrong
