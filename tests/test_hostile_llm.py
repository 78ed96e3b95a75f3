"""Hostile LLM replies against the loopback server: each request ends with a result or an
error with a reason; nothing crashes the batch, nothing oversized reaches the cache."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from errsynth.llm.backoff import RetryPolicy
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.meter import Meter
from errsynth.llm.request import ChatRequest
from errsynth.llm.session import ClientParams, LLMSession
from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe
from errsynth.transforms.llm.parse import json_object
from tests.llm_models import Oracle
from tests.llm_server import FakeLLM, answer, patched

RECIPES = Path(__file__).resolve().parents[1] / "recipes"

FAST = RetryPolicy(max_retries=1, base_s=0.01, max_s=0.02, retry_after_max_s=1.0)


def _requests(n: int) -> list[ChatRequest]:
    return [ChatRequest.of("m", [{"role": "user", "content": f"q{i}"}]) for i in range(n)]


def _backend(server: FakeLLM, **kw) -> OpenAIBackend:
    cfg = dict(base_url=server.url, concurrency=2, timeout_s=5.0, retry=FAST, api_key_env=None)
    cfg.update(kw)
    return OpenAIBackend(HttpConfig(**cfg), Meter(), seed=0)


@pytest.fixture
def server():
    with FakeLLM() as s:
        yield s


@pytest.mark.parametrize("stream", [False, True])
def test_oversized_reply_is_refused_and_not_cached(
    server: FakeLLM, tmp_path: Path, stream: bool
) -> None:
    server.add(answer(content="x" * 300_000))
    backend = _backend(server, max_reply_bytes=100_000, stream=stream)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        results = LLMSession(backend, cache).run(_requests(3))
        bad = [r for r in results.values() if not r.ok]
        assert len(bad) == 1 and bad[0].error.startswith("reply_too_large")
        assert bad[0].attempts == 1  # not retried: the same question gets the same answer
        assert len(cache) == 2 and bad[0].key not in set(cache.keys())
    assert all(r.ok for r in results.values() if r is not bad[0])


def test_reply_cap_defaults_and_is_validated() -> None:
    assert HttpConfig().max_reply_bytes == ClientParams().max_reply_bytes == 8 << 20
    with pytest.raises(ValueError, match="max_reply_bytes"):
        ClientParams(max_reply_bytes=0)


@pytest.mark.parametrize("stream", [False, True])
def test_lone_surrogate_in_a_reply_is_an_error_with_reason(
    server: FakeLLM, tmp_path: Path, stream: bool
) -> None:
    server.add(answer(content="fine \ud800 broken"))  # json.dumps sends it as "\ud800"
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        results = LLMSession(_backend(server, stream=stream), cache).run(_requests(2))
        errors = sorted(r.error or "" for r in results.values())
        assert errors[0] == "" and errors[1].startswith("bad_unicode")
        assert len(cache) == 1


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 10**400, "completion_tokens": 5},
        {"prompt_tokens": float("inf"), "completion_tokens": float("nan")},
        {"prompt_tokens": "12", "completion_tokens": [1]},
        {"prompt_tokens": -4, "completion_tokens": 1e300},
        "lots",
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_odd_usage_values_count_as_unknown(
    server: FakeLLM, tmp_path: Path, usage: object, stream: bool
) -> None:
    server.add(patched(usage=usage))
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        (result,) = LLMSession(_backend(server, stream=stream), cache).run(_requests(1)).values()
        assert result.ok
        for value in (result.prompt_tokens, result.completion_tokens):
            assert isinstance(value, int) and 0 <= value <= 1 << 40
        pa.array([result.prompt_tokens, result.completion_tokens], pa.int64())  # writable
        (cached,) = cache.get_many([result.key]).values()
        assert cached.content == result.content


@pytest.mark.parametrize("reason", [5, ["stop"], {"why": "stop"}, True])
@pytest.mark.parametrize("stream", [False, True])
def test_finish_reason_of_the_wrong_type_is_an_error(
    server: FakeLLM, tmp_path: Path, reason: object, stream: bool
) -> None:
    server.add(answer(finish_reason=reason))  # type: ignore[arg-type]
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        (result,) = LLMSession(_backend(server, stream=stream), cache).run(_requests(1)).values()
        assert not result.ok and result.error.startswith("malformed_response")
        assert "finish_reason" in result.error and len(cache) == 0


def test_json_reply_with_escaped_surrogate_is_unparseable() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        json_object('{"corrected_solution": ["step \\ud800"], "final_answer": "3"}')


def test_hostile_replies_in_a_run_are_rejections_with_reasons(tmp_path: Path) -> None:
    out = tmp_path / "run"

    def spoil(op: str, reply: dict) -> dict | str | None:
        h = int(hashlib.sha256(json.dumps(reply, sort_keys=True).encode()).hexdigest(), 16) % 4
        if h == 0:  # a surrogate inside the JSON the parser reads
            return {**reply, "final_answer": reply["final_answer"] + "\ud800"}
        if h == 1:  # a raw surrogate in the reply text
            return "the answer \ud800 is"
        if h == 2:
            return "x" * 300_000  # over max_reply_bytes below
        return None

    sets = [
        "sources.0.generate.n=16",
        "sources.0.generate.max_ops=4",
        "engine.chunk_rows=8",
        "process.1.llm_correct.client.timeout_s=5",
        "process.1.llm_correct.client.max_retries=1",
        "process.1.llm_correct.client.backoff_base_s=0.01",
        "process.1.llm_correct.client.api_key_env=null",  # the loopback server needs no key
        "process.1.llm_correct.client.max_reply_bytes=100000",
    ]
    with FakeLLM(responder=Oracle(out, spoil)) as server:
        recipe = load_recipe(
            RECIPES / "llm_correct.yaml",
            [*sets, f"process.1.llm_correct.client.base_url={server.url}"],
        )
        manifest = run_recipe(recipe, out)
    stage = next(s for s in manifest["stages"] if s["stage"].endswith("llm_correct"))
    per = stage["per_operator"]["llm_correct"]
    assert per["candidates"] == per["emitted"] + per["rejected"] > 0
    reasons = stage["rejected_by_reason"]
    assert {"unparseable", "request_failed"} <= set(reasons), reasons
    rejects = pq.read_table(out / "rejects" / f"stage-{stage['stage']}.parquet").to_pylist()
    details = " ".join(r["detail"] for r in rejects)
    assert "bad_unicode" in details and "reply_too_large" in details and "surrogate" in details
    with ResponseCache(out / "llm_cache.sqlite") as cache:
        assert all(len(r.content or "") <= 100_000 for r in cache.get_many(cache.keys()).values())
    for s in manifest["sources"].values():
        assert s["rows_in"] == s["rows_out_clean"] + s["rows_rejected"]
