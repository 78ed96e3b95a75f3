"""``errsynth serve``: a tiny trained run behind an OpenAI-compatible server, driven by
errsynth's own client (OpenAIBackend, LLMSession) and by raw HTTP for the error paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from errsynth.igsm import generate
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.request import ChatRequest
from errsynth.llm.server import ChatServer, ServerConfig, serve_in_thread
from errsynth.llm.session import LLMSession

torch = pytest.importorskip("torch")

from errsynth.train.data import QUESTION_TEMPLATE  # noqa: E402
from errsynth.train.model_backend import TrainedRunBackend  # noqa: E402

NAME = "tiny"


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    return list(generate(40, 3, 7, names="short", distractors=1))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, problems: list[dict]) -> Path:
    from errsynth.train.config import ModelConfig, TrainConfig
    from errsynth.train.loop import train

    root = tmp_path_factory.mktemp("serve")
    pq.write_table(pa.Table.from_pylist(problems), root / "g.parquet")
    cfg = TrainConfig(
        model=ModelConfig(block_size=96, n_layer=1, n_head=2, n_embd=32), max_steps=20,
        batch_size=4, warmup_steps=1, loss_on="completion", threads=1,
    )  # fmt: skip
    train(cfg, [root / "g.parquet"], root / NAME)
    return root / NAME


@pytest.fixture(scope="module")
def backend(run: Path) -> TrainedRunBackend:
    return TrainedRunBackend(run, max_tokens_limit=64)


@pytest.fixture(scope="module")
def server(backend: TrainedRunBackend) -> Iterator[ChatServer]:
    srv = ChatServer(("127.0.0.1", 0), backend, ServerConfig(model_name=NAME, max_body_bytes=4096))  # fmt: skip
    serve_in_thread(srv)
    yield srv
    srv.shutdown()  # by its own handle
    srv.server_close()


def _req(problem: str, **params: object) -> ChatRequest:
    return ChatRequest.of(NAME, [{"role": "user", "content": problem}], params)


def test_backend_is_deterministic_per_request_and_seed(
    backend: TrainedRunBackend, problems: list[dict]
) -> None:
    q = problems[0]["problem"]
    greedy = backend.complete([_req(q, temperature=0, max_tokens=30, seed=s) for s in (1, 2)])
    assert greedy[0].ok and greedy[0].content == greedy[1].content  # greedy ignores the seed
    again = backend.complete([_req(q, temperature=0, max_tokens=30, seed=1)])[0]
    assert again.content == greedy[0].content
    # a problem already in the question template is not wrapped twice
    wrapped = QUESTION_TEMPLATE.format(question=q)
    assert backend.complete([_req(wrapped, temperature=0, max_tokens=30)])[0].content == again.content  # fmt: skip
    sampled = [backend.complete([_req(q, temperature=1.0, max_tokens=30, seed=s)])[0] for s in (5, 5, 6)]  # fmt: skip
    assert sampled[0].content == sampled[1].content != sampled[2].content
    no_seed = [backend.complete([_req(q, temperature=1.0, max_tokens=30)])[0] for _ in range(2)]
    assert no_seed[0].content == no_seed[1].content  # seeded by the request itself
    r = again
    assert r.completion_tokens <= 30 and r.finish_reason in ("stop", "length")
    assert r.prompt_tokens == len(backend.tok.encode(wrapped.rstrip()))
    # stop cuts the text at its first occurrence; a full max_tokens is "length"
    text = again.content
    assert len(text) > 8
    stop = text[5:8]
    cut = backend.complete([_req(q, temperature=0, max_tokens=30, stop=[stop, "@@"])])[0]
    assert cut.content == text[: text.find(stop)] and cut.finish_reason == "stop"
    full = backend.complete([_req(q, temperature=0, max_tokens=3)])[0]
    assert full.completion_tokens == 3 and full.finish_reason == "length"
    bad = backend.complete([_req(q, max_tokens=65), _req(q, top_p=0.5), _req(q, logit_bias={})])
    assert [b.error.split(":")[0] for b in bad] == ["bad_request"] * 3


def test_session_through_the_server_matches_the_backend(
    server: ChatServer, backend: TrainedRunBackend, problems: list[dict], tmp_path: Path
) -> None:
    reqs = [
        _req(p["problem"], temperature=0 if i % 2 else 0.9, max_tokens=24, seed=i)
        for i, p in enumerate(problems[:12])
    ]
    client = OpenAIBackend(HttpConfig(base_url=server.url, api_key_env=None, concurrency=4))
    with ResponseCache(tmp_path / "cache.sqlite") as cache:
        got = LLMSession(client, cache).run(reqs)
    direct = {r.key: r for r in backend.complete(reqs)}
    for r in reqs:
        assert got[r.key].ok, got[r.key].error
        assert got[r.key].content == direct[r.key].content
        assert got[r.key].completion_tokens == direct[r.key].completion_tokens > 0
        assert got[r.key].prompt_tokens == direct[r.key].prompt_tokens
    # the stream gives the same text and usage
    streamed = OpenAIBackend(HttpConfig(base_url=server.url, api_key_env=None, stream=True))
    for res, r in zip(streamed.complete(reqs[:3]), reqs[:3], strict=True):
        assert res.ok and res.content == direct[r.key].content
        assert res.completion_tokens == direct[r.key].completion_tokens


def test_n_choices_are_seeded_one_after_another(server: ChatServer, problems: list[dict]) -> None:
    q = problems[1]["problem"]
    body = {"model": NAME, "messages": [{"role": "user", "content": q}], "temperature": 1.0, "max_tokens": 20, "seed": 7, "n": 3}  # fmt: skip
    data = httpx.post(server.url + "/chat/completions", json=body).json()
    texts = [c["message"]["content"] for c in data["choices"]]
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    one = {**body, "n": 1, "seed": 8}
    assert httpx.post(server.url + "/chat/completions", json=one).json()["choices"][0]["message"]["content"] == texts[1]  # fmt: skip
    assert data["usage"]["total_tokens"] == data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"]  # fmt: skip


def _body(**fields: object) -> bytes:
    return json.dumps({"model": NAME, "messages": [{"role": "user", "content": "q"}], **fields}).encode()  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({"model": NAME}).encode(), 400, "messages"),
        (_body(model="gpt-x"), 404, "does not exist"),
        (_body(messages=[{"role": "robot", "content": "q"}]), 400, "role"),
        (_body(max_tokens=10**6), 400, "max_tokens"),
        (_body(temperature="hot"), 400, "temperature"),
        (_body(n=99), 400, "'n'"),
        (_body(tools=[]), 400, "unsupported parameters: tools"),
        (_body(messages=[{"role": "user", "content": "x" * 5000}]), 413, "limit"),
    ],
)
def test_bad_requests_get_clear_errors(server: ChatServer, body: bytes, status: int, says: str) -> None:  # fmt: skip
    r = httpx.post(server.url + "/chat/completions", content=body, headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == status
    assert says in r.json()["error"]["message"]


def test_routes_and_the_client_on_a_wrong_model(server: ChatServer) -> None:
    models = httpx.get(server.url + "/models").json()
    assert [m["id"] for m in models["data"]] == [NAME]
    assert httpx.get(server.url + f"/models/{NAME}").status_code == 200
    assert httpx.get(server.url + "/nothing").status_code == 404
    assert httpx.post(server.url + "/completions", json={}).status_code == 404
    assert httpx.delete(server.url + "/chat/completions").status_code == 405
    # content as text parts works; a 404 is final for errsynth's client (no retries)
    parts = {"model": NAME, "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}], "max_tokens": 5}  # fmt: skip
    assert httpx.post(server.url + "/chat/completions", json=parts).status_code == 200
    client = OpenAIBackend(HttpConfig(base_url=server.url, api_key_env=None))
    res = client.complete([ChatRequest.of("other", [{"role": "user", "content": "q"}], {"max_tokens": 5})])[0]  # fmt: skip
    assert res.error is not None and res.error.startswith("http_404") and res.attempts == 1


def test_any_model_mode_answers_other_names(backend: TrainedRunBackend) -> None:
    srv = ChatServer(("127.0.0.1", 0), backend, ServerConfig(model_name=NAME, strict_model=False))
    serve_in_thread(srv)
    try:
        body = {"model": "whatever", "messages": [{"role": "user", "content": "q"}], "max_tokens": 4}  # fmt: skip
        r = httpx.post(srv.url + "/chat/completions", json=body)
        assert r.status_code == 200 and r.json()["model"] == NAME
    finally:
        srv.shutdown()
        srv.server_close()


def test_cli_serve_prints_its_url_and_answers(run: Path, problems: list[dict]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "errsynth.cli", "serve", str(run), "--port", "0", "--threads", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert f"as model {NAME!r} at http://127.0.0.1:" in line, (line, proc.stderr and proc.stderr.read())  # fmt: skip
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        client = OpenAIBackend(HttpConfig(base_url=url, api_key_env=None))
        res = client.complete([_req(problems[2]["problem"], temperature=0, max_tokens=12)])[0]
        assert res.ok and res.completion_tokens > 0
    finally:
        proc.terminate()  # by its own PID
        proc.wait(timeout=30)


def test_cli_serve_refuses_a_folder_that_is_no_run(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from errsynth.cli.group import main

    res = CliRunner().invoke(main, ["serve", str(tmp_path), "--port", "0"])
    assert res.exit_code != 0 and "not a run directory" in res.output
