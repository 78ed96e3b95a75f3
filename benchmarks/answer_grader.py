"""Answer equivalence on MATH test answers: errsynth's rules vs math-verify vs both.

Three checks, each over the 4,500 references (the last box of each solution):

1. normalization keeps meaning: math-verify(reference, normalize_answer(reference));
2. equivalent rewrites the normalizer does not make itself (decimal for a terminating
   fraction, a/b for \\frac, \\dfrac, a "x = " prefix, \\left/\\right, a unit in \\text{},
   $...$): the share each grader calls equal (recall);
3. different answers (the next problem's reference, when the two values differ as
   numbers): the share each grader wrongly calls equal (false positives).

    python benchmarks/answer_grader.py [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
from fractions import Fraction
from pathlib import Path

from errsynth.evaluate import answers_equal, normalize_answer, parse_number
from errsynth.evaluate.grader import equivalent, math_verify_equal
from errsynth.ingest.latex_text import last_boxed

MATH = Path(__file__).resolve().parents[2] / "shared/corpora/math/math_test_4500.jsonl"
FRAC = re.compile(r"^\\frac\{(-?\d+)\}\{(\d+)\}$")


def rewrites(ref: str) -> list[str]:
    out = []
    m = FRAC.match(ref.strip())
    if m:
        out.append(f"{m.group(1)}/{m.group(2)}")
        value = Fraction(int(m.group(1)), int(m.group(2)))
        d = value.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            out.append(str(float(value)))
    if "\\frac" in ref:
        out.append(ref.replace("\\frac", "\\dfrac"))
    if "(" in ref and ")" in ref and "\\left" not in ref:
        out.append(ref.replace("(", "\\left(").replace(")", "\\right)"))
    if parse_number(ref) is not None:
        out.append(f"{ref}\\text{{ units}}")
    out.append(f"x = {ref}")
    out.append(f"${ref}$")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    refs = []
    for line in MATH.read_text().splitlines()[: args.limit]:
        box = last_boxed(json.loads(line)["solution"])
        if box:
            refs.append(box)
    t = time.perf_counter()
    keep = [math_verify_equal(r, normalize_answer(r)) for r in refs]
    mv_s = time.perf_counter() - t
    disagree = [r for r, ok in zip(refs, keep, strict=True) if ok is not True]
    print(
        f"1. normalize_answer keeps meaning per math-verify: {len(refs) - len(disagree)}"
        f"/{len(refs)} ({mv_s:.1f} s)"
    )
    for r in disagree:
        print(f"   math-verify disagrees: {r!r} -> {normalize_answer(r)!r}")
    graders = {
        "rules": answers_equal,
        "math-verify": lambda a, b: bool(math_verify_equal(a, b)),
        "rules+math-verify": equivalent,
    }
    pos = [(r, w) for r in refs for w in rewrites(r)]
    neg = []
    for a, b in itertools.pairwise(refs):
        va, vb = parse_number(normalize_answer(a)), parse_number(normalize_answer(b))
        if va is not None and vb is not None and va != vb:
            neg.append((a, b))
    for name, grade in graders.items():
        t = time.perf_counter()
        recall = sum(grade(a, b) for a, b in pos)
        false_pos = sum(grade(a, b) for a, b in neg)
        ms = (time.perf_counter() - t) * 1000 / (len(pos) + len(neg))
        print(
            f"{name:>18}: equivalent rewrites {recall}/{len(pos)} "
            f"({100 * recall / len(pos):.1f}%), different answers called equal "
            f"{false_pos}/{len(neg)}, {ms:.2f} ms/pair"
        )


if __name__ == "__main__":
    main()
