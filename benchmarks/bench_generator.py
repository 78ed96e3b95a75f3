"""iGSM throughput on one core: generated problems/s, and parse/check rates on real data.

    python benchmarks/bench_generator.py [--rows 5000] [--corpora ../shared/corpora]

Parsing is measured on the paper's med train file when ../shared/corpora is there, else on
rows generated here (labelled as such).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow.parquet as pq

from errsynth.igsm.checker import check
from errsynth.igsm.generator import GeneratorConfig, generate_row
from errsynth.igsm.text import parse_problem, parse_solution

HERE = Path(__file__).resolve().parent
DEFAULT_CORPORA = HERE.parents[1] / "shared" / "corpora"


def _rate(n: int, fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


def _bench_generate(rows: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for names in ("full", "short"):
        for max_ops in (6, 15):
            cfg = GeneratorConfig(max_ops=max_ops, names=names)  # type: ignore[arg-type]
            got: list[dict[str, object]] = []
            rate = _rate(
                rows,
                lambda cfg=cfg, got=got: got.extend(generate_row(0, i, cfg) for i in range(rows)),
            )
            print(f"generate  names={names:<5} max_ops={max_ops:<2}  {rate:10,.0f} problems/s")
            out += got
    return out


def _stream(fn: Callable[[str], object], items: Sequence[str]) -> None:
    for x in items:
        fn(x)


def _bench_parse(
    label: str, problems: Sequence[str], solutions: Sequence[str], answers: Sequence[str]
) -> None:
    """Streaming rates (parse, then drop the result, as a reader does); keeping every parse
    of a large file alive costs extra time in Python's cyclic garbage collector."""
    n = len(solutions)
    print(
        f"parse_solution  {label}: {_rate(n, lambda: _stream(parse_solution, solutions)):10,.0f} solutions/s"
    )
    kept = _rate(n, lambda: [parse_solution(s) for s in solutions])
    print(f"parse_solution  {label}: {kept:10,.0f} solutions/s keeping all results in a list")
    print(
        f"parse_problem   {label}: {_rate(n, lambda: _stream(parse_problem, problems)):10,.0f} problems/s"
    )
    k = min(n, 20_000)
    rows = list(zip(problems[:k], solutions[:k], answers[:k], strict=True))
    rate = _rate(k, lambda: [check(p, s, a) for p, s, a in rows])
    print(f"check           {label}: {rate:10,.0f} rows/s (first {k:,} rows)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000, help="rows to generate per setting")
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = ap.parse_args()
    generated = _bench_generate(args.rows)
    med = args.corpora / "igsm" / "igsm_med_train.parquet"
    if med.exists():
        table = pq.read_table(med, columns=["problem", "solution", "answer"])
        cols = [table.column(c).to_pylist() for c in ("problem", "solution", "answer")]
        _bench_parse(f"{med.name} ({table.num_rows:,} rows)", *cols)
    else:
        print(f"{med} not found: parsing generated rows instead")
    cols = [[str(r[c]) for r in generated] for c in ("problem", "solution", "answer")]
    _bench_parse(f"generated ({len(generated):,} rows)", *cols)


if __name__ == "__main__":
    main()
