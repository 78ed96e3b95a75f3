"""k samples per problem: one request each, seeded by the sample index, cached.

Sample ``k`` of a problem is asked with ``seed = base_seed + k`` (the server's sampling
seed, part of the cache key), so that the k requests are distinct, each is answered once
and cached, and a run started again asks only what is missing. The dry run counts what
would be sent and estimates its tokens (and a cost when prices are given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from errsynth.harvest.prompts import SOLVER_SYSTEM, SOLVER_USER_LATEX, SOLVER_USER_PLAIN
from errsynth.llm.cache import ResponseCache
from errsynth.llm.request import ChatRequest

LATEX_FORMATS = frozenset({"math"})


@dataclass(frozen=True)
class Sampling:
    model: str
    samples: int = 4
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = 1024
    top_p: float | None = None
    namespace: str = ""
    system: str | None = None  # override of the solver's system prompt ("" sends none)
    user_template: str | None = None  # override of the user message: `$question` is the problem

    def __post_init__(self) -> None:
        if self.user_template is not None and "$question" not in self.user_template:
            raise ValueError(
                f"the user template {self.user_template!r} does not contain $question "
                "(where the problem goes); e.g. '$question' sends the bare problem"
            )

    def params(self, k: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed + k,
        }
        if self.top_p is not None:
            out["top_p"] = self.top_p
        return out


def solver_messages(
    problem: Mapping[str, Any], system: str | None, user_template: str | None = None
) -> list[tuple[str, str]]:
    template = user_template or (
        SOLVER_USER_LATEX if problem.get("format") in LATEX_FORMATS else SOLVER_USER_PLAIN
    )
    user = Template(template).substitute(question=problem["question"])
    sys_text = SOLVER_SYSTEM if system is None else system
    return ([("system", sys_text)] if sys_text.strip() else []) + [("user", user)]


def sample_requests(problem: Mapping[str, Any], sampling: Sampling) -> list[ChatRequest]:
    messages = solver_messages(problem, sampling.system, sampling.user_template)
    return [
        ChatRequest.of(sampling.model, messages, sampling.params(k), namespace=sampling.namespace)
        for k in range(sampling.samples)
    ]


def estimate_tokens(text_chars: int, messages: int) -> int:
    """Prompt tokens, roughly: 4 characters a token plus a few per message."""
    return math.ceil(text_chars / 4) + 4 * messages


def dry_run(
    problems: Sequence[Mapping[str, Any]],
    sampling: Sampling,
    cache_path: Path,
    *,
    judge_model: str | None = None,
    usd_per_mtok_in: float | None = None,
    usd_per_mtok_out: float | None = None,
) -> dict[str, Any]:
    """What a harvest would send (nothing is sent)."""
    keys: dict[str, ChatRequest] = {}
    for p in problems:
        for r in sample_requests(p, sampling):
            keys.setdefault(r.key, r)
    cached: set[str] = set()
    if cache_path.exists():
        with ResponseCache(cache_path) as cache:
            cached = set(cache.get_many(keys))
    send = [r for k, r in keys.items() if k not in cached]
    prompt = sum(estimate_tokens(r.prompt_chars(), len(r.messages)) for r in send)
    completion = len(send) * sampling.max_tokens
    out: dict[str, Any] = {
        "problems": len(problems),
        "samples_per_problem": sampling.samples,
        "model": sampling.model,
        "requests": len(keys),
        "cached": len(cached),
        "to_send": len(send),
        "prompt_tokens_est": prompt,
        "completion_tokens_max": completion,
        "judge": judge_model,
        "judge_requests_max": len(send) if judge_model else 0,
    }
    if usd_per_mtok_in is not None or usd_per_mtok_out is not None:
        cost = prompt * (usd_per_mtok_in or 0.0) + completion * (usd_per_mtok_out or 0.0)
        out["cost_usd_max"] = round(cost / 1e6, 4)
    return out
