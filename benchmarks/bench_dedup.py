"""MinHash near dedup: docs/s per core, peak RSS and recall on 200k perturbed GSM8K rows.

    python benchmarks/bench_dedup.py [--rows 200000] [--method both|ours|datasketch]

The corpus: the 7,473 GSM8K train problems (question + answer as one text),
then seeded perturbed copies (tests/text_perturb.py: case/space/punctuation
edits plus 1-3 content edits) of random problems up to `--rows`. Every copy is
a planted duplicate; recall is the share of copies removed into their
original's cluster, and "merged originals" counts originals removed into
another original's cluster.

Each method runs in its own child process, so each peak RSS (ru_maxrss) is its
own; it includes the Python interpreter, the libraries and the input table
(read from Parquet). Time is end to end from that table: normalization,
shingling, signatures, LSH, components, verdicts. Single-threaded, so docs/s
of wall time is per core; CPU seconds are reported too.

The datasketch reference is the usual streaming recipe: for each row in keep
order, MinHash (same permutations, same shingles), `query` the MinHashLSH
index with the same (bands, rows), mark a duplicate of the first candidate or
`insert` it. It does not verify candidates.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.dedup.minhash import MinHashParams, permutations
from errsynth.dedup.near import NearDedupConfig, near_dedup
from errsynth.dedup.normalize import jaccard, normalize, shingle_set, shingles

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # test helpers
from text_perturb import perturb

HERE = Path(__file__).resolve().parent
DEFAULT_CORPORA = HERE.parents[1] / "shared" / "corpora"
CONFIG = NearDedupConfig()


def build_corpus(gsm8k: Path, rows: int, seed: int, out: Path) -> None:
    with gsm8k.open() as fh:
        originals = [
            (r["question"] + "\n" + r["answer"]) for r in (json.loads(line) for line in fh)
        ]
    rng = random.Random(seed)
    source = list(range(len(originals)))
    source += [rng.randrange(len(originals)) for _ in range(rows - len(originals))]
    texts = originals + [perturb(originals[i], rng) for i in source[len(originals) :]]
    n = len(texts)
    pq.write_table(
        pa.table(
            {
                "id": pa.array(np.arange(n, dtype=np.int64)),
                "order": pa.array(np.arange(n, dtype=np.int64)),
                "source": pa.array(np.array(source, dtype=np.int64)),
                "text": texts,
            }
        ),
        out,
    )


def planted_jaccard(data: Path, sample: int, seed: int) -> str:
    """Exact Jaccard (word 3- and 5-grams) of a sample of copies with their originals."""
    table = pq.read_table(data, columns=["source", "text"])
    texts = table.column("text").to_pylist()
    source = table.column("source").to_pylist()
    copies = [i for i in range(len(texts)) if source[i] != i]
    rng = random.Random(seed)
    picked = rng.sample(copies, min(sample, len(copies)))
    cfg = CONFIG.minhash.normalize
    parts = []
    for n in (3, 5):
        sims = np.array(
            [
                jaccard(
                    shingle_set([normalize(texts[i], cfg)], n),
                    shingle_set([normalize(texts[source[i]], cfg)], n),
                )
                for i in picked
            ]
        )
        q = np.percentile(sims, [1, 10, 50])
        parts.append(
            f"word {n}-grams min {sims.min():.2f} p1 {q[0]:.2f} p10 {q[1]:.2f} median {q[2]:.2f}"
        )
    return f"planted pairs (sample of {len(picked)}): " + "; ".join(parts)


def scores(cluster_of: np.ndarray, kept: np.ndarray, source: np.ndarray, n_orig: int) -> dict:
    """Recall of copies and merged originals, from each row's representative row."""
    copies = np.arange(n_orig, source.shape[0])
    found = (~kept[copies]) & (cluster_of[copies] == cluster_of[source[copies]])
    return {
        "recall": float(found.mean()) if copies.size else 1.0,
        "copies_missed": int((~found).sum()),
        "merged_originals": int((~kept[:n_orig]).sum()),
    }


def run_ours(table: pa.Table) -> dict:
    res = near_dedup(table, "text", order_col="order", config=CONFIG)
    cluster = res.cluster_id.to_numpy()  # ids are row numbers here
    out = scores(cluster, res.kept_mask, table.column("source").to_numpy(), _n_orig(table))
    out["removed"] = res.num_removed
    out["links"] = int(res.stats["links"])
    return out


def run_datasketch(table: pa.Table) -> dict:
    from datasketch import MinHash, MinHashLSH

    p = CONFIG.minhash
    lsh_params = CONFIG.lsh()
    perms = np.array(permutations(p.num_perm, p.seed, p.scheme))
    index = MinHashLSH(num_perm=p.num_perm, params=(lsh_params.bands, lsh_params.rows))
    texts = table.column("text").to_pylist()
    n = len(texts)
    rep = np.arange(n)
    for i, text in enumerate(texts):
        m = MinHash(num_perm=p.num_perm, seed=p.seed, permutations=perms, scheme=p.scheme)
        grams = shingles(normalize(text, p.normalize), p.ngram, p.unit)
        m.update_batch([g.encode("utf-8") for g in grams])
        found = index.query(m)
        if found:
            rep[i] = rep[min(found)]
        else:
            index.insert(i, m, check_duplication=False)
    kept = rep == np.arange(n)
    out = scores(rep, kept, table.column("source").to_numpy(), _n_orig(table))
    out["removed"] = int((~kept).sum())
    return out


def _n_orig(table: pa.Table) -> int:
    source = table.column("source").to_numpy()
    return int(np.argmax(source != np.arange(source.shape[0]))) or source.shape[0]


def child(method: str, data: Path) -> None:
    table = pq.read_table(data)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    out = run_ours(table) if method == "ours" else run_datasketch(table)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rows = table.num_rows
    out.update(
        method=method,
        rows=rows,
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
        docs_per_s=round(rows / wall),
        docs_per_cpu_s=round(rows / cpu),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--method", choices=["both", "ours", "datasketch"], default="both")
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.method, args.child)
        return
    lsh = CONFIG.lsh()
    p: MinHashParams = CONFIG.minhash
    print(
        f"config: word {p.ngram}-grams, num_perm={p.num_perm}, threshold={CONFIG.threshold}, "
        f"bands={lsh.bands} x rows={lsh.rows}, verify={lsh.verify_threshold}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "corpus.parquet"
        t0 = time.perf_counter()
        build_corpus(args.corpora / "gsm8k" / "train.jsonl", args.rows, args.seed, data)
        print(f"corpus: {args.rows:,} rows built in {time.perf_counter() - t0:.1f}s")
        print(planted_jaccard(data, 2000, args.seed))
        methods = ["ours", "datasketch"] if args.method == "both" else [args.method]
        for method in methods:
            cmd = [sys.executable, __file__, "--method", method, "--child", str(data)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{method}: failed\n{done.stderr[-2000:]}")
                continue
            print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
