"""Ingest speed of two errsynth versions in one process, interleaved: GSM8K and long-CoT chat.

    git archive BASE | tar -x -C /tmp/base-src
    python benchmarks/ab_ingest.py /tmp/base-src [--rows 30000] [--chat-rows 10000] [--rounds 3]

On a shared machine the load changes between two runs of `bench_ingest.py`, enough to
hide a 10% difference. Here the base version (copied into a temporary folder as the
package `errsynth_base`, its imports renamed) and the installed errsynth ingest the
same inputs alternately (base GSM8K, new GSM8K, base chat, new chat, then the next round
in the opposite order), each timed by the process's CPU time. It prints every
measurement, then per version the median chars/s per CPU second of each corpus and the
chat / GSM8K ratio, and the load average before and after.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import DEFAULT_CORPORA, _input_chars, _repeat, make_long_cot  # noqa: E402

import errsynth  # noqa: E402
from errsynth.ingest.run import ingest  # noqa: E402

_NAME = re.compile(r"\berrsynth\b")


def load_base(source: Path, work: Path) -> Callable[..., Any]:
    """`ingest` of the errsynth in `source` (a source tree), imported as errsynth_base."""
    target = work / "errsynth_base"
    shutil.copytree(source / "errsynth", target)
    for path in target.rglob("*.py"):
        path.write_text(_NAME.sub("errsynth_base", path.read_text()))
    sys.path.insert(0, str(work))
    return importlib.import_module("errsynth_base.ingest.run").ingest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("base", type=Path, help="source tree of the base version (git archive)")
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--chat-rows", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()}; new errsynth from {Path(errsynth.__file__).parent}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        versions = {"base": load_base(args.base, work), "new": ingest}
        inputs = {"gsm8k": (work / "gsm8k.jsonl", "gsm8k"), "chat": (work / "chat.jsonl", "auto")}
        _repeat(args.corpora / "gsm8k" / "train.jsonl", inputs["gsm8k"][0], args.rows)
        chars = {
            "gsm8k": _input_chars(inputs["gsm8k"][0], "gsm8k"),
            "chat": make_long_cot(args.corpora, inputs["chat"][0], args.chat_rows, 2000),
        }
        for run in versions.values():  # warm-up: imports and first-write costs billed nowhere
            for corpus, (path, fmt) in inputs.items():
                run([path], work / f"warm-{corpus}", fmt=fmt)
                shutil.rmtree(work / f"warm-{corpus}")
        rates: dict[tuple[str, str], list[float]] = {}
        for k in range(args.rounds):
            order = list(versions) if k % 2 == 0 else list(reversed(versions))
            for corpus, (path, fmt) in inputs.items():
                for name in order:
                    out = work / f"out-{name}-{corpus}"
                    started = time.process_time()
                    versions[name]([path], out, fmt=fmt)
                    cpu = time.process_time() - started
                    shutil.rmtree(out)
                    rate = chars[corpus] / cpu
                    rates.setdefault((name, corpus), []).append(rate)
                    print(
                        f"round {k + 1} {name:4s} {corpus:5s} cpu={cpu:.2f}s "
                        f"chars/s/core={rate:,.0f}",
                        flush=True,
                    )
    for name in versions:
        gsm = statistics.median(rates[(name, "gsm8k")])
        chat = statistics.median(rates[(name, "chat")])
        ratios = [c / g for c, g in zip(rates[(name, "chat")], rates[(name, "gsm8k")], strict=True)]
        print(
            f"{name:4s} median chars/s/core: gsm8k {gsm:,.0f}  chat {chat:,.0f}  "
            f"chat/gsm8k {chat / gsm:.3f} (per round: {', '.join(f'{r:.3f}' for r in ratios)})"
        )
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
