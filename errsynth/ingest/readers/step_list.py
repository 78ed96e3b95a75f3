"""Step lists (PRM800K / ProcessBench style): a problem plus a list of step strings."""

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
from errsynth.ingest.final_answer import find_answer
from errsynth.ingest.readers.common import extra_meta, parsed_solution, step_list

QUESTION_FIELDS = ("problem", "question", "prompt")
ANSWER_FIELDS = ("answer", "final_answer", "gold_answer", "ground_truth_answer", "ground_truth")


def _prm800k(record: Mapping[str, Any]) -> tuple[str, list[str], str | None, dict[str, Any]]:
    """PRM800K's nested record: question.{problem, ground_truth_answer}, label.steps[].completions."""
    q = record["question"]
    label = record.get("label")
    if not isinstance(label, Mapping) or not isinstance(label.get("steps"), list):
        raise Reject("missing_field", "PRM800K record without label.steps")
    steps: list[str] = []
    ratings: list[int | None] = []
    for k, step in enumerate(label["steps"]):
        if not isinstance(step, Mapping):
            raise Reject("mistyped_field", f"label.steps[{k}] is not an object")
        chosen = step.get("chosen_completion")
        human = step.get("human_completion")
        completions = step.get("completions") or []
        if isinstance(human, Mapping) and isinstance(human.get("text"), str):
            pick = human
        elif isinstance(chosen, int) and 0 <= chosen < len(completions):
            pick = completions[chosen]
        elif len(completions) == 1:
            pick = completions[0]
        else:
            break  # the labeller stopped here (no completion was chosen)
        if not isinstance(pick, Mapping) or not isinstance(pick.get("text"), str):
            raise Reject("mistyped_field", f"label.steps[{k}] completion has no text")
        steps.append(pick["text"].strip())
        ratings.append(pick.get("rating"))
    problem = q.get("problem")
    if not isinstance(problem, str):
        raise Reject("missing_field", "PRM800K record without question.problem")
    answer = q.get("ground_truth_answer")
    meta = {"ratings": ratings, "finish_reason": label.get("finish_reason")}
    return problem, [s for s in steps if s], answer if isinstance(answer, str) else None, meta


@register
class StepsReader(Reader):
    name = "steps"
    description = "problem + a list of steps (PRM800K, ProcessBench, any {problem, steps: [...]})"

    def detect(self, record: Mapping[str, Any]) -> bool:
        if isinstance(record.get("steps"), list):
            return True
        return isinstance(record.get("question"), Mapping) and isinstance(
            record.get("label"), Mapping
        )

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        if isinstance(record.get("question"), Mapping):
            question, steps, raw_answer, meta = _prm800k(record)
            meta.update(extra_meta(record, ("question", "label")))
        else:
            question = require_nonempty(text_field(record, QUESTION_FIELDS), "problem")
            if "steps" not in record:
                raise Reject("missing_field", "record has no 'steps' list")
            steps = step_list(record["steps"], "steps")
            raw_answer = text_field(record, ANSWER_FIELDS, required=False, numbers_ok=True)
            meta = extra_meta(record, (*QUESTION_FIELDS, "steps"))
            if isinstance(record.get("label"), int):  # ProcessBench: index of the first wrong step
                meta["first_error_step"] = record["label"]
        if not steps:
            raise Reject("no_steps", "the step list is empty")
        solution = "\n".join(steps)
        source = "field"
        if not raw_answer:  # model-written steps: box, "The answer is", the last sentence, ...
            found = find_answer(steps[-1]) or find_answer(solution)
            raw_answer, source = (found.raw, found.source) if found else (None, "")
        if not raw_answer:
            raise Reject("no_final_answer", "no answer field and none found in the last step")
        meta["answer_raw"] = raw_answer
        meta["answer_source"] = source
        return parsed_solution(question, solution, steps, raw_answer, "auto", options, meta)
