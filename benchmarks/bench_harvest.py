"""Harvest throughput against the scripted loopback model, and how often it locates exactly.

Starts ``tests/scripted_model.py`` in its own process (its CPU is not counted): a model
with a known error profile on real GSM8K problems, answering every request after a
fixed latency. Then runs ``errsynth.harvest.run.harvest_corpus`` at the given
concurrency (k samples per problem, both corrections) and reports requests/s
against the ideal (concurrency / latency), the client's CPU per request (the harvest
process's CPU time / requests: HTTP, cache, grading, locating, rendering, validating,
writing; the corpus is read before the clock starts), the share of wrong solutions located exactly, and the share whose located first
error is exactly the scripted one (kind, step, and the perturbation for arith slips).

    nice -n 10 python benchmarks/bench_harvest.py [--latency 0.05] [--concurrency 64]
        [--problems 400] [--samples 4] [--corpus ../shared/corpora/gsm8k/train.jsonl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from errsynth.harvest.run import HarvestSpec, harvest_corpus
from errsynth.harvest.sampling import Sampling
from errsynth.ingest.run import ingest
from errsynth.llm.session import ClientParams

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "gsm8k" / "train.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--format", default="gsm8k")
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--problems", type=int, default=400)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument(
        "--live",
        dest="precompute",
        action="store_false",
        help="the model writes each reply when asked (default: replies made before serving, "
        "so that the server's own CPU does not limit the client)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        decisions_path = tmp / "decisions.json"
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "scripted_model.py"),
                "--corpus",
                args.corpus,
                "--format",
                args.format,
                "--limit",
                str(args.problems),
                "--latency",
                str(args.latency),
                "--decisions",
                str(decisions_path),
                *(["--precompute", str(args.samples)] if args.precompute else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdin is not None
        url = proc.stdout.readline().strip()
        spec = HarvestSpec(
            corpus=(args.corpus,),
            fmt=args.format,
            limit=args.problems,
            sampling=Sampling("scripted", samples=args.samples, temperature=0.8),
            client=ClientParams(base_url=url, api_key_env=None, concurrency=args.concurrency),
            chunk_size=args.problems,
        )
        # the corpus read once before timing (harvest reuses OUT/problems), also for the ids
        ingest([args.corpus], tmp / "out" / "problems", fmt=args.format)
        cpu0, t0 = time.process_time(), time.perf_counter()
        manifest = harvest_corpus(spec, tmp / "out")
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        proc.stdin.close()
        proc.wait(timeout=30)
        # the same harvest again from the cache alone: what grading, locating, rendering,
        # validating and writing cost without any HTTP
        cpu1, t1 = time.process_time(), time.perf_counter()
        again = harvest_corpus(spec, tmp / "out", force=True)
        wall_cached, cpu_cached = time.perf_counter() - t1, time.process_time() - cpu1
        assert again["samples"] == manifest["samples"] and again["llm"]["cache_hits"] == len(
            [1 for _ in range(again["rows_in"])]
        )
        decisions = json.loads(decisions_path.read_text())
        import pyarrow.parquet as pq

        ids = {
            r["question"]: r["id"]
            for r in pq.read_table(tmp / "out" / "problems" / "solutions.parquet").to_pylist()
        }
        found = {}
        for stats in sorted((tmp / "out" / "chunks").glob("*.json")):
            for r in json.loads(stats.read_text())["errors"]:
                found[(r["problem_id"], int(r["sample_index"]))] = r
    wrong = [d for d in decisions if d["kind"] != "correct" and d["answer_changed"]]
    exact = 0
    for d in wrong:
        f = found.get((ids[d["question"]], d["seed"]))
        exact += bool(
            f
            and f["kind"] == d["kind"]
            and int(f["step_index"]) == d["step"]
            and (d["kind"] != "arith_slip" or f["subkind"] == d["subkind"])
        )
    n = manifest["rows_in"]
    row = {
        "problems": args.problems,
        "server": "precomputed replies" if args.precompute else "live scripted model",
        "requests": n,
        "concurrency": args.concurrency,
        "latency_ms": args.latency * 1000,
        "wall_s": round(wall, 2),
        "requests_per_s": round(n / wall, 1),
        "ideal_per_s": round(args.concurrency / args.latency, 1),
        "client_cpu_ms_per_request": round(1000 * cpu / n, 2),
        "from_cache_wall_s": round(wall_cached, 2),
        "from_cache_cpu_ms_per_solution": round(1000 * cpu_cached / n, 2),
        "wrong_solutions": manifest["solutions"]["wrong"],
        "located_exact_share": manifest["located_exact_share"],
        "scripted_errors": len(wrong),
        "matches_script_share": round(exact / len(wrong), 4) if wrong else None,
        "samples": manifest["samples"],
        "rejected_by_reason": manifest["rejected_by_reason"],
    }
    print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
