"""LLM operators in `errsynth run` against the loopback server: exact checks, rejects with
reasons, faults survived, the cache across a SIGKILL, determinism, dry run, no key leaks."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.llm.cache import ResponseCache
from errsynth.recipe import Recipe, RecipeError, load_recipe
from errsynth.runner import RunError, run_recipe
from tests.llm_models import Oracle
from tests.llm_server import FakeLLM, hang, malformed, status, truncated

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
FAST_CLIENT = [
    "timeout_s=1.0",
    "max_retries=4",
    "backoff_base_s=0.01",
    "backoff_max_s=0.05",
    "api_key_env=ERRSYNTH_TEST_KEY",
]


@pytest.fixture(autouse=True)
def _test_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipes name ERRSYNTH_TEST_KEY; an unset key variable is refused (issue 14)."""
    monkeypatch.setenv("ERRSYNTH_TEST_KEY", "test-key-for-the-loopback-server")


def _sets(url: str, op: str = "process.1.llm_correct", n: int = 24, chunk: int = 10) -> list[str]:
    return [
        f"sources.0.generate.n={n}",
        "sources.0.generate.max_ops=4",
        f"engine.chunk_rows={chunk}",
        f"{op}.client.base_url={url}",
        *[f"{op}.client.{kv}" for kv in FAST_CLIENT],
    ]


def _shards(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    }


def _stage(manifest: dict, name: str) -> dict:
    return next(s for s in manifest["stages"] if s["stage"].endswith(name))


def _samples(out: Path, stage: str) -> list[dict]:
    rows: list[dict] = []
    for p in sorted((out / "stages").glob(f"*-{stage}/data/chunk-*.parquet")):
        rows += pq.read_table(p).to_pylist()
    return rows


def test_llm_correct_keeps_only_exact_corrections(tmp_path: Path) -> None:
    out = tmp_path / "run"

    def spoil(op: str, reply: dict) -> dict | str | None:
        h = int(hashlib.sha256(json.dumps(reply, sort_keys=True).encode()).hexdigest(), 16) % 6
        if h == 0:
            return {**reply, "final_answer": str(int(reply["final_answer"]) + 1)}
        if h == 1:
            return "I'm sorry, but I can't help with that."
        if h == 2:
            return "The first wrong step is 2."  # prose, not the JSON asked for
        if h == 3:  # a corrected solution whose last step is wrong arithmetic for iGSM
            steps = list(reply["corrected_solution"])
            steps[-1] = steps[-1].replace(" = ", " = 1 + ", 1)
            return {**reply, "corrected_solution": steps}
        return None

    with FakeLLM(responder=Oracle(out, spoil)) as server:
        server.add(status(429, retry_after=0.05), status(500), malformed(), truncated(), hang(3))
        manifest = run_recipe(load_recipe(RECIPES / "llm_correct.yaml", _sets(server.url)), out)
    st = _stage(manifest, "llm_correct")
    per = st["per_operator"]["llm_correct"]
    assert per["candidates"] == per["emitted"] + per["rejected"] > 0  # nothing lost
    reasons = st["rejected_by_reason"]
    assert {"wrong_answer", "refused", "unparseable"} <= set(reasons), reasons
    assert "request_failed" not in reasons  # every fault was retried through
    assert st["llm"]["retries"] >= 5 and st["llm"]["failed"] == 0
    made = [r for r in _samples(out, "llm_correct") if r["kind"] == "llm_correct"]
    assert len(made) == per["emitted"] > 0
    for r in made:
        assert r["text"] == r["prompt"] + r["completion"] and r["style"] == "lema"
        e = r["errors"][0]
        assert r["text"][e["start"] : e["end"]] == e["wrong_text"] and e["end"] <= len(r["prompt"])
        assert r["text"][e["marker_start"] : e["marker_end"]].startswith("Incorrect step: ")
        meta = json.loads(r["meta"])
        assert meta["model"] and len(meta["cache_key"]) == 64 and meta["usage"]["prompt_tokens"] > 0
    kinds = {r["kind"] for r in pq.read_table(out / "shards").to_pylist()}
    assert "llm_correct" in kinds
    rej = pq.read_table(out / "rejects" / f"stage-{st['stage']}.parquet").to_pylist()
    assert len(rej) == st["rows_rejected"] and all(r["reason"] and r["detail"] for r in rej)
    # accounting of the run still holds (candidate rejects are not row losses)
    for s in manifest["sources"].values():
        assert s["rows_in"] == s["rows_out_clean"] + s["rows_rejected"]


def test_requests_that_never_succeed_are_rejected_or_stop_the_stage(tmp_path: Path) -> None:
    with FakeLLM(responder=Oracle(tmp_path / "a")) as server:
        server.add(*[status(503)] * 1000)
        sets = [*_sets(server.url, n=8), "mix.streams.2.weight=0"]  # no corrections to mix
        m = run_recipe(
            load_recipe(
                RECIPES / "llm_correct.yaml", [*sets, "process.1.llm_correct.client.max_retries=1"]
            ),
            tmp_path / "a",
        )
        st = _stage(m, "llm_correct")
        assert st["rejected_by_reason"] == {
            "request_failed": st["per_operator"]["llm_correct"]["candidates"]
        }
        stop = [
            *sets,
            "process.1.llm_correct.client.max_retries=1",
            "process.1.llm_correct.client.on_failure=stop",
        ]
        with pytest.raises(RunError, match="run the same command again"):
            run_recipe(load_recipe(RECIPES / "llm_correct.yaml", stop), tmp_path / "b")
        server.rules.clear()  # the server recovers: the same command finishes the run
        server.responder = Oracle(tmp_path / "b")
        m2 = run_recipe(load_recipe(RECIPES / "llm_correct.yaml", stop), tmp_path / "b")
        assert "request_failed" not in _stage(m2, "llm_correct")["rejected_by_reason"]


def test_mistake_and_paraphrase_are_exactly_validated(tmp_path: Path) -> None:
    out = tmp_path / "run"

    def spoil(op: str, reply: dict) -> dict | str | None:
        h = int(hashlib.sha256(json.dumps(reply, sort_keys=True).encode()).hexdigest(), 16) % 5
        if op == "mistake" and h == 0:
            return {**reply, "mistake": reply["correction"]}  # no mistake at all
        if op == "mistake" and h == 1:
            return {**reply, "correction": reply["mistake"]}  # a wrong correction
        if op == "paraphrase" and h == 0:  # an equation changed
            return reply["text"].replace(" = ", " = 0 + ", 1)
        if op == "paraphrase" and h == 1:
            return reply["text"].replace("<notice>", "", 1)
        return None

    with FakeLLM(responder=Oracle(out, spoil)) as server:
        sets = [
            "sources.0.generate.n=20",
            "sources.0.generate.max_ops=4",
            "engine.chunk_rows=8",
            *[
                f"process.{i}.{op}.client.base_url={server.url}"
                for i, op in ((1, "llm_mistake"), (2, "llm_paraphrase"))
            ],
            *[
                f"process.{i}.{op}.client.{kv}"
                for i, op in ((1, "llm_mistake"), (2, "llm_paraphrase"))
                for kv in FAST_CLIENT
            ],
            "process.1.llm_mistake.rate=1.0",
        ]
        m = run_recipe(load_recipe(RECIPES / "llm_rewrite.yaml", sets), out)
    mis, par = _stage(m, "llm_mistake"), _stage(m, "llm_paraphrase")
    assert mis["rejected_by_reason"].get("validator_failure", 0) > 0
    assert (
        par["rejected_by_reason"].get("validator_failure", 0)
        + par["rejected_by_reason"].get("unparseable", 0)
        > 0
    )
    for st, op in ((mis, "llm_mistake"), (par, "llm_paraphrase")):
        per = st["per_operator"][op]
        assert per["candidates"] == per["emitted"] + per["rejected"] and per["emitted"] > 0
    from errsynth.igsm import check

    for r in _samples(out, "llm_mistake"):
        if r["kind"] != "llm_mistake":
            continue
        e = r["errors"][0]
        assert r["text"][e["start"] : e["end"]] == e["wrong_text"]
        assert json.loads(e["detail"])["how"]
    rows = [r for r in _samples(out, "llm_paraphrase") if r["kind"] == "llm_paraphrase"]
    assert rows
    for r in rows:
        for e in r["errors"]:
            assert r["text"][e["start"] : e["end"]] == e["wrong_text"]
            assert r["text"][e["marker_start"] : e["marker_end"]].startswith("Hold on")
        assert "<notice>" not in r["text"] and "<mistake>" not in r["text"]
    assert check  # the iGSM checker is what validated the iGSM mistakes (see checks.py)


def test_rerun_from_cache_sends_nothing_and_is_byte_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with FakeLLM(responder=Oracle(a)) as server:
        run_recipe(load_recipe(RECIPES / "llm_correct.yaml", _sets(server.url)), a)
        sent = len(server.log)
        assert sent > 0
        shared = str(a / "llm_cache.sqlite")
        sets = [*_sets(server.url, chunk=7), f"process.1.llm_correct.client.cache={shared}"]
        m = run_recipe(
            load_recipe(RECIPES / "llm_correct.yaml", sets), b
        )  # other chunking, same cache
        assert len(server.log) == sent  # not one request sent again
    assert (
        _stage(m, "llm_correct")["llm"]["cache_hits"] == _stage(m, "llm_correct")["llm"]["requests"]
    )
    assert _shards(a) == _shards(b)


def test_killed_run_resumes_without_resending(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with FakeLLM(responder=Oracle(out), latency=0.05) as server:
        args = [
            sys.executable,
            "-m",
            "errsynth.cli",
            "run",
            str(RECIPES / "llm_correct.yaml"),
            "-o",
            str(out),
            "-q",
        ]
        sets = [*_sets(server.url, n=40), "process.1.llm_correct.client.concurrency=2"]
        cmd = args + [x for s in sets for x in ("--set", s)]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(server.answered()) < 12 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        with ResponseCache(out / "llm_cache.sqlite") as cache:
            cached = cache.keys()
            cached_prompts = {
                hashlib.sha256(json.dumps(r["messages"], sort_keys=True).encode()).hexdigest()
                for r in cache.requests()
            }
        assert len(cached) >= 10
        before = len(server.log)
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        again = {e.key for e in server.log[before:]}
        assert not again & cached_prompts  # no finished request was sent twice
    with FakeLLM(responder=Oracle(tmp_path / "clean")) as server:
        sets = [*_sets(server.url, n=40)]
        run_recipe(load_recipe(RECIPES / "llm_correct.yaml", sets), tmp_path / "clean")
    assert _shards(out) == _shards(tmp_path / "clean")  # the resumed run is the uninterrupted one


def test_dry_run_counts_requests_and_tokens_and_sends_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with FakeLLM(responder=Oracle(out)) as server:
        sets = _sets(server.url)
        res = CliRunner().invoke(
            main,
            [
                "run",
                str(RECIPES / "llm_correct.yaml"),
                "-o",
                str(out),
                "--dry-run",
                *[x for s in sets for x in ("--set", s)],
            ],
        )
        assert res.exit_code == 0, res.output
        assert not server.log
        report = json.loads(res.output[res.output.index('{\n  "dry_run"') :])["dry_run"][0]
        assert report["requests"] == report["to_send"] > 0 and report["cached"] == 0
        assert report["prompt_tokens_est"] > 100 * report["requests"]
        assert report["completion_tokens_max"] == 1024 * report["to_send"]
        m = run_recipe(
            load_recipe(RECIPES / "llm_correct.yaml", sets), out
        )  # reuses the dry run's stages
        assert len(server.log) == report["requests"] == _stage(m, "llm_correct")["llm"]["requests"]
        res = CliRunner().invoke(
            main,
            [
                "llm",
                "dry-run",
                str(RECIPES / "llm_correct.yaml"),
                "-o",
                str(tmp_path / "x"),
                "--set",
                f"process.1.llm_correct.client.cache={out / 'llm_cache.sqlite'}",
                *[x for s in sets for x in ("--set", s)],
            ],
        )
        assert res.exit_code == 0, res.output
        again = json.loads(res.output[res.output.index('{\n  "dry_run"') :])["dry_run"][0]
        assert again["cached"] == again["requests"] and again["to_send"] == 0
        assert len(server.log) == report["requests"]


def test_api_key_never_written(tmp_path: Path, monkeypatch) -> None:
    secret = "sk-live-DO-NOT-LEAK-42"
    monkeypatch.setenv("ERRSYNTH_TEST_KEY", secret)
    out = tmp_path / "run"
    with FakeLLM(responder=Oracle(out)) as server:
        server.add(*[status(401)] * 3)
        run_recipe(load_recipe(RECIPES / "llm_correct.yaml", _sets(server.url, n=16)), out)
        assert server.auth_seen[0] == f"Bearer {secret}"
    for p in out.rglob("*"):
        if p.is_file():
            assert secret.encode() not in p.read_bytes(), p


def test_llm_operator_before_augment_is_refused_when_the_recipe_loads(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: r\nsources: [{name: g, generate: {n: 3}}]\nprocess:\n  - llm_correct: {model: m}\n"
    )
    with pytest.raises(
        RecipeError,
        match=r"r\.yaml:4: process\.0: llm_correct reads samples: "
        "put it after augment",
    ):
        load_recipe(recipe)
    assert not (tmp_path / "out").exists()


def test_a_recipe_object_out_of_order_is_refused_before_anything_runs(tmp_path: Path) -> None:
    data = {
        "name": "r",
        "sources": [{"name": "g", "generate": {"n": 3}}],
        "process": [{"augment": {"transforms": []}}, {"filter": {"min_steps": 2}}],
    }
    with pytest.raises(RunError, match=r"process\[1\] filter reads solutions: only steps"):
        run_recipe(Recipe(data=data), tmp_path / "out")
    assert not (tmp_path / "out").exists()
