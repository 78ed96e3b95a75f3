"""Retry timing: exponential backoff with jitter, and the server's Retry-After."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait.

    Attempt k (0-based) that fails with a retryable error waits
    ``cap/2 + uniform(0, cap/2)`` with ``cap = min(max_s, base_s * 2**k)`` ("equal
    jitter": never zero, spread so that many clients do not retry in step), unless
    the server said when to come back (``Retry-After``), which is honoured up to
    `retry_after_max_s`.
    """

    max_retries: int = 5
    base_s: float = 0.5
    max_s: float = 30.0
    retry_after_max_s: float = 120.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.retry_after_max_s))
        cap = min(self.max_s, self.base_s * (2**attempt))
        return cap / 2 + rng.uniform(0, cap / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    if seconds != seconds or seconds < 0:  # NaN or negative: ignore
        return None
    return seconds
