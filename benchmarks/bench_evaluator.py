"""Throughput of the exact evaluator on GSM8K calculator annotations (single process).

Reads every ``<<expr=result>>`` annotation of GSM8K train (``../shared/corpora``), or
synthesizes annotation-like equations when the corpus is absent, then times
``check_equation`` (tokenize, parse, evaluate both sides exactly, compare, format the
value) over all of them, and separately ``find_equations`` + ``check_equation`` from
the raw answer texts. Nothing is deduplicated, and the evaluator's small parse cache is
emptied before every repetition, so each one re-does all the work (within a pass the
cache serves repeated expressions, as it does during ingest). Prints annotations per
second for one core.

    python benchmarks/bench_evaluator.py [--repeat 5] [--synthetic]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from errsynth.evaluate import check_equation, find_equations, format_value
from errsynth.evaluate import core as _core

_PARSED: dict[object, object] = getattr(_core, "_PARSED", {})  # the parse cache, if any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpora/gsm8k/train.jsonl"


def load_answers(synthetic: bool) -> tuple[list[str], str]:
    if CORPUS.exists() and not synthetic:
        with CORPUS.open(encoding="utf-8") as fh:
            return [json.loads(line)["answer"] for line in fh if line.strip()], str(CORPUS)
    return synthesize(7473), "synthesized"


def synthesize(rows: int, seed: int = 0) -> list[str]:
    """Answer texts with GSM8K-like annotations: 1-3 operations on ints and decimals."""
    rng = random.Random(seed)
    answers = []
    for _ in range(rows):
        steps = []
        for _ in range(rng.randint(2, 5)):
            terms = [str(rng.randint(1, 500)) for _ in range(rng.randint(2, 4))]
            if rng.random() < 0.2:
                terms[0] = f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"
            ops = [rng.choice("+-*/") for _ in terms[1:]]
            text = terms[0] + "".join(op + term for op, term in zip(ops, terms[1:], strict=True))
            value = _flat_value(terms, ops)
            if rng.random() < 0.1:
                text, value = f"({text})*2", value * 2
            # GSM8K writes results as decimals, rounded to 2 places when they do not end.
            result = format_value(value)
            if "/" in result:
                result = format_value(Fraction(round(value * 100), 100))
            steps.append(f"So {text} = <<{text}={result}>>{result}.")
        answers.append("\n".join(steps))
    return answers


def _flat_value(terms: list[str], ops: list[str]) -> Fraction:
    """Value of ``t0 op1 t1 op2 t2 ...`` with * and / before + and -."""
    sums = [Fraction(terms[0])]
    for op, term in zip(ops, terms[1:], strict=True):
        value = Fraction(term)
        if op == "+":
            sums.append(value)
        elif op == "-":
            sums.append(-value)
        elif op == "*":
            sums[-1] *= value
        else:
            sums[-1] /= value
    return sum(sums, Fraction(0))


def best_rate(work: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Best items/second over ``repeat`` runs (the least disturbed by other processes)."""
    best = 0.0
    count = 0
    for _ in range(repeat):
        _PARSED.clear()  # no parse survives from the previous repetition
        start = time.perf_counter()
        count = work()
        best = max(best, count / (time.perf_counter() - start))
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true", help="ignore the corpus")
    args = parser.parse_args()

    answers, source = load_answers(args.synthetic)
    annotations = [
        (eq.expr, eq.claimed) for text in answers for eq in find_equations(text, kind="annotation")
    ]

    def check_all() -> int:
        for expr, claimed in annotations:
            check_equation(expr, claimed)
        return len(annotations)

    def find_and_check_all() -> int:
        n = 0
        for text in answers:
            for eq in find_equations(text, kind="annotation"):
                check_equation(eq.expr, eq.claimed)
                n += 1
        return n

    verdicts = [check_equation(e, c) for e, c in annotations]
    ok = sum(v.ok is True for v in verdicts)
    rate, n = best_rate(check_all, args.repeat)
    rate_find, _ = best_rate(find_and_check_all, args.repeat)
    print(f"source: {source}")
    print(f"annotations: {n}, judged ok: {ok} ({ok / max(n, 1):.4%})")
    print(f"check_equation: {rate:,.0f} annotations/s (one core, best of {args.repeat})")
    print(f"find_equations + check_equation: {rate_find:,.0f} annotations/s (one core)")


if __name__ == "__main__":
    main()
