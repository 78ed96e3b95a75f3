"""A scriptable OpenAI-compatible Chat Completions server on loopback, for tests and benchmarks.

`FakeLLM` serves ``POST /v1/chat/completions`` (plain JSON or an SSE stream) from a
thread pool on 127.0.0.1. What it answers comes from a *responder* (messages →
reply text, like a model), and faults come from *rules*: a rule matches requests
(all, or by a predicate on the body) and hands out its actions one per matching
request until it runs out; then the responder answers.

Actions: ``answer(...)`` (optional delay/content/finish_reason/refusal),
``status(code, retry_after=..)``, ``hang(seconds)`` (reads the request and never
answers until the client gives up), ``malformed()`` (200 with a broken JSON body),
``truncated()`` (200 whose body stops short of its Content-Length),
``truncated_stream()`` (an SSE stream cut before ``[DONE]``).

Every request is logged (its key: SHA-256 of the messages, the action, the time).
Run it standalone for benchmarks: ``python tests/llm_server.py --port 0 --latency 0.2``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]


def message_key(body: dict[str, Any]) -> str:
    text = json.dumps(body.get("messages"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def echo(body: dict[str, Any]) -> str:
    """The default 'model': names the last user message by its hash."""
    return "ok " + message_key(body)[:16]


@dataclass
class Action:
    kind: str  # answer | status | hang | malformed | truncated | truncated_stream
    delay: float = 0.0
    code: int = 200
    retry_after: str | None = None
    content: str | None = None
    finish_reason: str = "stop"
    refusal: str | None = None
    patch: dict[str, Any] | None = None  # merged into the completion body (hostile replies)


def answer(
    delay: float = 0.0,
    content: str | None = None,
    finish_reason: str = "stop",
    refusal: str | None = None,
) -> Action:
    return Action(
        "answer", delay=delay, content=content, finish_reason=finish_reason, refusal=refusal
    )


def patched(**fields: Any) -> Action:
    """An answer whose completion body has `fields` replaced (e.g. usage=..., choices=...)."""
    return Action("answer", patch=fields)


def status(code: int, retry_after: float | str | None = None) -> Action:
    return Action(
        "status", code=code, retry_after=None if retry_after is None else str(retry_after)
    )


def hang(seconds: float = 5.0) -> Action:
    return Action("hang", delay=seconds)


def malformed() -> Action:
    return Action("malformed")


def truncated() -> Action:
    return Action("truncated")


def truncated_stream() -> Action:
    return Action("truncated_stream")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: a full one makes clients wait a SYN retry (1 s)


@dataclass
class Rule:
    actions: list[Action]
    match: Callable[[dict[str, Any]], bool] | None = None
    used: int = 0


@dataclass
class LogEntry:
    key: str
    action: str
    code: int
    t: float
    stream: bool


@dataclass
class FakeLLM:
    responder: Responder = echo
    latency: float = 0.0  # added to every answer
    host: str = "127.0.0.1"
    port: int = 0
    rules: list[Rule] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    auth_seen: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # exceptions raised by the responder

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting --------------------------------------------------------------------

    def add(self, *actions: Action, match: Callable[[dict[str, Any]], bool] | None = None) -> Rule:
        rule = Rule(list(actions), match)
        with self._lock:
            self.rules.append(rule)
        return rule

    def _next_action(self, body: dict[str, Any]) -> Action:
        with self._lock:
            for rule in self.rules:
                if rule.used < len(rule.actions) and (rule.match is None or rule.match(body)):
                    rule.used += 1
                    return rule.actions[rule.used - 1]
        return answer()

    def answered(self) -> list[LogEntry]:
        with self._lock:
            return [e for e in self.log if e.action == "answer"]

    def keys_answered(self) -> list[str]:
        return [e.key for e in self.answered()]

    # --- serving ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        server = self
        self._stop.clear()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait on a delayed ACK (~40 ms)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                try:
                    server._handle(self)
                except Exception as exc:  # a responder bug: a 500 the test can see in .errors
                    with server._lock:
                        server.errors.append(f"{type(exc).__name__}: {exc}")
                    server._send(self, 500, {"error": {"message": "responder failed"}})

        httpd = _Server((self.host, self.port), Handler)
        self._server = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        if h.headers.get("Authorization"):
            with self._lock:
                self.auth_seen.append(h.headers["Authorization"])
        if h.path.rstrip("/") != "/v1/chat/completions":
            self._send(h, 404, {"error": {"message": f"no route {h.path}"}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(h, 400, {"error": {"message": "request body is not JSON"}})
            return
        action = self._next_action(body)
        stream = bool(body.get("stream"))
        with self._lock:
            self.log.append(
                LogEntry(message_key(body), action.kind, action.code, time.monotonic(), stream)
            )
        if action.kind == "hang":
            self._stop.wait(action.delay)
            h.close_connection = True
            return
        if self.latency:
            time.sleep(self.latency)
        if action.kind == "status":
            headers = {"Retry-After": action.retry_after} if action.retry_after is not None else {}
            self._send(h, action.code, {"error": {"message": f"scripted {action.code}"}}, headers)
            return
        if action.kind == "malformed":
            self._raw(
                h,
                200,
                b'{"id": "x", "choices": [{"message": {"content": "unfinished',
                "application/json",
            )
            return
        if action.kind == "truncated":
            data = json.dumps(self._completion(body, action)).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            self._abort(h)
            return
        if action.delay:
            time.sleep(action.delay)
        if stream or action.kind == "truncated_stream":
            self._stream(h, body, action, cut=action.kind == "truncated_stream")
            return
        self._send(h, 200, self._completion(body, action))

    def _completion(self, body: dict[str, Any], action: Action) -> dict[str, Any]:
        content = action.content if action.content is not None else self.responder(body)
        prompt_chars = sum(len(m.get("content", "")) for m in body.get("messages", []))
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if action.refusal:
            message = {"role": "assistant", "content": None, "refusal": action.refusal}
        completion = {
            "id": "chatcmpl-" + message_key(body)[:12],
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": action.finish_reason}],
            "usage": {
                "prompt_tokens": prompt_chars // 4 + 1,
                "completion_tokens": len(content or "") // 4 + 1,
                "total_tokens": prompt_chars // 4 + len(content or "") // 4 + 2,
            },
        }
        return {**completion, **(action.patch or {})}

    def _stream(
        self, h: BaseHTTPRequestHandler, body: dict[str, Any], action: Action, cut: bool
    ) -> None:
        full = self._completion(body, action)
        content = full["choices"][0]["message"]["content"] or ""
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        pieces = [content[i : i + 16] for i in range(0, len(content), 16)] or [""]
        if cut:
            pieces = pieces[: max(1, len(pieces) // 2)]
        try:
            for p in pieces:
                chunk = {"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
                h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if not cut:
                last = {
                    "choices": [{"index": 0, "delta": {}, "finish_reason": action.finish_reason}]
                }
                h.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
                h.wfile.write(
                    f"data: {json.dumps({'choices': [], 'usage': full['usage']})}\n\n".encode()
                )
                h.wfile.write(b"data: [DONE]\n\n")
            h.wfile.flush()
        except OSError:
            pass
        h.close_connection = True

    def _send(
        self, h: BaseHTTPRequestHandler, code: int, obj: Any, headers: dict[str, str] | None = None
    ) -> None:
        self._raw(h, code, json.dumps(obj).encode(), "application/json", headers)

    def _raw(
        self,
        h: BaseHTTPRequestHandler,
        code: int,
        data: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            h.send_response(code)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
            h.wfile.flush()
        except OSError:
            h.close_connection = True

    @staticmethod
    def _abort(h: BaseHTTPRequestHandler) -> None:
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    args = ap.parse_args(argv)
    server = FakeLLM(latency=args.latency, port=args.port).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()  # serve until stdin closes
    finally:
        server.stop()


if __name__ == "__main__":
    main()
