"""Ingest throughput: rows/s on one core, GSM8K train repeated to >= 100k rows, and MATH.

    python benchmarks/bench_ingest.py [--rows 100000] [--corpora ../shared/corpora]

Single process, so the figure is per core. Includes reading JSONL, step splitting,
equation extraction and exact evaluation, number flow, and Parquet writing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from errsynth.ingest.run import ingest

HERE = Path(__file__).resolve().parent
DEFAULT_CORPORA = HERE.parents[1] / "shared" / "corpora"


def _repeat(src: Path, dst: Path, rows: int) -> int:
    lines = [ln for ln in src.read_text().splitlines() if ln.strip()]
    written = 0
    with dst.open("w") as fh:
        while written < rows:
            for ln in lines:
                # vary the question so ids differ between copies, as fresh rows would
                rec = json.loads(ln)
                key = "question" if "question" in rec else "problem"
                rec[key] = f"{rec[key]} (copy {written // len(lines)})"
                fh.write(json.dumps(rec) + "\n")
                written += 1
                if written >= rows:
                    break
    return written


def bench(name: str, src: Path, rows: int, fmt: str, tmp: Path) -> None:
    data = tmp / f"{name}.jsonl"
    n = _repeat(src, data, rows)
    started = time.perf_counter()
    stats = ingest([data], tmp / f"out-{name}", fmt=fmt)
    elapsed = time.perf_counter() - started
    eq = stats.equations
    print(
        f"{name:6s} rows={n:,} out={stats.rows_out:,} rejected={stats.rows_rejected:,} "
        f"time={elapsed:.2f}s rows/s/core={n / elapsed:,.0f} "
        f"equations ok={eq['ok']:,} wrong={eq['wrong']:,} unjudged={eq['unjudged']:,}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--math-rows", type=int, default=22_500)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("gsm8k", args.corpora / "gsm8k" / "train.jsonl", args.rows, "gsm8k", Path(tmp))
        bench(
            "math",
            args.corpora / "math" / "math_test_4500.jsonl",
            args.math_rows,
            "math",
            Path(tmp),
        )


if __name__ == "__main__":
    main()
