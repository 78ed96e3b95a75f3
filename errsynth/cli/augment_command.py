"""`errsynth augment`: validated retry samples from clean solutions."""

from __future__ import annotations

from pathlib import Path

import click

from errsynth.cli.ui.progress import counter_progress
from errsynth.cli.ui.safe_output import markup_escape, safe_console
from errsynth.cli.ui.summary import augment_summary
from errsynth.ingest.run import FormatError
from errsynth.ingest.run import ingest as run_ingest
from errsynth.recipe.yaml_lines import YamlError, load_with_lines
from errsynth.render import StyleConfig
from errsynth.render.forms import check_form, style_output_for
from errsynth.steps.augment import AugmentSpec, augment_table, is_solutions_table
from errsynth.transforms import make_transform
from errsynth.types.error_profile import TRANSFORM_KIND

PROFILE_TRANSFORMS = tuple(TRANSFORM_KIND)  # the transforms that take `profile`


def _parse_params(pairs: tuple[str, ...], names: list[str]) -> dict[str, dict[str, object]]:
    """`--param [TRANSFORM.]KEY=VALUE` → per-transform parameters (values read as YAML scalars)."""
    per: dict[str, dict[str, object]] = {n: {} for n in names}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"{pair!r}: expected [TRANSFORM.]KEY=VALUE", param_hint="--param"
            )
        target, dot, name = key.rpartition(".")
        try:  # bounded like recipes: aliases, over-long numbers, surrogates
            value = load_with_lines(raw, f"--param {key}")[0] if raw else ""
        except YamlError as exc:
            raise click.BadParameter(str(exc), param_hint="--param") from exc
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


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
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
    "--profile",
    "profile",
    type=click.Path(path_type=Path),
    default=None,
    help="A model's error profile (profile.json or its folder, from `errsynth harvest ... "
    "--profile`): arith, reorder and distractor place their mistakes at the measured "
    "positions (arith also draws the measured perturbation kinds).",
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
@click.option(
    "--prm-prompt",
    type=click.Choice(["question", "style"]),
    default="question",
    show_default=True,
    help="--form prm: the prompt column is the problem as the user asked it (TRL's stepwise "
    "supervision), or the style's templated prompt.",
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
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the first N input rows."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def augment(
    input_path: Path,
    out_dir: Path,
    transforms: tuple[str, ...],
    rate: float | None,
    max_per_step: int | None,
    min_errors: int | None,
    params: tuple[str, ...],
    profile: Path | None,
    style: str,
    marker: str,
    output_form: str,
    annotations: str,
    prm_prompt: str,
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
    console = safe_console(stderr=True, quiet=quiet)
    per = _parse_params(params, list(transforms))
    common = {
        k: v
        for k, v in (("rate", rate), ("max_per_step", max_per_step), ("min_errors", min_errors))
        if v is not None
    }
    if profile is not None:
        takers = [n for n in transforms if n in PROFILE_TRANSFORMS]
        if not takers:
            raise click.UsageError(
                f"--profile: none of the chosen transforms ({', '.join(transforms)}) takes a "
                f"profile; choose one of {', '.join(PROFILE_TRANSFORMS)}"
            )
        for name in takers:
            per[name].setdefault("profile", str(profile))
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
        console.print(
            f"[dim]{markup_escape(input_path)} is not a solutions table: ingesting it first[/dim]"
        )
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
        prm_prompt=prm_prompt,
    )
    with counter_progress("augment", "rows", disable=quiet) as advance:
        manifest = augment_table(table, out_dir, spec, on_progress=advance, limit=limit)
    if not quiet:
        console.print(augment_summary(manifest, out_dir))
