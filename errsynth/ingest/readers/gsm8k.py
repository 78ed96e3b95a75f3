"""GSM8K: `question`/`answer`, calculator annotations `<<48/2=24>>`, final line `#### 72`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errsynth.ingest.answers import split_hash_answer
from errsynth.ingest.base import (
    Parsed,
    Reader,
    ReaderOptions,
    Reject,
    register,
    require_nonempty,
    text_field,
)
from errsynth.ingest.readers.common import extra_meta, parsed_solution


@register
class GSM8KReader(Reader):
    name = "gsm8k"
    description = "question/answer with <<a=b>> annotations and a '#### N' last line"

    def detect(self, record: Mapping[str, Any]) -> bool:
        answer = record.get("answer")
        return "question" in record and isinstance(answer, str) and "####" in answer

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        question = require_nonempty(text_field(record, ("question",)), "question")
        solution = require_nonempty(text_field(record, ("answer",)), "answer")
        split = split_hash_answer(solution)
        if split is None:
            raise Reject("no_final_answer", "the answer has no '#### N' line")
        body, raw_answer = split
        if not raw_answer:
            raise Reject("no_final_answer", "the '####' line is empty")
        steps = [line.strip() for line in body.splitlines() if line.strip()]
        if not steps:
            raise Reject("no_steps", "no solution lines before '####'")
        meta = extra_meta(record, ("question", "answer"))
        meta["answer_raw"] = raw_answer
        return parsed_solution(question, solution, steps, raw_answer, "plain", options, meta)
