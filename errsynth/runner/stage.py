"""One step as one resumable stage: skip it when done, run it, write its done.json.

The runner knows nothing about the step it runs: the step writes its chunk outputs
(`Step.run`), and the stage's summary is the same for every step (rows in, out and
rejected, reasons, time) plus what the step returned (its own counts).
"""

from __future__ import annotations

import json
import time
from typing import Any

from errsynth.core.atomic import write_json_atomic
from errsynth.core.chunks import Chunk
from errsynth.core.context import RunContext
from errsynth.core.stage import StageDir
from errsynth.steps.base import Step, Tables


def stage_dir(ctx: RunContext, index: int, step: Step) -> StageDir:
    return StageDir(ctx.out / "stages" / f"{index:02d}-{step.name}")


def run_stage(
    ctx: RunContext, index: int, step: Step, chunks: list[Chunk], tables: Tables
) -> list[Chunk]:
    """Run (or resume, or skip when done) one step over the chunks; returns its output chunks."""
    stage = stage_dir(ctx, index, step)
    if stage.done_path.exists():
        ctx.stats.setdefault("stages", []).append(json.loads(stage.done_path.read_text()))
        ctx.log(f"stage {stage.name}: already done")
        return stage.outputs()
    stage.make()
    started = time.perf_counter()
    extra = step.run(ctx, stage, chunks, tables)
    outputs = stage.outputs()
    rejected, reasons = stage.reject_counts()
    info: dict[str, Any] = {
        "stage": stage.name,
        "operator": step.describe(),
        "rows_in": sum(c.num_rows for c in chunks),
        "rows_out": sum(c.num_rows for c in outputs),
        "rows_rejected": rejected,
        "rejected_by_reason": dict(sorted(reasons.items())),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    if step.candidate_rejects:
        info["candidate_rejects"] = True  # not input rows: not counted against the sources
    info.update(extra)
    write_json_atomic(stage.done_path, info)
    ctx.stats.setdefault("stages", []).append(info)
    return outputs


def estimate_stage(
    ctx: RunContext, index: int, step: Step, chunks: list[Chunk], tables: Tables
) -> dict[str, Any] | None:
    """A dry run's estimate of the step (None: the step has none and would just run)."""
    return step.estimate(ctx, stage_dir(ctx, index, step), chunks, tables)
