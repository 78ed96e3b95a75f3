"""``errsynth serve`` throughput: a trained run over HTTP against the same backend in-process.

Starts ``errsynth serve RUN --port 0`` in its own process, sends N distinct requests
(iGSM problems, sampled at temperature 1 with one seed each) through errsynth's
OpenAI-compatible client at each concurrency, and reports requests/s and completion
tokens/s; then answers the same requests with :class:`TrainedRunBackend` in this
process, so the ratio is the cost of the HTTP layer. The server decodes one request at a
time (deterministic answers), so concurrency only hides the client's round trips.

    nice -n 10 python benchmarks/bench_serve.py [--run RUN] [--n 64] [--max-tokens 32]

Without ``--run`` a tiny run (1 layer, 32 wide, 20 steps) is trained first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.igsm import generate
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.request import ChatRequest


def tiny_run(root: Path) -> Path:
    from errsynth.train.config import ModelConfig, TrainConfig
    from errsynth.train.loop import train

    pq.write_table(pa.Table.from_pylist(list(generate(60, 3, 7, names="short"))), root / "g.parquet")  # fmt: skip
    cfg = TrainConfig(
        model=ModelConfig(block_size=96, n_layer=1, n_head=2, n_embd=32), max_steps=20,
        batch_size=4, warmup_steps=1, loss_on="completion", threads=1,
    )  # fmt: skip
    train(cfg, [root / "g.parquet"], root / "run")
    return root / "run"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, default=None)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or tiny_run(Path(tmp))
        name = run.resolve().name
        problems = [r["problem"] for r in generate(args.n, 4, 5, names="short")]
        params = {"temperature": 1.0, "max_tokens": args.max_tokens}
        reqs = [
            ChatRequest.of(name, [{"role": "user", "content": p}], {**params, "seed": i})
            for i, p in enumerate(problems)
        ]
        cmd = [sys.executable, "-m", "errsynth.cli", "serve", str(run), "--port", "0", "--threads", "1"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split(" at ", 1)[1].split(" ", 1)[0]
            texts = None
            for c in args.concurrency:
                client = OpenAIBackend(HttpConfig(base_url=url, api_key_env=None, concurrency=c))
                t = time.perf_counter()
                res = client.complete(reqs)
                dt = time.perf_counter() - t
                assert all(r.ok for r in res), [r.error for r in res if not r.ok][:3]
                toks = sum(r.completion_tokens for r in res)
                texts = texts or [r.content for r in res]
                assert texts == [r.content for r in res], "answers changed with concurrency"
                out = {"path": "http", "concurrency": c, "requests_per_s": round(len(res) / dt, 1), "completion_tokens_per_s": round(toks / dt)}  # fmt: skip
                print(json.dumps(out), flush=True)
        finally:
            proc.terminate()  # our own server, by its PID
            proc.wait(timeout=30)
        import torch

        from errsynth.train.model_backend import TrainedRunBackend

        torch.set_num_threads(1)
        backend = TrainedRunBackend(run)
        t = time.perf_counter()
        res = backend.complete(reqs)
        dt = time.perf_counter() - t
        assert [r.content for r in res] == texts, "in-process answers differ from the server's"
        toks = sum(r.completion_tokens for r in res)
        out = {"path": "in-process", "requests_per_s": round(len(res) / dt, 1), "completion_tokens_per_s": round(toks / dt)}  # fmt: skip
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
