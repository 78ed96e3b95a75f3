"""What a step sees of the run: where it writes, the seed, the executor, progress and log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errsynth.core.executor import Executor

Progress = Callable[[str, int | None], Callable[[int], None]]


@dataclass
class RunContext:
    """The run a step is part of (built by the runner; steps never see the recipe).

    `stats` collects what the runner reports (`stages`, `dry_run`); `dry_run` asks
    steps that can (the LLM steps) to estimate instead of running.
    """

    out: Path
    seed: int
    executor: Executor
    chunk_rows: int = 20000
    progress: Progress | None = None
    log: Callable[[str], None] = lambda msg: None
    stats: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False
