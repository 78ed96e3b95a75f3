"""iGSM (Physics of Language Models): `Define X as e; so e = 3 + 5 = 8.` steps, arithmetic mod 23.

The step text names every variable, so the dependency graph is exact: a step
produces its parameter's variable and uses the variables of earlier steps it
reads. Each operation (`G = n + L = 21 + 2 = 0`) becomes an equation checked mod 23.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errsynth.evaluate import check_equation
from errsynth.igsm.text import IgsmParseError, parse_problem, parse_solution
from errsynth.ingest.base import (
    Parsed,
    Reader,
    ReaderOptions,
    Reject,
    register,
    require_nonempty,
    text_field,
)
from errsynth.ingest.readers.common import extra_meta

MODULUS = 23


@register
class IgsmReader(Reader):
    name = "igsm"
    description = "iGSM problem/solution ('Define X as e; so e = ...'), arithmetic mod 23"

    def detect(self, record: Mapping[str, Any]) -> bool:
        solution = record.get("solution")
        return (
            "problem" in record
            and isinstance(solution, str)
            and solution.lstrip().startswith("Define ")
        )

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        question = require_nonempty(text_field(record, ("problem", "question")), "problem")
        solution = require_nonempty(text_field(record, ("solution",)), "solution")
        try:
            steps = parse_solution(solution)
            problem = parse_problem(question)
        except IgsmParseError as exc:
            raise Reject("igsm_parse_error", str(exc)) from exc
        if not steps:
            raise Reject("no_steps", "the solution has no steps")
        defined: dict[str, int] = {}
        equations: list[dict[str, Any]] = []
        produces: list[list[str]] = []
        uses: list[list[dict[str, Any]]] = []
        for i, step in enumerate(steps):
            for op in step.ops:
                if options.evaluate:
                    verdict = check_equation(op.numeric, str(op.claimed), modulus=MODULUS)
                    ok, value, reason = verdict.ok, verdict.value, verdict.reason
                else:
                    ok, value, reason = None, None, "not_evaluated"
                equations.append(
                    {
                        "step": i,
                        "kind": "igsm",
                        "expr": op.numeric,
                        "claimed": str(op.claimed),
                        "start": op.start,
                        "end": op.end,
                        "ok": ok,
                        "value": value,
                        "reason": reason,
                        "modulus": MODULUS,
                    }
                )
            missing = [v for v in step.uses if v not in defined]
            if missing:
                raise Reject(
                    "igsm_dependency_error", f"step {i} uses {missing} before they are defined"
                )
            uses.append([{"ref": v, "step": defined[v]} for v in step.uses])
            if step.var is not None:
                defined[step.var] = i
                produces.append([step.var])
            else:
                produces.append([])
        last = steps[-1]
        raw_answer = text_field(record, ("answer",), required=False, numbers_ok=True)
        answer = str(last.value) if last.value is not None else ""
        if raw_answer is not None and raw_answer.strip() != answer:
            raise Reject(
                "answer_mismatch",
                f"the solution computes {answer} but the record's answer is {raw_answer!r}",
            )
        meta = extra_meta(record, ("problem", "question", "solution"))
        meta.update(
            {
                "answer_raw": raw_answer if raw_answer is not None else answer,
                "query": problem.query,
                "params": [s.param for s in steps],
                "vars": [s.var for s in steps],
                "n_back": sum(1 for s in steps if s.back),
            }
        )
        return Parsed(
            question=question,
            solution=solution,
            steps=[s.text for s in steps],
            answer=answer,
            equations=equations,
            meta=meta,
            produces=produces,
            uses=uses,
        )
