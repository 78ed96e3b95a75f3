"""`errsynth run`: a YAML recipe through sources, process steps and the mix to shards."""

from __future__ import annotations

from pathlib import Path

import click

from errsynth.cli.llm_commands import run_dry
from errsynth.cli.ui.progress import stage_progress
from errsynth.cli.ui.safe_output import echo, markup_escape, safe_console
from errsynth.cli.ui.summary import run_summary
from errsynth.engine import make_executor
from errsynth.llm.secrets import APIKeyError
from errsynth.mix.spec import MixSpecError
from errsynth.mix.weights import MixPlanError
from errsynth.recipe import RecipeError, load_recipe
from errsynth.report import ReportError, write_report
from errsynth.runner import RunError, run_recipe


@click.command("run")
@click.argument(
    "recipe_path", metavar="RECIPE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
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
@click.option("--no-report", is_flag=True, help="Do not write DIR/report.html at the end.")
def run_cmd(
    recipe_path: Path,
    out_dir: Path | None,
    engine: str,
    ray_address: str | None,
    overrides: tuple[str, ...],
    force: bool,
    quiet: bool,
    dry_run: bool = False,
    no_report: bool = False,
) -> None:
    """Run a YAML recipe: sources → process → mix → Parquet shards + manifest.

    A killed run started again with the same command resumes where it stopped; a
    finished run is not redone unless --force. At the end DIR/report.html is written
    (see `errsynth report`) unless --no-report.
    """
    if dry_run:
        if force:
            raise click.UsageError("--dry-run and --force do not go together")
        run_dry(recipe_path, out_dir, overrides, quiet)
        return
    console = safe_console(stderr=True, quiet=quiet)
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
                log=lambda m: console.print(f"[dim]{markup_escape(m)}[/dim]"),
            )
        except (RunError, MixPlanError, MixSpecError, APIKeyError) as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            raise click.ClickException(
                f"{exc.strerror or exc}: {exc.filename or out} "
                "(check free disk space and permissions)"
            ) from exc
    if not quiet:
        console.print(run_summary(manifest, out))
    if not no_report:
        try:
            console.print(f"report → {markup_escape(str(write_report(out).path))}")
        except (ReportError, OSError) as exc:  # the run itself is complete
            echo(
                f"run finished; report not written: {exc} (retry: errsynth report {out})", err=True
            )
