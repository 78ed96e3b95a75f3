"""The LLM operators' common part: parameters, requests, selection, output rows.

An LLM operator works on sample rows (the `llm_*` driver steps, `steps.llm`, run it
after `augment`). For every input sample it
*plans* (is the sample one it takes? then a request, or a skip with a reason),
and for every answer it *finishes* (a new sample row, or a rejection with a
reason). Planning and finishing are pure functions of the sample, its clean
parent solution and the model's answer, so the output depends only on the cache,
never on timing, concurrency or the engine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template
from typing import Any, ClassVar

from errsynth.core.errors import Rejection
from errsynth.core.params import ParamError, parse_params
from errsynth.llm.request import ChatRequest, ChatResult
from errsynth.llm.session import ClientParams
from errsynth.transforms.base import row_rng
from errsynth.transforms.llm.parse import ReplyError, classify_failure
from errsynth.transforms.llm.prompts import DEFAULTS, check_template, fill


@dataclass(frozen=True)
class SamplingParams:
    """What the model is asked to do (part of every cache key)."""

    temperature: float = 0.0
    max_tokens: int = 1024
    top_p: float | None = None
    seed: int | None = 0
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. response_format

    def request_params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.top_p is not None:
            out["top_p"] = self.top_p
        if self.seed is not None:
            out["seed"] = self.seed
        out.update(dict(self.extra))
        return out


@dataclass(frozen=True)
class LLMParams:
    """Common parameters of the LLM operators."""

    model: str = ""
    client: ClientParams = field(default_factory=ClientParams)
    sampling: SamplingParams = field(default_factory=SamplingParams)
    kinds: tuple[str, ...] = ()  # input sample kinds taken (empty: the operator's default)
    rate: float = 1.0  # share of the eligible samples sent (seeded per sample)
    keep_input: bool = True  # keep the input samples in the stream beside the new ones
    system: str | None = None  # override of the system prompt
    prompt: str | None = None  # override of the user prompt template


class Skip(Rejection):
    """A sample the operator takes but cannot make a request for (recorded as a reject)."""


@dataclass
class Job:
    sample: dict[str, Any]
    parent: dict[str, Any]
    request: ChatRequest
    context: dict[str, Any] = field(default_factory=dict)


def _nested(cls: type, value: Any, where: str) -> Any:
    if isinstance(value, cls):
        return value
    if value is None:
        return cls()
    if not isinstance(value, Mapping):
        raise ParamError(f"{where}: expected a mapping")
    return parse_params(cls, value, where)


class LLMOperator:
    """Base of llm_correct, llm_mistake, llm_paraphrase: per sample, `plan` a request
    (or Skip), and `finish` a reply into a new sample (or ReplyError)."""

    name: ClassVar[str]
    Params: ClassVar[type[LLMParams]]
    default_kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Mapping[str, Any]) -> None:
        params = dict(params)
        if "client" in params:
            params["client"] = _nested(ClientParams, params["client"], f"{self.name}.client")
        if "sampling" in params:
            params["sampling"] = _nested(
                SamplingParams, params["sampling"], f"{self.name}.sampling"
            )
        self.params: Any = parse_params(self.Params, params, self.name)
        p = self.params
        if not isinstance(p.model, str) or not p.model.strip():
            raise ParamError(f"{self.name}: name the model (model: ...)")
        if not 0.0 < p.rate <= 1.0:
            raise ParamError(f"{self.name}: rate must be in (0, 1], got {p.rate}")
        system, user = DEFAULTS[self.name]
        self.system_template = check_template(self.name, p.system or system, "system")
        self.user_template: Template = check_template(self.name, p.prompt or user, "prompt")
        self.request_params = p.sampling.request_params()

    def describe(self) -> dict[str, Any]:
        return {self.name: json.loads(json.dumps(dataclasses.asdict(self.params), default=list))}

    # --- selection and requests ------------------------------------------------------

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.params.kinds) or self.default_kinds

    def selected(self, sample: Mapping[str, Any], seed: int) -> bool:
        """Whether the sample is one this operator works on (kind, then the seeded rate)."""
        if sample["kind"] not in self.kinds:
            return False
        if self.params.rate >= 1.0:
            return True
        return row_rng(seed, sample["id"], self.name).random() < self.params.rate

    def request(self, values: Mapping[str, object]) -> ChatRequest:
        messages = []
        system = fill(self.system_template, values)
        if system.strip():
            messages.append(("system", system))
        messages.append(("user", fill(self.user_template, values)))
        return ChatRequest.of(
            self.params.model,
            messages,
            self.request_params,
            namespace=self.params.client.cache_namespace,
        )

    def plan(self, sample: dict[str, Any], parent: dict[str, Any] | None, seed: int) -> Job:
        """A job for a selected sample, or raise Skip."""
        raise NotImplementedError

    def finish(self, job: Job, content: str, result: ChatResult) -> dict[str, Any]:
        """The new sample row from a reply, or raise ReplyError."""
        raise NotImplementedError

    # --- answers -----------------------------------------------------------------------

    def outcome(
        self, job: Job, result: ChatResult
    ) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
        """(sample, None) or (None, (reason, detail)) for one answered job."""
        if not result.ok:
            return None, ("request_failed", result.error or "")
        content = result.content or ""
        if result.refusal:
            return None, ("refused", result.refusal[:300])
        if not content.strip():
            return None, ("empty", "the reply has no text")
        try:
            return self.finish(job, content, result), None
        except ReplyError as exc:
            return None, (exc.reason, exc.detail)

    def unparseable(self, result: ChatResult, content: str, why: str) -> ReplyError:
        return classify_failure(content, result.finish_reason, result.refusal, why)

    # --- rows -----------------------------------------------------------------------------

    def new_id(self, job: Job) -> str:
        text = json.dumps([job.sample["id"], self.name, job.request.key])
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()

    def meta(self, job: Job, result: ChatResult, **extra: Any) -> str:
        data = {
            "operator": self.name,
            "model": self.params.model,
            "cache_key": job.request.key,
            "usage": result.usage(),
            "finish_reason": result.finish_reason,
            "input_sample": job.sample["id"],
            "input_kind": job.sample["kind"],
            "format": job.parent.get("format") if job.parent else None,
        }
        data.update(extra)
        return json.dumps(data, sort_keys=True, default=str)

    def sample_row(
        self, job: Job, result: ChatResult, columns: Mapping[str, Any], **meta: Any
    ) -> dict[str, Any]:
        s = job.sample
        row = {
            "id": self.new_id(job),
            "parent_id": s["parent_id"],
            "source": s["source"],
            "kind": self.name,
            "question": s["question"],
            "answer": s["answer"],
            "meta": self.meta(job, result, **meta),
        }
        row.update(columns)
        return row
