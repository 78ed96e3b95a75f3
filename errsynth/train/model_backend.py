"""A trained errsynth run as an LLM backend: chat requests in, the run's own decoding out.

:class:`TrainedRunBackend` implements :class:`errsynth.llm.session.Backend`, so a trained
run answers wherever a server would (an :class:`~errsynth.llm.session.LLMSession`, the
``errsynth serve`` HTTP server). The last user message is the problem; it is wrapped in
the trainer's question template (``Question: ...\\nAnswer:``) unless it already is, and
decoded with :func:`errsynth.train.heldout_eval.greedy_decode`: greedy at temperature 0,
else sampled at the request's temperature from a generator seeded by the request's
``seed`` (or, without one, by the request's own key), so the same request always gets the
same answer. Requests are decoded one at a time under a lock: batching would change the
shapes of the arithmetic, and with them, rarely, an argmax.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from errsynth.llm.request import ChatRequest, ChatResult
from errsynth.train.data import QUESTION_TEMPLATE
from errsynth.train.heldout_eval import greedy_decode
from errsynth.train.loop import load_run

DEFAULT_MAX_TOKENS = 256
_PREFIX, _SUFFIX = QUESTION_TEMPLATE.split("{question}")
_SUPPORTED = frozenset({"temperature", "max_tokens", "max_completion_tokens", "seed", "stop"})
# accepted at these values only (the server answers ``n`` > 1 with one request per choice)
_NEUTRAL: dict[str, Any] = {
    "n": 1,
    "top_p": 1,
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "logprobs": False,
}


class BadRequest(ValueError):
    """A request this backend cannot answer as asked (the server turns it into a 400)."""


def prompt_of(request: ChatRequest) -> str:
    """The last user message, in the question template (the text the model continues)."""
    users = [c for role, c in request.messages if role == "user"]
    if not users:
        raise BadRequest("the request has no user message (the problem goes there)")
    text = users[-1]
    if text.startswith(_PREFIX) and text.rstrip().endswith(_SUFFIX.rstrip()):
        return text.rstrip()
    return QUESTION_TEMPLATE.format(question=text).rstrip()


def request_seed(request: ChatRequest) -> int:
    """The request's ``seed``, or one derived from its key (the same request, the same seed)."""
    seed = request.params.get("seed")
    if seed is None:
        return int(request.key[:15], 16)
    return int(seed)


@dataclass(frozen=True)
class Sampling:
    temperature: float
    max_tokens: int
    seed: int
    stop: tuple[str, ...]


def sampling_of(request: ChatRequest, max_tokens_limit: int) -> Sampling:
    """The request's sampling parameters, checked (BadRequest says what is wrong)."""
    p = request.params
    for name, neutral in _NEUTRAL.items():
        if name in p and p[name] != neutral:
            raise BadRequest(f"{name}={p[name]!r} is not supported (only {neutral})")
    unknown = sorted(set(p) - _SUPPORTED - set(_NEUTRAL) - {"stream", "stream_options", "user"})
    if unknown:
        raise BadRequest(f"unsupported parameters: {', '.join(unknown)}")
    t = p.get("temperature", 1.0)
    if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 2:
        raise BadRequest(f"temperature must be a number in [0, 2], got {t!r}")
    m = p.get("max_tokens", p.get("max_completion_tokens", DEFAULT_MAX_TOKENS))
    if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= max_tokens_limit:
        raise BadRequest(f"max_tokens must be an integer in [1, {max_tokens_limit}], got {m!r}")
    seed = p.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest(f"seed must be an integer, got {seed!r}")
    stop = p.get("stop")
    stops: tuple[str, ...] = ()
    if isinstance(stop, str):
        stops = (stop,)
    elif isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop):
        stops = tuple(stop)
    elif stop is not None:
        raise BadRequest("stop must be a string or a list of at most 4 strings")
    return Sampling(float(t), m, request_seed(request), tuple(s for s in stops if s))


class TrainedRunBackend:
    """``complete(requests, on_result)`` by decoding a trained run (see the module doc)."""

    name = "errsynth-run"

    def __init__(
        self,
        run: str | Path,
        device: str = "cpu",
        *,
        max_tokens_limit: int = 1024,
        loaded: tuple[Any, Any, dict[str, Any]] | None = None,
    ) -> None:
        self.run = Path(run)
        self.device = device
        self.model, self.tok, self.meta = loaded or load_run(run, device)
        self.max_tokens_limit = max_tokens_limit
        self._lock = threading.Lock()

    def answer(self, request: ChatRequest) -> ChatResult:
        """Decode one request; a request it cannot answer comes back with its error."""
        try:
            prompt = prompt_of(request)
            s = sampling_of(request, self.max_tokens_limit)
        except BadRequest as exc:
            return ChatResult(key=request.key, error=f"bad_request: {exc}", attempts=1)
        ids = self.tok.encode(prompt)
        with self._lock:
            gen = torch.Generator(device=self.device).manual_seed(s.seed)
            out = greedy_decode(
                self.model,
                [ids],
                self.tok.eos_id,
                s.max_tokens,
                device=self.device,
                temperature=s.temperature,
                generator=gen,
            )[0]
        text = self.tok.decode(out).lstrip()
        finish = "length" if len(out) >= s.max_tokens else "stop"
        cut = min((i for i in (text.find(x) for x in s.stop) if i >= 0), default=-1)
        if cut >= 0:
            text, finish = text[:cut], "stop"
        return ChatResult(
            key=request.key,
            content=text,
            finish_reason=finish,
            prompt_tokens=len(ids),
            completion_tokens=len(out),
            attempts=1,
        )

    def complete(
        self,
        requests: Sequence[ChatRequest],
        on_result: Callable[[ChatRequest, ChatResult], None] | None = None,
    ) -> list[ChatResult]:
        results = []
        for r in requests:
            res = self.answer(r)
            if on_result is not None:
                on_result(r, res)
            results.append(res)
        return results
