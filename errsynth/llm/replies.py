"""What a server's reply may be before errsynth keeps it: bounded size, writable text,
token counts that are numbers, a finish reason that is a string.

A reply is read at most `max_reply_bytes` far (the Content-Length is checked
first, then the bytes as they arrive), so a 100 MB answer costs at most that
bound in memory and never reaches the cache. Everything refused here is a
`RequestFailed` with a reason, which the LLM stage records as a rejection.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import httpx

from errsynth.core.unicode_checks import lone_surrogate, scrub
from errsynth.llm.request import RequestFailed

MAX_REPLY_BYTES = 8 << 20  # a chat completion this large is ~2M tokens: no model answers that
MAX_TOKEN_COUNT = 1 << 40  # usage values above this are not token counts


def token_count(value: Any) -> int:
    """A usage field as a token count; missing, negative, huge, infinite or non-numeric: 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    return int(value) if 0 <= value <= MAX_TOKEN_COUNT else 0


def too_large(size: int, cap: int) -> RequestFailed:
    return RequestFailed(
        "reply_too_large",
        f"the reply is over {cap:,} bytes ({size:,} read); raise client.max_reply_bytes "
        "if such replies are expected",
        retryable=False,
    )


def _declared_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers.get("content-length", ""))
    except ValueError:
        return None


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The body of a streamed response, refused once it passes `cap` bytes."""
    declared = _declared_length(response)
    if declared is not None and declared > cap:
        raise too_large(declared, cap)
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise too_large(size, cap)
        parts.append(chunk)
    return b"".join(parts)


async def capped_lines(response: httpx.Response, cap: int) -> AsyncIterator[str]:
    """The lines of a server-sent event stream, refused once the stream passes `cap` bytes
    (httpx's own line reader would buffer a newline-free stream whole)."""
    pending = b""
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise too_large(size, cap)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace")
    if pending:
        yield pending.decode("utf-8", errors="replace")


def checked_reply(fields: dict[str, Any], cap: int) -> dict[str, Any]:
    """The parsed reply fields, or RequestFailed when one cannot be kept."""
    content = fields.get("content") or ""
    if len(content) > cap:  # streamed pieces are counted as bytes on the wire already
        raise too_large(len(content), cap)
    position = lone_surrogate(content)
    if position is not None:
        raise RequestFailed(
            "bad_unicode",
            f"the reply holds a lone surrogate at character {position} (not valid Unicode)",
            retryable=False,
        )
    reason = fields.get("finish_reason")
    if reason is not None and not isinstance(reason, str):
        raise RequestFailed(
            "malformed_response",
            f"finish_reason is {type(reason).__name__}, not a string",
            retryable=False,
        )
    refusal = fields.get("refusal")
    return {
        **fields,
        "content": content,
        "finish_reason": None if reason is None else scrub(reason)[:100],
        "refusal": scrub(refusal)[:10_000] if isinstance(refusal, str) else None,
        "prompt_tokens": token_count(fields.get("prompt_tokens")),
        "completion_tokens": token_count(fields.get("completion_tokens")),
    }
