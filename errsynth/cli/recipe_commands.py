"""`errsynth recipe validate|schema`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from errsynth.recipe import RecipeError, load_recipe, recipe_schema
from errsynth.schema import dump_json_schema


@click.group("recipe")
def recipe_group() -> None:
    """Validate recipes and print their JSON Schema."""


@recipe_group.command("validate")
@click.argument(
    "recipe_path", metavar="RECIPE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
def recipe_validate(recipe_path: Path, overrides: tuple[str, ...]) -> None:
    """Check a recipe; every problem is printed as FILE:LINE: path: message."""
    try:
        recipe = load_recipe(recipe_path, overrides)
    except RecipeError as exc:
        raise click.ClickException("invalid recipe:\n" + str(exc)) from exc
    click.echo(
        f"{recipe_path}: ok ({len(recipe.data['sources'])} source(s), "
        f"{len(recipe.data.get('process', []))} operator(s))"
    )


@recipe_group.command("schema")
def recipe_schema_cmd() -> None:
    """Print the recipe JSON Schema (for editors; also schemas/recipe.schema.json)."""
    sys.stdout.write(dump_json_schema(recipe_schema()))
