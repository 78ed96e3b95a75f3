"""Parser and renderer for iGSM problem text.

A problem is a sequence of definition sentences followed by one question::

    The number of each Erewhon Market's Beer equals 21 times as much as each Erewhon Market's
    Energy Drinks. ... How many Beer does Fresh Thyme Market have?

Every definition sentence is ``The number of each <P> equals <rhs>.`` where ``<rhs>`` is one
of ten shapes (see :data:`KINDS`). Parameter names are ``"<owner>'s <item>"`` and may
themselves contain apostrophes, digits and the word "and" ("Sam's Club's Track and Field"),
so lists are split on the ``"each "`` that starts every reference, never on ``" and "``.
:func:`render_sentence` is the exact inverse of :func:`parse_sentence`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from errsynth.igsm.errors import IgsmParseError

__all__ = [
    "KINDS",
    "Kind",
    "ParamDef",
    "Problem",
    "parse_problem",
    "parse_sentence",
    "render_question",
    "render_sentence",
    "split_sentences",
]

Kind = Literal[
    "constant",  # equals N
    "copy",  # equals each P
    "times",  # equals N times as much as each P
    "plus",  # equals N more than each P
    "sum",  # equals the sum of each P, each Q and each R
    "diff",  # equals the difference of each P and each Q
    "times_sum",  # equals N times as much as the sum of ...
    "plus_sum",  # equals N more than the sum of ...
    "times_diff",  # equals N times as much as the difference of ...
    "plus_diff",  # equals N more than the difference of ...
]
KINDS: tuple[Kind, ...] = (
    "constant",
    "copy",
    "times",
    "plus",
    "sum",
    "diff",
    "times_sum",
    "plus_sum",
    "times_diff",
    "plus_diff",
)

_DEF_RE = re.compile(
    r"The number of each (?P<name>.+?) equals "
    r"(?:(?P<const>[0-9]+)"
    r"|(?:(?P<num>[0-9]+) (?P<mod>times as much as|more than) )?"
    r"(?:the (?P<agg>sum|difference) of )?each (?P<refs>.+))\."
)
_QUESTION_RE = re.compile(r"How many (?P<item>.+) does (?P<owner>.+) have\?")
_REF_SPLIT_RE = re.compile(r", each | and each ")
_SENT_SPLIT_RE = re.compile(r"(?<=\.) (?=The number of each |How many )")


@dataclass(frozen=True, slots=True)
class ParamDef:
    """One definition sentence: ``name`` is defined as ``kind`` of ``number`` and ``refs``."""

    name: str
    kind: Kind
    number: int | None  # the constant / multiplier / addend, None for copy, sum and diff
    refs: tuple[str, ...]  # referenced parameters, in sentence order
    sentence: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A parsed problem."""

    params: dict[str, ParamDef]  # explicitly defined parameters, in sentence order
    mentioned: tuple[str, ...]  # every parameter named anywhere, first-mention order
    query: str  # "Fresh Thyme Market's Beer"
    sentences: tuple[str, ...]  # definition sentences then the question, as written
    query_parts: tuple[str, str] = ("", "")  # ("Fresh Thyme Market", "Beer")


def split_sentences(problem: str) -> list[str]:
    """Split a problem into sentences; ``" ".join(split_sentences(p)) == p``."""
    return _SENT_SPLIT_RE.split(problem)


def _kind(mod: str | None, agg: str | None) -> Kind:
    base = {None: "", "sum": "sum", "difference": "diff"}[agg]
    if mod is None:
        return base or "copy"  # type: ignore[return-value]
    prefix = "times" if mod.startswith("times") else "plus"
    return f"{prefix}_{base}" if base else prefix  # type: ignore[return-value]


def parse_sentence(sentence: str) -> ParamDef:
    """Parse one definition sentence."""
    m = _DEF_RE.fullmatch(sentence)
    if m is None:
        raise IgsmParseError(f"unrecognised sentence {sentence!r}")
    name = m.group("name")
    const = m.group("const")
    if const is not None:
        return ParamDef(name, "constant", int(const), (), sentence)
    kind = _kind(m.group("mod"), m.group("agg"))
    refs = tuple(_REF_SPLIT_RE.split(m.group("refs")))
    num = m.group("num")
    if kind in ("diff", "times_diff", "plus_diff") and len(refs) != 2:
        raise IgsmParseError(f"difference of {len(refs)} terms in {sentence!r}")
    if kind in ("sum", "times_sum", "plus_sum") and len(refs) < 2:
        raise IgsmParseError(f"sum of a single term in {sentence!r}")
    if kind in ("copy", "times", "plus") and len(refs) != 1:
        raise IgsmParseError(f"list without 'the sum of' in {sentence!r}")
    param = ParamDef(name, kind, None if num is None else int(num), refs, sentence)
    if render_sentence(param) != sentence:  # e.g. "each A and each B" without a list word
        raise IgsmParseError(f"sentence does not round-trip: {sentence!r}")
    return param


def _ref_list(refs: tuple[str, ...]) -> str:
    items = [f"each {r}" for r in refs]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def render_sentence(param: ParamDef) -> str:
    """Render a :class:`ParamDef` as its sentence (``param.sentence`` is ignored)."""
    head = f"The number of each {param.name} equals "
    kind = param.kind
    if kind == "constant":
        return f"{head}{param.number}."
    if kind == "copy":
        return f"{head}{_ref_list(param.refs)}."
    prefix = ""
    if kind.startswith("times"):
        prefix = f"{param.number} times as much as "
    elif kind.startswith("plus"):
        prefix = f"{param.number} more than "
    if kind.endswith("sum"):
        body = f"the sum of {_ref_list(param.refs)}"
    elif kind.endswith("diff"):
        body = f"the difference of {_ref_list(param.refs)}"
    else:
        body = _ref_list(param.refs)
    return f"{head}{prefix}{body}."


def render_question(owner: str, item: str) -> str:
    """The question sentence asking for ``owner's item``."""
    return f"How many {item} does {owner} have?"


def parse_problem(problem: str) -> Problem:
    """Parse a whole problem; raises :class:`IgsmParseError` on anything unrecognised."""
    sentences = split_sentences(problem)
    if len(sentences) < 2:
        raise IgsmParseError(f"problem needs definitions and a question: {problem[:80]!r}")
    q = _QUESTION_RE.fullmatch(sentences[-1])
    if q is None:
        raise IgsmParseError(f"unrecognised question {sentences[-1]!r}")
    params: dict[str, ParamDef] = {}
    mentioned: dict[str, None] = {}
    for s in sentences[:-1]:
        p = parse_sentence(s)
        if p.name in params:
            raise IgsmParseError(f"{p.name!r} is defined twice")
        params[p.name] = p
        mentioned[p.name] = None
        for r in p.refs:
            mentioned[r] = None
    owner, item = q.group("owner"), q.group("item")
    query = f"{owner}'s {item}"
    mentioned[query] = None
    return Problem(params, tuple(mentioned), query, tuple(sentences), (owner, item))
