"""Run a recipe: sources → steps → mix → shards, resumable and deterministic.

The run directory:

    sources/NAME/        ingest output per source (rejects, manifest; `runner.sources`)
    stages/input/        the sources' solution rows as chunks
    stages/NN-STEP/      each step: data/ chunk files, rejects/, done.json (`core.stage`)
    shards/part-NNNNN.parquet, rejects/*.parquet, manifest.json

Work is cut into chunks of `engine.chunk_rows` input rows; every output is written
atomically, and a stage is finished when its done.json exists, so a killed run
started again skips finished stages and chunks. The runner hands each step the
chunks of the table kind it reads (solutions, or samples after augment) and never
looks inside a step; the mixture reads the last samples' chunks with a column
projection (their internal `_order` left out). Chunk contents never depend on the
executor, so shards are byte-identical across engines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from errsynth.core.atomic import write_json_atomic
from errsynth.core.chunks import Chunk
from errsynth.core.context import RunContext
from errsynth.core.errors import RunError
from errsynth.core.executor import Executor
from errsynth.engine.local import LocalExecutor
from errsynth.recipe import Recipe, default_mix, resolved_entry
from errsynth.runner.fingerprint import InputChangedError, verify_run_inputs
from errsynth.runner.manifest import build_run_manifest, collect_rejects
from errsynth.runner.run_paths import OverlapError, check_output_apart, declared_sources
from errsynth.runner.rundir import open_run
from errsynth.runner.runlock import RunLock, RunLockedError
from errsynth.runner.sources import ingest_sources
from errsynth.runner.stage import estimate_stage, run_stage
from errsynth.schema import SAMPLE_SCHEMA
from errsynth.steps import SOLUTIONS, StepOrderError, plan_steps
from errsynth.steps.base import Step, TableKind

__all__ = ["RunError", "run_recipe"]


def run_recipe(
    recipe: Recipe,
    out: Path,
    *,
    executor: Executor | None = None,
    force: bool = False,
    progress: Callable[[str, int | None], Callable[[int], None]] | None = None,
    log: Callable[[str], None] = lambda msg: None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Run (or resume) a recipe into `out`; returns the manifest.

    `dry_run`: run the steps before the first one that can estimate instead (the LLM
    steps; their outputs are kept for the real run) and return what those would send.
    Refused before anything is written when `out` and a source overlap
    (`runner.run_paths`) or while another run holds `out` (`runner.runlock`); a resume
    over changed inputs is refused (`runner.fingerprint`).
    """
    out = Path(out)
    try:
        steps = plan_steps(recipe.data.get("process", []), lambda e: resolved_entry(recipe, e))
    except StepOrderError as exc:
        raise RunError(str(exc)) from exc
    try:
        check_output_apart(out, declared_sources(recipe))
        with RunLock(out):
            return _run_locked(recipe, out, steps, executor, force, progress, log, dry_run)
    except (OverlapError, RunLockedError, InputChangedError) as exc:
        raise RunError(str(exc)) from exc


def _run_locked(
    recipe: Recipe,
    out: Path,
    steps: list[Step],
    executor: Executor | None,
    force: bool,
    progress: Callable[[str, int | None], Callable[[int], None]] | None,
    log: Callable[[str], None],
    dry_run: bool,
) -> dict[str, Any]:
    resuming = (out / "run.json").exists() and not force
    finished = open_run(out, recipe, force)
    if finished is not None:
        log("finished already: nothing to do (use --force to run again)")
        return finished
    if resuming:
        verify_run_inputs(out)  # a resume: the inputs read so far must be unchanged
    started = time.perf_counter()
    ctx = RunContext(
        out,
        recipe.seed,
        executor or LocalExecutor(),
        chunk_rows=int(recipe.data.get("engine", {}).get("chunk_rows", 20000)),
        progress=progress,
        log=log,
        dry_run=dry_run,
    )
    tables: dict[TableKind, list[Chunk]] = {SOLUTIONS: ingest_sources(ctx, recipe)}
    kind: TableKind = SOLUTIONS
    estimated = False
    for i, step in enumerate(steps):
        chunks = tables[kind]
        if dry_run:
            estimate = estimate_stage(ctx, i, step, chunks, tables)
            if estimate is not None:
                ctx.stats.setdefault("dry_run", []).append(estimate)
                estimated = True
                continue
            if estimated:  # its input would be an estimated stage's output: not run
                continue
        kind = step.output_kind(kind)
        tables[kind] = run_stage(ctx, i, step, chunks, tables)
    if dry_run:
        return {"dry_run": ctx.stats.get("dry_run", []), "recipe": recipe.data}
    samples = [c for c in tables[kind] if c.num_rows]
    if not samples:
        raise RunError("no samples left to mix: every row was rejected (see rejects/ and stages/)")
    collect_rejects(ctx, recipe)
    spec = {
        "mix": recipe.data.get("mix") or default_mix(),
        "output": recipe.data.get("output") or {},
    }
    mixed = ctx.executor.mix(
        samples, out, spec, columns=SAMPLE_SCHEMA.names, recipe=recipe.data, seed=recipe.seed
    )
    manifest = build_run_manifest(ctx, recipe, mixed, time.perf_counter() - started)
    write_json_atomic(out / "manifest.json", manifest)
    return manifest
