"""The OpenAI-compatible client against the loopback server: answers, faults, retries, cache."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from errsynth.llm.backoff import RetryPolicy, parse_retry_after
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.meter import Meter
from errsynth.llm.request import ChatRequest
from errsynth.llm.session import LLMSession
from tests.llm_server import (
    FakeLLM,
    echo,
    hang,
    malformed,
    message_key,
    status,
    truncated,
    truncated_stream,
)

FAST = RetryPolicy(max_retries=4, base_s=0.01, max_s=0.05, retry_after_max_s=2.0)


def _requests(n: int) -> list[ChatRequest]:
    return [
        ChatRequest.of("m", [{"role": "user", "content": f"q{i}"}], {"temperature": 0})
        for i in range(n)
    ]


def _backend(server: FakeLLM, **kw) -> OpenAIBackend:
    cfg = dict(base_url=server.url, concurrency=4, timeout_s=1.0, retry=FAST, api_key_env=None)
    cfg.update(kw)
    return OpenAIBackend(HttpConfig(**cfg), Meter(), seed=0)


def _expected(r: ChatRequest) -> str:
    return echo(r.body())


@pytest.fixture
def server():
    with FakeLLM() as s:
        yield s


def test_answers_every_request_in_order(server: FakeLLM) -> None:
    reqs = _requests(20)
    results = _backend(server).complete(reqs)
    assert [r.key for r in results] == [q.key for q in reqs]
    assert [r.content for r in results] == [_expected(q) for q in reqs]
    assert all(r.ok and r.attempts == 1 and r.prompt_tokens > 0 for r in results)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    "fault",
    [
        lambda: status(500),
        lambda: status(503),
        lambda: status(429, retry_after=0.2),
        lambda: malformed(),
        lambda: truncated(),
        lambda: hang(3.0),
        lambda: truncated_stream(),
    ],
    ids=["500", "503", "429", "malformed", "truncated", "hang", "truncated_stream"],
)
def test_every_fault_is_survived(server: FakeLLM, fault, stream: bool) -> None:
    reqs = _requests(6)
    for q in ("q1", "q4"):  # one fault each (one shared rule let q1's retry take both)
        server.add(fault(), match=lambda b, q=q: b["messages"][0]["content"] == q)
    # 1.5 s: the hang (3 s) still times out, a healthy answer on a loaded 2-core machine not
    backend = _backend(server, stream=stream, timeout_s=1.5)
    results = backend.complete(reqs)
    assert [r.content for r in results] == [_expected(q) for q in reqs]  # nothing lost or mixed
    faulty = {r.key: r.attempts for r in results if r.attempts > 1}
    assert len(faulty) == 2 and all(a == 2 for a in faulty.values())
    assert sum(backend.meter.retries.values()) == 2 and backend.meter.failed == 0


def test_retry_after_is_honoured(server: FakeLLM) -> None:
    server.add(status(429, retry_after=0.6))
    t0 = time.monotonic()
    [result] = _backend(server).complete(_requests(1))
    assert result.ok and result.attempts == 2
    assert time.monotonic() - t0 >= 0.55  # the policy alone would wait ~0.01 s
    tries = [e.t for e in server.log]
    assert tries[1] - tries[0] >= 0.55


def test_gives_up_after_max_retries_with_a_reason(server: FakeLLM) -> None:
    server.add(*[status(500)] * 10, match=lambda b: b["messages"][0]["content"] == "q0")
    results = _backend(server).complete(_requests(3))
    assert results[0].error is not None and results[0].error.startswith("http_500")
    assert results[0].attempts == FAST.max_retries + 1
    assert [r.ok for r in results[1:]] == [True, True]


def test_client_errors_are_not_retried(server: FakeLLM) -> None:
    server.add(status(400))
    [result] = _backend(server).complete(_requests(1))
    assert result.error is not None and result.error.startswith("http_400") and result.attempts == 1


def test_connection_refused_is_a_failure_not_a_crash() -> None:
    with socket_port() as port:
        pass
    cfg = HttpConfig(
        base_url=f"http://127.0.0.1:{port}/v1",
        timeout_s=0.3,
        retry=RetryPolicy(max_retries=1, base_s=0.01),
        api_key_env=None,
    )
    [result] = OpenAIBackend(cfg).complete(_requests(1))
    assert result.error is not None and result.error.startswith("transport")


def test_concurrency_is_bounded_and_used() -> None:
    with FakeLLM(latency=0.1) as server:
        t0 = time.monotonic()
        _backend(server, concurrency=8).complete(_requests(16))
        elapsed = time.monotonic() - t0
    assert elapsed < 0.1 * 16 / 2  # parallel: ~2 rounds of 0.1 s, far from 1.6 s serial
    # never more than 8 in flight: answers come in rounds
    times = sorted(e.t for e in server.log)
    assert times[8] - times[0] >= 0.08


def test_api_key_from_env_only_and_never_in_errors(server: FakeLLM, monkeypatch) -> None:
    secret = "sk-test-SECRET-0123456789"
    monkeypatch.setenv("ERRSYNTH_TEST_KEY", secret)
    server.add(*[status(500)] * 10)
    backend = _backend(
        server, api_key_env="ERRSYNTH_TEST_KEY", retry=RetryPolicy(max_retries=1, base_s=0.01)
    )
    [result] = backend.complete(_requests(1))
    assert server.auth_seen and server.auth_seen[0] == f"Bearer {secret}"
    assert secret not in (result.error or "") and secret not in repr(backend.config)


def test_session_cache_never_resends(server: FakeLLM, tmp_path: Path) -> None:
    reqs = _requests(10)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        first = LLMSession(_backend(server), cache).run(reqs + reqs[:3])  # duplicates sent once
    assert len(server.log) == 10
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        meter = Meter()
        second = LLMSession(None, cache, meter).run(reqs)  # no backend at all: all from cache
    assert meter.cache_hits == 10 and len(server.log) == 10
    assert {k: r.content for k, r in first.items()} == {k: r.content for k, r in second.items()}


def test_failed_requests_are_not_cached(server: FakeLLM, tmp_path: Path) -> None:
    server.add(*[status(500)] * 10)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        out = LLMSession(
            _backend(server, retry=RetryPolicy(max_retries=1, base_s=0.01)), cache
        ).run(_requests(1))
        assert not next(iter(out.values())).ok and len(cache) == 0


def test_key_depends_on_model_messages_params_only() -> None:
    a = ChatRequest.of("m", [{"role": "user", "content": "x"}], {"temperature": 0, "stream": True})
    b = ChatRequest.of("m", [("user", "x")], {"temperature": 0})
    assert a.key == b.key
    assert a.key != ChatRequest.of("m2", [("user", "x")], {"temperature": 0}).key
    assert a.key != ChatRequest.of("m", [("user", "x")], {"temperature": 0.5}).key
    assert a.key != ChatRequest.of("m", [("user", "x")], {"temperature": 0}, namespace="s2").key
    assert message_key(a.body()) == message_key(b.body())


def test_retry_after_parsing_and_backoff_bounds() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-1") is None and parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(
        10.0
    )
    policy = RetryPolicy(base_s=1.0, max_s=8.0, retry_after_max_s=5.0)
    rng = random.Random(0)
    for k in range(8):
        cap = min(8.0, 2.0**k)
        d = policy.delay(k, None, rng)
        assert cap / 2 <= d <= cap
    assert policy.delay(0, 100.0, rng) == 5.0 and policy.delay(3, 0.25, rng) == 0.25


class socket_port:
    """A free port (closed again, so connecting to it is refused)."""

    def __enter__(self) -> int:
        import socket

        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.s.close()
