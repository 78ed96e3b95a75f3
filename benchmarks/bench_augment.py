"""Augment throughput: solutions/s per core through reorder + arith + validation + rendering.

    python benchmarks/bench_augment.py [--rows 100000] [--style back]
    python benchmarks/bench_augment.py --rows 20000 --profile recipes/profiles/synthetic_late \
        [--transforms reorder,arith,distractor] [--repeats 3]

GSM8K train is repeated (with varied questions, so ids differ) to --rows rows and
ingested first (not timed); the timed part is the augment stage on one core:
both transforms, full validation (independent re-checks and the round trip) and
rendering, plus writing samples.parquet.

With --profile the same stage runs without and with ``profile: PATH`` on every chosen
transform, alternating (--repeats rounds, in the same minutes), and the ratio of the
median CPU-second throughputs (with / without) is printed.
"""

from __future__ import annotations

import argparse
import statistics
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


def _run(solutions: Path, out: Path, spec: AugmentSpec) -> tuple[dict, float, float]:
    """(manifest, wall seconds, CPU seconds) of one augment stage."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    manifest = augment_table(solutions, out, spec)
    return manifest, time.perf_counter() - started, time.process_time() - cpu_started


def _spec(names: list[str], style: str, profile: Path | None) -> AugmentSpec:
    extra = {} if profile is None else {"profile": str(profile)}
    return AugmentSpec(
        transforms=[make_transform(n, rate=0.2, **extra) for n in names],
        style=StyleConfig(name=style),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--style", default="back")
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--transforms", default="reorder,arith", help="comma-separated")
    ap.add_argument("--profile", type=Path, default=None, help="compare without/with it")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of the --profile comparison")
    args = ap.parse_args()
    names = [n.strip() for n in args.transforms.split(",") if n.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "gsm8k.jsonl"
        _repeat(args.corpora / "gsm8k" / "train.jsonl", data, args.rows)
        ingest([data], tmp_path / "ing")
        solutions = tmp_path / "ing" / "solutions.parquet"
        if args.profile is not None:
            _compare(solutions, tmp_path, names, args)
            return
        gauge_before = load_gauge()
        manifest, elapsed, cpu = _run(solutions, tmp_path / "out", _spec(names, args.style, None))
        gauge_after = load_gauge()
        n = manifest["rows_in"]
        print(
            f"augment {'+'.join(names)} style={args.style}: rows={n:,} "
            f"samples={manifest['rows_out']:,} "
            f"rejected={manifest['rows_rejected']:,} time={elapsed:.2f}s "
            f"solutions/s/core={n / elapsed:,.0f} (per CPU second: {n / cpu:,.0f}) "
            f"load gauge={gauge_before:.0f}/{gauge_after:.0f}ms"
        )
        for name, st in manifest["per_transform"].items():
            print(f"  {name}: emitted={st['emitted']:,} rejected={st['rejected_by_reason']}")


def _compare(solutions: Path, tmp_path: Path, names: list[str], args: argparse.Namespace) -> None:
    """Without and with the profile, alternating; medians of rows per CPU second."""
    specs = {
        "without": _spec(names, args.style, None),
        "with": _spec(names, args.style, args.profile),
    }
    rates: dict[str, list[float]] = {k: [] for k in specs}
    last: dict[str, dict] = {}
    gauge_before = load_gauge()
    for r in range(args.repeats):
        for label, spec in specs.items():
            manifest, elapsed, cpu = _run(solutions, tmp_path / f"out-{label}-{r}", spec)
            n = manifest["rows_in"]
            rates[label].append(n / cpu)
            last[label] = manifest
            print(
                f"round {r} {label:7} profile: rows={n:,} samples={manifest['rows_out']:,} "
                f"time={elapsed:.2f}s rows/CPU-s={n / cpu:,.0f}"
            )
    gauge_after = load_gauge()
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        f"augment {'+'.join(names)} style={args.style} rows={last['with']['rows_in']:,}: "
        f"median rows/CPU-s without={med['without']:,.0f} with={med['with']:,.0f} "
        f"ratio with/without={med['with'] / med['without']:.3f} "
        f"load gauge={gauge_before:.0f}/{gauge_after:.0f}ms"
    )
    for label, manifest in last.items():
        for name, st in manifest["per_transform"].items():
            print(
                f"  {label} {name}: emitted={st['emitted']:,} rejected={st['rejected_by_reason']}"
            )


if __name__ == "__main__":
    main()
