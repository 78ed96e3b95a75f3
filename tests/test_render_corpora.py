"""Every style and output on a few hundred real GSM8K, MATH and iGSM rows.

The rows go through the real ingest; candidates are simple understanding-free
attempts (a later step copied in front, a digit changed, two steps written as one
attempt), enough to exercise every layout. Skipped cleanly without ../shared/corpora.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from errsynth.ingest.run import ingest
from errsynth.render import OUTPUTS, STYLES, StyleConfig, render, render_clean, round_trip_ok
from errsynth.render.highlight import correction_spans, highlight
from errsynth.types.candidates import Candidate, WrongAttempt

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
N_ROWS = 300
SOURCES = {
    "gsm8k": "gsm8k/train.jsonl",
    "math": "math/math_test_4500.jsonl",
    "igsm": "igsm/igsm_med_test.parquet",
}

pytestmark = pytest.mark.corpora


def _head(row: dict[str, Any], step: str) -> str | None:
    if row["format"] != "igsm" or " as " not in step:
        return None
    return step[: step.index(" as ") + len(" as")]


def _attempts(row: dict[str, Any], rng: random.Random) -> Iterator[WrongAttempt]:
    steps = row["steps"]
    n = len(steps)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(n)
        later = rng.randrange(at + 1, n) if at + 1 < n else at
        shape = rng.choice(["copy", "digit", "pair"])
        if shape == "copy":
            text = steps[later]
            yield WrongAttempt(
                at,
                "reorder",
                (text,),
                f"step {later} is not computable yet",
                head=_head(row, text),
                detail={"premature": True, "from_step": later},
            )
        elif shape == "digit":
            text = steps[at]
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = rng.choice(digits)
                text = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
            yield WrongAttempt(at, "arith", (text,), "a number is off by one digit", detail={})
        else:
            pair = (steps[later], steps[at])
            yield WrongAttempt(at, "distractor", pair, "", wrong_step=0, detail={"premature": None})


@pytest.fixture(scope="module")
def corpus_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for fmt, relative in SOURCES.items():
        src = CORPORA / relative
        if not src.exists():
            pytest.skip(f"real corpus {relative} not present at {CORPORA}")
        tmp = tmp_path_factory.mktemp(fmt)
        if src.suffix == ".parquet":
            small = tmp / "in.parquet"
            pq.write_table(pq.read_table(src).slice(0, N_ROWS), small)
        else:
            small = tmp / "in.jsonl"
            with src.open(encoding="utf-8") as f:
                small.write_text("".join(next(f) for _ in range(N_ROWS)), encoding="utf-8")
        ingest([small], tmp / "out", fmt=fmt)
        rows = pq.read_table(tmp / "out" / "solutions.parquet").to_pylist()
        assert len(rows) >= N_ROWS * 0.9
        out[fmt] = [r for r in rows if r["steps"]]
    return out


def _candidates(rows: list[dict[str, Any]]) -> list[Candidate]:
    cands = []
    for k, row in enumerate(rows):
        rng = random.Random(f"render-corpora:{row['id']}")
        attempts = tuple(sorted(_attempts(row, rng), key=lambda a: a.at))
        cands.append(Candidate(row=row, transform="test", attempts=attempts))
        if k % 10 == 0:  # and some rows left clean
            cands.append(Candidate(row=row, transform="test", attempts=()))
    return cands


@pytest.mark.parametrize("fmt", list(SOURCES))
@pytest.mark.parametrize("name", STYLES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_real_rows_round_trip(
    corpus_rows: dict[str, list[dict[str, Any]]], fmt: str, name: str, output: str
) -> None:
    style = StyleConfig(name=name, output=output, rounds=2)  # type: ignore[arg-type]
    n_rendered = 0
    for cand in _candidates(corpus_rows[fmt]):
        if name == "lema" and not cand.attempts:
            continue
        r = render(cand, style, random.Random(cand.row["id"]))
        ok, why = round_trip_ok(cand, r, style)
        assert ok, f"{cand.row['id']}: {why}"
        json.dumps(r.columns())  # plain JSON-able values for the Parquet writer
        text = highlight(r)
        assert text.plain == r.text
        n_rendered += 1
        clean = render_clean(cand.row, style)
        assert clean.text == clean.prompt + clean.completion and clean.errors == []
    assert n_rendered > 100


@pytest.mark.parametrize("fmt", ["gsm8k", "igsm"])
@pytest.mark.parametrize("name", ["back", "igsm", "natural", "lema", "cac"])
def test_highlight_finds_corrections_without_stored_spans(
    corpus_rows: dict[str, list[dict[str, Any]]], fmt: str, name: str
) -> None:
    """Sample rows from Parquet have no `corrections`; the layout gives the same spans."""
    style = StyleConfig(name=name, rounds=2)  # type: ignore[arg-type]
    for cand in _candidates(corpus_rows[fmt]):
        if not cand.attempts or any("\n" in s for s in cand.row["steps"]):
            continue
        r = render(cand, style, random.Random(0))
        row = {"text": r.text, "style": r.style, "errors": r.errors}
        want = [(c["start"], c["end"]) for c in r.corrections]
        got = correction_spans(row)
        runs = {e["attempt_start"] for e in r.errors}
        for e, g, w in zip(r.errors, got, want, strict=True):
            if name in ("back", "igsm", "natural") and e["marker_end"] + 1 in runs:
                assert g is None  # another attempt follows; the last one gets the colour
            else:
                assert g == w, (
                    cand.row["id"],
                    r.text[g[0] : g[1]] if g else None,
                    r.text[w[0] : w[1]],
                )
