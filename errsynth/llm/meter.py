"""Request and token accounting, shared by the clients, the stage and the progress display."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Meter:
    """Counters of one stage (or one CLI call); thread-safe.

    requests: results wanted; cache_hits: answered from the cache; sent: HTTP
    attempts (or vLLM rows) made; answered: requests that got an answer this run;
    failed: requests that ran out of retries; retries by reason.
    """

    requests: int = 0
    cache_hits: int = 0
    sent: int = 0
    answered: int = 0
    failed: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    on_change: Callable[[Meter], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def add_requests(self, n: int) -> None:
        with self._lock:
            self.requests += n
        self._changed()

    def hit(self, n: int = 1) -> None:
        with self._lock:
            self.cache_hits += n
        self._changed()

    def attempt(self) -> None:
        with self._lock:
            self.sent += 1

    def retry(self, reason: str) -> None:
        with self._lock:
            self.retries[reason] += 1
        self._changed()

    def done(
        self, ok: bool, prompt_tokens: int = 0, completion_tokens: int = 0, code: str = ""
    ) -> None:
        with self._lock:
            if ok:
                self.answered += 1
                self.prompt_tokens += prompt_tokens
                self.completion_tokens += completion_tokens
            else:
                self.failed += 1
                self.failures[code or "failed"] += 1
        self._changed()

    @property
    def finished(self) -> int:
        return self.cache_hits + self.answered + self.failed

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def rate(self) -> float:
        """Answered requests per second (cache hits excluded: they cost nothing)."""
        e = self.elapsed
        return (self.answered + self.failed) / e if e > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.finished:,}/{self.requests:,} requests, {self.rate():.1f} req/s, "
            f"cache hits {self.cache_hits:,}, failures {self.failed:,}, "
            f"retries {sum(self.retries.values()):,}, "
            f"tokens {self.prompt_tokens:,} in / {self.completion_tokens:,} out"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "answered": self.answered,
            "failed": self.failed,
            "http_attempts": self.sent,
            "retries": sum(self.retries.values()),
            "retries_by_reason": dict(sorted(self.retries.items())),
            "failures_by_reason": dict(sorted(self.failures.items())),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "elapsed_s": round(self.elapsed, 3),
            "requests_per_s": round(self.rate(), 3),
        }
