"""Final-answer normalization and equivalence (``\\boxed{1,000}`` vs ``1000``).

Percent choice: ``50\\%`` normalizes to ``50%`` and compares equal both to ``50`` and to
``0.5``. Answer keys disagree on whether the percent sign is part of the number (GSM8K
writes ``25`` for "what percent", MATH writes ``25\\%`` or ``0.25``), and a percent answer
is never off by exactly a factor of 100 by accident often enough to matter.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .core import evaluate
from .errors import DEFAULT_LIMITS, EvalError
from .formatting import format_value
from .numeric import parse_number

_BOX = re.compile(r"\\(?:boxed|fbox)\s*")
_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|textrm|mbox|mathrm|mathbf|operatorname)\s*\{")
_NOISE = re.compile(
    r"\\(?:left|right|displaystyle|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])"
    r"|(?<!\\)\\[!,;: ]|~"
    r"|\^\s*\{?\s*\\circ\s*\}?|\\circ|°|\\degree"
    r"|\\?\$"
)
_PERCENT = re.compile(r"\\?%")
_FRAC_ALIAS = re.compile(r"\\[dtc]frac(?![A-Za-z])")
_THOUSANDS_BRACE = re.compile(r"(?<=[0-9])\{,\}(?=[0-9]{3})")
_THOUSANDS = re.compile(r"(?<![0-9.])[1-9][0-9]{0,2}(?:,[0-9]{3})+(?![0-9])")
_FRAC_TWO_TOKENS = re.compile(
    r"\\frac\s*(\\[A-Za-z]+|[0-9A-Za-z])\s*(\\[A-Za-z]+(?![A-Za-z])|[0-9A-Za-z])"
)
_SPACE_RUN = re.compile(r"\s+")
MAX_ANSWER_CHARS = 2000
_LIST_COMMA = re.compile(r",\s")  # thousands separators never have a space after the comma
_ABBREVIATION_END = re.compile(r"(?:^|[^A-Za-z])[A-Za-z]\.[A-Za-z]\.$")
_FRAC_SECOND_TOKEN = re.compile(r"\\frac(\{[^{}]*\})\s*([0-9A-Za-z])")
_FRAC_FIRST_TOKEN = re.compile(r"\\frac\s*([0-9A-Za-z])\s*\{")
_SQRT_TOKEN = re.compile(r"\\sqrt\s*([0-9A-Za-z])")
_CHOICE = re.compile(r"\(?([A-E])\)?")
_ASSIGNMENT = re.compile(r"[A-Za-z]=(?!=)")
_UNIT_POWER = re.compile(r"\^\{?[0-9]\}?")
_BRACKETS = {"(": ")", "[": "]", "\\{": "\\}"}


def _group_end(text: str, open_at: int) -> int:
    """Index just past the ``}`` matching the ``{`` at ``open_at`` (or len(text))."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _unbox(text: str) -> str:
    """Contents of the last ``\\boxed{...}`` (or ``\\fbox``), else the text itself."""
    last = None
    for m in _BOX.finditer(text):
        last = m
    if last is None:
        return text
    start = last.end()
    if start < len(text) and text[start] == "{":
        return text[start + 1 : _group_end(text, start) - 1]
    return text[start:]


def _drop_text_commands(text: str) -> str:
    """Unwrap ``\\text{...}``; a trailing one after other content is a unit and goes."""
    while (m := _TEXT_CMD.search(text)) is not None:
        open_at = m.end() - 1
        end = _group_end(text, open_at)
        head, inner, tail = text[: m.start()], text[open_at + 1 : end - 1], text[end:].strip()
        power = _UNIT_POWER.match(tail)
        if power is not None:
            tail = tail[power.end() :].strip()
        is_unit = bool(head.strip()) and not tail  # "5\\text{ cm}", "10\\text{ cm}^2"
        text = head if is_unit else head + inner + text[end:]
    return text


def _canonical_latex(text: str) -> str:
    """Brace one-token macro arguments: ``\\frac12`` → ``\\frac{1}{2}``, ``\\sqrt3`` → ``\\sqrt{3}``."""
    text = _FRAC_TWO_TOKENS.sub(r"\\frac{\1}{\2}", text)
    text = _FRAC_SECOND_TOKEN.sub(r"\\frac\1{\2}", text)
    text = _FRAC_FIRST_TOKEN.sub(r"\\frac{\1}{", text)
    return _SQRT_TOKEN.sub(r"\\sqrt{\1}", text)


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside brackets and braces."""
    parts, depth, begin = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[begin:i])
            begin = i + 1
    parts.append(text[begin:])
    return parts


def _as_tuple(text: str) -> tuple[str, list[str], str] | None:
    """``(open, items, close)`` for ``(1,2)``, ``[0,1)``, ``\\{1,2\\}``, else None."""
    for open_, close in (("\\{", "\\}"), ("(", ")"), ("[", ")"), ("(", "]"), ("[", "]")):
        if text.startswith(open_) and text.endswith(close) and len(text) > len(open_) + len(close):
            inner = text[len(open_) : -len(close)]
            items = _split_top_level(inner)
            if len(items) > 1:
                return open_, items, close
    return None


_WORD_BEFORE = re.compile(r"(\\?)([A-Za-z]+)$")
_WORD_AFTER = re.compile(r"[A-Za-z]+")  # used with .match(text, pos)
_THOUSANDS_THIN = re.compile(r"(?<=[0-9]),\s*\\!\s*(?=[0-9]{3})")  # 111,\!111


def _squeeze_spaces(text: str) -> str:
    """Whitespace removed, except one space where dropping it would change what is written:
    after a command before a letter (``\\pi r``), and next to a word (``June 20``,
    ``1:03 PM``)."""
    text = text.strip()

    def keep(m: re.Match[str]) -> str:
        # bounded windows: a run of spaces costs O(1), however long the text
        start, end = m.start(), m.end()
        before = _WORD_BEFORE.search(text, max(0, start - 64), start)
        after = _WORD_AFTER.match(text, end, end + 64)
        if before is not None and before.group(1) and after is not None:
            return " "  # \\pi r is not \\pir
        word_before = before is not None and not before.group(1) and len(before.group(2)) > 1
        word_after = after is not None and len(after.group()) > 1
        next_alnum = text[end : end + 1].isalnum()
        if (word_before and next_alnum) or (word_after and text[start - 1 : start].isalnum()):
            return " "
        return ""

    return _SPACE_RUN.sub(keep, text)


def _normalize(text: str) -> tuple[str, bool]:
    """Canonical form and whether the answer carried a percent sign."""
    if len(text) > MAX_ANSWER_CHARS:  # no final answer is this long: kept as written
        return text.strip(), False
    text = _unbox(text.strip())
    text = _drop_text_commands(text)
    text = _THOUSANDS_THIN.sub(",", text)
    text = _FRAC_ALIAS.sub(r"\\frac", _NOISE.sub(" ", text))
    text = _THOUSANDS_BRACE.sub("", text)
    percent = bool(_PERCENT.search(text))
    text = _PERCENT.sub("", text)
    if _LIST_COMMA.search(text):  # "45^\\circ, 135^\\circ", "1, 2, 3": a list, item by item
        items = _split_top_level(text.strip().rstrip("."))
        if len(items) > 1 and all(item.strip() for item in items):
            return ", ".join(_normalize(item)[0] for item in items), percent
    text = _squeeze_spaces(text)
    if not _ABBREVIATION_END.search(text):  # "4:30 p.m." keeps its last period
        text = text.rstrip(".")
    if _ASSIGNMENT.match(text):
        text = text[2:]  # "x=5" → "5"
    tup = _as_tuple(text)
    if tup is not None:
        open_, items, close = tup
        return open_ + ",".join(_normalize(item)[0] for item in items) + close, percent
    text = _canonical_latex(_THOUSANDS.sub(lambda m: m.group().replace(",", ""), text))
    value = parse_number(text)
    if value is not None:
        if value.denominator != 1 and ("/" in text or "\\frac" in text):
            return f"{value.numerator}/{value.denominator}", percent  # written as a fraction
        return format_value(value), percent
    choice = _CHOICE.fullmatch(text)
    if choice is not None:
        return choice.group(1), percent
    return text, percent


def normalize_answer(text: str) -> str:
    """Canonical text of a final answer.

    Strips ``\\boxed{}``, ``$``, ``\\text{...}`` units, degree marks, ``%``, spacing
    macros, ``\\left``/``\\right``, whitespace, a trailing ``.`` and thousands separators;
    ``\\dfrac``/``\\tfrac`` become ``\\frac``; numbers become canonical: integers and
    decimals in :func:`format_value` form (``"1,000"`` → ``"1000"``, ``"0.50"`` → ``"0.5"``),
    numbers written as fractions as reduced ``a/b`` (``"\\frac{2}{4}"`` → ``"1/2"``,
    ``"\\frac{4}{2}"`` → ``"2"``), so the written form survives; :func:`answers_equal`
    compares values, so ``0.5`` still equals ``\\frac{1}{2}``; tuples and intervals are normalized item by item;
    ``\\text{(C)}`` → ``"C"``; a leading ``x=`` is dropped; other expressions keep their
    cleaned LaTeX with one-token macro arguments braced (``\\sqrt3`` → ``\\sqrt{3}``).
    """
    stripped = text.strip()
    if stripped.isdigit() and stripped.isascii():  # most answers: a plain integer
        return stripped.lstrip("0") or "0"
    canonical, percent = _normalize(text)
    # a percent answer keeps its sign (7.2% is not 7.2); answers_equal matches it to both
    return canonical + "%" if percent and parse_number(canonical) is not None else canonical


def _numbers(canonical: str, percent: bool) -> set[Fraction]:
    value = parse_number(canonical)
    if value is None:
        return set()
    return {value, value / 100} if percent else {value}


def _same_value(a: str, b: str) -> bool:
    """Both parse and evaluate (LaTeX, variables allowed) to equal values."""
    try:
        va = evaluate(a, syntax="latex", symbols=True)
        vb = evaluate(b, syntax="latex", symbols=True)
    except EvalError:
        return False
    if isinstance(va, Fraction) and isinstance(vb, Fraction):
        return va == vb
    from .symbolic import to_sympy, zero_test  # SymPy: imported on first need

    sa = to_sympy(va) if isinstance(va, Fraction) else va
    sb = to_sympy(vb) if isinstance(vb, Fraction) else vb
    try:
        return zero_test(sa - sb, DEFAULT_LIMITS) in ("zero", "numeric_zero")
    except EvalError:
        return False


def answers_equal(a: str, b: str) -> bool:
    """Whether two final answers are the same after normalization.

    Numbers compare by exact value (a percent answer matches both ``N`` and ``N/100``);
    tuples and intervals compare item by item with the same brackets; other expressions
    compare by exact (symbolic) value when both parse as LaTeX, else as normalized text.
    """
    na, pa = _normalize(a)
    nb, pb = _normalize(b)
    if na == nb or na.replace(", ", ",") == nb.replace(", ", ","):
        return True
    numbers_a = _numbers(na, pa)
    numbers_b = _numbers(nb, pb)
    if numbers_a and numbers_b:
        return bool(numbers_a & numbers_b)
    ta, tb = _as_tuple(na), _as_tuple(nb)
    if ta is not None or tb is not None:
        if ta is None or tb is None or ta[0] != tb[0] or ta[2] != tb[2] or len(ta[1]) != len(tb[1]):
            return False
        return all(answers_equal(x, y) for x, y in zip(ta[1], tb[1], strict=True))
    return _same_value(na, nb)
