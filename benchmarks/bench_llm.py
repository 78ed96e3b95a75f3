"""LLM client throughput and CPU overhead against the loopback server (fixed latency).

Starts ``tests/llm_server.py`` in its own process (so its CPU is not counted) with a
fixed latency per request, then sends N distinct requests through the
OpenAI-compatible client at each concurrency and reports the achieved requests/s
and the client's CPU time per request (process CPU time / requests), once with the
bare client and once through the session with the SQLite response cache (every
answer committed as it arrives, as in a pipeline run).

    nice -n 10 python benchmarks/bench_llm.py [--latency 0.2] [--seconds 4] [--concurrency 1 8 64]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from errsynth.llm.backoff import RetryPolicy
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.request import ChatRequest
from errsynth.llm.session import LLMSession

ROOT = Path(__file__).resolve().parents[1]


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "llm_server.py"), "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def requests(n: int, tag: str) -> list[ChatRequest]:
    prompt = "Explain step 3 of the solution below.\n" + "1. 12+5 = <<12+5=17>>17 rolls.\n" * 12
    return [
        ChatRequest.of(
            "bench",
            [("system", "You check work."), ("user", f"{tag}-{i}\n{prompt}")],
            {"temperature": 0, "max_tokens": 256},
        )
        for i in range(n)
    ]


def measure(url: str, concurrency: int, n: int, cached: bool) -> dict[str, float]:
    config = HttpConfig(
        base_url=url,
        api_key_env=None,
        concurrency=concurrency,
        timeout_s=30.0,
        retry=RetryPolicy(max_retries=2),
    )
    backend = OpenAIBackend(config)
    reqs = requests(n, f"c{concurrency}-{cached}-{time.time_ns()}")
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResponseCache(Path(tmp) / "cache.sqlite") if cached else None
        cpu0, t0 = time.process_time(), time.perf_counter()
        if cache is not None:
            results = list(LLMSession(backend, cache, batch_size=max(256, n)).run(reqs).values())
            cache.close()
        else:
            results = backend.complete(reqs)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert len(results) == n and all(r.ok for r in results), "a request failed"
    return {
        "concurrency": concurrency,
        "cache": cached,
        "requests": n,
        "wall_s": round(wall, 3),
        "requests_per_s": round(n / wall, 1),
        "ideal_per_s": None,
        "cpu_ms_per_request": round(1000 * cpu / n, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--seconds", type=float, default=4.0, help="target wall time per measurement")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    proc, url = start_server(args.latency)
    rows = []
    try:
        measure(url, 4, 8, False)  # warm up (imports, first connections)
        for c in args.concurrency:
            n = max(10, int(args.seconds / args.latency * c))
            for cached in (False, True):
                row = measure(url, c, n, cached)
                row["ideal_per_s"] = round(c / args.latency, 1)
                rows.append(row)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"loopback server, fixed latency {args.latency * 1000:.0f} ms per request")
    print(
        "| concurrency | cache | requests | wall s | requests/s | ideal (c/latency) | client CPU ms/request |"
    )
    print("|---:|:---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['concurrency']} | {'sqlite' if r['cache'] else 'none'} | {r['requests']} | {r['wall_s']} | "
            f"{r['requests_per_s']} | {r['ideal_per_s']} | {r['cpu_ms_per_request']} |"
        )


if __name__ == "__main__":
    main()
