"""Audit the calculator annotations and prose equations of a GSM8K-style file.

``python -m errsynth.evaluate.audit [train.jsonl] [--out report.txt]`` checks every
``<<expr=result>>`` annotation of every ``answer`` and writes each one not judged ok
(False or None) with its row index, plus the prose (inline) equations judged wrong, to
the report (default ``/tmp/gsm8k_bad_annotations.txt``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .check import Verdict, check_equation
from .find import find_equations
from .find_plain import ANNOTATION

DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared/corpora/gsm8k/train.jsonl"
DEFAULT_REPORT = Path("/tmp/gsm8k_bad_annotations.txt")


@dataclass(frozen=True, slots=True)
class Finding:
    """One equation that was not judged ok."""

    row: int
    kind: str
    expr: str
    claimed: str
    verdict: Verdict
    context: str


@dataclass(slots=True)
class Audit:
    """Counts per ``(ok, reason)`` for annotations and inline equations, and the findings."""

    annotations: Counter[tuple[bool | None, str]] = field(default_factory=Counter)
    inline: Counter[tuple[bool | None, str]] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    @property
    def annotation_ok_fraction(self) -> float:
        total = sum(self.annotations.values())
        ok = sum(n for (status, _), n in self.annotations.items() if status is True)
        return ok / total if total else 1.0


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 60) : end + 30].replace("\n", " | ")


def audit_rows(answers: list[str]) -> Audit:
    """Check the annotations and inline equations of each answer text."""
    audit = Audit()
    for row, answer in enumerate(answers):
        for eq in find_equations(answer, kind="annotation"):
            verdict = check_equation(eq.expr, eq.claimed)
            audit.annotations[(verdict.ok, verdict.reason)] += 1
            if verdict.ok is not True:
                context = _context(answer, eq.start, eq.end)
                audit.findings.append(
                    Finding(row, "annotation", eq.expr, eq.claimed, verdict, context)
                )
        # Prose equations are read with the annotations removed, as a reader sees them.
        prose = ANNOTATION.sub("", answer)
        for eq in find_equations(prose, kind="inline"):
            verdict = check_equation(eq.expr, eq.claimed)
            audit.inline[(verdict.ok, verdict.reason)] += 1
            if verdict.ok is False:
                context = _context(prose, eq.start, eq.end)
                audit.findings.append(Finding(row, "inline", eq.expr, eq.claimed, verdict, context))
    return audit


def render(audit: Audit, source: str) -> str:
    """The plain-text report."""
    total = sum(audit.annotations.values())
    bad = [f for f in audit.findings if f.kind == "annotation"]
    lines = [
        f"GSM8K annotation audit of {source}",
        f"annotations: {total}, judged ok: {audit.annotation_ok_fraction:.4%}",
        "by verdict: "
        + ", ".join(f"{ok}/{reason}: {n}" for (ok, reason), n in audit.annotations.most_common()),
        "",
        f"annotations judged False or None: {len(bad)}",
    ]
    lines += [
        f"  row {f.row}: <<{f.expr}={f.claimed}>> -> ok={f.verdict.ok} ({f.verdict.reason}), "
        f"value {f.verdict.value}; context: {f.context}"
        for f in bad
    ]
    prose = [f for f in audit.findings if f.kind == "inline"]
    lines += [
        "",
        "prose equations outside annotations (annotations removed), by verdict: "
        + ", ".join(f"{ok}/{reason}: {n}" for (ok, reason), n in audit.inline.most_common()),
        f"prose equations judged False (the arithmetic as written is wrong): {len(prose)}",
    ]
    lines += [
        f"  row {f.row}: {f.expr} = {f.claimed} -> value {f.verdict.value}; context: {f.context}"
        for f in prose
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    with args.corpus.open(encoding="utf-8") as fh:
        answers = [json.loads(line)["answer"] for line in fh if line.strip()]
    report = render(audit_rows(answers), str(args.corpus))
    args.out.write_text(report, encoding="utf-8")
    print(report, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
