"""A session: requests in, results out, through the cache, a backend and a meter.

`LLMSession.run(requests)` answers every request: from the cache when it holds the
key, else from the backend, in batches of `batch_size`, storing each answer the
moment it arrives. Identical requests are sent once. A result is never missing:
a request that could not be answered comes back with its `error`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from errsynth.llm.backoff import RetryPolicy
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.meter import Meter
from errsynth.llm.ray_vllm import RayVLLMBackend, VLLMConfig, vllm_available
from errsynth.llm.request import ChatRequest, ChatResult
from errsynth.llm.secrets import check_key_env


class Backend(Protocol):
    name: str

    def complete(
        self,
        requests: Sequence[ChatRequest],
        on_result: Callable[[ChatRequest, ChatResult], None] | None = None,
    ) -> list[ChatResult]: ...


@dataclass(frozen=True)
class ClientParams:
    """Where and how requests are sent (none of this reaches a cache key or an output)."""

    backend: Literal["openai", "vllm", "auto"] = "openai"
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str | None = "OPENAI_API_KEY"  # name of the environment variable
    concurrency: int = 8
    batch_size: int = 256
    timeout_s: float = 60.0
    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0
    stream: bool = False
    max_reply_bytes: int = 8 << 20  # longer replies are rejected as reply_too_large
    cache: str = "llm_cache.sqlite"  # relative to the run directory, or absolute
    cache_namespace: str = ""  # part of every key: separates servers serving the same name
    on_failure: Literal["reject", "stop"] = "reject"
    vllm: Mapping[str, Any] = field(default_factory=dict)  # model_source, engine_kwargs, ...

    def __post_init__(self) -> None:
        if self.backend not in ("openai", "vllm", "auto"):
            raise ValueError(f"client.backend must be openai, vllm or auto; got {self.backend!r}")
        if self.on_failure not in ("reject", "stop"):
            raise ValueError(f"client.on_failure must be reject or stop; got {self.on_failure!r}")
        for name in ("concurrency", "batch_size", "max_reply_bytes"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"client.{name} must be >= 1")
        if self.max_retries < 0:
            raise ValueError("client.max_retries must be >= 0")
        if self.timeout_s <= 0:
            raise ValueError("client.timeout_s must be > 0")
        check_key_env(self.api_key_env)

    def resolved_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        return "vllm" if vllm_available() and self.vllm else "openai"

    def cache_path(self, run_dir: Path | None) -> Path:
        p = Path(self.cache).expanduser()
        if p.is_absolute() or run_dir is None:
            return p
        return run_dir / p


def make_backend(client: ClientParams, model: str, meter: Meter) -> Backend:
    kind = client.resolved_backend()
    if kind == "vllm":
        opts = dict(client.vllm)
        opts.setdefault("model_source", model)
        return RayVLLMBackend(VLLMConfig(**opts), meter)
    config = HttpConfig(
        base_url=client.base_url,
        api_key_env=client.api_key_env,
        concurrency=client.concurrency,
        timeout_s=client.timeout_s,
        stream=client.stream,
        max_reply_bytes=client.max_reply_bytes,
        retry=RetryPolicy(
            max_retries=client.max_retries,
            base_s=client.backoff_base_s,
            max_s=client.backoff_max_s,
            retry_after_max_s=client.retry_after_max_s,
        ),
    )
    return OpenAIBackend(config, meter)


class LLMSession:
    def __init__(
        self,
        backend: Backend | None,
        cache: ResponseCache,
        meter: Meter | None = None,
        *,
        batch_size: int = 256,
        on_progress: Callable[[int], None] | None = None,
        backend_factory: Callable[[], Backend] | None = None,
    ) -> None:
        self.backend = backend
        self.backend_factory = backend_factory  # makes the backend at the first cache miss
        self.cache = cache
        self.meter = meter or Meter()
        self.batch_size = batch_size
        self.on_progress = on_progress

    def run(self, requests: Sequence[ChatRequest]) -> dict[str, ChatResult]:
        """Results by key for every request."""
        unique: dict[str, ChatRequest] = {}
        for r in requests:
            unique.setdefault(r.key, r)
        self.meter.add_requests(len(unique))
        out = self.cache.get_many(unique)
        if out:
            self.meter.hit(len(out))
            if self.on_progress:
                self.on_progress(len(out))
        todo = [r for k, r in unique.items() if k not in out]
        if todo and self.backend is None and self.backend_factory is not None:
            self.backend = self.backend_factory()
        if todo and self.backend is None:
            raise RuntimeError("no backend to send requests with (offline session)")

        def store(request: ChatRequest, result: ChatResult) -> None:
            self.cache.put(request, result)
            if self.on_progress:
                self.on_progress(1)

        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            assert self.backend is not None
            for result in self.backend.complete(batch, store):
                out[result.key] = result
        return out
