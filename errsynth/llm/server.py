"""An OpenAI-compatible Chat Completions server over any :class:`~errsynth.llm.session.Backend`.

Standard library only (``ThreadingHTTPServer``). Endpoints:

* ``POST /v1/chat/completions``: ``model``, ``messages`` (``content`` a string or a list of
  text parts), ``n`` (1..``max_n``: one backend request per choice, choice ``i`` seeded with
  ``seed + i``, the seed derived from the request when none is given), ``stream`` (SSE:
  one content chunk per choice, a usage chunk when ``stream_options.include_usage``,
  then ``[DONE]``); every other field goes to the backend as a sampling parameter, and
  one it does not support is a 400 naming it;
* ``GET /v1/models`` and ``GET /v1/models/NAME``; ``GET /health``.

Errors come back in OpenAI's shape (``{"error": {"message", "type", "code"}}``): 400 for a
malformed body or parameter, 404 for an unknown path or (``strict_model``) a model name
that is not the served one, 405 for another method, 411 without Content-Length, 413 for a
body over ``max_body_bytes``, 500 when the backend fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from errsynth.llm.request import ChatRequest, ChatResult
from errsynth.llm.session import Backend

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_TRANSPORT = ("n", "stream", "stream_options", "user")


class HttpError(Exception):
    def __init__(self, status: int, message: str, code: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ServerConfig:
    model_name: str
    strict_model: bool = True  # another model name is a 404 (False: any name is served)
    max_body_bytes: int = 1 << 20
    max_n: int = 8
    log: Callable[[str], None] | None = None  # one line per request when set


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if not (isinstance(p, Mapping) and p.get("type") == "text"):
                raise HttpError(400, f"{where}: only text content parts are supported")
            if not isinstance(p.get("text"), str):
                raise HttpError(400, f"{where}: a text part needs a string 'text'")
            parts.append(p["text"])
        return "".join(parts)
    raise HttpError(400, f"{where}: content must be a string or a list of text parts")


def parse_chat_body(body: Any, cfg: ServerConfig) -> tuple[list[ChatRequest], bool, bool]:
    """(one request per choice, stream?, include usage in the stream?) or HttpError."""
    if not isinstance(body, dict):
        raise HttpError(400, "the body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise HttpError(400, "'model' must be a non-empty string")
    if cfg.strict_model and model != cfg.model_name:
        raise HttpError(
            404, f"the model {model!r} does not exist; this server serves {cfg.model_name!r}",
            "model_not_found",
        )  # fmt: skip
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise HttpError(400, "'messages' must be a non-empty list")
    pairs = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or m.get("role") not in ROLES:
            raise HttpError(400, f"messages[{i}] needs a role among {sorted(ROLES)}")
        pairs.append((m["role"], _text(m.get("content"), f"messages[{i}]")))
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= cfg.max_n:
        raise HttpError(400, f"'n' must be an integer in [1, {cfg.max_n}], got {n!r}")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise HttpError(400, "'stream' must be true or false")
    options = body.get("stream_options") or {}
    if not isinstance(options, Mapping):
        raise HttpError(400, "'stream_options' must be an object")
    params = {k: v for k, v in body.items() if k not in ("model", "messages", *_TRANSPORT)}
    base = ChatRequest.of(cfg.model_name, pairs, params)
    if n == 1:
        return [base], stream, bool(options.get("include_usage"))
    seed = params.get("seed")
    if seed is None:
        seed = int(base.key[:15], 16)
    elif isinstance(seed, bool) or not isinstance(seed, int):
        raise HttpError(400, f"'seed' must be an integer, got {seed!r}")
    reqs = [ChatRequest.of(cfg.model_name, pairs, {**params, "seed": seed + i}) for i in range(n)]
    return reqs, stream, bool(options.get("include_usage"))


def completion_body(
    cid: str, model: str, results: list[ChatResult], created: int
) -> dict[str, Any]:
    prompt = results[0].prompt_tokens
    completion = sum(r.completion_tokens for r in results)
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": r.content},
                "finish_reason": r.finish_reason,
            }
            for i, r in enumerate(results)
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def stream_events(
    cid: str, model: str, results: list[ChatResult], created: int, usage: bool
) -> list[dict[str, Any]]:
    """The chunks of a streamed answer (each choice's text in one content chunk)."""
    head = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
    events = []
    for i, r in enumerate(results):
        for delta, finish in (
            ({"role": "assistant", "content": ""}, None),
            ({"content": r.content}, None),
            ({}, r.finish_reason),
        ):
            events.append({**head, "choices": [{"index": i, "delta": delta, "finish_reason": finish}]})  # fmt: skip
    if usage:
        body = completion_body(cid, model, results, created)
        events.append({**head, "choices": [], "usage": body["usage"]})
    return events


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChatServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.config.log is not None:
            self.server.config.log(f"{self.address_string()} {format % args}")

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, exc: HttpError) -> None:
        kind = "server_error" if exc.status >= 500 else "invalid_request_error"
        self._send_json(
            exc.status, {"error": {"message": exc.message, "type": kind, "param": None, "code": exc.code}}
        )  # fmt: skip

    def do_GET(self) -> None:
        name = self.server.config.model_name
        model = {"id": name, "object": "model", "created": self.server.started, "owned_by": "errsynth"}  # fmt: skip
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [model]})
        elif path == f"/v1/models/{name}":
            self._send_json(200, model)
        elif path == "/health":
            self._send_json(200, {"status": "ok", "model": name})
        elif path.startswith("/v1/models/"):
            self._send_error(HttpError(404, f"no model {path[11:]!r} here", "model_not_found"))
        else:
            self._send_error(HttpError(404, f"no route GET {path}", "not_found"))

    def do_POST(self) -> None:
        try:
            path = self.path.split("?", 1)[0].rstrip("/")
            if path != "/v1/chat/completions":
                self.close_connection = True  # the body is not read
                raise HttpError(404, f"no route POST {path} (only /v1/chat/completions)", "not_found")  # fmt: skip
            body = self._read_body()
            self._chat(body)
        except HttpError as exc:
            self._send_error(exc)

    def _not_allowed(self) -> None:
        self.close_connection = True  # a body, if any, is not read
        self._send_error(HttpError(405, f"{self.command} is not allowed here (GET or POST)", "method_not_allowed"))  # fmt: skip

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _read_body(self) -> Any:
        cfg = self.server.config
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            raise HttpError(411, "a Content-Length header is required", "length_required")
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            raise HttpError(400, f"bad Content-Length {length!r}") from None
        if size < 0 or size > cfg.max_body_bytes:
            self.close_connection = True
            raise HttpError(413, f"body of {size} bytes; the limit is {cfg.max_body_bytes}", "too_large")  # fmt: skip
        raw = self.rfile.read(size)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise HttpError(400, "the body is not valid JSON") from None

    def _chat(self, body: Any) -> None:
        cfg = self.server.config
        requests, stream, usage = parse_chat_body(body, cfg)
        try:
            results = self.server.backend.complete(requests)
        except Exception as exc:  # a backend bug must not kill the connection silently
            raise HttpError(500, f"the backend failed: {type(exc).__name__}: {exc}", "backend_error") from exc  # fmt: skip
        for r in results:
            if r.error is not None:
                if r.error.startswith("bad_request"):
                    raise HttpError(400, r.error.split(": ", 1)[-1])
                raise HttpError(500, f"the backend failed: {r.error}", "backend_error")
        cid = f"chatcmpl-{requests[0].key[:24]}"
        created = int(time.time())
        if not stream:
            self._send_json(200, completion_body(cid, cfg.model_name, results, created))
            return
        self.close_connection = True  # the stream ends with the connection
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for event in stream_events(cid, cfg.model_name, results, created, usage):
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class ChatServer(ThreadingHTTPServer):
    """The server; ``serve_forever`` in a thread, ``shutdown`` + ``server_close`` to stop."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend, config: ServerConfig) -> None:
        super().__init__(address, _Handler)
        self.backend = backend
        self.config = config
        self.started = int(time.time())

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


def serve_in_thread(server: ChatServer) -> threading.Thread:
    """Start ``server`` in a daemon thread (stop it with ``server.shutdown()``)."""
    thread = threading.Thread(target=server.serve_forever, name="errsynth-serve", daemon=True)
    thread.start()
    return thread
