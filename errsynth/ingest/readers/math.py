"""MATH (Hendrycks): `problem`/`solution` in LaTeX, answer in the last `\\boxed{}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errsynth.ingest.base import (
    Parsed,
    Reader,
    ReaderOptions,
    Reject,
    register,
    require_nonempty,
    text_field,
)
from errsynth.ingest.latex_text import last_boxed, step_texts
from errsynth.ingest.readers.common import extra_meta, parsed_solution


@register
class MathReader(Reader):
    name = "math"
    description = "problem/solution in LaTeX; answer in the last \\boxed{} (or an 'answer' field)"

    def detect(self, record: Mapping[str, Any]) -> bool:
        solution = record.get("solution")
        return (
            "problem" in record
            and isinstance(solution, str)
            and ("\\boxed" in solution or "\\fbox" in solution or "answer" in record)
            and "Define " not in solution
        )

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        question = require_nonempty(text_field(record, ("problem", "question")), "problem")
        solution = require_nonempty(text_field(record, ("solution",)), "solution")
        raw_answer = last_boxed(solution)
        if raw_answer is None:
            raw_answer = text_field(record, ("answer",), required=False, numbers_ok=True)
        if raw_answer is None or not raw_answer.strip():
            raise Reject(
                "no_final_answer", "no \\boxed{} answer in the solution and no 'answer' field"
            )
        steps = [s.strip() for s in step_texts(solution) if s.strip()]
        if not steps:
            raise Reject("no_steps", "the solution has no text")
        meta = extra_meta(record, ("problem", "question", "solution"))
        meta["answer_raw"] = raw_answer
        return parsed_solution(question, solution, steps, raw_answer, "latex", options, meta)
