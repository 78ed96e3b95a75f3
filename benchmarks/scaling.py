"""Ray 2-worker scaling per stage on a corpus where dedup keeps most rows.

    python benchmarks/scaling.py [--rows 500000] [--dup-rate 0.1] [--workdir DIR]
        [--parts ray1,ray2] [--chunk-rows 20000]

The benchmark corpus of `benchmarks/pipeline.py` is 96% planted duplicates, so its
augment and mix stages are short. Real corpora have ~5-20% duplicates; here the
corpus is `--rows` iGSM-style problems from the built-in generator (seeded, two
generator processes), of which a `--dup-rate` share are copies of earlier rows:
half exact copies, half perturbed near copies (`errsynth.dedup.perturb`, as in
pipeline.py). The recipe: dedup_exact → dedup_minhash (question) → augment
(igsm_retry 0.2 + reorder 0.2 + arith 0.2, style igsm, clean kept) → token mixture.

Each part runs in its own child process with a fresh local Ray (`ray.init(num_cpus=
1 or 2)`); the figures are each stage's elapsed_s (ingest from the source manifest,
the steps from done.json, the mix from the manifest's phases) and the whole run
after Ray's start-up. Efficiency = t(1 worker) / (2 × t(2 workers)) per stage.
Prints figures; it is not a test. The machine may be shared: the load average at
each part's start and end is printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

RECIPE = """\
name: bench_scaling
seed: 0
sources:
  - {{name: igsm, path: {corpus}, format: igsm}}
process:
  - dedup_exact: {{fields: question}}
  - dedup_minhash: {{fields: question, threshold: 0.5, ngram: 3}}
  - augment:
      transforms:
        - igsm_retry: {{rate: 0.2, rule: retry}}
        - reorder: {{rate: 0.2, premature_only: true}}
        - arith: {{rate: 0.2}}
      style: {{name: igsm}}
      include_clean: true
mix:
  weight_by: tokens
  tokenizer: whitespace
  streams:
    - {{name: clean, where: {{kind: clean}}, weight: 0.5}}
    - {{name: retry, where: {{kind: {{in: [igsm_retry, reorder]}}}}, weight: 0.35}}
    - {{name: arith, where: {{kind: arith}}, weight: 0.15}}
output: {{shard_rows: 100000}}
engine: {{chunk_rows: {chunk_rows}}}
"""
COLUMNS = ("problem", "solution", "answer")


def _generate(args: tuple[int, int]) -> list[dict[str, str]]:
    from errsynth.igsm.generator import generate

    n, seed = args
    return [{k: r[k] for k in COLUMNS} for r in generate(n, 6, seed, names="full")]


def build_corpus(rows: int, dup_rate: float, seed: int, out: Path) -> dict[str, Any]:
    from errsynth.dedup.perturb import perturb

    unique = rows - int(rows * dup_rate)
    per = -(-unique // 8)
    with multiprocessing.Pool(2) as pool:
        parts = pool.map(_generate, [(per, seed + k) for k in range(8)])
    originals = [r for part in parts for r in part][:unique]
    rng = random.Random(seed)
    keyed = [(float(i), r) for i, r in enumerate(originals)]
    exact = near = 0
    for _ in range(rows - unique):
        at = rng.randrange(unique)  # a copy comes after its original (keep-first keeps it)
        src = originals[at]
        if rng.random() < 0.5:
            copy = dict(src)
            exact += 1
        else:
            copy = dict(src, problem=perturb(src["problem"], rng))
            near += 1
        keyed.append((rng.uniform(at, unique), copy))
    keyed.sort(key=lambda kr: kr[0])
    table = [r for _, r in keyed]
    pq.write_table(pa.Table.from_pylist(table), out)
    return {"rows": rows, "unique": unique, "exact_copies": exact, "near_copies": near}


def child(workers: int, corpus: Path, out: Path, chunk_rows: int) -> None:
    import shutil

    import ray

    from errsynth.engine import RayExecutor
    from errsynth.recipe import load_recipe
    from errsynth.runner import run_recipe

    recipe_path = out.parent / f"recipe-{out.name}.yaml"
    recipe_path.write_text(RECIPE.format(corpus=corpus, chunk_rows=chunk_rows))
    if out.exists():
        shutil.rmtree(out)
    os.chdir(out.parent)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    manifest = run_recipe(load_recipe(recipe_path), out, executor=RayExecutor())
    wall = time.perf_counter() - t0
    ray.shutdown()
    stages = {"ingest": json.loads((out / "sources/igsm/manifest.json").read_text())["elapsed_s"]}
    for s in manifest["stages"]:
        stages[s["stage"].split("-", 1)[1]] = s["elapsed_s"]
    stages["mix"] = round(sum(manifest.get("phases_s", {}).values()), 2)
    print(
        json.dumps(
            {
                "workers": workers,
                "rows_in": manifest["rows_in"],
                "rows_out": manifest["rows_out"],
                "stage_rows": {
                    s["stage"]: [s["rows_in"], s["rows_out"]] for s in manifest["stages"]
                },
                "startup_s": round(startup, 1),
                "wall_s": round(wall, 1),
                "stages_s": stages,
                "load_start_end": [load0, os.getloadavg()[0]],
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--dup-rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk-rows", type=int, default=20_000)
    ap.add_argument("--parts", default="ray1,ray2")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/errsynth-scaling"))
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        workers, corpus, out = args.child
        child(int(workers), Path(corpus), Path(out), args.chunk_rows)
        return
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / f"corpus-{args.rows}-{args.dup_rate}.parquet"
    info = corpus.with_suffix(".json")
    if not info.exists():
        t0 = time.perf_counter()
        stats = build_corpus(args.rows, args.dup_rate, args.seed, corpus)
        stats["build_s"] = round(time.perf_counter() - t0, 1)
        info.write_text(json.dumps(stats))
    print("corpus:", info.read_text())
    results_path = work / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for part in [p for p in args.parts.split(",") if p]:
        workers = int(part.removeprefix("ray"))
        cmd = [sys.executable, __file__, "--chunk-rows", str(args.chunk_rows), "--child"]
        cmd += [str(workers), str(corpus), str(work / f"run-{part}")]
        print(f"{part}: running (load {os.getloadavg()[0]:.1f})", flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode or not lines:
            print(done.stdout[-2000:], done.stderr[-4000:])
            raise SystemExit(f"{part} failed")
        results[part] = json.loads(lines[-1])
        results_path.write_text(json.dumps(results, indent=2))
        print(json.dumps(results[part]))
    if {"ray1", "ray2"} <= set(results):
        one, two = results["ray1"], results["ray2"]
        print("\nstage          1 worker s   2 workers s   efficiency")
        for name in [*one["stages_s"], "whole run"]:
            a = one["wall_s"] if name == "whole run" else one["stages_s"][name]
            b = two["wall_s"] if name == "whole run" else two["stages_s"].get(name)
            eff = a / (2 * b) if b else float("nan")
            print(f"{name:<14} {a:>10.1f} {b:>13.1f} {eff:>12.2f}")


if __name__ == "__main__":
    main()
