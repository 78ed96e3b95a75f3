"""Fast paths of ingest's equation work give exactly what the straightforward code gave.

`find_inline` skips work the reference (`tests/find_inline_reference.py`, the finder as
it was) did: it reads the run before each "=" backwards, tries chain starts only at
characters a term can start with, and skips starts that `_links` would refuse as glued.
Every equation, span and order must stay the same, on generated text and on real text.
`parse_plain` reads "12 x 4"-shaped sides without the tokenizer: the same tree as the
grammar's parser.
"""

from __future__ import annotations

import json

from conftest import DATA, corpus
from find_inline_reference import find_inline_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.evaluate.errors import DEFAULT_LIMITS, EvalError
from errsynth.evaluate.find_plain import find_inline
from errsynth.evaluate.plain import _Parser, parse_plain, tokenize

# Pieces that make the finder's decisions: numbers (leading zeros, thousands groups,
# decimals), every operator spelling, brackets, "$", "%", "x" as a word and as an
# operator, "and", units, annotations, line breaks and unicode spaces.
_PIECES = [
    *"0123456789",
    "12",
    "1,200",
    "3.5",
    ".5",
    "0900",
    " ",
    "  ",
    "\t",
    "\n",
    "\u00a0",
    "=",
    " = ",
    "+",
    "-",
    "*",
    "/",
    " / ",
    "**",
    "×",
    "÷",
    "·",
    "^",
    "−",
    " – ",
    "x",
    " x ",
    "X",
    "(",
    ")",
    "$",
    "%",
    ".",
    ",",
    "and",
    " and ",
    "cents",
    "apples",
    "a",
    "_",
    "<<2*3=6>>",
    "<<",
    ">>",
    "Wait, ",
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60))
def test_same_equations_as_the_reference_on_generated_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert find_inline(text) == find_inline_reference(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 =+-*/x().,$%a\n", max_size=400))
def test_same_equations_as_the_reference_on_dense_text(text: str) -> None:
    assert find_inline(text) == find_inline_reference(text)


def _texts(path, fields: tuple[str, ...]) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out += [v for k, v in record.items() if k in fields and isinstance(v, str)]
    return out


def test_same_equations_as_the_reference_on_the_fixtures() -> None:
    texts = []
    for path in [*DATA.glob("*.jsonl"), *(DATA / "chat").glob("*.jsonl")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(line)  # the raw JSON line: prose, numbers and punctuation
    assert texts
    for text in texts:
        assert find_inline(text) == find_inline_reference(text)


def test_same_equations_as_the_reference_on_real_corpora() -> None:
    texts = _texts(corpus("gsm8k/train.jsonl"), ("question", "answer"))[:6000]
    backward = corpus("metamath/GSM8K_Backward.jsonl")
    texts += _texts(backward, ("inv_question_pred_answer", "output", "query"))[:3000]
    found = 0
    for text in texts:
        fast = find_inline(text)
        assert fast == find_inline_reference(text), text
        found += len(fast)
    assert found > 1000


def _grammar_parse(text: str) -> object:
    """parse_plain without its fast paths: the tokenizer and the recursive parser."""
    parser = _Parser(tokenize(text), DEFAULT_LIMITS)
    node = parser.expr()
    if parser.i != len(parser.toks) - 1:
        raise EvalError("syntax", "unexpected token after the expression")
    return node


def _outcome(parse, text: str) -> object:
    try:
        return parse(text)
    except EvalError as err:
        return ("error", err.reason)


_GAPS = st.sampled_from(["", " ", "  ", "$", " $", "\t", "\u00a0", "\n"])
_OPERATORS = st.sampled_from([*"-+*/×·⋅∙÷−–xX^%(),.", "//", "**", " x ", "e", "1e3", "sqrt"])
_NUMBERS = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=20),
    st.from_regex(r"[0-9]{0,3}\.[0-9]{0,3}", fullmatch=True),
    st.sampled_from(["0", "007", "1,200", "12.", ".5", "2.50"]),
)
_FLAT_SIDES = st.builds(
    lambda first, rest, lead, tail: lead + first + "".join(rest) + tail,
    _NUMBERS,
    st.lists(
        st.builds(lambda a, op, b, n: a + op + b + n, _GAPS, _OPERATORS, _GAPS, _NUMBERS),
        min_size=0,
        max_size=9,
    ),
    _GAPS,
    _GAPS,
)


@settings(max_examples=2000, deadline=None)
@given(_FLAT_SIDES)
def test_flat_fast_path_gives_the_grammars_tree(text: str) -> None:
    fast = _outcome(lambda t: parse_plain(t, DEFAULT_LIMITS), text)
    assert fast == _outcome(_grammar_parse, text)
