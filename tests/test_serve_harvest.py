"""The bundled trainer's model is one more server: ``errsynth serve`` + ``errsynth harvest``.

A small model trained on generated iGSM problems is served over HTTP (the server in a
thread, stopped by its own handle); the generic harvest asks it the bare held-out
problems (``--system '' --user-template '$question'``: it was trained on problems, not on
instructions), locates first wrong steps with the iGSM checker and writes samples that
the harvest validator accepted, every solution accounted for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.igsm import generate
from errsynth.llm.cache import ResponseCache
from errsynth.llm.server import ChatServer, ServerConfig, serve_in_thread

torch = pytest.importorskip("torch")

from errsynth.train.config import ModelConfig, TrainConfig  # noqa: E402
from errsynth.train.loop import train  # noqa: E402
from errsynth.train.model_backend import TrainedRunBackend  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("served")
    pq.write_table(pa.Table.from_pylist(list(generate(60, 3, 7, names="short", distractors=1))),
                   root / "train.parquet")  # fmt: skip
    pq.write_table(pa.Table.from_pylist(list(generate(30, 3, 8, names="short", distractors=1))),
                   root / "held.parquet")  # fmt: skip
    cfg = TrainConfig(
        model=ModelConfig(block_size=160, n_layer=2, n_head=2, n_embd=48), max_steps=800,
        batch_size=8, warmup_steps=10, lr=3e-3, loss_on="completion", threads=1,
    )  # fmt: skip
    train(cfg, [root / "train.parquet"], root / "run")
    srv = ChatServer(
        ("127.0.0.1", 0), TrainedRunBackend(root / "run", max_tokens_limit=200),
        ServerConfig(model_name="tiny"),
    )  # fmt: skip
    serve_in_thread(srv)
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1", root
    srv.shutdown()  # by its own handle
    srv.server_close()


def test_harvest_from_a_served_trained_run(served: tuple[str, Path]) -> None:
    url, root = served
    out = root / "harvest"
    args = ["harvest", "--corpus", str(root / "held.parquet"), "--format", "igsm",
            "--model", "tiny", "--base-url", url, "--api-key-env", "", "--system", "",
            "--user-template", "$question", "--samples", "2", "--temperature", "1.0",
            "--max-tokens", "200", "--style", "igsm", "-o", str(out), "--profile", "-q"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["rows_in"] == 60 == summary["rows_out"] + summary["rows_rejected"]
    assert summary["solutions"]["request_failed"] == 0
    # the model was asked the bare problems, nothing else
    problems = {r["problem"] for r in pq.read_table(root / "held.parquet").to_pylist()}
    with ResponseCache(out / "llm_cache.sqlite") as cache:
        asked = [r["messages"] for r in cache.requests()]
    assert len(asked) == 60
    assert all(len(m) == 1 and m[0]["role"] == "user" for m in asked)
    assert {m[0]["content"] for m in asked} == problems
    # its own mistakes became checked samples (the harvest validator ran on each)
    assert summary["located"].get("igsm_checker", 0) >= 1 and summary["samples"] >= 1
    manifest = json.loads((out / "manifest.json").read_text())
    for shard in manifest["shards"]:
        for s in pq.read_table(out / shard["path"]).to_pylist():
            meta = json.loads(s["meta"])
            assert s["kind"] == "harvest" and meta["model"] == "tiny"
            assert meta["located_by"] == "igsm_checker"
    # run again: everything from the cache, the same output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and json.loads(again.output) == summary


def test_user_template_must_name_the_problem(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["harvest", "--corpus", str(tmp_path), "--model", "m",
                                    "--user-template", "Solve it", "-o", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code != 0 and "$question" in res.output
