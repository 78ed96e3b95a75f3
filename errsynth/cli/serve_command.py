"""``errsynth serve RUN``: a trained run behind an OpenAI-compatible HTTP endpoint.

torch is imported inside the command (through the trained-run backend), so ``--help``
and the rest of the CLI work without the ``errsynth[train]`` extra.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from errsynth.cli.ui.safe_output import echo
from errsynth.llm.server import ChatServer, ServerConfig
from errsynth.train.inputs import run_config


@click.command("serve")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port (0: a free one, printed at start).",
)
@click.option("--device", default="cpu", show_default=True, help="torch device of the model.")
@click.option(
    "--model-name",
    default=None,
    help="The name clients ask for (default: the run directory's name).",
)
@click.option(
    "--any-model",
    is_flag=True,
    help="Answer whatever model name a request gives (default: other names get a 404).",
)
@click.option(
    "--max-tokens-limit",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="Largest max_tokens a request may ask for (larger: 400).",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1024),
    default=1 << 20,
    show_default=True,
    help="Largest request body (larger: 413).",
)
@click.option(
    "--max-n",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Largest n (choices per request).",
)
@click.option(
    "--threads", type=click.IntRange(min=0), default=0, help="torch threads (0: torch's default)."
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request to stderr.")
def serve_cmd(run: Path, host: str, port: int, device: str, model_name: str | None,
              any_model: bool, max_tokens_limit: int, max_body_bytes: int, max_n: int,
              threads: int, verbose: bool) -> None:  # fmt: skip
    """Serve a trained run as an OpenAI-compatible chat model (POST /v1/chat/completions).

    The last user message is the problem (wrapped in the trainer's question template
    unless it already is); temperature 0 decodes greedily, any other temperature samples
    with the request's seed. Stop with Ctrl-C.
    """
    from errsynth.train.checkpoint import CheckpointError  # torch
    from errsynth.train.model_backend import TrainedRunBackend  # torch

    if threads:
        import torch

        torch.set_num_threads(threads)
    try:
        run_config(run)  # a clear error for a folder that is not a training run
        backend = TrainedRunBackend(run, device, max_tokens_limit=max_tokens_limit)
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{run}: cannot load the run: {exc}") from exc
    config = ServerConfig(
        model_name=model_name or run.resolve().name,
        strict_model=not any_model,
        max_body_bytes=max_body_bytes,
        max_n=max_n,
        log=(lambda line: print(line, file=sys.stderr, flush=True)) if verbose else None,
    )
    try:
        server = ChatServer((host, port), backend, config)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    echo(f"serving {run} as model {config.model_name!r} at {server.url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        server.server_close()
