"""`errsynth llm`: costs before a run, the response cache, a server check."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from errsynth.cli.ui.safe_output import markup_escape, safe_console
from errsynth.llm.backoff import RetryPolicy
from errsynth.llm.cache import ResponseCache
from errsynth.llm.http import HttpConfig, OpenAIBackend
from errsynth.llm.request import ChatRequest
from errsynth.llm.secrets import APIKeyError
from errsynth.recipe import RecipeError, load_recipe
from errsynth.runner import RunError, run_recipe


def dry_run_table(entries: list[dict[str, Any]]) -> Any:
    """A rich table of what each LLM stage would send."""
    table = Table(title="LLM requests this recipe would send (dry run)")
    for name in (
        "stage",
        "model",
        "backend",
        "candidates",
        "requests",
        "cached",
        "to send",
        "prompt tokens ≈",
        "completion tokens ≤",
    ):
        table.add_column(name, justify="left" if name in ("stage", "model", "backend") else "right")
    for e in entries:
        table.add_row(
            e["stage"],
            e["model"],
            e["backend"],
            f"{e['candidates']:,}",
            f"{e['requests']:,}",
            f"{e['cached']:,}",
            f"{e['to_send']:,}",
            f"{e['prompt_tokens_est']:,}",
            f"{e['completion_tokens_max']:,}",
        )
    if len(entries) > 1:
        table.caption = (
            "A later LLM stage is counted on the samples before the earlier LLM stages run; "
            "it may also take the samples they make (see its kinds)."
        )
    return table


def run_dry(recipe_path: Path, out: Path | None, overrides: tuple[str, ...], quiet: bool) -> None:
    """Shared by `errsynth run --dry-run` and `errsynth llm dry-run`."""
    console = safe_console(stderr=True, quiet=quiet)
    try:
        recipe = load_recipe(recipe_path, overrides)
    except RecipeError as exc:
        raise click.ClickException("invalid recipe:\n" + str(exc)) from exc
    out = out or Path("runs") / recipe.name
    try:
        result = run_recipe(
            recipe, out, dry_run=True, log=lambda m: console.print(f"[dim]{markup_escape(m)}[/dim]")
        )
    except RunError as exc:
        raise click.ClickException(str(exc)) from exc
    entries = result.get("dry_run")
    if entries is None:
        click.echo(f"{out}: the run is finished; nothing would be sent")
        return
    safe_console().print(dry_run_table(entries))
    click.echo(json.dumps({"dry_run": entries}, indent=2))


@click.group("llm")
def llm() -> None:
    """LLM operators: dry runs, the response cache, checking a server."""


@llm.command("dry-run")
@click.argument(
    "recipe_path", metavar="RECIPE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=None)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@click.option("-q", "--quiet", is_flag=True)
def dry_run_cmd(
    recipe_path: Path, out_dir: Path | None, overrides: tuple[str, ...], quiet: bool
) -> None:
    """How many requests and tokens RECIPE would send (same as `errsynth run --dry-run`).

    The stages before the LLM operators run (their outputs are reused by the real
    run); no request is sent. Requests the cache already answers are counted apart.
    """
    run_dry(recipe_path, out_dir, overrides, quiet)


@llm.command("cache")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cache_cmd(path: Path) -> None:
    """Entries and tokens per model in a response cache (llm_cache.sqlite)."""
    with ResponseCache(path) as cache:
        click.echo(json.dumps(cache.stats(), indent=2))


@llm.command("ping")
@click.option("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1")
@click.option("--model", required=True)
@click.option(
    "--api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    help="Name of the variable holding the key ('' for a server without authentication).",
)
@click.option("--prompt", default="Reply with the single word: ready", show_default=True)
@click.option("--timeout", "timeout_s", type=float, default=60.0, show_default=True)
def ping_cmd(base_url: str, model: str, api_key_env: str, prompt: str, timeout_s: float) -> None:
    """Send one request (not cached) and print the reply, latency and usage."""
    try:
        backend = OpenAIBackend(
            HttpConfig(
                base_url=base_url,
                api_key_env=api_key_env or None,
                concurrency=1,
                timeout_s=timeout_s,
                retry=RetryPolicy(max_retries=2),
            )
        )
    except APIKeyError as exc:
        msg = str(exc).replace("client.api_key_env: null", "--api-key-env ''")
        raise click.ClickException(msg.replace("client.api_key_env", "--api-key-env")) from exc
    t0 = time.perf_counter()
    [result] = backend.complete(
        [ChatRequest.of(model, [("user", prompt)], {"temperature": 0, "max_tokens": 32})]
    )
    elapsed = time.perf_counter() - t0
    if not result.ok:
        raise click.ClickException(
            f"request failed after {result.attempts} attempt(s): {result.error}"
        )
    click.echo(
        json.dumps(
            {
                "reply": result.content,
                "latency_s": round(elapsed, 3),
                "usage": result.usage(),
                "attempts": result.attempts,
            }
        )
    )
