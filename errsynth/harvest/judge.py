"""The optional judge: a second model names the first wrong step the evaluator could not.

Its verdict is kept apart from exact ones everywhere: ``located_by: judge`` in the
sample's meta and the profile table, and a profile of its own (``profile_judge.json``).
A reply that is not the asked-for JSON, or names a step outside the solution, leaves the
solution a reject (``judge_unparseable`` / ``judge_out_of_range``) with the judge's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Template
from typing import Any

from errsynth.harvest.locate import Located, NotLocated
from errsynth.harvest.prompts import JUDGE_SYSTEM, JUDGE_USER, numbered
from errsynth.llm.request import ChatRequest, ChatResult
from errsynth.transforms.llm.parse import int_field, json_object
from errsynth.types.error_profile import KINDS


def judge_request(
    model: str,
    question: str,
    gold: str,
    steps: list[str],
    params: Mapping[str, Any],
    namespace: str = "",
) -> ChatRequest:
    user = Template(JUDGE_USER).substitute(question=question, answer=gold, solution=numbered(steps))
    return ChatRequest.of(
        model, [("system", JUDGE_SYSTEM), ("user", user)], params, namespace=namespace
    )


def judge_verdict(result: ChatResult, n_steps: int, judge_model: str) -> Located | NotLocated:
    if not result.ok:
        return NotLocated("judge_request_failed", result.error or "")
    text = result.content or ""
    try:
        obj = json_object(text)
        step = int_field(obj, "first_wrong_step")
    except (ValueError, KeyError) as exc:
        return NotLocated("judge_unparseable", f"{exc}: {text[:300]!r}")
    if not 1 <= step <= n_steps:
        return NotLocated("judge_out_of_range", f"step {step} of {n_steps}")
    kind = obj.get("kind")
    kind = kind if isinstance(kind, str) and kind in KINDS else "other"
    explanation = obj.get("explanation")
    finding = explanation.strip()[:500] if isinstance(explanation, str) else ""
    return Located(
        step - 1,
        kind,
        "judge",
        finding or f"the judge names step {step}",
        "",
        {"judge_model": judge_model, "judge_kind": obj.get("kind"), "cache_key": result.key},
    )
