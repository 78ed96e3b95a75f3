"""Any JSONL/Parquet with a user field map: `--field question=prompt --field solution=output`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errsynth.ingest.answers import extract_answer
from errsynth.ingest.base import (
    Parsed,
    Reader,
    ReaderOptions,
    Reject,
    register,
    require_nonempty,
    text_field,
)
from errsynth.ingest.readers.common import extra_meta, parsed_solution, split_free_text, step_list

ROLES = ("question", "solution", "answer", "steps")
DEFAULTS: dict[str, tuple[str, ...]] = {
    "question": ("question", "problem", "prompt", "query", "instruction", "input"),
    "solution": ("solution", "response", "output", "completion", "answer"),
    "answer": ("final_answer", "gold_answer", "answer"),
    "steps": ("steps",),
}


def check_field_map(field_map: Mapping[str, str]) -> None:
    unknown = sorted(set(field_map) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown field role(s) {unknown}; use one of {', '.join(ROLES)}")


@register
class FieldMapReader(Reader):
    name = "jsonl"
    description = "any JSONL/Parquet: map roles with --field question=... --field solution=..."

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        fm = options.field_map

        def names(role: str) -> tuple[str, ...]:
            return (fm[role],) if role in fm else DEFAULTS[role]

        question = require_nonempty(text_field(record, names("question")), "question")
        used = {n for role in ROLES for n in names(role) if n in record}
        steps_field = next((n for n in names("steps") if n in record), None)
        if steps_field is not None and (fm.get("steps") or "solution" not in fm):
            steps = step_list(record[steps_field], steps_field)
            solution = "\n".join(steps)
        else:
            solution_fields = tuple(n for n in names("solution") if n != fm.get("answer"))
            solution = require_nonempty(text_field(record, solution_fields), "solution")
            steps = split_free_text(solution)
        if not steps:
            raise Reject("no_steps", "the solution has no steps")
        raw_answer = None
        if "answer" in fm:
            raw_answer = text_field(record, (fm["answer"],), numbers_ok=True)
        if not raw_answer:
            raw_answer = extract_answer(solution)
        if not raw_answer:
            answer_fields = tuple(
                n for n in names("answer") if n not in fm.values() or n == fm.get("answer")
            )
            raw_answer = text_field(record, answer_fields, required=False, numbers_ok=True)
        if not raw_answer or not raw_answer.strip():
            raise Reject(
                "no_final_answer",
                "no answer field and none found in the solution (map one with --field answer=NAME)",
            )
        meta = extra_meta(record, used)
        meta["answer_raw"] = raw_answer
        return parsed_solution(question, solution, steps, raw_answer, "auto", options, meta)
