"""MetaMathQA: `query`/`response` ending in `The answer is: N` (also its backward-GSM8K files)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errsynth.ingest.answers import split_hash_answer, the_answer_is
from errsynth.ingest.base import (
    Parsed,
    Reader,
    ReaderOptions,
    Reject,
    register,
    require_nonempty,
    text_field,
)
from errsynth.ingest.readers.common import extra_meta, parsed_solution, split_free_text

QUESTION_FIELDS = ("query", "question")
RESPONSE_FIELDS = ("response", "output", "inv_question_pred_answer")


@register
class MetaMathReader(Reader):
    name = "metamath"
    description = "query/response ending in 'The answer is: N' (MetaMathQA and its variants)"

    def detect(self, record: Mapping[str, Any]) -> bool:
        if "query" in record and "response" in record:
            return True
        return "original_question" in record and any(f in record for f in RESPONSE_FIELDS)

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        question = require_nonempty(text_field(record, QUESTION_FIELDS), "query")
        response_field = next((f for f in RESPONSE_FIELDS if record.get(f) is not None), "response")
        response = require_nonempty(text_field(record, (response_field,)), response_field)
        found = the_answer_is(response)
        raw_answer = found[1] if found else None
        if raw_answer is None:
            hashed = split_hash_answer(response)
            raw_answer = hashed[1] if hashed else None
        if not raw_answer:
            # MetaMath's backward files keep the gold answer beside the response
            raw_answer = text_field(
                record, ("answer", "pred_inv_answer_cleaned"), required=False, numbers_ok=True
            )
        if not raw_answer or not raw_answer.strip():
            raise Reject(
                "no_final_answer", "no 'The answer is: N' line, '####' line or answer field"
            )
        steps = split_free_text(response)
        if not steps:
            raise Reject("no_steps", "the response has no solution text")
        meta = extra_meta(record, (*QUESTION_FIELDS, response_field))
        meta["answer_raw"] = raw_answer
        return parsed_solution(question, response, steps, raw_answer, "auto", options, meta)
