"""Strict parsers of model replies, and how a reply that is no answer is classified.

A reply either parses into exactly the structure asked for, or raises
:class:`ReplyError` with a reason code the rejects keep: ``empty`` (nothing),
``refused`` (the server's refusal field, or a refusal sentence instead of an
answer), ``truncated`` (cut at max_tokens and unparseable), ``unparseable``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from errsynth.core.errors import Rejection
from errsynth.core.unicode_checks import check_text

_FENCE = re.compile(r"\A```(?:json|JSON)?[ \t]*\n(.*)\n[ \t]*```\Z", re.DOTALL)
_REFUSAL = re.compile(
    r"\A\W*(i'?m sorry|i am sorry|sorry,|i can(?:no|')t|i cannot|i won'?t|i will not|"
    r"i'?m (?:not able|unable)|i am (?:not able|unable)|as an ai)",
    re.IGNORECASE,
)
MAX_STEPS = 200
MAX_FIELD = 20_000


class ReplyError(Rejection, ValueError):
    """A reply that is no answer; `reason` is the code the reject keeps."""


def classify_failure(
    content: str, finish_reason: str | None, refusal: str | None, why: str
) -> ReplyError:
    """The reason a reply that did not parse gets."""
    if refusal:
        return ReplyError("refused", refusal[:300])
    if not content.strip():
        return ReplyError("empty", "the reply has no text")
    if _REFUSAL.match(content):
        return ReplyError("refused", content.strip()[:300])
    if finish_reason == "length":
        return ReplyError("truncated", f"cut at max_tokens: {why}")
    return ReplyError("unparseable", why)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_object(text: str) -> dict[str, Any]:
    """The reply as one JSON object: the whole text, or one ```json fence and nothing else."""
    body = text.strip()
    m = _FENCE.match(body)
    if m:
        body = m.group(1).strip()
    if not body.startswith("{"):
        raise ValueError("the reply is not a JSON object")
    try:
        obj = json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"invalid JSON ({str(exc)[:120]})") from None
    if not isinstance(obj, dict):
        raise ValueError("the reply is not a JSON object")
    check_text(obj)  # "\ud800" escapes decode to text no writer takes (UnsafeText: ValueError)
    return obj


def exact_keys(obj: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in obj]
    extra = sorted(set(obj) - set(keys))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        raise ValueError("keys: " + ", ".join(parts))


def text_field(obj: Mapping[str, Any], key: str) -> str:
    v = obj[key]
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"{key!r} must be a non-empty string")
    if len(v) > MAX_FIELD:
        raise ValueError(f"{key!r} is longer than {MAX_FIELD} characters")
    return v.strip()


def int_field(obj: Mapping[str, Any], key: str) -> int:
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
        raise ValueError(f"{key!r} must be an integer")
    return v


def answer_field(obj: Mapping[str, Any], key: str) -> str:
    v = obj[key]
    if isinstance(v, bool) or v is None:
        raise ValueError(f"{key!r} must be a string or a number")
    if isinstance(v, int | float):
        return json.dumps(v)
    return text_field(obj, key)


def steps_field(obj: Mapping[str, Any], key: str) -> list[str]:
    v = obj[key]
    if not isinstance(v, list) or not v:
        raise ValueError(f"{key!r} must be a non-empty list of steps")
    if len(v) > MAX_STEPS:
        raise ValueError(f"{key!r} has more than {MAX_STEPS} steps")
    out = []
    for i, s in enumerate(v):
        if not isinstance(s, str) or not s.strip():
            raise ValueError(f"{key!r}[{i}] must be a non-empty string")
        out.append(" ".join(s.split()))
    return out


@dataclass(frozen=True)
class Correction:
    incorrect_step: int
    explanation: str
    corrected_solution: list[str]
    final_answer: str


CORRECTION_KEYS = ("incorrect_step", "explanation", "corrected_solution", "final_answer")


def parse_correction(text: str) -> Correction:
    """An llm_correct reply; ValueError says what is wrong with it."""
    obj = json_object(text)
    exact_keys(obj, CORRECTION_KEYS)
    step = int_field(obj, "incorrect_step")
    if step < 1:
        raise ValueError("'incorrect_step' must be >= 1")
    return Correction(
        step,
        text_field(obj, "explanation"),
        steps_field(obj, "corrected_solution"),
        answer_field(obj, "final_answer"),
    )


@dataclass(frozen=True)
class Mistake:
    mistake: str
    explanation: str
    correction: str


MISTAKE_KEYS = ("mistake", "explanation", "correction")


def parse_mistake(text: str) -> Mistake:
    obj = json_object(text)
    exact_keys(obj, MISTAKE_KEYS)
    return Mistake(
        " ".join(text_field(obj, "mistake").split()),
        text_field(obj, "explanation"),
        " ".join(text_field(obj, "correction").split()),
    )


_TAG = re.compile(r"</?(mistake|notice)>")


@dataclass(frozen=True)
class Tagged:
    """A tagged rewrite with its tags removed: the text and, per mistake, its spans."""

    text: str
    mistakes: list[tuple[int, int]]  # [start, end) of each <mistake> content in `text`
    notices: list[tuple[int, int]]  # [start, end) of each <notice> content in `text`


def parse_tagged(text: str, n: int) -> Tagged:
    """Exactly `n` ``<mistake>…</mistake>`` each followed by a ``<notice>…</notice>``.

    Tags must alternate open/close, mistake then notice, not nest, and a notice must
    have words in it; the text outside and between is free. Leading and trailing
    whitespace of the whole reply is dropped.
    """
    body = text.strip()
    pieces: list[str] = []
    pos = 0
    out_len = 0
    expect = ("<mistake>",)
    mistakes: list[tuple[int, int]] = []
    notices: list[tuple[int, int]] = []
    open_at = 0
    for m in _TAG.finditer(body):
        tag = m.group(0)
        if tag not in expect:
            raise ValueError(f"unexpected {tag} at character {m.start()}")
        chunk = body[pos : m.start()]
        pieces.append(chunk)
        out_len += len(chunk)
        pos = m.end()
        if tag == "<mistake>":
            open_at, expect = out_len, ("</mistake>",)
        elif tag == "</mistake>":
            mistakes.append((open_at, out_len))
            expect = ("<notice>",)
        elif tag == "<notice>":
            if chunk.strip():
                raise ValueError("text between </mistake> and <notice>")
            open_at, expect = out_len, ("</notice>",)
        else:
            if not chunk.strip():
                raise ValueError("an empty <notice>")
            notices.append((open_at, out_len))
            expect = ("<mistake>",)
    if expect != ("<mistake>",):
        raise ValueError(f"unclosed tag: expected {expect[0]}")
    pieces.append(body[pos:])
    if len(mistakes) != n:
        raise ValueError(f"{len(mistakes)} <mistake> parts, expected {n}")
    return Tagged("".join(pieces), mistakes, notices)
