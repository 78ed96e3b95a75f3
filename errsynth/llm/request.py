"""One chat request, its cache key, and its result.

A request is what a model is asked (model, messages, sampling parameters); its key
is the SHA-256 of that content in canonical JSON, so the same question asked
again, in this run or a later one, finds the stored answer. Transport settings
(URL, timeouts, concurrency, the API key) are not part of a request and never
reach the key, the cache or any output.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Request fields that do not change what a model answers (left out of the key).
TRANSPORT_FIELDS = frozenset({"stream", "stream_options", "timeout", "user", "n"})


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ChatRequest:
    """A Chat Completions request: model, messages and sampling parameters."""

    model: str
    messages: tuple[tuple[str, str], ...]  # (role, content)
    params: Mapping[str, Any] = field(default_factory=dict)  # temperature, max_tokens, seed, ...
    namespace: str = ""  # optional cache namespace (e.g. to separate two servers' weights)

    @classmethod
    def of(
        cls,
        model: str,
        messages: list[dict[str, str]] | list[tuple[str, str]],
        params: Mapping[str, Any] | None = None,
        namespace: str = "",
    ) -> ChatRequest:
        pairs = tuple(
            (m["role"], m["content"]) if isinstance(m, Mapping) else (m[0], m[1]) for m in messages
        )
        clean = {k: v for k, v in dict(params or {}).items() if v is not None}
        return cls(model, pairs, clean, namespace)

    def message_dicts(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]

    def semantic(self) -> dict[str, Any]:
        """What the key is made of."""
        params = {k: v for k, v in self.params.items() if k not in TRANSPORT_FIELDS}
        out: dict[str, Any] = {
            "model": self.model,
            "messages": self.message_dicts(),
            "params": params,
        }
        if self.namespace:
            out["namespace"] = self.namespace
        return out

    @property
    def key(self) -> str:
        cached = self.__dict__.get("_key")
        if cached is None:
            cached = hashlib.sha256(canonical_json(self.semantic()).encode()).hexdigest()
            object.__setattr__(self, "_key", cached)
        return cached

    def body(self, stream: bool = False) -> dict[str, Any]:
        """The JSON body sent to ``/chat/completions``."""
        body: dict[str, Any] = {"model": self.model, "messages": self.message_dicts()}
        body.update(self.params)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def prompt_chars(self) -> int:
        return sum(len(c) for _, c in self.messages)


@dataclass(frozen=True)
class ChatResult:
    """What came back for one request (from the server or the cache).

    `error` is None on success; otherwise a short code and message (``http_400: ...``,
    ``timeout``, ``malformed_response``...) after every retry was spent. `content`
    is the assistant message (``""`` when the server sent none), `refusal` the
    server's refusal field when it set one.
    """

    key: str
    content: str | None = None
    finish_reason: str | None = None
    refusal: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    attempts: int = 0  # HTTP attempts made in this run (0: from the cache)
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


class RequestFailed(Exception):
    """An attempt failed; `retryable` tells the client whether to try again."""

    def __init__(
        self, code: str, message: str = "", *, retryable: bool, retry_after: float | None = None
    ):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
