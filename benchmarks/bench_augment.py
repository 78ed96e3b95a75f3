"""Augment throughput: solutions/s per core through reorder + arith + validation + rendering.

    python benchmarks/bench_augment.py [--rows 100000] [--style back]

GSM8K train is repeated (with varied questions, so ids differ) to --rows rows and
ingested first (not timed); the timed part is the augment stage on one core:
both transforms, full validation (independent re-checks and the round trip) and
rendering, plus writing samples.parquet.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import DEFAULT_CORPORA, _repeat

from errsynth.ingest.run import ingest
from errsynth.render import StyleConfig
from errsynth.steps.augment import AugmentSpec, augment_table
from errsynth.transforms import make_transform


def load_gauge() -> float:
    """Milliseconds for 2,000 x sum(range(1000)): about 25 on this machine when idle.

    Other jobs share the machine; compare runs only when their gauges agree, and
    compare before/after side by side, in the same minute.
    """
    started = time.perf_counter()
    for _ in range(2000):
        sum(range(1000))
    return (time.perf_counter() - started) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--style", default="back")
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "gsm8k.jsonl"
        _repeat(args.corpora / "gsm8k" / "train.jsonl", data, args.rows)
        ingest([data], tmp_path / "ing")
        spec = AugmentSpec(
            transforms=[make_transform("reorder", rate=0.2), make_transform("arith", rate=0.2)],
            style=StyleConfig(name=args.style),
        )
        gauge_before = load_gauge()
        started = time.perf_counter()
        cpu_started = time.process_time()
        manifest = augment_table(tmp_path / "ing" / "solutions.parquet", tmp_path / "out", spec)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        gauge_after = load_gauge()
        n = manifest["rows_in"]
        print(
            f"augment reorder+arith style={args.style}: rows={n:,} samples={manifest['rows_out']:,} "
            f"rejected={manifest['rows_rejected']:,} time={elapsed:.2f}s "
            f"solutions/s/core={n / elapsed:,.0f} (per CPU second: {n / cpu:,.0f}) "
            f"load gauge={gauge_before:.0f}/{gauge_after:.0f}ms"
        )
        for name, st in manifest["per_transform"].items():
            print(f"  {name}: emitted={st['emitted']:,} rejected={st['rejected_by_reason']}")


if __name__ == "__main__":
    main()
