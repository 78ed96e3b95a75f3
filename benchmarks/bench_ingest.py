"""Ingest throughput: rows/s on one core, GSM8K train repeated to >= 100k rows, MATH,
and a long chain-of-thought chat corpus, each also per character.

    python benchmarks/bench_ingest.py [--rows 100000] [--math-rows 22500]
        [--chat-rows 10000] [--chat-words 2000] [--only gsm8k,math,chat]

Single process, so the figure is per core; rates are per CPU second of the process
(`time.process_time`), so other jobs on a shared machine slow the wall clock, not them. Includes reading JSONL, step splitting,
equation extraction and exact evaluation, number flow, and Parquet writing.

The long-CoT corpus is made from the shared corpora (see `make_long_cot`): OpenAI
`messages` records with a system prompt, a GSM8K question, and a reply of about
`--chat-words` words: a `<think>` block of paragraphs (the problem's own solution,
"Wait, let me double-check" re-derivations, and worked paragraphs of GSM8K, MetaMath and
(with `chat_math`) MATH solutions as exploration), then the clean solution and a boxed
answer.
"""

from __future__ import annotations

import argparse
import json
import random
import re
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


_ANNOTATION = re.compile(r"<<[^<>]*>>")
_CHECKS = (
    "Wait, let me double-check this step.",
    "Hmm, let me verify that again.",
    "Actually, let me recompute to be sure.",
    "Let me re-check the arithmetic.",
)


def _paragraphs(corpora: Path, with_math: bool) -> tuple[list[tuple[str, str, str]], list[str]]:
    """GSM8K (question, steps text, answer) and paragraphs of other worked solutions."""
    gsm = []
    for line in (corpora / "gsm8k" / "train.jsonl").read_text().splitlines():
        rec = json.loads(line)
        body, answer = rec["answer"].rsplit("####", 1)
        gsm.append((rec["question"], _ANNOTATION.sub("", body).strip(), answer.strip()))
    other = [body for _, body, _ in gsm]
    meta = corpora / "metamath" / "GSM8K_Backward.jsonl"
    if meta.exists():
        for line in meta.read_text().splitlines():
            rec = json.loads(line)
            text = rec.get("inv_question_pred_answer") or rec.get("output") or ""
            other.append(text.replace("Let's think step by step.\n", "").strip())
    math = corpora / "math" / "math_test_4500.jsonl"
    if with_math and math.exists():
        other += [json.loads(x)["solution"] for x in math.read_text().splitlines()]
    return gsm, [p for p in other if p]


def make_long_cot(
    corpora: Path, dst: Path, rows: int, words: int, seed: int = 0, with_math: bool = False
) -> int:
    """Write `rows` long-CoT `messages` records of about `words` words; returns chars.

    Exploration paragraphs come from GSM8K and MetaMath solutions (the questions are
    GSM8K's); `with_math` adds MATH solutions (LaTeX, slower to judge)."""
    rng = random.Random(seed)
    gsm, other = _paragraphs(corpora, with_math)
    chars = 0
    with dst.open("w") as fh:
        for k in range(rows):
            question, body, answer = gsm[k % len(gsm)]
            think = [body.replace("\n", " ")]
            count = len(body.split())
            while count < words * 0.8:
                para = rng.choice(other).replace("\n\n", "\n").replace("\n", " ")
                check = rng.choice(_CHECKS) + " " + para if rng.random() < 0.25 else para
                think.append(check)
                count += len(check.split())
            reply = (
                "<think>\n"
                + "\n\n".join(think)
                + "\n</think>\n\n"
                + body
                + f"\n\nThe answer is $\\boxed{{{answer}}}$."
            )
            rec = {
                "messages": [
                    {"role": "system", "content": "Think step by step, then answer."},
                    {"role": "user", "content": f"{question} (#{k})"},
                    {"role": "assistant", "content": reply},
                ]
            }
            chars += len(rec["messages"][1]["content"]) + len(reply)
            fh.write(json.dumps(rec) + "\n")
    return chars


def _input_chars(path: Path, fmt: str) -> int:
    total = 0
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if fmt == "gsm8k":
            total += len(rec["question"]) + len(rec["answer"])
        else:
            total += len(rec["problem"]) + len(rec["solution"])
    return total


def bench(
    name: str,
    src: Path | None,
    rows: int,
    fmt: str,
    tmp: Path,
    data: Path | None = None,
    chars: int | None = None,
) -> None:
    if data is None:
        assert src is not None
        data = tmp / f"{name}.jsonl"
        n = _repeat(src, data, rows)
        chars = _input_chars(data, fmt)
    else:
        n = rows
    started = time.perf_counter()
    cpu_started = time.process_time()
    stats = ingest([data], tmp / f"out-{name}", fmt=fmt)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # this process's CPU time: robust to a busy host
    eq = stats.equations
    print(
        f"{name:6s} rows={n:,} out={stats.rows_out:,} rejected={stats.rows_rejected:,} "
        f"wall={elapsed:.2f}s cpu={cpu:.2f}s rows/s/core={n / cpu:,.0f} "
        f"chars/s/core={(chars or 0) / cpu:,.0f} chars/row={(chars or 0) / n:,.0f} "
        f"equations ok={eq['ok']:,} wrong={eq['wrong']:,} unjudged={eq['unjudged']:,}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--math-rows", type=int, default=22_500)
    ap.add_argument("--chat-rows", type=int, default=10_000)
    ap.add_argument("--chat-words", type=int, default=2_000)
    ap.add_argument(
        "--only", default="gsm8k,math,chat,chat_math", help="comma-separated corpora to run"
    )
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument(
        "--repeat", type=int, default=1, help="rounds (corpora interleaved); take the best"
    )
    args = ap.parse_args()
    warm_up(args.corpora)
    for _ in range(args.repeat):
        one_round(args)


def warm_up(corpora: Path) -> None:
    """Ingest a few rows of each shape untimed, so the one-time costs (lazy imports: the
    first Parquet write imports pandas, ~0.5 s; regex compilation) are billed to no corpus.
    Without it the first corpus of the first round (GSM8K) read ~5% slower."""
    with tempfile.TemporaryDirectory() as tmp:
        gsm8k = corpora / "gsm8k" / "train.jsonl"
        if gsm8k.exists():
            _repeat(gsm8k, Path(tmp) / "gsm8k.jsonl", 50)
            ingest([Path(tmp) / "gsm8k.jsonl"], Path(tmp) / "out-gsm8k", fmt="gsm8k")
            make_long_cot(corpora, Path(tmp) / "chat.jsonl", 20, 2000)
            ingest([Path(tmp) / "chat.jsonl"], Path(tmp) / "out-chat", fmt="auto")


def one_round(args: argparse.Namespace) -> None:
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        if "gsm8k" in only:
            gsm8k = args.corpora / "gsm8k" / "train.jsonl"
            bench("gsm8k", gsm8k, args.rows, "gsm8k", Path(tmp))
        if "math" in only:
            math = args.corpora / "math" / "math_test_4500.jsonl"
            bench("math", math, args.math_rows, "math", Path(tmp))
        if "chat" in only:
            data = Path(tmp) / "long_cot.jsonl"
            chars = make_long_cot(args.corpora, data, args.chat_rows, args.chat_words)
            bench("chat", None, args.chat_rows, "auto", Path(tmp), data=data, chars=chars)
        if "chat_math" in only:
            data = Path(tmp) / "long_cot_math.jsonl"
            chars = make_long_cot(
                args.corpora, data, args.chat_rows, args.chat_words, with_math=True
            )
            bench("chat+M", None, args.chat_rows, "auto", Path(tmp), data=data, chars=chars)


if __name__ == "__main__":
    main()
