"""Recipes: shipped recipes validate, errors name file and line, --set overrides, schema file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.recipe import RecipeError, apply_override, load_recipe, recipe_schema
from errsynth.schema import dump_json_schema

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def test_shipped_recipes_are_valid_when_their_data_is_there() -> None:
    names = {p.stem for p in RECIPES.glob("*.yaml")}
    assert {"quickstart", "gsm8k_retry", "math_retry", "igsm_paper", "mixture_pretrain"} <= names
    load_recipe(RECIPES / "quickstart.yaml")  # needs no corpus
    for path in RECIPES.glob("*.yaml"):
        if path.stem.startswith("validate_"):  # validate-mix: test_train_validate_mix.py
            continue
        try:
            load_recipe(path)
        except RecipeError as exc:  # only a missing corpus may stop a shipped recipe
            assert all("does not exist" in p for p in exc.problems), exc.problems


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "seed: x\n"
        "sources:\n"
        "  - name: a\n"
        "    generate: {n: 10}\n"
        "process:\n"
        "  - bogus: {}\n"
    )
    with pytest.raises(RecipeError) as exc:
        load_recipe(bad)
    text = str(exc.value)
    assert f"{bad}:2: seed:" in text
    assert f"{bad}:7: process.0: unknown operator 'bogus'" in text
    bad.write_text(
        "sources:\n"
        "  - name: a\n"
        "    generate: {n: 10}\n"
        "process:\n"
        "  - augment:\n"
        "      transforms:\n"
        "        - reorder: {rate: 1.5}\n"
        "mix:\n"
        "  streams:\n"
        "    - {name: s, where: {kind: clean}, weight: -1}\n"
    )
    with pytest.raises(RecipeError) as exc:
        load_recipe(bad)
    assert any(p.startswith(f"{bad}:5: process.0:") and "rate" in p for p in exc.value.problems)
    assert any(p.startswith(f"{bad}:10: mix.streams.0.weight") for p in exc.value.problems)
    bad.write_text("sources: [\n")
    with pytest.raises(RecipeError, match="YAML syntax error"):
        load_recipe(bad)


def test_set_overrides() -> None:
    data = {"seed": 0, "process": [{"augment": {"transforms": [{"reorder": {"rate": 0.2}}]}}]}
    apply_override(data, "seed=7")
    apply_override(data, "process.0.augment.transforms.0.reorder.rate=0.5")
    apply_override(data, "mix.target.rows=100")
    assert (
        data["seed"] == 7
        and data["process"][0]["augment"]["transforms"][0]["reorder"]["rate"] == 0.5
    )
    assert data["mix"] == {"target": {"rows": 100}}
    with pytest.raises(RecipeError):
        apply_override(data, "process.5.x=1")
    recipe = load_recipe(RECIPES / "quickstart.yaml", ["seed=9", "sources.0.generate.n=50"])
    assert recipe.seed == 9 and recipe.data["sources"][0]["generate"]["n"] == 50


def test_schema_file_and_cli() -> None:
    path = Path(__file__).resolve().parents[1] / "schemas" / "recipe.schema.json"
    assert path.read_text() == dump_json_schema(recipe_schema()), (
        "schemas/recipe.schema.json is stale: run `errsynth recipe schema > schemas/recipe.schema.json`"
    )
    res = CliRunner().invoke(main, ["recipe", "validate", str(RECIPES / "quickstart.yaml")])
    assert res.exit_code == 0 and "ok" in res.output


def test_a_validate_mix_spec_given_to_recipe_validate_says_what_it_is() -> None:
    spec = Path(__file__).resolve().parents[1] / "recipes" / "validate_igsm_cpu.yaml"
    r = CliRunner().invoke(main, ["recipe", "validate", str(spec)])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "validate-mix spec: run `errsynth validate-mix FILE`" in r.output
