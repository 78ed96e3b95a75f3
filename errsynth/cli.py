"""The `errsynth` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import errsynth
from errsynth.ingest.readers import CHAT_FORMATS

FORMATS = ("auto", "gsm8k", "math", "igsm", "metamath", "steps", "jsonl", *CHAT_FORMATS)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(errsynth.__version__, prog_name="errsynth")
def main() -> None:
    """errsynth: synthesize fake-error (retry) data for language-model training.

    \b
    Typical flow:
      errsynth igsm generate --n 1000 --max-ops 6 -o data/igsm.parquet
      errsynth ingest data/igsm.parquet -o out/ingest
      errsynth inspect out/ingest -n 3
    """


def _parse_field_map(pairs: tuple[str, ...]) -> dict[str, str]:
    from errsynth.ingest.readers.fieldmap import check_field_map

    mapping: dict[str, str] = {}
    for pair in pairs:
        role, sep, name = pair.partition("=")
        if not sep or not role or not name:
            raise click.BadParameter(
                f"{pair!r}: expected ROLE=FIELD, e.g. question=prompt", param_hint="--field"
            )
        mapping[role.strip()] = name.strip()
    try:
        check_field_map(mapping)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--field") from exc
    return mapping


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory: solutions.parquet, rejects.parquet, manifest.json.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input format; auto tells it from the fields of each file.",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="ROLE=FIELD",
    help="Field map for --format jsonl: roles question, solution, answer, steps.",
)
@click.option(
    "--source", default=None, help="Source name written to every row (default: the format)."
)
@click.option("--no-eval", is_flag=True, help="Skip judging equations (faster; ok is null).")
@click.option(
    "--max-record-bytes",
    type=int,
    default=4 * 1024 * 1024,
    show_default=True,
    help="Records larger than this are rejected as record_too_large.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def ingest(
    inputs: tuple[Path, ...],
    out_dir: Path,
    fmt: str,
    fields: tuple[str, ...],
    source: str | None,
    no_eval: bool,
    max_record_bytes: int,
    quiet: bool,
) -> None:
    """Read solution corpora into steps, equations and number flow.

    INPUTS are JSONL, JSON or Parquet files (or directories of them). Every record
    becomes a row of solutions.parquet or of rejects.parquet (with a reason).
    """
    from rich.console import Console

    from errsynth.ingest.run import FormatError
    from errsynth.ingest.run import ingest as run_ingest
    from errsynth.progress import counter_progress

    field_map = _parse_field_map(fields)
    if field_map and fmt not in ("jsonl", "auto"):
        raise click.BadParameter("--field is only used with --format jsonl", param_hint="--field")
    if field_map and fmt == "auto":
        fmt = "jsonl"
    console = Console(stderr=True, quiet=quiet)
    with counter_progress("ingest", "rows", disable=quiet) as advance:
        try:
            stats = run_ingest(
                list(inputs),
                out_dir,
                fmt=fmt,
                source=source,
                field_map=field_map,
                evaluate=not no_eval,
                max_record_bytes=max_record_bytes,
                on_format=lambda p, f: console.print(f"[dim]{p}: format[/dim] [bold]{f}[/bold]"),
                on_progress=advance,
            )
        except (FormatError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc
    if not quiet:
        from errsynth.summary import ingest_summary

        console.print(ingest_summary(stats, out_dir))


def _parse_params(pairs: tuple[str, ...], names: list[str]) -> dict[str, dict[str, object]]:
    """`--param [TRANSFORM.]KEY=VALUE` → per-transform parameters (values read as YAML scalars)."""
    import yaml

    per: dict[str, dict[str, object]] = {n: {} for n in names}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"{pair!r}: expected [TRANSFORM.]KEY=VALUE", param_hint="--param"
            )
        target, dot, name = key.rpartition(".")
        value = yaml.safe_load(raw) if raw else ""
        if dot:
            if target not in per:
                raise click.BadParameter(
                    f"{pair!r}: {target!r} is not a chosen --transform", param_hint="--param"
                )
            per[target][name] = value
        else:
            for params in per.values():
                params[key] = value
    return per


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory: samples.parquet, rejects.parquet, manifest.json.",
)
@click.option(
    "-t",
    "--transform",
    "transforms",
    multiple=True,
    default=("reorder",),
    show_default=True,
    help="Transform(s) to apply: reorder, igsm_retry, arith, distractor (repeatable).",
)
@click.option(
    "--rate", type=float, default=None, help="Probability of a wrong attempt before each step."
)
@click.option("--max-per-step", type=int, default=None, help="Cap on attempts before one step.")
@click.option(
    "--min-errors",
    type=int,
    default=None,
    help="Force at least this many attempts per sample (0 reproduces the paper's rates).",
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="[TRANSFORM.]KEY=VALUE",
    help="Transform parameter, e.g. premature_only=true, arith.propagate=2, rule=retry_weak.",
)
@click.option(
    "--style",
    type=click.Choice(["back", "igsm", "natural", "lema", "cac"]),
    default="back",
    show_default=True,
    help="How the sample is written.",
)
@click.option(
    "--marker", default="[BACK]", show_default=True, help="Retraction marker of the back style."
)
@click.option(
    "--form",
    "output_form",
    type=click.Choice(["text", "prompt_completion", "messages", "sharegpt", "trl", "prm"]),
    default="text",
    show_default=True,
    help="Output form: text, prompt/completion, or columns added in the shape the data came "
    "in (messages, sharegpt, trl prompt/completion) or as TRL stepwise labels (prm).",
)
@click.option(
    "--annotations",
    type=click.Choice(["auto", "keep", "strip"]),
    default="auto",
    show_default=True,
    help="GSM8K calculator annotations <<a=b>>: auto strips them in natural, lema and cac.",
)
@click.option("--rounds", type=int, default=1, show_default=True, help="cac style: check rounds.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--include-clean", is_flag=True, help="Also write each row's clean rendering.")
@click.option(
    "--clean-only",
    is_flag=True,
    help="Only each row's clean rendering, no transforms (e.g. a step-labelled corpus to "
    "--form prm).",
)
@click.option("--limit", type=int, default=None, help="Only the first N input rows.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def augment(
    input_path: Path,
    out_dir: Path,
    transforms: tuple[str, ...],
    rate: float | None,
    max_per_step: int | None,
    min_errors: int | None,
    params: tuple[str, ...],
    style: str,
    marker: str,
    output_form: str,
    annotations: str,
    rounds: int,
    seed: int,
    include_clean: bool,
    clean_only: bool,
    limit: int | None,
    quiet: bool,
) -> None:
    """Make validated retry samples from clean solutions.

    INPUT is a solutions table (from `errsynth ingest`, or its directory) or a raw
    corpus file, which is ingested first into OUTPUT/ingest.
    """
    from rich.console import Console

    from errsynth.augment import AugmentSpec, augment_table, is_solutions_table
    from errsynth.progress import counter_progress
    from errsynth.render import StyleConfig
    from errsynth.render.forms import check_form, style_output_for
    from errsynth.transforms import make_transform

    console = Console(stderr=True, quiet=quiet)
    per = _parse_params(params, list(transforms))
    common = {
        k: v
        for k, v in (("rate", rate), ("max_per_step", max_per_step), ("min_errors", min_errors))
        if v is not None
    }
    try:
        made = [make_transform(name, **{**common, **per[name]}) for name in transforms]
        if clean_only:
            made, include_clean = [], True
        check_form(output_form, style)
        style_cfg = StyleConfig(
            name=style, marker=marker, output=style_output_for(output_form), rounds=rounds
        )
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    table = input_path / "solutions.parquet" if input_path.is_dir() else input_path
    if not (table.exists() and is_solutions_table(table)):
        from errsynth.ingest.run import FormatError
        from errsynth.ingest.run import ingest as run_ingest

        console.print(f"[dim]{input_path} is not a solutions table: ingesting it first[/dim]")
        try:
            run_ingest([input_path], out_dir / "ingest")
        except (FormatError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc
        table = out_dir / "ingest" / "solutions.parquet"
    spec = AugmentSpec(
        transforms=made,
        style=style_cfg,
        seed=seed,
        include_clean=include_clean,
        form=output_form,
        annotations=annotations,
    )
    with counter_progress("augment", "rows", disable=quiet) as advance:
        manifest = augment_table(table, out_dir, spec, on_progress=advance, limit=limit)
    if not quiet:
        from errsynth.summary import augment_summary

        console.print(augment_summary(manifest, out_dir))


@main.command("run")
@click.argument(
    "recipe_path", metavar="RECIPE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Run directory (default: runs/<recipe name>).",
)
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--ray-address", default=None, help="Join a running Ray cluster (e.g. auto).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a recipe value, e.g. seed=3 or process.0.augment.style.name=natural.",
)
@click.option(
    "--force", is_flag=True, help="Start over even if the run directory holds a finished run."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print how many LLM requests and tokens the recipe would send; send none.",
)
def run_cmd(
    recipe_path: Path,
    out_dir: Path | None,
    engine: str,
    ray_address: str | None,
    overrides: tuple[str, ...],
    force: bool,
    quiet: bool,
    dry_run: bool = False,
) -> None:
    """Run a YAML recipe: sources → process → mix → Parquet shards + manifest.

    A killed run started again with the same command resumes where it stopped; a
    finished run is not redone unless --force.
    """
    if dry_run:
        from errsynth.llm.cli import run_dry

        if force:
            raise click.UsageError("--dry-run and --force do not go together")
        run_dry(recipe_path, out_dir, overrides, quiet)
        return
    from rich.console import Console

    from errsynth.mix.spec import MixSpecError
    from errsynth.mix.weights import MixPlanError
    from errsynth.pipeline.executors import make_executor
    from errsynth.pipeline.run import RunError, run_recipe
    from errsynth.progress import stage_progress
    from errsynth.recipe import RecipeError, load_recipe

    console = Console(stderr=True, quiet=quiet)
    try:
        recipe = load_recipe(recipe_path, overrides)
    except RecipeError as exc:
        raise click.ClickException("invalid recipe:\n" + str(exc)) from exc
    out = out_dir or Path("runs") / recipe.name
    executor = make_executor(engine, ray_address if engine == "ray" else None)
    with stage_progress(disable=quiet) as progress:
        try:
            manifest = run_recipe(
                recipe,
                out,
                executor=executor,
                force=force,
                progress=progress,
                log=lambda m: console.print(f"[dim]{m}[/dim]"),
            )
        except (RunError, MixPlanError, MixSpecError) as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            raise click.ClickException(
                f"{exc.strerror or exc}: {exc.filename or out} "
                "(check free disk space and permissions)"
            ) from exc
    if not quiet:
        from errsynth.summary import run_summary

        console.print(run_summary(manifest, out))


@main.group("recipe")
def recipe_group() -> None:
    """Validate recipes and print their JSON Schema."""


@recipe_group.command("validate")
@click.argument(
    "recipe_path", metavar="RECIPE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
def recipe_validate(recipe_path: Path, overrides: tuple[str, ...]) -> None:
    """Check a recipe; every problem is printed as FILE:LINE: path: message."""
    from errsynth.recipe import RecipeError, load_recipe

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
    from errsynth.recipe import recipe_schema
    from errsynth.schema import dump_json_schema

    sys.stdout.write(dump_json_schema(recipe_schema()))


@main.command("inspect")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-n", "n", type=int, default=3, show_default=True, help="How many rows to show.")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many rows first.")
@click.option(
    "--kind", default=None, help="Only samples of this kind (clean, reorder, arith, ...)."
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Only rows where COLUMN equals VALUE (repeatable; meta.KEY=VALUE looks inside meta, "
    "e.g. meta.answer_source=conclusion).",
)
def inspect_cmd(path: Path, n: int, offset: int, kind: str | None, where: tuple[str, ...]) -> None:
    """Show rows of a solutions table or run directory, equations marked by verdict; chat
    rows turn by turn."""
    from errsynth.inspect import inspect_path
    from errsynth.inspect_chat import parse_filters

    try:
        inspect_path(path, n=n, offset=offset, row_filter=parse_filters(kind, where))
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@main.command("schema")
@click.argument("table", type=click.Choice(["solution", "sample"]), default="solution")
def schema_cmd(table: str) -> None:
    """Print the JSON Schema of a table's rows."""
    from errsynth.schema import dump_json_schema, sample_json_schema, solution_json_schema

    make = {"solution": solution_json_schema, "sample": sample_json_schema}[table]
    sys.stdout.write(dump_json_schema(make()))


def _register_subgroups() -> None:
    from errsynth.igsm.cli import igsm
    from errsynth.llm.cli import llm
    from errsynth.train.cli import COMMANDS as TRAIN_COMMANDS

    main.add_command(igsm)
    main.add_command(llm)
    for command in TRAIN_COMMANDS:  # torch is imported inside the commands
        main.add_command(command)


_register_subgroups()


if __name__ == "__main__":  # pragma: no cover
    main()
