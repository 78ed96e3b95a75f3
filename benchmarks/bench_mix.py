"""Mix throughput: rows/s and peak RSS of tokenize + select + shuffle + write.

    python benchmarks/bench_mix.py [--rows 200000] [--words 200] [--hf]

Writes --rows synthetic samples (~1 KB of text each at 200 words) to 8 Parquet
files, then runs `mix_and_write` on them in a fresh child process per scenario,
so each peak RSS is that run's alone (input generation excluded). Single
process; Arrow kernels may use a second thread, and the HF tokenizer its own
thread pool.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from errsynth.engine.local import mix_and_write

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # test helpers
from synthetic_samples import synthetic_samples

STREAMS = [
    {"name": "clean", "where": {"kind": "clean"}, "weight": 0.5},
    {"name": "reorder_back", "where": {"kind": "reorder", "style": "back"}, "weight": 0.1},
    {"name": "retry", "where": {"kind": {"in": ["arith", "igsm_retry", "reorder"]}}, "weight": 0.4},
]


def scenarios(hf: str | None) -> dict[str, dict[str, Any]]:
    base_out = {"shard_bytes": "64MiB"}
    out = {
        "rows_all": {"mix": {"weight_by": "rows", "streams": STREAMS}, "output": base_out},
        "tokens_all": {"mix": {"weight_by": "tokens", "streams": STREAMS}, "output": base_out},
        "tokens_all_64MiB_budget": {
            "mix": {"weight_by": "tokens", "streams": STREAMS},
            "output": {**base_out, "memory": "64MiB"},
        },
        "tokens_repeat_2x": {
            "mix": {"weight_by": "tokens", "streams": STREAMS, "allow_repeat": True},
            "output": base_out,
        },
    }
    if hf:
        out["hf_bpe_tokens_all"] = {
            "mix": {"weight_by": "tokens", "streams": STREAMS, "tokenizer": f"hf:{hf}"},
            "output": base_out,
        }
    return out


def child(inputs: str, out: str, spec_json: str) -> None:
    spec = json.loads(spec_json)
    if spec.pop("_double_target", False):  # tokens_repeat_2x: 2x the tokens there are
        total = sum(
            len(t.split())
            for f in sorted(Path(inputs).glob("*.parquet"))
            for t in pq.read_table(f, columns=["text"]).column("text").to_pylist()
        )
        spec["mix"]["target"] = {"tokens": 2 * total}
    t0 = time.perf_counter()
    m = mix_and_write(inputs, out, spec, seed=0)
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "rss_mib": rss,
                "rows_in": m["rows_in"],
                "rows_out": m["rows_out"],
                "shards": len(m["shards"]),
                "bytes_out": sum(s["bytes"] for s in m["shards"]),
                "tokens_out": m["tokens_out"],
                "phases": m["phases_s"],
                "shares": {
                    k: round(v["achieved_share"], 5) for k, v in m["mix"]["streams"].items()
                },
            }
        )
    )


def _train_hf(path: Path, inputs: Path) -> str | None:
    try:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError:
        return None
    texts = pq.read_table(sorted(inputs.glob("*.parquet"))[0], columns=["text"])
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        texts.column("text").to_pylist()[:5000],
        trainers.BpeTrainer(vocab_size=500, special_tokens=["[UNK]"]),
    )
    tok.save(str(path))
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--words", type=int, default=200)
    ap.add_argument("--hf", action="store_true", help="also time a local HF BPE tokenizer")
    ap.add_argument("--only", default=None, help="run one scenario")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        inputs = tmp / "in"
        inputs.mkdir()
        t0 = time.perf_counter()
        per = -(-args.rows // 8)
        text_bytes = 0
        for i in range(8):
            n = min(per, args.rows - i * per)
            t = synthetic_samples(n, seed=i, mean_words=args.words, id_prefix=f"f{i}-")
            text_bytes += sum(len(x) for x in t.column("text").to_pylist())
            pq.write_table(t, inputs / f"part-{i}.parquet")
        print(
            f"inputs: {args.rows:,} rows, mean text {text_bytes / args.rows:,.0f} B, "
            f"generated in {time.perf_counter() - t0:.1f}s"
        )
        hf = _train_hf(tmp / "tokenizer.json", inputs) if args.hf else None
        for name, spec in scenarios(hf).items():
            if args.only and name != args.only:
                continue
            if name == "tokens_repeat_2x":
                spec = {**spec, "_double_target": True}
            res = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(inputs),
                    str(tmp / name),
                    json.dumps(spec),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(res.stdout.strip().splitlines()[-1])
            print(
                f"{name:24s} rows_in={r['rows_in']:,} rows_out={r['rows_out']:,} "
                f"time={r['elapsed']:.1f}s rows_in/s={r['rows_in'] / r['elapsed']:,.0f} "
                f"peak_rss={r['rss_mib']:,.0f}MiB shards={r['shards']} "
                f"out={r['bytes_out'] / 2**20:,.0f}MiB shares={r['shares']}"
            )
            print(f"{'':24s} phases={r['phases']}")


if __name__ == "__main__":
    main()
