"""The final answer of model-written text, and where it came from.

Tried in order, each on the text's tail first: the last ``\\boxed{}``/``\\fbox{}`` (nested
braces), a ``Final answer:`` line, ``The answer is …``, GSM8K's ``#### N``, a bold
answer (``**42**``, ``**Answer: 42**``), and the value of the concluding sentence
("Therefore, the customer paid $37 on this shopping trip." → ``37``). The source names
are written to the row's ``meta.answer_source``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from errsynth.ingest.latex_text import find_boxed

SOURCES = (
    "field",
    "boxed",
    "final_answer",
    "the_answer_is",
    "hash",
    "bold",
    "conclusion",
)


class FoundAnswer(NamedTuple):
    raw: str
    source: str


_FINAL_ANSWER = re.compile(
    r"(?:^|\n)[ \t#>*_]*final\s+answer[ \t*_]*(?::|is\b|-|—)[ \t*_]*(.+?)[ \t*_]*(?:\n|$)",
    re.IGNORECASE,
)
_ANSWER_IS = re.compile(
    r"\b(?:the\s+)?(?:final\s+|correct\s+)?answer\s+(?:is|would\s+be|should\s+be)\s*:?[ \t*_]*"
    r"(.+?)[ \t*_]*(?:\.(?:\s|$)|\n|$)",
    re.IGNORECASE,
)
_HASH = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)
_BOLD_LABEL = re.compile(
    r"^\s*(?:final\s+)?answer\s*[:=]?\s*|^\s*(?:total|result)\s*[:=]\s*", re.IGNORECASE
)
_NUMBER = r"-?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?%?"
_NUMBER_RE = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$\\*(])|\n+")
_CONCLUSION_CUE = re.compile(
    r"^[\s*_]*(?:therefore|thus|so|hence|in\s+total|altogether|in\s+all|overall|"
    r"in\s+conclusion|finally|this\s+means|that\s+means|the\s+total|the\s+answer|"
    r"consequently|as\s+a\s+result)\b",
    re.IGNORECASE,
)
_EQUALS_VALUE = re.compile(rf"=\s*({_NUMBER})[^=]*$")
_ANNOTATION = re.compile(r"<<[^<>]*>>")
_EQUALS_WORD = re.compile(r"\s+(?:equals|is equal to)\s+", re.IGNORECASE)
_BECAUSE = re.compile(r"\s+(?:because|since)\s+", re.IGNORECASE)
_LATEX_INLINE = re.compile(r"\$([^$]+)\$|\\\((.+?)\\\)")


_NUMBER_WITH_UNIT = re.compile(rf"^({_NUMBER})\s*[A-Za-z][A-Za-z /.-]{{0,30}}$")


def _clean_answer(raw: str) -> str:
    """The answer without emphasis, a closing period, or plain-word units ("150 km")."""
    raw = raw.strip().strip("*_").strip()
    raw = re.sub(r"^\$+|\$+$", "", raw).strip() if raw.count("$") == 2 else raw
    raw = raw.rstrip(".").strip()
    m = _NUMBER_WITH_UNIT.match(raw)
    return _plain_number(m.group(1)) if m else raw


def _boxed(text: str) -> str | None:
    boxes = find_boxed(text)
    if not boxes:
        return None
    content = boxes[-1][2].strip()
    return content or None


def _final_answer(text: str) -> str | None:
    found = None
    for m in _FINAL_ANSWER.finditer(text):
        found = m.group(1)
    if found is None:
        return None
    inner = _boxed(found)
    return inner if inner is not None else (_clean_answer(found) or None)


def _answer_is(text: str) -> str | None:
    tail = text[-600:]
    found = None
    for m in _ANSWER_IS.finditer(tail):
        found = m.group(1)
    if found is None:
        return None
    inner = _boxed(found)
    if inner is not None:
        return inner
    found = _clean_answer(found)
    return found if found and len(found) <= 200 else None


def _hash(text: str) -> str | None:
    found = None
    for m in _HASH.finditer(text):
        found = m.group(1)
    return _clean_answer(found) if found else None


def _bold(text: str) -> str | None:
    tail = text[-400:]
    found = None
    for m in _BOLD.finditer(tail):
        found = m.group(1) or m.group(2)
    if found is None:
        return None
    found = _BOLD_LABEL.sub("", found.strip())
    # a bold heading ("**Step 3**", "**Solution:**") is not an answer
    if not found or found.endswith(":") or len(found) > 80 or re.match(r"step\b", found, re.I):
        return None
    if not _NUMBER_RE.search(found) and "$" not in found and "\\" not in found:
        return None
    return _clean_answer(found)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _value_of(sentence: str) -> str | None:
    """The value a concluding sentence states: after its last '=', else its last number."""
    sentence = _ANNOTATION.sub("", sentence)
    math = [a or b for a, b in _LATEX_INLINE.findall(sentence)]
    m = _EQUALS_VALUE.search(sentence)
    if m is not None:
        return _plain_number(m.group(1))
    numbers = _NUMBER_RE.findall(sentence)
    if numbers:
        return _plain_number(numbers[-1])
    if math:
        last = math[-1].strip()
        return last.split("=")[-1].strip() or None
    return None


def _plain_number(text: str) -> str:
    return text.replace("$", "").replace(" ", "").rstrip("%") if "%" not in text else text


def _conclusion(text: str) -> str | None:
    """The value of the closing sentence: the last sentence when it states one value (a
    result after '=', one number, or a conclusion cue), else the latest cue sentence of
    the last three ("Therefore, ... 37 ..." followed by a remark)."""
    sentences = _sentences(text[-1500:])
    if not sentences:
        return None
    last = _EQUALS_WORD.sub(" = ", sentences[-1])
    main = _BECAUSE.split(last, maxsplit=1)[0]  # "16 biscuits because 144 / 9 = 16"
    if main != last and len(_NUMBER_RE.findall(main)) == 1:
        return _plain_number(_NUMBER_RE.findall(main)[0])
    plain = _ANNOTATION.sub("", last)
    numbers = _NUMBER_RE.findall(plain)
    if "=" in plain or len(numbers) == 1 or _CONCLUSION_CUE.match(last):
        value = _value_of(last)
        if value:
            return value
    for sentence in reversed(sentences[-3:-1]):
        if _CONCLUSION_CUE.match(sentence):
            value = _value_of(sentence)
            if value:
                return value
    return None


_FINDERS = (
    ("boxed", _boxed),
    ("final_answer", _final_answer),
    ("the_answer_is", _answer_is),
    ("hash", _hash),
    ("bold", _bold),
    ("conclusion", _conclusion),
)


def find_answer(text: str) -> FoundAnswer | None:
    """The final answer stated in `text` and its source, or None."""
    for source, finder in _FINDERS:
        raw = finder(text)
        if raw:
            return FoundAnswer(raw, source)
    return None
