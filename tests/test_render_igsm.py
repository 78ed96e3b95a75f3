"""The igsm style reproduces the iGSM generator's own retry files byte for byte.

The files hold `solution` (with ``Define X as BACK.`` steps) and `clean_solution`.
Each BACK step becomes a head-only attempt before the next clean step; rendering the
candidate must give `solution` back, and the clean render `clean_solution`. Skipped
cleanly when ../shared/corpora is absent.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from errsynth.igsm.text import parse_solution
from errsynth.render import StyleConfig, render, render_clean, round_trip_ok, strip_attempts
from errsynth.types.candidates import Candidate, WrongAttempt

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
FILES = ["igsm/igsm_med_retry_weak_1000.jsonl", "igsm/igsm_med_retry_1000.jsonl"]
BACK_SUFFIX = " BACK."


def _rows(relative: str) -> list[dict[str, Any]]:
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"real corpus {relative} not present at {CORPORA}")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def candidate_from_retry(rec: dict[str, Any], index: int) -> Candidate:
    """The clean row and its BACK steps as head-only igsm_retry attempts."""
    clean: list[str] = []
    attempts: list[WrongAttempt] = []
    for step in parse_solution(rec["solution"]):
        if step.back:
            assert step.text.endswith(BACK_SUFFIX)
            head = step.text[: -len(BACK_SUFFIX)]
            attempts.append(
                WrongAttempt(
                    at=len(clean),
                    kind="igsm_retry",
                    steps=(head,),
                    head=head,
                    finding=f"{step.param} cannot be computed yet",
                    detail={"param": step.param, "premature": True},
                )
            )
        else:
            clean.append(step.text)
    row = {"id": f"retry-{index}", "format": "igsm", "question": rec["problem"], "steps": clean}
    return Candidate(row=row, transform="igsm_retry", attempts=tuple(attempts))


@pytest.mark.corpora
@pytest.mark.parametrize("relative", FILES)
def test_igsm_style_reproduces_generator_retry_text(relative: str) -> None:
    style = StyleConfig(name="igsm")
    rows = _rows(relative)
    n_back = 0
    for i, rec in enumerate(rows):
        cand = candidate_from_retry(rec, i)
        assert len(cand.attempts) == rec["n_back"]
        n_back += rec["n_back"]
        r = render(cand, style, random.Random(i))
        assert r.completion == rec["solution"], f"row {i}"
        clean = render_clean(cand.row, style)
        assert clean.completion == rec["clean_solution"], f"row {i}"
        ok, why = round_trip_ok(cand, r, style)
        assert ok, f"row {i}: {why}"
        assert strip_attempts(r)[len(r.prompt) :] == rec["clean_solution"]
        for e in r.errors:
            assert r.text[e["start"] : e["end"]].startswith("Define ")
            assert r.text[e["marker_start"] : e["marker_end"]] == "BACK."
    assert n_back > 500  # the files really exercise the BACK path


@pytest.mark.corpora
def test_back_style_on_retry_rows_swaps_the_marker() -> None:
    rec = next(r for r in _rows(FILES[0]) if r["n_back"] >= 2)
    cand = candidate_from_retry(rec, 0)
    style = StyleConfig(name="back")
    r = render(cand, style, random.Random(0))
    assert round_trip_ok(cand, r, style) == (True, "")
    # the back style writes the attempt's steps (here the head) and its own marker
    assert r.completion == rec["solution"].replace(" as BACK.", " as [BACK]")
