"""``errsynth train | eval | validate-mix`` (``harvest`` is in harvest_command).

torch is an optional extra (``errsynth[train]``): the modules that import it (the loop,
the held-out evaluation) are imported inside the commands that run them, so
``--help`` and the rest of the CLI work without torch. Nothing else is imported there.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from errsynth.cli.ui.safe_output import echo
from errsynth.recipe.yaml_lines import YamlError, load_with_lines, read_text
from errsynth.train.config import TrainConfig, apply_overrides
from errsynth.train.inputs import run_config
from errsynth.train.validate_mix import ValidateMixError, load_spec, validate_mix


def _config(config_path: Path | None, overrides: tuple[str, ...]) -> dict:
    try:  # the recipe loader: bounded aliases, merge keys, FILE:LINE errors
        data = load_with_lines(read_text(config_path), str(config_path))[0] if config_path else {}
    except YamlError as exc:
        raise ValueError(str(exc)) from exc
    if data is not None and not isinstance(data, dict):
        raise ValueError(f"{config_path}: expected a mapping of training settings")
    if data and "train" in data and isinstance(data["train"], dict):
        data = data["train"]  # a validate-mix recipe: use its training section
    return apply_overrides(data or {}, list(overrides))


@click.command("train")
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML of training settings (or a validate-mix recipe: its train section).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a setting, e.g. model.n_layer=4, lr=3e-3, loss_on=completion.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def train_cmd(data: tuple[Path, ...], out: Path, config_path: Path | None, overrides: tuple[str, ...], quiet: bool) -> None:  # fmt: skip
    """Train a small GPT on errsynth shards (DATA: run directories, shard folders or files).

    The budget `tokens` counts real (non-padding) tokens (token_budget=real); packed
    samples never attend to each other (doc_mask=true). Started again on the same OUTPUT
    it resumes from the last checkpoint, with the settings that run was made with.
    """
    from errsynth.train.loop import TrainError, train  # torch

    try:
        cfg = TrainConfig.from_dict(_config(config_path, overrides))
        summary = train(cfg, list(data), out, log=echo, progress=not quiet)
    except (TrainError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(summary, indent=2))


@click.command("eval")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--test",
    "test",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Held-out problems: generator/corpus Parquet (problem, answer, op) or shards.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the first N test rows."
)
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=160, show_default=True)
@click.option(
    "--max-retractions",
    type=int,
    default=4,
    show_default=True,
    help="After this many retractions the marker is banned (-1: no cap).",
)
@click.option(
    "--retract-threshold",
    type=float,
    default=None,
    help="Retract only when p(marker) is at least this (plain greedy over-retracts).",
)
@click.option("--marker", default="[BACK]", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    default=0,
    help="torch threads on CPU (0: torch's default).",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where eval.json and eval_rows.parquet go (default: RUN/eval-<test name>).",
)
@click.option(
    "--probe/--no-probe",
    default=False,
    show_default=True,
    help="Also run the regret probe: p(marker) after wrong vs right step heads, teacher-forced "
    "on retry samples made from the test problems' gold solutions (probe.json).",
)
@click.option(
    "--probe-data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Probe samples to use (e.g. a validate-mix DIR/probe_data.parquet) instead of making them.",
)
@click.option("--probe-rate", type=float, default=0.5, show_default=True, help="igsm_retry rate of the probe samples.")  # fmt: skip
@click.option("--probe-seed", type=int, default=0, show_default=True, help="Seed of the probe samples.")  # fmt: skip
@click.option("--probe-style", type=click.Choice(["igsm", "back"]), default="igsm", show_default=True, help="Retraction form of the probe samples (the one the run trained on).")  # fmt: skip
def eval_cmd(run: Path, test: Path, limit: int | None, max_new_tokens: int, max_retractions: int,
             retract_threshold: float | None, marker: str, batch_size: int, device: str,
             threads: int, out: Path | None, probe: bool, probe_data: Path | None,
             probe_rate: float, probe_seed: int, probe_style: str) -> None:  # fmt: skip
    """Greedy-decode held-out problems, strip retractions, check answers exactly.

    Reports accuracy, solution_ok and the failure taxonomy overall and per op; with
    --probe also the regret probe.
    """
    from errsynth.train.checkpoint import CheckpointError  # torch
    from errsynth.train.heldout_eval import evaluate_run, format_report  # torch
    from errsynth.train.regret_probe import probe_and_record  # torch

    if threads:
        import torch

        torch.set_num_threads(threads)

    if probe_data is not None:
        probe = True
    if not 0 <= probe_rate < 1:
        raise click.BadParameter("must be in [0, 1)", param_hint="--probe-rate")
    target = out or run / f"eval-{test.stem}"
    try:
        run_config(run)  # a clear error for a folder that is not a training run
        rep = evaluate_run(
            run, test, limit=limit, batch_size=batch_size, max_new_tokens=max_new_tokens,
            max_retractions=None if max_retractions < 0 else max_retractions, marker=marker,
            retract_threshold=retract_threshold,
            device=device, out=target,
        )  # fmt: skip
        if probe:
            rep["probe"] = probe_and_record(
                run, test, target, probe_file=probe_data, rate=probe_rate, seed=probe_seed,
                limit=limit, style=probe_style, marker=marker, device=device,
            )  # fmt: skip
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:  # TrainInputError and bad settings: the message names the input
        raise click.ClickException(str(exc)) from exc
    echo(format_report(rep))


@click.command("validate-mix")
@click.argument("recipe", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output directory (default: runs/<recipe name>).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a recipe value, e.g. train.tokens=1000000 or seeds=[0].",
)
@click.option(
    "--parallel",
    type=int,
    default=None,
    help="Jobs at once, each its own process (0: in this process; default: the recipe's).",
)
@click.option("--nice", type=int, default=0, show_default=True, help="nice level of the jobs.")
def validate_mix_cmd(recipe: Path, out: Path | None, overrides: tuple[str, ...], parallel: int | None, nice: int) -> None:  # fmt: skip
    """Train the same model on clean data and on each mixture (same tokens, ≥2 seeds).

    Writes report.md, report.json and accuracy_by_op.png; resumable.
    """
    try:
        name = load_spec(recipe, overrides).get("name", recipe.stem)
        target = out or Path("runs") / name
        validate_mix(recipe, target, overrides=overrides, parallel=parallel, nice=nice, log=echo)
    except ValidateMixError as exc:
        raise click.ClickException(str(exc)) from exc
    echo((target / "report.md").read_text())


COMMANDS = [train_cmd, eval_cmd, validate_mix_cmd]
