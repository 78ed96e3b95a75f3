"""End-to-end pipeline benchmark: local vs Ray, peak RSS vs corpus size, dedup vs datatrove.

    python benchmarks/pipeline.py [--rows 200000] [--small-rows 50000] [--workdir DIR]
        [--parts local,ray1,ray2,small,dedup_ours,dedup_ours_unverified,dedup_ours_04,
                 dedup_datatrove,dedup_datatrove_04] [--redo] [--retries 2]
        [--datatrove-python /tmp/dt-venv/bin/python]

Prints figures; it is not a test. Every part runs in its own child process, so
each peak RSS (ru_maxrss) is that configuration's own and each Ray run starts a
fresh local Ray. With `--workdir` the corpus and each part's result
(`results.json`) are kept, parts already there are skipped (unless `--redo`),
and parts can be run one at a time (`--parts ray2`); the summary at the end
covers every result in the folder. A failed pipeline part is rerun up to
`--retries` times (a local Ray can fail to start on a loaded machine). To
measure a fixed snapshot while the tree is being edited: `git archive HEAD |
tar -x -C /tmp/snap` and run with PYTHONPATH=/tmp/snap (the children and Ray workers inherit it; the summary
says which errsynth each part imported).

Corpus (`corpus-N.jsonl`, GSM8K format): rows 0..7472 are the GSM8K train
problems; every further row is a seeded perturbed copy of a random original
(tests/text_perturb.py's perturb on the question: 0-3 case/space/punctuation
edits and 1-3 content edits, a synonym, a changed number or an appended
sentence; the answer is the original's). Each row carries `row` and `parent`
(its original's row; itself for originals), so every copy is a planted near
duplicate with a known parent. The small corpus is the first `--small-rows`
rows of the same sequence.

Parts:

  local   the recipe (source -> dedup_exact -> dedup_minhash(question) -> augment
          (reorder 0.2 + arith 0.2, style back, include_clean) -> token mixture
          (whitespace; streams clean/reorder/arith) -> shards) on the local engine.
  ray1    the same recipe on RayExecutor, ray.init(num_cpus=1) in a fresh process.
  ray2    the same with num_cpus=2.
  small   the local engine on the --small-rows corpus (peak RSS vs corpus size).
  dedup_ours       errsynth.dedup.near_dedup over the corpus questions (threshold 0.5:
                   25 bands x 5 rows, candidates verified).
  dedup_ours_unverified  the same without candidate verification (as datatrove).
  dedup_ours_04    threshold 0.4 (32 bands x 4 rows, verified), errsynth's advice for
                   short question-only text (errsynth/dedup/README.md).
  dedup_datatrove  datatrove's 4 MinHash stages (signatures, buckets, cluster,
                   filter; LocalPipelineExecutor, workers=1) over the same questions,
                   run with --datatrove-python (a separate venv, see benchmarks/README.md),
                   25 buckets x 5 hashes (ours at 0.5).
  dedup_datatrove_04  the same with 32 buckets x 4 hashes (ours at 0.4).

Pipeline figures: wall time after start-up (run_recipe only: Ray's ray.init is
timed apart), rows/s = input rows / that time, per core = / cores given (1
local, num_cpus for Ray; the Ray driver is one more process), per-stage
elapsed_s from stages/*/done.json and the mixture's phases_s from the manifest,
driver peak RSS (ru_maxrss), and for Ray the sum of the worker processes' peak
RSS (VmHWM from /proc, sampled every 0.25 s over the driver's descendants whose
command line is a Ray worker's) and their CPU seconds. Ray scaling efficiency =
rows/s(2 workers) / (2 x rows/s(1 worker)), for the whole run after start-up,
for the run less ingest (ingest runs on the driver; with the current RayExecutor,
dedup and the mixture run as Ray Data shuffles and augment as Ray tasks), and
for the augment stage alone.

Dedup figures: docs/s per core = questions / seconds, single process each (wall
and CPU seconds both reported, CPU the fairer on a shared machine); duplicates
removed; pair recall = share of planted copies put in one cluster with their
parent; removal recall = share of copies removed while in their parent's
cluster; originals removed (datatrove may keep a copy and remove its original);
originals merged = sum over clusters of (distinct parents in the cluster - 1),
the groups joined to another original's group whichever row is kept (mostly
real GSM8K near twins: an upper bound on false merges).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPORA = HERE.parents[1] / "shared" / "corpora"
DEFAULT_DT_PYTHON = "/tmp/dt-venv/bin/python"
# dedup variants: ours (threshold, verify candidates); datatrove (buckets, hashes per bucket)
DEDUP_OURS = {
    "dedup_ours": (0.5, True),
    "dedup_ours_unverified": (0.5, False),
    "dedup_ours_04": (0.4, True),
}
DEDUP_DATATROVE = {"dedup_datatrove": (25, 5), "dedup_datatrove_04": (32, 4)}
PARTS = ("local", "ray1", "ray2", "small", *DEDUP_OURS, *DEDUP_DATATROVE)

# Near-dedup settings shared by the recipe and both dedup runs (errsynth defaults).
NGRAM = 3
THRESHOLD = 0.5

RECIPE = """\
name: bench_pipeline
seed: 0
sources:
  - {{name: gsm8k, path: {corpus}, format: gsm8k}}
process:
  - dedup_exact: {{fields: question}}
  - dedup_minhash: {{fields: question, threshold: {threshold}, ngram: {ngram}}}
  - augment:
      transforms:
        - reorder: {{rate: 0.2}}
        - arith: {{rate: 0.2}}
      style: {{name: back}}
      include_clean: true
mix:
  weight_by: tokens
  tokenizer: whitespace
  streams:
    - {{name: clean, where: {{kind: clean}}, weight: 0.5}}
    - {{name: reorder, where: {{kind: reorder}}, weight: 0.3}}
    - {{name: arith, where: {{kind: arith}}, weight: 0.2}}
output: {{shard_rows: 50000}}
engine: {{chunk_rows: {chunk_rows}}}
"""


# --- corpus ----------------------------------------------------------------------------


def build_corpus(gsm8k: Path, rows: int, seed: int, out: Path) -> dict[str, int]:
    """GSM8K originals then perturbed copies, as GSM8K JSONL with row and parent."""
    sys.path.insert(0, str(HERE.parent / "tests"))  # the test helpers: text_perturb
    from text_perturb import perturb

    with gsm8k.open() as fh:
        originals = [json.loads(line) for line in fh if line.strip()]
    rng = random.Random(seed)
    n_orig = min(len(originals), rows)
    seen: set[tuple[str, int]] = set()
    resampled = 0
    with out.open("w") as fh:
        for i in range(rows):
            if i < n_orig:
                parent, question = i, originals[i]["question"]
            else:
                parent = rng.randrange(n_orig)
                question = perturb(originals[parent]["question"], rng)
                # ingest ids hash (source, question, answer): a copy identical to an
                # earlier row would repeat an id, so draw its edits again
                while (question, parent) in seen:
                    resampled += 1
                    question = perturb(originals[parent]["question"], rng)
            seen.add((question, parent))
            rec = {
                "question": question,
                "answer": originals[parent]["answer"],
                "row": i,
                "parent": parent,
            }
            fh.write(json.dumps(rec) + "\n")
    return {"rows": rows, "originals": n_orig, "identical_copies_redrawn": resampled}


def ensure_corpus(workdir: Path, rows: int, corpora: Path, seed: int) -> Path:
    path = workdir / f"corpus-{rows}.jsonl"
    info = workdir / f"corpus-{rows}.json"
    if not path.exists() or not info.exists():
        t0 = time.perf_counter()
        stats = build_corpus(corpora / "gsm8k" / "train.jsonl", rows, seed, path)
        stats["build_s"] = round(time.perf_counter() - t0, 1)
        info.write_text(json.dumps(stats))
    return path


# --- /proc helpers (psutil is not installed) ----------------------------------------------

CLK = os.sysconf("SC_CLK_TCK")


def _proc_stat() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, cpu seconds) for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                s = fh.read()
        except OSError:
            continue
        f = s[s.rfind(b")") + 2 :].split()
        out[int(d)] = (int(f[1]), (int(f[11]) + int(f[12])) / CLK)
    return out


def _mem_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS), RssAnon (private) and RssShmem (shared memory, e.g. Ray's object
    store mapped into the process: counted in every process that maps it) in kB."""
    out = {"VmHWM": 0, "RssAnon": 0, "RssShmem": 0}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key = line.split(":", 1)[0]
                if key in out:
                    out[key] = int(line.split()[1])
    except OSError:
        pass
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class DescendantSampler:
    """Peak RSS (VmHWM) and CPU seconds of this process's descendants, by kind."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.seen: dict[int, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> DescendantSampler:
        self._thread.start()
        return self

    def sample(self) -> None:
        table = _proc_stat()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        todo, me = list(children.get(os.getpid(), [])), os.getpid()
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            if pid == me:
                continue
            entry = self.seen.get(pid)
            if entry is None:
                cmd = _cmdline(pid)
                worker = cmd.startswith("ray::") or "default_worker.py" in cmd
                entry = self.seen[pid] = {
                    "cmd": cmd[:80],
                    "worker": worker,
                    "hwm_kb": 0,
                    "anon_kb": 0,
                    "shmem_kb": 0,
                    "cpu": 0.0,
                }
            mem = _mem_kb(pid)
            entry["hwm_kb"] = max(entry["hwm_kb"], mem["VmHWM"])
            entry["anon_kb"] = max(entry["anon_kb"], mem["RssAnon"])
            entry["shmem_kb"] = max(entry["shmem_kb"], mem["RssShmem"])
            entry["cpu"] = max(entry["cpu"], table[pid][1])
            if not entry["worker"]:
                cmd = _cmdline(pid)  # a worker's title changes after start (ray::IDLE)
                if cmd.startswith("ray::") or "default_worker.py" in cmd:
                    entry["worker"] = True

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def stop(self) -> dict[str, Any]:
        self.sample()
        self._stop.set()
        self._thread.join()
        workers = [e for e in self.seen.values() if e["worker"]]
        others = [e for e in self.seen.values() if not e["worker"]]
        return {
            "workers": len(workers),
            "workers_peak_rss_sum_mb": round(sum(e["hwm_kb"] for e in workers) / 1024),
            "workers_peak_rss_max_mb": round(max((e["hwm_kb"] for e in workers), default=0) / 1024),
            "workers_private_rss_sum_mb": round(sum(e["anon_kb"] for e in workers) / 1024),
            "workers_private_rss_max_mb": round(
                max((e["anon_kb"] for e in workers), default=0) / 1024
            ),
            "workers_shmem_max_mb": round(max((e["shmem_kb"] for e in workers), default=0) / 1024),
            "workers_cpu_s": round(sum(e["cpu"] for e in workers), 1),
            "ray_system_processes": len(others),
            "ray_system_peak_rss_sum_mb": round(sum(e["hwm_kb"] for e in others) / 1024),
            "ray_system_cpu_s": round(sum(e["cpu"] for e in others), 1),
        }


# --- pipeline parts (children) ------------------------------------------------------------


def _stage_figures(out: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    ingest = json.loads((out / "sources" / "gsm8k" / "manifest.json").read_text())
    stages = {
        "ingest": {
            "rows_in": ingest["rows_in"],
            "rows_out": ingest["rows_out"],
            "elapsed_s": ingest["elapsed_s"],
        }
    }
    for done in sorted((out / "stages").glob("*/done.json")):
        info = json.loads(done.read_text())
        if "elapsed_s" not in info:  # stages/input: the input cut into chunk files
            continue
        stages[info["stage"]] = {
            "rows_in": info["rows_in"],
            "rows_out": info["rows_out"],
            "elapsed_s": info["elapsed_s"],
        }
    return {"stages": stages, "mix_phases_s": manifest.get("phases_s", {})}


def _planted(out: Path) -> dict[str, Any]:
    """Which planted copies / originals the recipe's dedup stages removed."""
    import pyarrow.parquet as pq

    from errsynth.runner import source_solutions

    sol = source_solutions(out, "gsm8k", ["id", "meta"])
    ids = sol.column("id").to_pylist()
    metas = [json.loads(m) for m in sol.column("meta").to_pylist()]
    removed: set[str] = set()
    for path in sorted((out / "rejects").glob("stage-*dedup*.parquet")):
        removed.update(pq.read_table(path, columns=["id"]).column("id").to_pylist())
    copies = sum(1 for m in metas if m["row"] != m["parent"])
    originals = len(metas) - copies
    copies_removed = sum(
        1 for i, m in zip(ids, metas, strict=True) if m["row"] != m["parent"] and i in removed
    )
    orig_removed = sum(
        1 for i, m in zip(ids, metas, strict=True) if m["row"] == m["parent"] and i in removed
    )
    dup_ids = len(ids) - len(set(ids))
    return {
        "copies": copies,
        "copies_removed": copies_removed,
        "originals": originals,
        "originals_removed": orig_removed,
        "rows_sharing_an_id": dup_ids,
    }


def child_pipeline(engine: str, workers: int, corpus: Path, out: Path, chunk_rows: int) -> None:
    from errsynth.recipe import load_recipe
    from errsynth.runner import run_recipe

    recipe_path = out.parent / f"recipe-{out.name}.yaml"
    recipe_path.write_text(
        RECIPE.format(corpus=corpus, threshold=THRESHOLD, ngram=NGRAM, chunk_rows=chunk_rows)
    )
    recipe = load_recipe(recipe_path)
    if out.exists():
        shutil.rmtree(out)
    import errsynth

    result: dict[str, Any] = {
        "engine": engine,
        "workers": workers,
        "recipe": str(recipe_path),
        "errsynth": str(Path(errsynth.__file__).parent),
    }
    sampler = None
    startup = 0.0
    if engine == "ray":
        import ray

        from errsynth.engine import RayExecutor

        # Ray puts the driver's working directory first on the workers' sys.path: run
        # from the work folder so workers import the same errsynth as the driver
        os.chdir(out.parent)
        sampler = DescendantSampler().start()
        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        startup = time.perf_counter() - t0
        executor: Any = RayExecutor()

        def where() -> str:
            import errsynth as e

            return str(Path(e.__file__).parent)

        result["worker_errsynth"] = ray.get(ray.remote(where).remote())
    else:
        from errsynth.engine import LocalExecutor

        executor = LocalExecutor()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    manifest = run_recipe(recipe, out, executor=executor)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if sampler is not None:
        result.update(sampler.stop())
        import ray

        ray.shutdown()
    rows_in = manifest["rows_in"]
    cores = workers if engine == "ray" else 1
    cpu_all = cpu + result.get("workers_cpu_s", 0.0)
    result.update(
        rows_in=rows_in,
        rows_out=manifest["rows_out"],
        shards=len(manifest.get("shards", [])),
        startup_s=round(startup, 2),
        wall_after_startup_s=round(wall, 2),
        wall_total_s=round(wall + startup, 2),
        driver_cpu_s=round(cpu, 1),
        rows_per_s=round(rows_in / wall, 1),
        rows_per_s_per_core=round(rows_in / wall / cores, 1),
        driver_and_workers_cpu_s=round(cpu_all, 1),
        rows_per_cpu_s=round(rows_in / cpu_all, 1),
        driver_peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        loadavg_at_end=os.getloadavg()[0],
    )
    result.update(_stage_figures(out, manifest))
    result["planted"] = _planted(out)
    print(json.dumps(result))


# --- dedup parts ------------------------------------------------------------------------


def _load_questions(corpus: Path) -> tuple[list[str], list[int]]:
    questions, parents = [], []
    with corpus.open() as fh:
        for line in fh:
            rec = json.loads(line)
            questions.append(rec["question"])
            parents.append(rec["parent"])
    return questions, parents


def score(cluster: list[int], removed: list[bool], parents: list[int]) -> dict[str, Any]:
    """Pair recall, removal recall and originals merged, from per-row cluster labels.

    `cluster[i]` is any label shared by exactly the rows of i's cluster (-1: alone).
    """
    copies = [i for i, p in enumerate(parents) if p != i]
    same = [cluster[i] != -1 and cluster[i] == cluster[parents[i]] for i in copies]
    return {
        "docs": len(parents),
        "removed": sum(removed),
        "planted_copies": len(copies),
        "pair_recall": round(sum(same) / max(1, len(copies)), 5),
        "removal_recall": round(
            sum(1 for i, s in zip(copies, same, strict=True) if s and removed[i])
            / max(1, len(copies)),
            5,
        ),
        "originals_removed": sum(1 for i, p in enumerate(parents) if p == i and removed[i]),
        "originals_merged": _originals_merged(cluster, parents),
    }


def _originals_merged(cluster: list[int], parents: list[int]) -> int:
    """Sum over clusters of (distinct originals in it - 1): false merges, whichever row is kept."""
    members: dict[int, set[int]] = {}
    for c, p in zip(cluster, parents, strict=True):
        if c != -1:
            members.setdefault(c, set()).add(p)
    return sum(len(ps) - 1 for ps in members.values())


def child_dedup_ours(corpus: Path, verify: bool = True, threshold: float = THRESHOLD) -> None:
    import numpy as np
    import pyarrow as pa

    from errsynth.dedup.minhash import MinHashParams
    from errsynth.dedup.near import NearDedupConfig, near_dedup

    cpu0, t0 = time.process_time(), time.perf_counter()
    questions, parents = _load_questions(corpus)
    n = len(questions)
    table = pa.table(
        {"id": pa.array(np.arange(n, dtype=np.int64)), "order": np.arange(n), "question": questions}
    )
    t_read = time.perf_counter() - t0
    config = NearDedupConfig(minhash=MinHashParams(ngram=NGRAM), threshold=threshold, verify=verify)
    lsh = config.lsh()
    t1 = time.perf_counter()
    res = near_dedup(table, "question", order_col="order", config=config)
    t_dedup = time.perf_counter() - t1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    cluster = res.cluster_id.to_numpy().tolist()
    removed = (~res.kept_mask).tolist()
    sizes: dict[int, int] = {}
    for c in cluster:
        sizes[c] = sizes.get(c, 0) + 1
    labels = [c if sizes[c] > 1 else -1 for c in cluster]
    out = {
        "method": f"errsynth near_dedup threshold {threshold}"
        + ("" if verify else " verify=False"),
        "params": (
            f"word {NGRAM}-grams of FUZZY-normalized text (NFKC, casefold, punctuation "
            f"stripped except between digits, digits kept), SHA-1 32-bit shingle hashes, "
            f"MinHash num_perm=128 seed=1 (datasketch affine32, 32-bit values), LSH {lsh.bands} bands x {lsh.rows} rows, "
            + (
                f"candidates verified by signature agreement >= {lsh.verify_threshold}, "
                if verify
                else "candidates NOT verified (as datatrove), "
            )
            + "connected components, first row of a cluster kept"
        ),
        "read_s": round(t_read, 2),
        "dedup_s": round(t_dedup, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "docs_per_s": round(n / wall, 1),
        "docs_per_cpu_s": round(n / cpu, 1),
        "dedup_only_docs_per_s": round(n / t_dedup, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "loadavg_at_end": os.getloadavg()[0],
    }
    out.update(score(labels, removed, parents))
    print(json.dumps(out))


DATATROVE_SCRIPT = '''\
"""datatrove MinHash dedup, 4 stages, one task per worker, written by benchmarks/pipeline.py."""
import json, os, resource, sys, time

def main():
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.text import TextNormConfig
    from datatrove.utils.typeshelper import Languages

    src, work, ngram, buckets, per_bucket = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    config = MinhashConfig(
        n_grams=ngram, num_buckets=buckets, hashes_per_bucket=per_bucket, seed=1,
        norm_config=TextNormConfig(norm_numbers=False),  # default maps every digit run to 0
        hash_config=HashConfig(precision=64, hash_fc="xxhash"),
    )
    reader = lambda: JsonlReader(src, text_key="text", id_key="id")
    times = {}
    def run(name, pipeline, tasks=1):
        t0 = time.perf_counter()
        LocalPipelineExecutor(
            pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/logs/{name}"
        ).run()
        times[name] = round(time.perf_counter() - t0, 2)
    cpu0 = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    t0 = time.perf_counter()
    run("signatures", [reader(), MinhashDedupSignature(
        output_folder=f"{work}/signatures", config=config, language=Languages.english)])
    # buckets: the step asserts tasks % num_buckets == 0; one task per bucket, one worker
    run("buckets", [MinhashDedupBuckets(
        input_folder=f"{work}/signatures", output_folder=f"{work}/buckets", config=config)],
        tasks=buckets)
    run("cluster", [MinhashDedupCluster(
        input_folder=f"{work}/buckets", output_folder=f"{work}/remove_ids", config=config,
        save_cluster_id=True)])
    run("filter", [reader(), MinhashDedupFilter(
        input_folder=f"{work}/remove_ids", load_cluster_ids=True,
        exclusion_writer=JsonlWriter(f"{work}/removed", compression=None)),
        JsonlWriter(f"{work}/kept", compression=None)])
    wall = time.perf_counter() - t0
    cpu1 = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(cpu0, cpu1))
    import datatrove
    print(json.dumps({
        "stages_s": times, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "datatrove_version": getattr(datatrove, "__version__", "?"),
    }))

if __name__ == "__main__":  # datatrove's pools use forkserver
    main()
'''


def child_dedup_datatrove(corpus: Path, work: Path, python: str, bands: int, rows: int) -> None:
    if work.exists():
        shutil.rmtree(work)
    (work / "input").mkdir(parents=True)
    questions, parents = _load_questions(corpus)
    with (work / "input" / "questions.jsonl").open("w") as fh:
        for i, q in enumerate(questions):
            fh.write(json.dumps({"text": q, "id": str(i)}) + "\n")
    script = work / "run_datatrove.py"
    script.write_text(DATATROVE_SCRIPT)
    cmd = [python, str(script), str(work / "input"), str(work), str(NGRAM), str(bands), str(rows)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(json.dumps({"method": "datatrove", "error": done.stderr[-3000:]}))
        return
    out = json.loads(done.stdout.strip().splitlines()[-1])
    n = len(questions)
    cluster = [-1] * n
    removed = [False] * n
    for kind in ("kept", "removed"):
        for path in sorted((work / kind).glob("*.jsonl")):
            with path.open() as fh:
                for line in fh:
                    rec = json.loads(line)
                    i = int(rec["id"])
                    cluster[i] = int(rec["metadata"].get("minhash_cluster_id", -1))
                    removed[i] = kind == "removed"
    out.update(
        method=f"datatrove MinHash (4 stages) {bands}x{rows}",
        params=(
            f"simplify_text (lowercase, digits KEPT via TextNormConfig(norm_numbers=False), "
            f"punctuation removed, whitespace collapsed, diacritics removed), spaCy blank English "
            f"word tokenizer, word {NGRAM}-grams, xxhash64 shingle hashes, "
            f"{bands * rows} hashes (a*h+b mod 2^61-1, seed 1) as {bands} buckets x "
            f"{rows} hashes, no candidate verification, union-find clusters, "
            "one doc kept per cluster (union-by-size root)"
        ),
        docs_per_s=round(n / out["wall_s"], 1),
        docs_per_cpu_s=round(n / out["cpu_s"], 1),
        loadavg_at_end=os.getloadavg()[0],
    )
    out.update(score(cluster, removed, parents))
    print(json.dumps(out))


# --- driver -----------------------------------------------------------------------------


def run_child(args: list[str], retries: int = 0) -> dict[str, Any]:
    """Run a part in a fresh process; retried when it fails (e.g. a local Ray that could
    not start on a loaded machine)."""
    cmd = [sys.executable, __file__, *args]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    errors = []
    for _ in range(retries + 1):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        lines = done.stdout.strip().splitlines()
        if done.returncode == 0 and lines:
            out = json.loads(lines[-1])
            if errors:
                out["failed_attempts"] = errors
            return out
        errors.append(f"exit {done.returncode}: {done.stderr[-3000:]}")
        print(f"  attempt failed: {errors[-1][-300:]}", flush=True)
    return {"error": errors[-1], "failed_attempts": errors}


def _fmt_pipeline(name: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{name}: FAILED {r['error']}"
    stages = ", ".join(
        f"{k} {v['elapsed_s']}s ({v['rows_in']}->{v['rows_out']})" for k, v in r["stages"].items()
    )
    mix = ", ".join(f"{k} {v}s" for k, v in r["mix_phases_s"].items())
    accounted = sum(v["elapsed_s"] for v in r["stages"].values()) + sum(r["mix_phases_s"].values())
    mix += f"; the rest of the run {r['wall_after_startup_s'] - accounted:.1f}s"
    ray = ""
    if r["engine"] == "ray":
        ray = (
            f"\n    ray start-up {r['startup_s']}s; {r['workers']} worker processes: peak RSS sum "
            f"{r['workers_peak_rss_sum_mb']} MB (max {r['workers_peak_rss_max_mb']} MB; "
            f"sampled peak private RssAnon sum {r.get('workers_private_rss_sum_mb', '?')} MB, "
            f"max {r.get('workers_private_rss_max_mb', '?')} MB; peak shared RssShmem of one "
            f"worker {r.get('workers_shmem_max_mb', '?')} MB), "
            f"CPU {r['workers_cpu_s']}s; Ray system processes {r['ray_system_processes']}: "
            f"peak RSS sum {r['ray_system_peak_rss_sum_mb']} MB, CPU {r.get('ray_system_cpu_s', '?')}s"
        )
    p = r["planted"]
    where = f"\n    errsynth: {r.get('errsynth', '?')}"
    if r["engine"] == "ray":
        where += f" (workers: {r.get('worker_errsynth', '?')})"
    return (
        f"{name}: rows_in {r['rows_in']:,} -> rows_out {r['rows_out']:,} in {r['shards']} shards; "
        f"after start-up {r['wall_after_startup_s']}s = {r['rows_per_s']:,.0f} rows/s, "
        f"{r['rows_per_s_per_core']:,.0f} rows/s per core; driver CPU {r['driver_cpu_s']}s, "
        f"driver+workers CPU {r.get('driver_and_workers_cpu_s', '?')}s = {r.get('rows_per_cpu_s', 0):,.0f} "
        "rows per CPU-second, "
        f"driver peak RSS {r['driver_peak_rss_mb']} MB; load avg {r['loadavg_at_end']:.1f}"
        f"{ray}\n    stages: {stages}\n    mix: {mix}"
        f"\n    planted copies removed {p['copies_removed']:,}/{p['copies']:,}, originals removed "
        f"{p['originals_removed']:,}/{p['originals']:,}, rows sharing an id with another "
        f"row {p['rows_sharing_an_id']:,}{where}"
    )


def _augment_rate(r: dict[str, Any]) -> float | None:
    for k, v in r.get("stages", {}).items():
        if k.endswith("augment") and v["elapsed_s"]:
            return v["rows_in"] / v["elapsed_s"]
    return None


def summary(results: dict[str, Any], workdir: Path) -> None:
    print("\n== summary ==")
    for rows_file in sorted(workdir.glob("corpus-*.json")):
        print(f"corpus {rows_file.stem}: {rows_file.read_text().strip()}")
    for name in ("local", "ray1", "ray2", "small"):
        if name in results:
            print(_fmt_pipeline(name, results[name]))
    r1, r2 = results.get("ray1", {}), results.get("ray2", {})
    if "rows_per_s" in r1 and "rows_per_s" in r2:
        eff = r2["rows_per_s"] / (2 * r1["rows_per_s"])
        a1, a2 = _augment_rate(r1), _augment_rate(r2)
        aug = f"; augment stage alone {a2 / (2 * a1):.2f}" if a1 and a2 else ""
        no_ingest = ""
        if "ingest" in r1["stages"] and "ingest" in r2["stages"]:
            t1 = r1["wall_after_startup_s"] - r1["stages"]["ingest"]["elapsed_s"]
            t2 = r2["wall_after_startup_s"] - r2["stages"]["ingest"]["elapsed_s"]
            no_ingest = f"; run less ingest {t1 / (2 * t2):.2f}"
        print(
            f"Ray 2-worker scaling efficiency (after start-up): whole run {eff:.2f}{no_ingest}{aug}"
        )
    loc, small = results.get("local", {}), results.get("small", {})
    if "driver_peak_rss_mb" in loc and "driver_peak_rss_mb" in small:
        print(
            f"local peak RSS: {small['rows_in']:,} rows {small['driver_peak_rss_mb']} MB, "
            f"{loc['rows_in']:,} rows {loc['driver_peak_rss_mb']} MB "
            f"(ratio {loc['driver_peak_rss_mb'] / small['driver_peak_rss_mb']:.2f})"
        )
    for name in (*DEDUP_OURS, *DEDUP_DATATROVE):
        r = results.get(name)
        if not r:
            continue
        if "error" in r:
            print(f"dedup {name}: FAILED {r['error']}")
            continue
        stages = f" stages {r['stages_s']}" if "stages_s" in r else ""
        print(
            f"dedup {name}: {r['docs']:,} docs in {r['wall_s']}s wall / {r['cpu_s']}s CPU = "
            f"{r['docs_per_s']:,.0f} docs/s ({r['docs_per_cpu_s']:,.0f} per CPU-second); "
            f"removed {r['removed']:,}; pair recall {r['pair_recall']:.4f}, removal recall "
            f"{r['removal_recall']:.4f} on {r['planted_copies']:,} planted copies; originals "
            f"removed {r.get('originals_removed', '?')}, merged {r['originals_merged']}; "
            f"peak RSS {r['peak_rss_mb']} MB{stages}\n"
            f"    params: {r['params']}"
        )
    pairs = [
        ("dedup_ours", "dedup_datatrove"),
        ("dedup_ours_unverified", "dedup_datatrove"),
        ("dedup_ours_04", "dedup_datatrove_04"),
        ("dedup_ours_04", "dedup_datatrove"),
    ]
    for name, other in pairs:
        r, dt = results.get(name, {}), results.get(other, {})
        if "docs_per_s" not in r or "docs_per_s" not in dt:
            continue
        wall = r["docs_per_s"] / dt["docs_per_s"]
        cpu = r["docs_per_cpu_s"] / dt["docs_per_cpu_s"]
        ok = wall >= 4 and r["pair_recall"] >= dt["pair_recall"]
        print(
            f"{name} / {other}: throughput {wall:.1f}x (wall), {cpu:.1f}x (CPU); pair "
            f"recall {r['pair_recall']:.4f} vs {dt['pair_recall']:.4f}; originals merged "
            f"{r['originals_merged']} vs {dt['originals_merged']}; target >= 4x at equal or "
            f"better recall: {'met' if ok else 'NOT met'}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--small-rows", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk-rows", type=int, default=20_000)
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    ap.add_argument("--workdir", type=Path, help="keep corpus, runs and results.json here")
    ap.add_argument("--redo", action="store_true", help="rerun parts already in results.json")
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--datatrove-python", default=DEFAULT_DT_PYTHON)
    ap.add_argument("--retries", type=int, default=2, help="reruns of a failed pipeline part")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "pipeline":
            engine, workers, corpus, out = rest
            child_pipeline(engine, int(workers), Path(corpus), Path(out), args.chunk_rows)
        elif kind in DEDUP_OURS:
            threshold, verify = DEDUP_OURS[kind]
            child_dedup_ours(Path(rest[0]), verify=verify, threshold=threshold)
        elif kind in DEDUP_DATATROVE:
            bands, rows = DEDUP_DATATROVE[kind]
            work = Path(rest[1]) / kind
            child_dedup_datatrove(Path(rest[0]), work, args.datatrove_python, bands, rows)
        return
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown parts {unknown}; choose from {PARTS}")
    tmp = None
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="errsynth-bench-")
        workdir = Path(tmp.name)
    results_path = workdir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    try:
        big = ensure_corpus(workdir, args.rows, args.corpora, args.seed)
        import errsynth

        print(f"errsynth imported from {Path(errsynth.__file__).parent}")
        print(f"corpus: {big} ({(workdir / f'corpus-{args.rows}.json').read_text().strip()})")
        for part in parts:
            if part in results and "error" not in results[part] and not args.redo:
                print(f"{part}: in {results_path}, skipped (--redo to run again)")
                continue
            t0 = time.perf_counter()
            print(f"{part}: running (load avg {os.getloadavg()[0]:.1f})", flush=True)
            if part in ("local", "ray1", "ray2", "small"):
                corpus = big
                if part == "small":
                    corpus = ensure_corpus(workdir, args.small_rows, args.corpora, args.seed)
                engine = "local" if part in ("local", "small") else "ray"
                workers = {"ray1": 1, "ray2": 2}.get(part, 1)
                child = [
                    "pipeline",
                    engine,
                    str(workers),
                    str(corpus),
                    str(workdir / f"run-{part}"),
                ]
                r = run_child(
                    ["--chunk-rows", str(args.chunk_rows), "--child", *child], args.retries
                )
            elif part in DEDUP_OURS:
                r = run_child(["--child", part, str(big)])
            else:
                r = run_child(
                    [
                        "--datatrove-python",
                        args.datatrove_python,
                        "--child",
                        part,
                        str(big),
                        str(workdir),
                    ]
                )
            r["bench_wall_s"] = round(time.perf_counter() - t0, 1)
            results[part] = r
            results_path.write_text(json.dumps(results, indent=1))
            print(
                f"{part}: done in {r['bench_wall_s']}s" + (" (FAILED)" if "error" in r else ""),
                flush=True,
            )
        summary(results, workdir)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
