"""API keys never leak and are never silently dropped (issue 14): a key given as
`api_key_env` is refused and written nowhere; an unset key variable stops the run before
a request goes out (`api_key_env: null` is the explicit no-auth setting); a key a server
echoes (in an error, partly masked, or in a reply) is scrubbed before anything is stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.llm.backoff import RetryPolicy
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.request import ChatRequest
from errsynth.llm.secrets import APIKeyError, Scrubber, check_key_env, looks_like_key
from errsynth.llm.session import ClientParams, LLMSession

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "llm_correct.yaml"
OP = "process.1.llm_correct"
SECRET = "sk-live-DO-NOT-LEAK-0123456789abcdef"
KEYS_AS_NAMES = [
    "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123",
    "0123456789abcdef0123456789abcdef",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "gsk_live_7dX3kPq9Lm2Vb8Nc4Rt6Yw1Za5",
    "AIzaSyA1234567890abcdefghijklmnopqrs",
    "sk-proj-AbCd1234",
]


class _Echo(BaseHTTPRequestHandler):
    """A chat server that puts the request's Authorization header in its reply, or, when
    the key is 'wrong', rejects it echoing the key (in full and partly masked)."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization") or ""
        self.server.auth_seen.append(auth)  # type: ignore[attr-defined]
        key = auth.removeprefix("Bearer ")
        if self.server.reject:  # type: ignore[attr-defined]
            masked = key[:9] + "*" * 10 + key[-4:]
            body = {"error": {"message": f"Incorrect API key provided: {masked} ({key})."}}
            code = 401
        else:
            content = f"I saw the header: {auth} ok"
            body = {"choices": [{"message": {"content": content}, "finish_reason": "stop"}]}
            code = 200
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def echo_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.auth_seen = []  # type: ignore[attr-defined]
    server.reject = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def _run_args(out: Path, *sets: str) -> list[str]:
    args = ["run", str(RECIPE), "-o", str(out), "-q", "--set", "sources.0.generate.n=6"]
    for s in sets:
        args += ["--set", s]
    return args


@pytest.mark.parametrize("value", KEYS_AS_NAMES)
def test_a_key_given_as_api_key_env_is_refused_and_written_nowhere(
    tmp_path: Path, value: str
) -> None:
    out = tmp_path / "run"
    r = CliRunner().invoke(main, _run_args(out, f"{OP}.client.api_key_env={value}"))
    assert r.exit_code != 0 and "api_key_env" in r.output, r.output
    assert value not in r.output
    for p in out.rglob("*") if out.exists() else []:
        if p.is_file():
            assert value.encode() not in p.read_bytes(), p


def test_variable_names_are_accepted() -> None:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY_2", "together_api_key", "HF_TOKEN", None):
        check_key_env(name)
        ClientParams(api_key_env=name)
    for value in KEYS_AS_NAMES:
        assert looks_like_key(value)


def test_an_unset_key_variable_stops_before_any_request(
    tmp_path: Path, echo_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERRSYNTH_UNSET_KEY", raising=False)
    out = tmp_path / "run"
    sets = [f"{OP}.client.base_url={_url(echo_server)}", f"{OP}.client.api_key_env=ERRSYNTH_UNSET_KEY"]  # fmt: skip
    r = CliRunner().invoke(main, _run_args(out, *sets))
    assert r.exit_code == 1, r.output
    assert "ERRSYNTH_UNSET_KEY" in r.output and "not set" in r.output and "null" in r.output
    assert "Traceback" not in r.output
    assert echo_server.auth_seen == []  # type: ignore[attr-defined]
    assert not (out / "manifest.json").exists()
    monkeypatch.setenv("ERRSYNTH_UNSET_KEY", "  ")  # empty counts as unset
    r = CliRunner().invoke(main, _run_args(out, *sets))
    assert r.exit_code == 1 and "is empty" in r.output, r.output


def test_null_api_key_env_runs_without_authentication(
    tmp_path: Path, echo_server: ThreadingHTTPServer
) -> None:
    out = tmp_path / "run"
    sets = [f"{OP}.client.base_url={_url(echo_server)}", f"{OP}.client.api_key_env=null"]
    r = CliRunner().invoke(main, _run_args(out, *sets))
    # the echo server's replies are no corrections: the stage finishes, rejecting them all
    assert list(out.glob("stages/*llm_correct/done.json")), r.output
    assert echo_server.auth_seen and set(echo_server.auth_seen) == {""}  # type: ignore[attr-defined]


def test_ping_refuses_an_unset_key_and_accepts_an_explicit_none(
    echo_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERRSYNTH_UNSET_KEY", raising=False)
    base = ["llm", "ping", "--base-url", _url(echo_server), "--model", "m"]
    r = CliRunner().invoke(main, [*base, "--api-key-env", "ERRSYNTH_UNSET_KEY"])
    assert r.exit_code == 1 and "--api-key-env ''" in r.output, r.output
    assert echo_server.auth_seen == []  # type: ignore[attr-defined]
    r = CliRunner().invoke(main, [*base, "--api-key-env", ""])
    assert r.exit_code == 0, r.output


def test_a_rejected_key_is_not_echoed_in_the_error(
    tmp_path: Path, echo_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERRSYNTH_TEST_KEY", SECRET)
    echo_server.reject = True  # type: ignore[attr-defined]
    base = ["llm", "ping", "--base-url", _url(echo_server), "--model", "m"]
    r = CliRunner().invoke(main, [*base, "--api-key-env", "ERRSYNTH_TEST_KEY"])
    assert r.exit_code == 1 and "http_401" in r.output, r.output
    assert SECRET not in r.output and SECRET[:9] not in r.output and SECRET[-4:] not in r.output
    # and in a run: the rejects hold the scrubbed error only
    out = tmp_path / "run"
    sets = [f"{OP}.client.base_url={_url(echo_server)}", f"{OP}.client.api_key_env=ERRSYNTH_TEST_KEY", f"{OP}.client.max_retries=0"]  # fmt: skip
    r = CliRunner().invoke(main, _run_args(out, *sets))
    assert list(out.glob("stages/*llm_correct/rejects/*.parquet")), r.output
    assert SECRET not in r.output
    for p in out.rglob("*"):
        if p.is_file():
            blob = p.read_bytes()
            assert SECRET.encode() not in blob and SECRET[-12:].encode() not in blob, p


def test_a_server_echoing_the_authorization_header_gets_nothing_cached(
    tmp_path: Path, echo_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERRSYNTH_TEST_KEY", SECRET)
    config = HttpConfig(
        base_url=_url(echo_server), api_key_env="ERRSYNTH_TEST_KEY", retry=RetryPolicy(0)
    )
    request = ChatRequest.of("m", [("user", "hi")], {"temperature": 0})
    with ResponseCache(tmp_path / "cache.sqlite") as cache:
        [result] = LLMSession(OpenAIBackend(config), cache).run([request]).values()
    assert echo_server.auth_seen == [f"Bearer {SECRET}"]  # type: ignore[attr-defined]
    assert result.content == "I saw the header: Bearer *** ok"
    for p in tmp_path.iterdir():  # the database and its WAL
        assert SECRET.encode() not in p.read_bytes(), p


def test_scrubber_forms() -> None:
    s = Scrubber(SECRET)
    assert s.scrub(f"key {SECRET}!") == "key ***!"
    assert s.scrub(json.dumps({"k": SECRET})) == '{"k": "***"}'
    assert SECRET[:12] not in s.scrub(f"provided: {SECRET[:12]}*****{SECRET[-4:]}.")
    assert s.scrub("an ordinary sentence, 3 + 4 = 7.") == "an ordinary sentence, 3 + 4 = 7."
    assert Scrubber(None).scrub("x") == "x"
    with pytest.raises(APIKeyError):
        check_key_env("not a name")
