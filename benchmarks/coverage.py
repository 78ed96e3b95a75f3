"""Coverage of every transform on every real corpus: rows eligible, samples emitted, rejections.

    python benchmarks/coverage.py [--corpora ../shared/corpora] [--limit N]

Prints a Markdown table (one line per corpus and transform): rows in, samples
emitted (validated: evidence re-checked, round trip exact), the share of rows
that yield a sample, and rejections by reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import DEFAULT_CORPORA

from errsynth.ingest.run import ingest
from errsynth.render import StyleConfig
from errsynth.steps.augment import AugmentSpec, augment_table
from errsynth.transforms import make_transform

CORPORA = {
    "gsm8k": ("gsm8k/train.jsonl", ["reorder", "arith", "distractor"]),
    "math": ("math/math_test_4500.jsonl", ["reorder", "arith", "distractor"]),
    "metamath": ("metamath/GSM8K_Backward.jsonl", ["reorder", "arith", "distractor"]),
    "igsm": ("igsm/igsm_med_test.parquet", ["reorder", "arith", "distractor", "igsm_retry"]),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--style", default="back")
    args = ap.parse_args()
    print(
        "| corpus | transform | rows | samples | share | errors/sample | premature | rejected by reason |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (rel, transforms) in CORPORA.items():
            path = args.corpora / rel
            if not path.exists():
                continue
            work = Path(tmp) / name
            ingest([path], work / "ing")
            spec = AugmentSpec(
                transforms=[make_transform(t, rate=0.2) for t in transforms],
                style=StyleConfig(name=args.style),
            )
            m = augment_table(
                work / "ing" / "solutions.parquet", work / "out", spec, limit=args.limit
            )
            for t, st in m["per_transform"].items():
                share = st["emitted"] / st["tried"] if st["tried"] else 0.0
                per = st["errors"] / st["emitted"] if st["emitted"] else 0.0
                prem = st["premature"] / st["errors"] if st["errors"] else 0.0
                reasons = ", ".join(f"{k} {v}" for k, v in st["rejected_by_reason"].items()) or "-"
                print(
                    f"| {name} | {t} | {st['tried']:,} | {st['emitted']:,} | {share:.1%} | "
                    f"{per:.2f} | {prem:.0%} | {reasons} |"
                )


if __name__ == "__main__":
    main()
