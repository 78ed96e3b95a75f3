"""Ingest real corpora with the errsynth on `sys.path`, or compare two such snapshots.

    python benchmarks/compare_ingest.py snapshot OUT [--corpora DIR] [--chat-rows 10000]
    python benchmarks/compare_ingest.py compare OUT_A OUT_B

`snapshot` ingests GSM8K train, MetaMath GSM8K-backward, MATH test, the iGSM retry
JSONL files and two generated long-CoT chat corpora (`bench_ingest.make_long_cot`:
GSM8K/MetaMath exploration, and 1,000 rows with MATH exploration) into `OUT/<name>/`
(format `auto`). To snapshot a fixed commit while editing, run it from a `git archive`
of that commit: `PYTHONPATH=/tmp/snap python benchmarks/compare_ingest.py snapshot …`.

`compare` checks each corpus of A against B: the same schema and every row equal in
every column, in order (`solutions.parquet` and `rejects.parquet`), and the manifest
counts (timings ignored). It prints one line per corpus and exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import DEFAULT_CORPORA, make_long_cot  # noqa: E402

import errsynth  # noqa: E402
from errsynth.ingest.run import ingest  # noqa: E402

MANIFEST_KEYS = ("rows_in", "rows_out", "rows_rejected", "per_format", "rejected_by_reason")


def corpora_inputs(corpora: Path, work: Path, chat_rows: int) -> dict[str, Path]:
    """Name → input file of every corpus present (chat corpora are written into `work`)."""
    found = {
        "gsm8k": corpora / "gsm8k" / "train.jsonl",
        "metamath": corpora / "metamath" / "GSM8K_Backward.jsonl",
        "math": corpora / "math" / "math_test_4500.jsonl",
        "igsm_retry": corpora / "igsm" / "igsm_med_retry_1000.jsonl",
        "igsm_retry_weak": corpora / "igsm" / "igsm_med_retry_weak_1000.jsonl",
    }
    out = {name: path for name, path in found.items() if path.exists()}
    if (corpora / "gsm8k" / "train.jsonl").exists():
        work.mkdir(parents=True, exist_ok=True)
        chat = work / "long_cot.jsonl"
        make_long_cot(corpora, chat, chat_rows, 2000)
        out["chat"] = chat
        chat_math = work / "long_cot_math.jsonl"
        make_long_cot(corpora, chat_math, min(chat_rows, 1000), 2000, with_math=True)
        out["chat_math"] = chat_math
    return out


def snapshot(out: Path, corpora: Path, chat_rows: int) -> None:
    print(f"errsynth from {Path(errsynth.__file__).parent}", flush=True)
    for name, path in corpora_inputs(corpora, out / "_inputs", chat_rows).items():
        stats = ingest([path], out / name, fmt="auto")
        print(f"{name}: rows_out={stats.rows_out} rejected={stats.rows_rejected}", flush=True)


def _manifest(run: Path) -> dict[str, Any]:
    m = json.loads((run / "manifest.json").read_text())
    return {k: m.get(k) for k in (*MANIFEST_KEYS, "equations")}


def compare_table(a: Path, b: Path) -> str | None:
    ta, tb = pq.read_table(a), pq.read_table(b)
    if ta.schema != tb.schema:
        return f"{a.name}: schemas differ"
    if ta.num_rows != tb.num_rows:
        return f"{a.name}: {ta.num_rows} vs {tb.num_rows} rows"
    for name in ta.column_names:
        ca, cb = ta.column(name).combine_chunks(), tb.column(name).combine_chunks()
        if not ca.equals(cb):
            la, lb = ca.to_pylist(), cb.to_pylist()
            first = next(i for i, (x, y) in enumerate(zip(la, lb, strict=True)) if x != y)
            return f"{a.name}: column {name!r} differs first at row {first}"
    return None


def compare(a: Path, b: Path) -> int:
    names = sorted(p.name for p in a.iterdir() if (p / "manifest.json").exists())
    failed = 0
    for name in names:
        problems = []
        if not (b / name / "manifest.json").exists():
            problems.append("missing in B")
        else:
            for table in ("solutions.parquet", "rejects.parquet"):
                why = compare_table(a / name / table, b / name / table)
                if why:
                    problems.append(why)
            if _manifest(a / name) != _manifest(b / name):
                problems.append("manifest counts differ")
        rows = pq.ParquetFile(a / name / "solutions.parquet").metadata.num_rows
        print(f"{name}: {rows:,} rows " + ("EQUAL" if not problems else "; ".join(problems)))
        failed += bool(problems)
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    snap = sub.add_parser("snapshot", help="ingest every corpus into OUT/<name>")
    snap.add_argument("out", type=Path)
    snap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    snap.add_argument("--chat-rows", type=int, default=10_000)
    cmp = sub.add_parser("compare", help="compare two snapshots row for row")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.cmd == "snapshot":
        snapshot(args.out, args.corpora, args.chat_rows)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
