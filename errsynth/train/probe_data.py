"""Held-out retry samples for the regret probe, made from test problems.

Each test problem with a gold solution goes through the ``igsm_retry`` transform (rule
``retry``: the wrong head names a parameter that is not computable yet) and is rendered in
the style the arms train in, exactly as training data is: igsm (``Define P as BACK.``
before the right step) or back (``Define P as [BACK]``). The draw of each problem is seeded by (seed, problem), so the same test file and
seed give the same samples whichever run is probed. No torch here.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.core.errors import Rejection
from errsynth.igsm import IgsmParseError, split_steps
from errsynth.render import StyleConfig, render
from errsynth.train.data import QUESTION_TEMPLATE, iter_rows
from errsynth.transforms.igsm_retry import IgsmRetryTransform

PROBE_COLUMNS = ("id", "op", "prompt", "completion", "n_wrong_heads")


def _problem_seed(seed: int, problem: str) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{problem}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


PROBE_STYLES = ("igsm", "back")


def iter_probe_samples(
    test: str | Path,
    *,
    rate: float = 0.5,
    seed: int = 0,
    limit: int | None = None,
    style: str = "igsm",
    marker: str = "[BACK]",
) -> Iterator[dict[str, Any] | str]:
    """Probe samples of a test file's problems; a str (the reason) for each one skipped."""
    if style not in PROBE_STYLES:
        raise ValueError(f"probe samples are written in one of {PROBE_STYLES}, not {style!r}")
    transform = IgsmRetryTransform(rate=rate, rule="retry", min_errors=1)
    look = StyleConfig(name=style, marker=marker, question_template=QUESTION_TEMPLATE)  # type: ignore[arg-type]
    made = 0
    for r in iter_rows([test], ["problem", "question", "solution", "answer", "op"]):
        if limit is not None and made >= limit:
            return
        question = r.get("problem") or r.get("question")
        solution = r.get("solution")
        if not question or not solution:
            yield "no_solution"
            continue
        try:
            steps = split_steps(str(solution))
        except IgsmParseError:
            yield "not_igsm"
            continue
        row = {
            "question": question,
            "solution": solution,
            "steps": steps,
            "answer": str(r.get("answer")),
            "format": "igsm",
        }
        try:
            cand = transform.apply(row, random.Random(_problem_seed(seed, question)))
        except Rejection as exc:  # Skip (no wrong parameter fits) or an unreadable row
            yield exc.reason
            continue
        rendered = render(cand, look, None)
        made += 1
        yield {
            "id": hashlib.sha256(QUESTION_TEMPLATE.format(question=question).encode()).hexdigest()[
                :16
            ],
            "op": r.get("op"),
            "prompt": rendered.prompt,
            "completion": rendered.completion,
            "n_wrong_heads": rendered.n_errors,
        }


def build_probe_data(
    test: str | Path,
    out: str | Path,
    *,
    rate: float = 0.5,
    seed: int = 0,
    limit: int | None = None,
    style: str = "igsm",
    marker: str = "[BACK]",
) -> dict[str, Any]:
    """Write the probe samples of ``test`` to ``out`` (Parquet); returns the counts."""
    rows: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    samples = iter_probe_samples(test, rate=rate, seed=seed, limit=limit, style=style, marker=marker)  # fmt: skip
    for item in samples:
        if isinstance(item, str):
            skipped[item] = skipped.get(item, 0) + 1
        else:
            rows.append(item)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema(
        [("id", pa.string()), ("op", pa.int64()), ("prompt", pa.string()),
         ("completion", pa.string()), ("n_wrong_heads", pa.int64())]
    )  # fmt: skip
    tmp = out.with_name(out.name + ".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    tmp.rename(out)
    return {
        "samples": len(rows),
        "skipped": dict(sorted(skipped.items())),
        "rate": rate,
        "seed": seed,
    }


__all__ = ["PROBE_COLUMNS", "PROBE_STYLES", "build_probe_data", "iter_probe_samples"]
