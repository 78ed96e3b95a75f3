"""Tests for errsynth.ingest.latex_text: boxed answers and LaTeX-aware step splitting."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.ingest.latex_text import find_boxed, last_boxed, split_steps, step_texts

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
MATH_TEST = CORPORA / "math" / "math_test_4500.jsonl"


# --------------------------------------------------------------------------------------
# helpers (independent of the implementation under test)
# --------------------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\.", re.S)
_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.S)


def assert_valid_spans(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans are ordered, disjoint, trimmed, non-empty and cover all non-whitespace."""
    covered = [False] * len(text)
    prev_end = 0
    for s, e in spans:
        assert 0 <= prev_end <= s < e <= len(text), (spans, len(text))
        piece = text[s:e]
        assert piece == piece.strip() and piece, repr(piece)
        for i in range(s, e):
            covered[i] = True
        prev_end = e
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not missing, f"uncovered non-whitespace at {missing[:5]}"


def unescaped_dollars(s: str) -> int:
    return _ESCAPE.sub("", s).count("$")


def braces_balanced(s: str) -> bool:
    depth = 0
    for m in _BRACE_OR_ESCAPE.finditer(s):
        g = m.group()
        if g == "{":
            depth += 1
        elif g == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


# Crude, deliberately independent "sentence" count: mask escapes and math regions with
# one left-to-right non-greedy regex, then count sentence punctuation followed by
# whitespace and a capital letter (a sentence end with more text after it), skipping
# obvious abbreviations, initials and ellipses.  Separately, on the raw text, count a
# period that closes a math region ("$x.$ Then", "...= 5.\\] Then") before a capital.
_MATH_MASK = re.compile(
    r"\[asy\].*?\[/asy\]|\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}|\\\[.*?\\\]|\\\(.*?\\\)"
    r"|\\.|\$\$.*?\$\$|\$.*?\$",
    re.S,
)
_NAIVE_SENTENCE_END = re.compile(
    r"(?<![A-Z])(?<!\b(?:Mr|Dr|Ms|vs|No))(?<!\b(?:Mrs|Fig))(?<!e\.g)(?<!i\.e)(?<!\.)"
    r"[.!?][\"')]*\s+(?=[A-Z])"
)
_NAIVE_MATH_SENTENCE_END = re.compile(r"(?<![.\\])\.\s*(?:\$|\\\]|\\end\{[A-Za-z*]+\})\s+(?=[A-Z])")


def naive_sentence_count(text: str) -> int:
    masked = _MATH_MASK.sub(" MATH ", text)
    ends = len(_NAIVE_SENTENCE_END.findall(masked))
    return ends + len(_NAIVE_MATH_SENTENCE_END.findall(text)) + 1


def reference_last_boxed(s: str) -> str | None:
    """The MATH reference algorithm (rfind + brace counting), written out here."""
    idx = s.rfind("\\boxed")
    if idx < 0:
        idx = s.rfind("\\fbox")
        if idx < 0:
            return None
    depth = 0
    for i in range(idx, len(s)):
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
            if depth == 0:
                box = s[idx : i + 1]
                for left in ("\\boxed{", "\\fbox{"):
                    if box.startswith(left):
                        return box[len(left) : -1]
                return None
    return None


# --------------------------------------------------------------------------------------
# find_boxed / last_boxed
# --------------------------------------------------------------------------------------


def test_find_boxed_basic_positions_and_content() -> None:
    t = r"So $x = \boxed{\frac{1}{2}}$ and $\fbox{7}$."
    boxes = find_boxed(t)
    assert [c for _, _, c in boxes] == [r"\frac{1}{2}", "7"]
    for s, e, c in boxes:
        assert t[s] == "\\" and t[e - 1] == "}"
        assert t[s:e].endswith("{" + c + "}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\boxed{a{b{c}}d}", ["a{b{c}}d"]),
        (r"\boxed{\{1,2\}}", [r"\{1,2\}"]),
        (r"\boxed{\left\{ x \right.}", [r"\left\{ x \right."]),
        (r"\boxed{\}}", [r"\}"]),
        (r"$\boxed 5$", ["5"]),
        (r"answer $\boxed 12.$", ["12"]),
        (r"$\boxed \pi$", [r"\pi"]),
        (r"$\boxed5$", ["5"]),
        (r"\boxed {7}", ["7"]),
        (r"\boxed{}", [""]),
        (r"\boxed{\text{(A)}}", [r"\text{(A)}"]),
        (r"\boxed{\boxed{3}}", [r"\boxed{3}", "3"]),
        (r"\boxed{unclosed", []),
        (r"\boxed", []),
        (r"\boxed$", []),
        (r"\boxedfoo{3}", []),
        (r"a \\boxed{3}", []),  # line break followed by the word "boxed"
        (r"a \\\boxed{3}", ["3"]),
        (r"\$\boxed{\$40}", [r"\$40"]),
    ],
)
def test_find_boxed_cases(text: str, expected: list[str]) -> None:
    assert [c for _, _, c in find_boxed(text)] == expected


def test_last_boxed() -> None:
    assert last_boxed(r"first \boxed{1}, then \fbox{2}, finally \boxed{3}.") == "3"
    assert last_boxed("no answer here") is None
    assert last_boxed(r"\boxed{x} and \boxed{unclosed") == "x"


@given(
    st.text(alphabet="ab{}\\ $.", max_size=20).filter(lambda s: "box" not in s),
    st.recursive(
        st.text(alphabet="xyz+-=123 ", max_size=5),
        lambda inner: st.builds(lambda a, b: a + "{" + b + "}", inner, inner),
        max_leaves=6,
    ),
)
def test_last_boxed_roundtrip(prefix: str, content: str) -> None:
    text = prefix.replace("\\", " ") + r" \boxed{" + content + "} done."
    assert last_boxed(text) == content


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("\\{}$ .5xboxedfb\n")), max_size=60))
def test_find_boxed_never_crashes(text: str) -> None:
    for s, e, c in find_boxed(text):
        assert 0 <= s < e <= len(text)
        assert c in text[s:e]
        assert text.startswith(("\\boxed", "\\fbox"), s)


# --------------------------------------------------------------------------------------
# split_steps: rules
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  \n\n ", []),
        ("One sentence.", ["One sentence."]),
        ("First one.  Second one! Third? Yes.", ["First one.", "Second one!", "Third?", "Yes."]),
        # decimals, abbreviations, ellipses, initials, enumerations
        ("It is 3.5 cm. Then stop.", ["It is 3.5 cm.", "Then stop."]),
        ("Use a trick, e.g. Vieta. It works.", ["Use a trick, e.g. Vieta.", "It works."]),
        ("That is, i.e. The rest. Next.", ["That is, i.e. The rest.", "Next."]),
        ("Compare A vs. B here. Done.", ["Compare A vs. B here.", "Done."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("See Fig. 3 and No. 5 above. Done.", ["See Fig. 3 and No. 5 above.", "Done."]),
        ("J. R. R. Tolkien wrote it. Fine.", ["J. R. R. Tolkien wrote it.", "Fine."]),
        ("John F. Kennedy spoke. Fine.", ["John F. Kennedy spoke.", "Fine."]),
        ("Pick from bag A. Then stop.", ["Pick from bag A.", "Then stop."]),
        ("Pass to Person A. Therefore done.", ["Pass to Person A.", "Therefore done."]),
        ("Options:\nA. $43$\nB. $23$", ["Options:", "A. $43$", "B. $23$"]),
        ("We wait... Then go.", ["We wait... Then go."]),
        (r"Terms $1, 2$, \ldots. Then go.", [r"Terms $1, 2$, \ldots. Then go."]),
        ("Add 1, 2, 3, etc. Then stop.", ["Add 1, 2, 3, etc.", "Then stop."]),
        ("1. Foo bar baz.\n2. Qux quux.", ["1. Foo bar baz.", "2. Qux quux."]),
        ("Steps:\n- Do this\n- Do that", ["Steps:", "- Do this", "- Do that"]),
        ("Case 1. Assume it. Then done.", ["Case 1. Assume it.", "Then done."]),
        # inline math
        ("Let $x = 1. Y$ be. Done.", ["Let $x = 1. Y$ be.", "Done."]),
        ("We take $n$ less than $x.$ Then $y$ is.", ["We take $n$ less than $x.$", "Then $y$ is."]),
        (r"Take \(a. B\) now. Next.", [r"Take \(a. B\) now.", "Next."]),
        ("It is $5$. $12$ years pass.", ["It is $5$.", "$12$ years pass."]),
        (r"So $\text{if. Then}$ holds. Next.", [r"So $\text{if. Then}$ holds.", "Next."]),
        (r"So $\text{a $b. C$ d}$ holds. Next.", [r"So $\text{a $b. C$ d}$ holds.", "Next."]),
        ("Two $x$$y$ maths. Next.", ["Two $x$$y$ maths.", "Next."]),
        # money and escapes
        (
            r"It costs \$5.00. Then we pay \$6. So done.",
            [r"It costs \$5.00.", r"Then we pay \$6.", "So done."],
        ),
        (r"Worth $\$2.50$. $12$ years later.", [r"Worth $\$2.50$.", "$12$ years later."]),
        (r"Line \\$x. Y$ end. Next.", [r"Line \\$x. Y$ end.", "Next."]),
        # braces
        (r"\textbf{Note. This} is it. Next.", [r"\textbf{Note. This} is it.", "Next."]),
        (r"We see \emph{it ends.} Then more.", [r"We see \emph{it ends.}", "Then more."]),
        # parentheses: a parenthetical aside stays together
        (
            "It is 5. (Be careful! We may be wrong.) Then go.",
            ["It is 5.", "(Be careful! We may be wrong.)", "Then go."],
        ),
        ("Note (open. Then more.\n\nNext para.", ["Note (open.", "Then more.", "Next para."]),
        # paragraphs
        ("First part\n\nSecond part", ["First part", "Second part"]),
        (r"Items \item one. \item Two.", ["Items", r"\item one.", r"\item Two."]),
    ],
)
def test_split_rules(text: str, expected: list[str]) -> None:
    spans = split_steps(text)
    assert_valid_spans(text, spans)
    assert step_texts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a display introduced by an unfinished sentence is attached to it ...
        (
            r"We get \[x = 1,\]so $y = 2$. Then done.",
            [r"We get \[x = 1,\]so $y = 2$.", "Then done."],
        ),
        (
            "As follows:\n\\begin{align*}\na &= b. \\\\ C &= d\n\\end{align*}Then we stop.",
            ["As follows:\n\\begin{align*}\na &= b. \\\\ C &= d\n\\end{align*}", "Then we stop."],
        ),
        # ... and is a step of its own after a finished sentence
        (r"We know $a$. \[x = 1.\] Then $y$.", ["We know $a$.", r"\[x = 1.\]", "Then $y$."]),
        (r"Done.\[x\]Then.", ["Done.", r"\[x\]", "Then."]),
        ("Done.$$x = 1$$ Next.", ["Done.", "$$x = 1$$", "Next."]),
        (
            "Done.\n\\begin{equation} x \\end{equation}\nNext.",
            ["Done.", "\\begin{equation} x \\end{equation}", "Next."],
        ),
        # a display ending with a period ends the step unless lowercase text resumes it
        (r"So \[a = b.\]Then c.", [r"So \[a = b.\]", "Then c."]),
        (
            r"So \[a = b \dotsm.\]where $b$ is big. Next.",
            [r"So \[a = b \dotsm.\]where $b$ is big.", "Next."],
        ),
        # chained displays stay together
        (r"So \[a = b\] \[c = d.\] Next.", [r"So \[a = b\] \[c = d.\]", "Next."]),
        # blank lines around displays do not strand the lead-in or the tail
        ("The side is\n\n$$x = 23$$\n\nfeet.", ["The side is\n\n$$x = 23$$\n\nfeet."]),
        ("Then,\n\n$1000S = 283$\n\nThus done.", ["Then,\n\n$1000S = 283$", "Thus done."]),
        ("It ends.\n\n$$x = 23$$", ["It ends.", "$$x = 23$$"]),
        # figures are opaque and end their step
        (
            'See:\n[asy]\ndraw((0,0)--(1,1)); label("$A$. B", (0,0)); {\n[/asy]\nThe end.',
            ['See:\n[asy]\ndraw((0,0)--(1,1)); label("$A$. B", (0,0)); {\n[/asy]', "The end."],
        ),
        ("Intro. Then list\n\\begin{enumerate}\n\\item A. \\item B.\n\\end{enumerate}", None),
    ],
)
def test_split_display_rules(text: str, expected: list[str] | None) -> None:
    assert_valid_spans(text, split_steps(text))
    if expected is not None:
        assert step_texts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unbalanced delimiters: no crash, the rest after the opener is one step
        ("First. We have $x. Then more. And more.", ["First.", "We have $x. Then more. And more."]),
        ("First. Open { brace. Then more.", ["First.", "Open { brace. Then more."]),
        (
            "First. Display \\[ x. Then more.\n\nPara.",
            ["First.", "Display \\[ x. Then more.\n\nPara."],
        ),
        ("First. \\begin{align*} x. Then.", ["First.", "\\begin{align*} x. Then."]),
        ("First. [asy] x. Then.", ["First.", "[asy] x. Then."]),
        # stray closers are ignored
        (
            "Stray } here. Then \\) and \\] and \\end{align*}. Next.",
            ["Stray } here.", "Then \\) and \\] and \\end{align*}.", "Next."],
        ),
        # a closer buried under unclosed groups still closes them
        (r"Bad \[ \text{ x \] ok. Next.", [r"Bad \[ \text{ x \] ok.", "Next."]),
        ("Odd $$ a $ b. Next.", ["Odd $$ a $ b. Next."]),
        ("\\", ["\\"]),
        ("$", ["$"]),
    ],
)
def test_split_unbalanced(text: str, expected: list[str]) -> None:
    assert_valid_spans(text, split_steps(text))
    assert step_texts(text) == expected


def test_step_texts_matches_spans() -> None:
    t = r"A $b$. C \[d.\] E {f. G}. H"
    assert step_texts(t) == [t[s:e] for s, e in split_steps(t)]


# --------------------------------------------------------------------------------------
# split_steps: properties
# --------------------------------------------------------------------------------------

_NASTY = [
    "$", "$$", "{", "}", "\\", "\\$", "\\{", "\\}", "\\\\", "\\[", "\\]", "\\(", "\\)",
    "\\begin{align*}", "\\end{align*}", "\\begin{tabular}", "\\end{tabular}",
    "\\begin{itemize}", "\\item ", "\\par", "\\text{", "\\mbox {", "[asy]", "[/asy]",
    ". ", "! ", "? ", ".", "...", "\\ldots.", "\n", "\n\n", "\n1. ", "\n- ", " ", "\t",
    "A", "The", "x", "3.5", "e.g. ", "No. ", "J. ", "(", ")", ".)", "\\boxed{", "\\boxed ",
    "%", "é", "\u2028", "\r\n", "\\end{", "\\begin{",
]  # fmt: skip

nasty_text = st.lists(st.one_of(st.sampled_from(_NASTY), st.text(max_size=3)), max_size=40).map(
    "".join
)


@settings(max_examples=800, deadline=None)
@given(nasty_text)
def test_split_never_crashes_and_covers(text: str) -> None:
    spans = split_steps(text)
    assert_valid_spans(text, spans)
    assert step_texts(text) == [text[s:e] for s, e in spans]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_split_arbitrary_unicode(text: str) -> None:
    assert_valid_spans(text, split_steps(text))


_WORDS = ["we", "get", "so", "the", "value", "is", "and", "hence", "sum", "point", "of"]
_FRAGMENTS = [
    "$x$", "$3.5$", "$a. B$", "$a! B? C$", r"$\{1, 2\}$", r"$\text{if. Then}$", r"$\frac{1}{2}$",
    r"\$5.00", "e.g.", "i.e.", "vs.", "{braced. Text}", "3.14", r"\ldots", r"\(p. Q\)",
    r"\[x = 1,\] so", r"\[x. Y\] where", "\\begin{align*} a &= b. \\\\ C &= d \\end{align*} and",
    "(see A. Below)", "$$u. V$$ then", r"\textbf{Key. Idea}",
]  # fmt: skip
_STARTERS = ["The", "We", "Then", "Thus", "Next", "$y$", r"\textbf{Claim}", r"\[z\] gives"]


@st.composite
def well_formed_solution(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Sentences built from fragments whose internal periods must never split."""
    sentences = []
    for _ in range(draw(st.integers(1, 6))):
        parts = [draw(st.sampled_from(_STARTERS))]
        for _ in range(draw(st.integers(0, 6))):
            parts.append(draw(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_FRAGMENTS))))
        parts.append(draw(st.sampled_from(_WORDS)))
        ending = draw(st.sampled_from([".", "!", "?", " $w.$", r" \[w = 0.\]"]))
        sentences.append(" ".join(parts) + ending)
    seps = [draw(st.sampled_from([" ", "  ", "\n", " \n "])) for _ in sentences]
    text = "".join(s + sep for s, sep in zip(sentences, seps, strict=True))
    return text, sentences


@settings(max_examples=500, deadline=None)
@given(well_formed_solution())
def test_split_recovers_generated_sentences(case: tuple[str, list[str]]) -> None:
    text, sentences = case
    steps = step_texts(text)
    assert steps == sentences
    for s in steps:
        assert unescaped_dollars(s) % 2 == 0 and braces_balanced(s)


# --------------------------------------------------------------------------------------
# real data: Hendrycks MATH test (4,500 solutions)
# --------------------------------------------------------------------------------------


@cache
def _math_rows() -> tuple[dict, ...]:
    with MATH_TEST.open(encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f if line.strip())


@pytest.fixture(scope="module")
def math_rows() -> tuple[dict, ...]:
    if not MATH_TEST.is_file():
        pytest.skip(f"MATH corpus not found at {MATH_TEST}")
    return _math_rows()


@pytest.mark.corpora
@pytest.mark.slow
def test_math_last_boxed_coverage(math_rows: tuple[dict, ...]) -> None:
    missing = [(r["idx"], r["solution"][-120:]) for r in math_rows if not last_boxed(r["solution"])]
    print(f"\nno boxed answer: {len(missing)}/{len(math_rows)} {missing[:10]}")
    assert len(missing) <= 0.01 * len(math_rows), missing[:20]
    disagree = [
        (r["idx"], last_boxed(r["solution"]), reference_last_boxed(r["solution"]))
        for r in math_rows
        if last_boxed(r["solution"]) != reference_last_boxed(r["solution"])
    ]
    assert len(disagree) <= 0.01 * len(math_rows), disagree[:20]


@pytest.mark.corpora
@pytest.mark.slow
def test_math_spans_valid_and_balanced(math_rows: tuple[dict, ...]) -> None:
    unbalanced_rows = 0
    checked_steps = 0
    for r in math_rows:
        text = r["solution"]
        spans = split_steps(text)
        assert_valid_spans(text, spans)
        if unescaped_dollars(text) % 2 or not braces_balanced(text):
            unbalanced_rows += 1  # malformed source: only the span invariants apply
            continue
        for s, e in spans:
            step = text[s:e]
            assert unescaped_dollars(step) % 2 == 0, (r["idx"], step)
            assert braces_balanced(step), (r["idx"], step)
            checked_steps += 1
    assert unbalanced_rows <= 0.01 * len(math_rows)
    assert checked_steps > 2 * len(math_rows)  # the check really looked at many steps


@pytest.mark.corpora
@pytest.mark.slow
def test_math_multi_sentence_solutions_split(math_rows: tuple[dict, ...]) -> None:
    # The independent counter must itself see real sentence structure ...
    assert naive_sentence_count("We have $x. Y$ here. Then $z$.") == 2
    assert naive_sentence_count(r"So \[a. B\] and e.g. Mr. X.") == 1
    assert naive_sentence_count(r"Less than $x.$ Then \[y = 2.\] So $z$.") == 3
    multi = [r for r in math_rows if naive_sentence_count(r["solution"]) >= 2]
    # ... and the claim must cover most of the corpus to mean anything.
    assert len(multi) >= 0.75 * len(math_rows), len(multi)
    failures = [
        (r["idx"], r["solution"][:200]) for r in multi if len(split_steps(r["solution"])) < 2
    ]
    print(
        f"\n>=2 sentences: {len(multi)}/{len(math_rows)}; of those split into <2 steps: {len(failures)}"
    )
    assert not failures, failures[:10]
