"""llm_mistake: a model writes a plausible mistake at step k of a correct solution.

Input: clean samples. Step k is drawn (seeded per sample) among the steps whose
mistake can be checked (an equation judged right; any step of an iGSM solution).
The model answers with the mistaken step, an explanation and the step written
correctly (JSON). Kept only when the mistake is provably wrong (a false equation,
or a result other than the step's right value; for iGSM, the checker rejects the
solution with it) and the correction is right (true equations giving the step's
value; for iGSM, the checker accepts the solution with it). The sample is rendered
by the ordinary style machinery (the recipe's `style:`), so it reads like any other
retry sample: the mistake, the retraction marker, then the corpus's own step k.
An input sample written in a chat form or as PRM rows makes a sample written the same
way (its form, annotations and PRM prompt read back from its columns): the mistake
inserted into the original reply, ``message_errors`` exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from errsynth.llm.request import ChatResult
from errsynth.render import StyleConfig, render, round_trip_ok, style_draws
from errsynth.render.forms import finish_sample, form_settings
from errsynth.transforms.base import Candidate, WrongAttempt, row_rng
from errsynth.transforms.llm.base import Job, LLMOperator, LLMParams, Skip
from errsynth.transforms.llm.parse import ReplyError, parse_mistake
from errsynth.transforms.llm.prompts import numbered
from errsynth.validate.llm import checkable_steps, mistake_problems


@dataclass(frozen=True)
class MistakeParams(LLMParams):
    """A model writes a plausible mistake at a step of clean solutions; exactly checked."""

    kinds: tuple[str, ...] = ("clean",)
    style: Mapping[str, Any] = field(default_factory=dict)  # rendering, as augment's style


class LLMMistake(LLMOperator):
    name = "llm_mistake"
    Params = MistakeParams

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.style = StyleConfig.from_mapping(dict(self.params.style))
        if self.style.name in ("lema", "cac"):
            raise ValueError("llm_mistake: style must be back, igsm or natural (inline)")

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.params.kinds)

    def plan(self, sample: dict[str, Any], parent: dict[str, Any] | None, seed: int) -> Job:
        if parent is None:
            raise Skip("no_parent", "the clean solution of the sample was not found")
        eligible = checkable_steps(parent)
        if not eligible:
            raise Skip("no_checkable_step", "no step has an equation judged right")
        k = row_rng(seed, sample["id"], self.name).choice(eligible)
        steps = list(parent["steps"])
        request = self.request(
            {
                "question": sample["question"],
                "solution": numbered(steps),
                "step_number": k + 1,
                "step": steps[k],
                "n_steps": len(steps),
            }
        )
        return Job(sample, parent, request, {"k": k, "seed": seed})

    def finish(self, job: Job, content: str, result: ChatResult) -> dict[str, Any]:
        try:
            m = parse_mistake(content)
        except ValueError as exc:
            raise self.unparseable(result, content, str(exc)) from None
        k: int = job.context["k"]
        problems, how = mistake_problems(job.parent, k, m.mistake, m.correction)
        if problems:
            raise ReplyError("validator_failure", "; ".join(problems)[:1000])
        attempt = WrongAttempt(
            at=k,
            kind=self.name,
            steps=(m.mistake,),
            finding=m.explanation,
            detail={"how": how, "correction": m.correction, "model": self.params.model},
        )
        candidate = Candidate(row=job.parent, transform=self.name, attempts=(attempt,))
        rng = row_rng(job.context["seed"], job.sample["id"], self.name + "/render")
        rendered = render(candidate, self.style, rng if style_draws(self.style) else None)
        ok, why = round_trip_ok(candidate, rendered, self.style)
        if not ok:
            raise ReplyError("validator_failure", f"round trip: {why}")
        columns = rendered.columns()
        settings = form_settings(job.sample, job.parent)
        if settings is not None:  # written in the input sample's form (chat columns, prm)
            columns = finish_sample(columns, job.parent, candidate, *settings)
        return self.sample_row(job, result, columns, step=k, how=how)
