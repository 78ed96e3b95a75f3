"""The step contract: a new step runs through the runner unchanged, and order is checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from errsynth.core.stage import stage_rejects
from errsynth.recipe import RecipeError, load_recipe
from errsynth.runner import run_recipe
from errsynth.steps import (
    SAMPLES,
    SOLUTIONS,
    STEPS,
    Processed,
    RowStep,
    make_step,
    order_problems,
    plan_steps,
)

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


@dataclass(frozen=True)
class ShortParams:
    max_chars: int = 200


class DropLongQuestions(RowStep):
    """A step the runner has never heard of: drops long questions, counts what it saw."""

    name = "drop_long_questions"
    Params = ShortParams
    reads = frozenset({SOLUTIONS})

    def process(self, table: pa.Table, stage: str) -> Processed:
        long = pc.greater(pc.utf8_length(table.column("question")), self.params.max_chars)
        n = sum(long.to_pylist())
        rejects = stage_rejects(table, long, stage, ["too_long"] * n, ["question"] * n)
        return Processed(table.filter(pc.invert(long)), rejects, {"seen": table.num_rows})

    def summarize(self, chunk_stats: list[dict]) -> dict:
        return {"seen": sum(s["seen"] for s in chunk_stats)}


@pytest.fixture
def registered():
    STEPS.add(DropLongQuestions.name, DropLongQuestions)
    yield
    STEPS._entries.pop(DropLongQuestions.name)


def test_a_new_row_step_runs_and_resumes_without_touching_the_runner(
    registered: None, tmp_path: Path
) -> None:
    recipe_path = tmp_path / "r.yaml"
    text = (RECIPES / "quickstart.yaml").read_text()
    recipe_path.write_text(
        text.replace("process:\n", "process:\n  - drop_long_questions: {max_chars: 400}\n")
    )
    recipe = load_recipe(recipe_path, ["sources.0.generate.n=120", "engine.chunk_rows=50"])
    m = run_recipe(recipe, tmp_path / "run")
    stage = m["stages"][0]
    assert stage["stage"] == "00-drop_long_questions"
    assert stage["seen"] == stage["rows_in"] == 120
    assert stage["rows_rejected"] == stage["rejected_by_reason"].get("too_long", 0) > 0
    assert stage["rows_out"] + stage["rows_rejected"] == 120
    src = m["sources"]["igsm_gen"]
    assert src["stage_rejected"] >= stage["rows_rejected"]  # input rows: counted per source
    # a killed run: the stage's done.json and one chunk lost; the run resumes to the same bytes
    shards = {p.name: p.read_bytes() for p in (tmp_path / "run" / "shards").iterdir()}
    folder = tmp_path / "run" / "stages" / "00-drop_long_questions"
    (folder / "done.json").unlink()
    (folder / "data" / "chunk-00001.parquet").unlink()
    (tmp_path / "run" / "manifest.json").unlink()
    m2 = run_recipe(recipe, tmp_path / "run")
    assert json.loads((folder / "done.json").read_text())["seen"] == 120
    assert {p.name: p.read_bytes() for p in (tmp_path / "run" / "shards").iterdir()} == shards
    assert m2["rows_out"] == m["rows_out"]


def test_order_is_checked_from_what_steps_read_and_write() -> None:
    augment = make_step({"augment": {"transforms": []}}, "a")
    dedup = make_step({"dedup_exact": {}}, "d")
    filt = make_step({"filter": {}}, "f")
    llm = make_step({"llm_correct": {"model": "m"}}, "l")
    assert order_problems([filt, dedup, augment, dedup, llm]) == []
    assert order_problems([llm, augment]) == [
        (0, "llm_correct reads samples: put it after augment (which makes samples)")
    ]
    [(i, msg)] = order_problems([augment, filt])
    assert i == 1 and "only steps that read samples" in msg
    assert [(i, m.split(":")[0]) for i, m in order_problems([augment, augment])] == [
        (1, "augment reads solutions")
    ]
    assert augment.output_kind(SOLUTIONS) == SAMPLES and dedup.output_kind(SAMPLES) == SAMPLES


def test_without_augment_the_plan_ends_in_clean_samples() -> None:
    steps = plan_steps([{"dedup_exact": {}}])
    assert [s.name for s in steps] == ["dedup_exact", "augment"]
    assert steps[-1].params.include_clean and not steps[-1].transforms
    assert [s.name for s in plan_steps([{"augment": {"transforms": []}}])] == ["augment"]


def test_a_step_out_of_order_names_file_and_line(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: r\nsources: [{name: g, generate: {n: 3}}]\nprocess:\n"
        "  - augment: {transforms: []}\n  - filter: {min_steps: 2}\n"
    )
    with pytest.raises(RecipeError, match=r"r\.yaml:5: process\.1: filter reads solutions"):
        load_recipe(recipe)
