"""``errsynth harvest``: a model's own mistakes as retry samples, and its error profile.

Two forms:

* ``errsynth harvest --corpus PATH --model NAME --base-url URL -o OUT …``: any corpus
  errsynth reads, any model behind an OpenAI-compatible server (or ``--backend vllm``,
  Ray Data with vLLM): :mod:`errsynth.harvest`.
* ``errsynth harvest RUN --problems P -o OUT …``: a trained errsynth run on iGSM problems
  (:mod:`errsynth.train.harvest`; torch is imported only when this form runs).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from errsynth.cli.ui.progress import stage_progress
from errsynth.cli.ui.safe_output import echo, safe_console
from errsynth.harvest.config import load_harvest_config
from errsynth.harvest.run import HarvestError, HarvestSpec, harvest_corpus, plan_dry_run
from errsynth.harvest.sampling import Sampling
from errsynth.llm.secrets import APIKeyError
from errsynth.llm.session import ClientParams
from errsynth.recipe import FORMATS
from errsynth.render import StyleConfig
from errsynth.render.config import STYLES
from errsynth.render.forms import FORMS, style_output_for


def _legacy(run: Path, problems: Path | None, out: Path, samples: int | None,
            temperature: float | None, limit: int | None, seed: int, style: str | None,
            device: str) -> None:  # fmt: skip
    """Today's form: a trained errsynth run on iGSM problems."""
    if problems is None:
        raise click.UsageError("harvest RUN needs --problems (iGSM problems to solve)")
    if style not in (None, "igsm", "back"):
        raise click.UsageError("harvest RUN writes the igsm or back style")
    from errsynth.train.checkpoint import CheckpointError  # torch
    from errsynth.train.harvest import harvest  # torch

    try:
        stats = harvest(
            run, problems, out, n_samples=samples or 1,
            temperature=1.0 if temperature is None else temperature, limit=limit,
            seed=seed, style=style or "igsm", device=device,
        )  # fmt: skip
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(stats, indent=2))


@click.command("harvest")
@click.argument(
    "run", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--config",
    "config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML with a harvest: mapping (docs/harvest.md); options given here override it.",
)
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Problems with reference solutions (any format errsynth reads; repeatable).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Corpus format.",
)
@click.option(
    "--source", default=None, help="Source name written to the samples (default: the format)."
)
@click.option("--model", default=None, help="Model name the server serves (sent as `model`).")
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000/v1",
    show_default=True,
    help="OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, OpenAI).",
)
@click.option(
    "--api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    help="NAME of the environment variable holding the key ('' for none).",
)
@click.option(
    "--backend",
    type=click.Choice(["openai", "vllm", "auto"]),
    default="openai",
    show_default=True,
    help="openai: HTTP; vllm: Ray Data + vLLM (errsynth[vllm]).",
)
@click.option(
    "--vllm",
    "vllm_json",
    default=None,
    metavar="JSON",
    help='vLLM backend options, e.g. \'{"engine_kwargs": {"max_model_len": 8192}}\'.',
)
@click.option(
    "--problems",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="(with RUN) iGSM problems for a trained errsynth run.",
)
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory (with RUN: a Parquet file).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=None,
    help="Solutions sampled per problem [default: 4; with RUN 1].",
)
@click.option(
    "--temperature",
    type=click.FloatRange(min=0.0),
    default=None,
    help="Sampling temperature [default: 0.7; with RUN 1.0].",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Sample k is asked with seed SEED+k (part of the cache key).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="First N problems only.")
@click.option(
    "--system",
    default=None,
    help="The solver's system prompt instead of errsynth's ('' sends none: a model trained "
    "on bare problems, e.g. one served by `errsynth serve`).",
)
@click.option(
    "--user-template",
    default=None,
    help="The user message instead of errsynth's solver prompt; $question is the problem "
    "('$question' sends the bare problem).",
)
@click.option("--max-tokens", type=click.IntRange(min=1), default=1024, show_default=True)
@click.option(
    "--correction",
    type=click.Choice(["continue", "restart", "both"]),
    default="both",
    show_default=True,
    help="continue: fix and continue after the wrong step; restart: retract the "
    "whole attempt and solve afresh; both: one sample of each.",
)
@click.option(
    "--judge-model",
    default=None,
    help="A model that names the first wrong step where the evaluator cannot "
    "(recorded as located_by: judge, profiled apart).",
)
@click.option(
    "--profile",
    is_flag=True,
    help="Write profile.json, profile.csv and profile.png (first-error kinds, positions).",
)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default=None,
    help="Rendering style [default: back; with RUN igsm].",
)
@click.option(
    "--form",
    type=click.Choice(FORMS),
    default="text",
    show_default=True,
    help="Output form (prm: step labels, the real first error labelled false).",
)
@click.option(
    "--annotations",
    type=click.Choice(["auto", "keep", "strip"]),
    default="auto",
    show_default=True,
    help="GSM8K <<a=b>> calculator annotations in the output.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Requests in flight.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=120.0,
    show_default=True,
    help="Seconds per attempt.",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Retries of 429/5xx/timeouts/truncated replies.",
)
@click.option(
    "--cache",
    default="llm_cache.sqlite",
    show_default=True,
    help="Response cache (in OUT, or an absolute path to share one).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Problems per resumable chunk.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print requests, cached ones and tokens (and cost with prices); send nothing.",
)
@click.option("--usd-per-mtok-in", type=float, default=None, help="Price for --dry-run's cost.")
@click.option("--usd-per-mtok-out", type=float, default=None, help="Price for --dry-run's cost.")
@click.option("--force", is_flag=True, help="Start OUT again with other settings (cache kept).")
@click.option("--device", default="cpu", show_default=True, help="(with RUN) torch device.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def harvest_cmd(run: Path | None, config: Path | None, corpus: tuple[Path, ...], fmt: str, source: str | None,
                model: str | None, base_url: str, api_key_env: str, backend: str,
                vllm_json: str | None, problems: Path | None, out: Path, samples: int | None,
                temperature: float | None, seed: int, limit: int | None, system: str | None,
                user_template: str | None, max_tokens: int, correction: str, judge_model: str | None, profile: bool, style: str | None,
                form: str, annotations: str, concurrency: int, timeout_s: float,
                max_retries: int, cache: str, chunk_size: int, dry_run: bool,
                usd_per_mtok_in: float | None, usd_per_mtok_out: float | None, force: bool,
                device: str, quiet: bool) -> None:  # fmt: skip
    """Sample the model, find its first wrong step, emit retry samples of its own mistakes.

    \b
    Any corpus, any OpenAI-compatible server:
      errsynth harvest --corpus gsm8k/train.jsonl --model Qwen/Qwen2.5-7B-Instruct \\
        --base-url http://127.0.0.1:8000/v1 --samples 8 --temperature 0.8 --limit 500 \\
        -o runs/harvest --profile
    A trained errsynth run on iGSM problems:
      errsynth harvest runs/train --problems igsm.parquet -o harvest.parquet

    Every request is cached in OUT (run the same command again to resume; nothing
    answered is sent twice). OUT gets shards/ (kind harvest), rejects/ (every sampled
    solution that gave no sample, with its reason), manifest.json, and with --profile
    profile.json / profile.csv / profile.png.
    """
    if run is not None:
        if corpus:
            raise click.UsageError("give either RUN (a trained errsynth run) or --corpus, not both")
        _legacy(run, problems, out, samples, temperature, limit, seed, style, device)
        return
    if config is None and not corpus:
        raise click.UsageError(
            "name the problems: --corpus PATH (any format errsynth reads), a --config FILE, "
            "or a trained errsynth run as RUN with --problems"
        )
    if config is None and not model:
        raise click.UsageError("name the model the server serves: --model NAME")
    try:
        spec = _spec(
            corpus, fmt, source, model or "", base_url, api_key_env, backend, vllm_json,
            samples, temperature, seed, limit, system, user_template, max_tokens, correction,
            judge_model, profile,
            style, form, annotations, concurrency, timeout_s, max_retries, cache, chunk_size,
        )  # fmt: skip
        if config is not None:
            spec = _overridden(load_harvest_config(config), spec, click.get_current_context())
            if not spec.corpus or not spec.sampling.model:
                raise click.UsageError(
                    f"{config}: name the corpus and the model (or --corpus, --model)"
                )
        if dry_run:
            report = plan_dry_run(spec, out)
            if usd_per_mtok_in is not None or usd_per_mtok_out is not None:
                cost = report["prompt_tokens_est"] * (usd_per_mtok_in or 0.0)
                cost += report["completion_tokens_max"] * (usd_per_mtok_out or 0.0)
                report["cost_usd_max"] = round(cost / 1e6, 4)
            echo(json.dumps(report, indent=2))
            return
        console = safe_console(stderr=True, quiet=quiet)
        with stage_progress(disable=quiet) as new_bar:
            manifest = harvest_corpus(spec, out, force=force, progress=new_bar, log=console.log)
    except (HarvestError, APIKeyError, ValueError, RuntimeError) as exc:  # vllm missing: says so
        raise click.ClickException(str(exc)) from exc
    echo(json.dumps(_summary(manifest, out), indent=2))


def _spec(corpus: tuple[Path, ...], fmt: str, source: str | None, model: str, base_url: str,
          api_key_env: str, backend: str, vllm_json: str | None, samples: int | None,
          temperature: float | None, seed: int, limit: int | None, system: str | None,
          user_template: str | None, max_tokens: int, correction: str, judge_model: str | None, profile: bool, style: str | None,
          form: str, annotations: str, concurrency: int, timeout_s: float, max_retries: int,
          cache: str, chunk_size: int) -> HarvestSpec:  # fmt: skip
    vllm: dict[str, Any] = {}
    if vllm_json:
        try:
            vllm = json.loads(vllm_json)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--vllm is not JSON: {exc}") from None
        if not isinstance(vllm, dict):
            raise ValueError("--vllm must be a JSON object")
    if backend == "vllm":
        vllm.setdefault("model_source", model)
    client = ClientParams(
        backend=backend,  # type: ignore[arg-type]
        base_url=base_url,
        api_key_env=api_key_env or None,
        concurrency=concurrency,
        timeout_s=timeout_s,
        max_retries=max_retries,
        cache=cache,
        vllm=vllm,
    )
    return HarvestSpec(
        corpus=tuple(str(p) for p in corpus),
        fmt=fmt,
        source=source,
        sampling=Sampling(
            model,
            samples=samples or 4,
            temperature=0.7 if temperature is None else temperature,
            seed=seed,
            max_tokens=max_tokens,
            system=system,
            user_template=user_template,
        ),
        client=client,
        limit=limit,
        judge_model=judge_model,
        correction=correction,  # type: ignore[arg-type]
        style=StyleConfig(name=style or "back", output=style_output_for(form)),  # type: ignore[arg-type]
        form=form,
        annotations=annotations,
        chunk_size=chunk_size,
        profile=profile,
    )


#: CLI option -> (section of HarvestSpec, field): what an explicit option overrides in --config.
_OVERRIDES: dict[str, tuple[str, str]] = {
    "corpus": ("", "corpus"), "fmt": ("", "fmt"), "source": ("", "source"),
    "limit": ("", "limit"), "correction": ("", "correction"),
    "judge_model": ("", "judge_model"), "profile": ("", "profile"),
    "annotations": ("", "annotations"), "chunk_size": ("", "chunk_size"),
    "form": ("", "form"), "style": ("", "style"),
    "model": ("sampling", "model"), "samples": ("sampling", "samples"),
    "temperature": ("sampling", "temperature"), "seed": ("sampling", "seed"),
    "max_tokens": ("sampling", "max_tokens"), "system": ("sampling", "system"),
    "user_template": ("sampling", "user_template"),
    "base_url": ("client", "base_url"), "api_key_env": ("client", "api_key_env"),
    "backend": ("client", "backend"), "vllm_json": ("client", "vllm"),
    "concurrency": ("client", "concurrency"), "timeout_s": ("client", "timeout_s"),
    "max_retries": ("client", "max_retries"), "cache": ("client", "cache"),
}  # fmt: skip


def _overridden(base: HarvestSpec, cli: HarvestSpec, ctx: click.Context) -> HarvestSpec:
    """`base` (from --config) with the options given on the command line taken from `cli`."""
    top: dict[str, Any] = {}
    parts: dict[str, dict[str, Any]] = {"sampling": {}, "client": {}}
    for option, (section, name) in _OVERRIDES.items():
        if ctx.get_parameter_source(option) is not ParameterSource.COMMANDLINE:
            continue
        holder = getattr(cli, section) if section else cli
        (parts[section] if section else top)[name] = getattr(holder, name)
    if "form" in top and "style" not in top:
        top["style"] = dataclasses.replace(base.style, output=cli.style.output)
    return dataclasses.replace(
        base,
        sampling=dataclasses.replace(base.sampling, **parts["sampling"]),
        client=dataclasses.replace(base.client, **parts["client"]),
        **top,
    )


def _summary(manifest: dict[str, Any], out: Path) -> dict[str, Any]:
    keep = ("rows_in", "rows_out", "rows_rejected", "rejected_by_reason", "samples", "solutions",
            "located", "located_exact_share", "first_error_kinds", "profile")  # fmt: skip
    return {"output": str(out), **{k: manifest[k] for k in keep if k in manifest}}
