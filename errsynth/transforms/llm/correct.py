"""llm_correct: a model finds the wrong step of a wrong solution and corrects it (LEMA, exact).

Input: retry samples (any transform's, or llm_mistake's). The student's solution is
the clean steps before the sample's first wrong attempt, then that attempt (as the
sample wrote it). The model answers with the first incorrect step, an explanation
and a corrected solution (JSON). Kept only when the step is the one that is wrong
(`require_step_match`), the final answer equals the gold answer, and the corrected
solution passes the evaluator (no false equation) or, for iGSM rows, the iGSM
checker. Output: a correction record laid out like the lema style, with the
model's explanation and corrected solution.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from errsynth.evaluate.grader import equivalent
from errsynth.llm.request import ChatResult
from errsynth.render.config import step_separator
from errsynth.render.lema import CORRECT, EXPLANATION, INCORRECT, INSTRUCTION, ORIGINAL
from errsynth.render.result import assemble
from errsynth.render.segments import Seg, Turn, flatten, join
from errsynth.transforms.base import WrongAttempt
from errsynth.transforms.llm.base import Job, LLMOperator, LLMParams, Skip
from errsynth.transforms.llm.parse import ReplyError, parse_correction
from errsynth.transforms.llm.prompts import numbered
from errsynth.validate.llm import solution_problems


@dataclass(frozen=True)
class CorrectParams(LLMParams):
    """A model explains and corrects the first wrong step of retry samples (LEMA, exactly checked)."""

    kinds: tuple[str, ...] = ("reorder", "arith", "distractor", "igsm_retry", "llm_mistake")
    require_step_match: bool = True  # the step the model names must be the wrong one
    output: Literal["text", "prompt_completion", "messages"] = "text"


def student_solution(
    sample: Mapping[str, Any], parent: Mapping[str, Any]
) -> tuple[list[str], int, dict[str, Any]]:
    """(the student's steps, the 1-based number of the wrong one, the error) of a sample."""
    errors = sample.get("errors") or []
    if not errors:
        raise Skip("no_error", "the sample has no wrong attempt")
    e = dict(errors[0])
    text = sample["text"]
    steps = list(parent["steps"])
    at = e["step"]
    if not 0 <= at < len(steps):
        raise Skip("no_parent", f"error step {at} is outside the parent's {len(steps)} steps")
    attempt = text[e["attempt_start"] : e["attempt_end"]]
    sep = step_separator(parent)
    if sep == "\n":
        attempt_steps = attempt.split("\n")
        inside = text[e["attempt_start"] : e["start"]].count("\n")
    else:
        attempt_steps, inside = [attempt], 0
    if not all(s.strip() for s in attempt_steps):
        raise Skip("no_error", "the wrong attempt has an empty step")
    return steps[:at] + attempt_steps, at + inside + 1, e


class LLMCorrect(LLMOperator):
    name = "llm_correct"
    Params = CorrectParams

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.params.kinds)

    def plan(self, sample: dict[str, Any], parent: dict[str, Any] | None, seed: int) -> Job:
        if parent is None:
            raise Skip("no_parent", "the clean solution of the sample was not found")
        student, wrong_number, error = student_solution(sample, parent)
        request = self.request(
            {"question": sample["question"], "solution": numbered(student), "n_steps": len(student)}
        )
        return Job(
            sample, parent, request, {"student": student, "wrong": wrong_number, "error": error}
        )

    def finish(self, job: Job, content: str, result: ChatResult) -> dict[str, Any]:
        try:
            c = parse_correction(content)
        except ValueError as exc:
            raise self.unparseable(result, content, str(exc)) from None
        student: list[str] = job.context["student"]
        wrong: int = job.context["wrong"]
        if c.incorrect_step > len(student):
            raise ReplyError(
                "validator_failure",
                f"incorrect_step {c.incorrect_step} is past the {len(student)} steps",
            )
        if self.params.require_step_match and c.incorrect_step != wrong:
            raise ReplyError(
                "wrong_step", f"the model names step {c.incorrect_step}; step {wrong} is wrong"
            )
        gold = job.sample["answer"]
        if not equivalent(gold, c.final_answer):
            raise ReplyError("wrong_answer", f"final answer {c.final_answer!r}, gold {gold!r}")
        problems = solution_problems(job.parent, c.corrected_solution, gold)
        if problems:
            raise ReplyError("validator_failure", "; ".join(problems)[:1000])
        columns = self._render(job, c.incorrect_step, c.explanation, c.corrected_solution)
        return self.sample_row(
            job,
            result,
            columns,
            incorrect_step=c.incorrect_step,
            final_answer=c.final_answer,
        )

    def _render(self, job: Job, k: int, explanation: str, corrected: list[str]) -> dict[str, Any]:
        e = job.context["error"]
        student: list[str] = job.context["student"]
        parent = job.parent
        sep = step_separator(parent)
        text = job.sample["text"]
        a0, a1, w0, w1 = e["attempt_start"], e["attempt_end"], e["start"], e["end"]
        at = e["step"]
        attempt_text = text[a0:a1]
        tag_a, tag_w = ("attempt", 0), ("wrong", 0)
        attempt_segs = [
            Seg(text[a0:w0], (tag_a,)),
            Seg(text[w0:w1], (tag_a, tag_w)),
            Seg(text[w1:a1], (tag_a,)),
        ]
        attempt_segs = [s for s in attempt_segs if s.text or tag_w in s.tags]
        chat = self.params.output == "messages"
        original = join([*(Seg(s) for s in student[:at]), attempt_segs], sep)
        user = [
            Seg(f"{INSTRUCTION}\nQuestion: {job.sample['question']}\n{ORIGINAL}"),
            *original,
            *([] if chat else [Seg("\n\n")]),
        ]
        fix = k - 1 if k - 1 < len(corrected) else len(corrected) - 1
        body = [Seg(s, (("fix", 0),) if i == fix else ()) for i, s in enumerate(corrected)]
        answer = [
            Seg(INCORRECT.format(k=k), (("marker", 0),)),
            Seg(EXPLANATION + explanation + CORRECT),
            *join(body, sep),
        ]
        detail = json.loads(e["detail"]) if e.get("detail") else {}
        if e.get("premature") is not None:
            detail.setdefault("premature", e["premature"])
        attempt = WrongAttempt(
            at=at,
            kind=e["kind"],
            steps=tuple(attempt_text.split(sep)) if sep == "\n" else (attempt_text,),
            finding=explanation,
            detail=detail,
        )
        flat = flatten([Turn("user", tuple(user)), Turn("assistant", tuple(answer))], chat)
        rendered = assemble(flat, "lema", [(attempt, text[w0:w1])])
        columns = rendered.columns()
        if self.params.output != "messages":
            columns["messages"] = None
        return columns
