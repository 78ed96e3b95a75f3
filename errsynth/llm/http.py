"""OpenAI-compatible Chat Completions over HTTP (vLLM, SGLang, llama.cpp, Ollama, OpenAI).

httpx's async client with `concurrency` workers pulling from one queue (so at most
that many requests are in flight, whatever the batch), one connection pool of the
same size, and per attempt a total deadline (a server that trickles bytes cannot
hold a worker longer than `timeout_s`). Retryable failures (429, 408, 409, 5xx,
timeouts, broken connections, malformed or truncated bodies and streams) are
retried with exponential backoff and jitter, or after the server's Retry-After;
other 4xx are final. The API key is read from the environment variable named in
the config, sent in the Authorization header, and never written anywhere: error
messages are scrubbed of it.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from errsynth.llm.backoff import RetryPolicy, parse_retry_after
from errsynth.llm.meter import Meter
from errsynth.llm.replies import (
    MAX_REPLY_BYTES,
    capped_lines,
    checked_reply,
    read_capped,
    token_count,
)
from errsynth.llm.request import ChatRequest, ChatResult, RequestFailed
from errsynth.llm.secrets import Scrubber, check_key_env, read_key

POOL_SIZE = 8  # connections per httpx pool (see _complete)
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
OnResult = Callable[[ChatRequest, ChatResult], None]


@dataclass(frozen=True)
class HttpConfig:
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str | None = "OPENAI_API_KEY"  # the variable's *name*; the key stays in env
    concurrency: int = 8
    timeout_s: float = 60.0
    connect_timeout_s: float = 10.0
    stream: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_reply_bytes: int = MAX_REPLY_BYTES  # a longer reply is refused (reply_too_large)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.max_reply_bytes < 1:
            raise ValueError(f"max_reply_bytes must be >= 1, got {self.max_reply_bytes}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        check_key_env(self.api_key_env)

    def api_key(self) -> str | None:
        """The key (APIKeyError when the named variable is unset; None: no authentication)."""
        return read_key(self.api_key_env)


class OpenAIBackend:
    """`complete(requests, on_result)`: every request gets exactly one ChatResult."""

    name = "openai"

    def __init__(self, config: HttpConfig, meter: Meter | None = None, *, seed: int | None = None):
        self.config = config
        self.meter = meter or Meter()
        self._rng = random.Random(seed)
        self._key = config.api_key()
        self._scrubber = Scrubber(self._key)

    def _scrub(self, text: str) -> str:
        return self._scrubber.scrub(text)[:500]

    def complete(
        self, requests: Sequence[ChatRequest], on_result: OnResult | None = None
    ) -> list[ChatResult]:
        if not requests:
            return []
        return asyncio.run(self._complete(list(requests), on_result))

    async def _complete(
        self, requests: list[ChatRequest], on_result: OnResult | None
    ) -> list[ChatResult]:
        cfg = self.config
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        n = min(cfg.concurrency, len(requests))
        timeout = httpx.Timeout(cfg.timeout_s, connect=min(cfg.connect_timeout_s, cfg.timeout_s))
        # httpcore scans its whole pool for every request (quadratic in the pool size: at
        # 64 connections that cost more CPU than the requests); small pools, one per group
        # of workers, keep the scan short.
        n_pools = -(-n // POOL_SIZE)
        per_pool = -(-n // n_pools)
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        results: list[ChatResult | None] = [None] * len(requests)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(requests)):
            queue.put_nowait(i)
        clients = [
            httpx.AsyncClient(
                base_url=cfg.base_url, headers=headers, timeout=timeout, limits=limits
            )
            for _ in range(n_pools)
        ]

        async def worker(client: httpx.AsyncClient) -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                result = await self._one(client, requests[i])
                results[i] = result
                if on_result is not None:
                    on_result(requests[i], result)

        try:
            await asyncio.gather(*(worker(clients[w % n_pools]) for w in range(n)))
        finally:
            for client in clients:
                await client.aclose()
        return [r for r in results if r is not None]

    async def _one(self, client: httpx.AsyncClient, request: ChatRequest) -> ChatResult:
        """One request with its retries; never raises for a server or network fault."""
        policy = self.config.retry
        last: RequestFailed | None = None
        for attempt in range(policy.max_retries + 1):
            self.meter.attempt()
            try:
                result = await asyncio.wait_for(
                    self._attempt(client, request), timeout=self.config.timeout_s
                )
            except RequestFailed as exc:
                last = exc
            except (TimeoutError, httpx.TimeoutException):
                last = RequestFailed(
                    "timeout", f"no answer in {self.config.timeout_s:g} s", retryable=True
                )
            except httpx.TransportError as exc:
                last = RequestFailed("transport", type(exc).__name__, retryable=True)
            else:
                scrub = self._scrubber.scrub  # a server that echoes the header: not cached
                result = ChatResult(
                    key=request.key,
                    content=scrub(result["content"], partial=False),
                    finish_reason=result["finish_reason"],
                    refusal=None if result["refusal"] is None else scrub(result["refusal"]),
                    prompt_tokens=result["prompt_tokens"],
                    completion_tokens=result["completion_tokens"],
                    attempts=attempt + 1,
                )
                self.meter.done(True, result.prompt_tokens, result.completion_tokens)
                return result
            if not last.retryable or attempt == policy.max_retries:
                break
            self.meter.retry(last.code)
            await asyncio.sleep(policy.delay(attempt, last.retry_after, self._rng))
        assert last is not None
        self.meter.done(False, code=last.code)
        message = self._scrub(str(last))
        return ChatResult(key=request.key, error=message, attempts=attempt + 1)

    async def _attempt(self, client: httpx.AsyncClient, request: ChatRequest) -> dict[str, Any]:
        if self.config.stream:
            return await self._attempt_stream(client, request)
        cap = self.config.max_reply_bytes
        async with client.stream("POST", "chat/completions", json=request.body()) as response:
            body = await read_capped(response, cap)
        self._check_status(response.status_code, response.headers, body.decode("utf-8", "replace"))
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise RequestFailed(
                "malformed_response", f"body is not JSON ({str(exc)[:200]})", retryable=True
            ) from None
        return checked_reply(_parse_completion(data), cap)

    def _check_status(self, status: int, headers: httpx.Headers, text: str) -> None:
        if status == 200:
            return
        retry_after = parse_retry_after(headers.get("retry-after"))
        raise RequestFailed(
            f"http_{status}",
            self._scrub(text.strip()),
            retryable=status in RETRY_STATUS,
            retry_after=retry_after,
        )

    async def _attempt_stream(
        self, client: httpx.AsyncClient, request: ChatRequest
    ) -> dict[str, Any]:
        parts: list[str] = []
        out: dict[str, Any] = {
            "content": "",
            "finish_reason": None,
            "refusal": None,
            "prompt_tokens": 0,
            "completion_tokens": 0,
        }
        async with client.stream(
            "POST", "chat/completions", json=request.body(stream=True)
        ) as response:
            cap = self.config.max_reply_bytes
            if response.status_code != 200:
                body = (await read_capped(response, cap)).decode("utf-8", "replace")
                self._check_status(response.status_code, response.headers, body)
            finished = False
            async for line in capped_lines(response, cap):
                line = line.strip()
                if not line or line.startswith(":") or not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    finished = True
                    break
                try:
                    chunk = json.loads(payload)
                except (ValueError, RecursionError):
                    raise RequestFailed(
                        "malformed_response", "stream chunk is not JSON", retryable=True
                    ) from None
                if not isinstance(chunk, dict):
                    raise RequestFailed(
                        "malformed_response", "stream chunk is not an object", retryable=True
                    )
                usage = chunk.get("usage")
                if isinstance(usage, dict):
                    out["prompt_tokens"] = _int(usage.get("prompt_tokens"))
                    out["completion_tokens"] = _int(usage.get("completion_tokens"))
                for choice in chunk.get("choices") or []:
                    if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    if isinstance(delta.get("content"), str):
                        parts.append(delta["content"])
                    if isinstance(delta.get("refusal"), str):
                        out["refusal"] = (out["refusal"] or "") + delta["refusal"]
                    if choice.get("finish_reason"):
                        out["finish_reason"] = choice["finish_reason"]
            if not finished:
                raise RequestFailed(
                    "truncated_stream", "stream ended before [DONE]", retryable=True
                )
        out["content"] = "".join(parts)
        return checked_reply(out, cap)


_int = token_count  # usage fields: huge, infinite or non-numeric values count as 0


def _parse_completion(data: Any) -> dict[str, Any]:
    """The fields of a (non-streamed) chat completion; malformed ones raise RequestFailed."""
    if not isinstance(data, dict):
        raise RequestFailed("malformed_response", "body is not a JSON object", retryable=True)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        what = "an error object" if "error" in data else "no choices"
        raise RequestFailed("malformed_response", f"completion has {what}", retryable=True)
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise RequestFailed("malformed_response", "choice has no message", retryable=True)
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise RequestFailed("malformed_response", "message content is not a string", retryable=True)
    refusal = message.get("refusal")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return {
        "content": content or "",
        "finish_reason": choices[0].get("finish_reason"),
        "refusal": refusal if isinstance(refusal, str) else None,
        "prompt_tokens": _int(usage.get("prompt_tokens")),
        "completion_tokens": _int(usage.get("completion_tokens")),
    }
