"""The step contract: what a recipe's `process:` entry is, whatever it does.

A step reads one table kind and writes one (`SOLUTIONS` or `SAMPLES`), so the
order of a recipe's steps is checked when the recipe loads (`steps.plan`). There
are three kinds, and each carries its own way of running, so the runner only
calls `step.run(ctx, stage, chunks, tables)` and never asks what it holds:

- `RowStep`: row-local; `process(table, stage) -> Processed(kept, rejects, stats)`
  per chunk, as executor jobs (in-process or Ray tasks). Optional `prepare` (a
  corpus-wide pass before the jobs, e.g. augment's distractor pool) and
  `summarize` (the stage's counts from the chunks' stats).
- `GlobalStep`: `keys(chunk, offset)` then one decision over every row's keys
  (`decide`: the step asks the executor for the pass it needs), applied per chunk.
- `DriverStep`: runs its own loop on the driver (the LLM steps: requests through
  a cached client); may `estimate` instead of running (dry run).

Outputs go to the stage folder (`core.stage.StageDir`): data/chunk-K.parquet (the
kept rows or the new samples, `_order` kept), rejects/chunk-K.parquet, and
data/chunk-K.stats.json. The runner writes done.json with the common counts and
what `run` returned.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import pyarrow as pa

from errsynth.core.atomic import write_json_atomic, write_parquet_atomic
from errsynth.core.chunks import Chunk, as_table
from errsynth.core.context import RunContext
from errsynth.core.jsonschema import dataclass_schema
from errsynth.core.params import parse_params
from errsynth.core.stage import STAGE_REJECT_SCHEMA, StageDir

TableKind = Literal["solutions", "samples"]
SOLUTIONS: TableKind = "solutions"
SAMPLES: TableKind = "samples"
Tables = Mapping[TableKind, Sequence[Chunk]]


class Step:
    """A recipe step: parameters, what it reads and writes, and how it runs."""

    name: ClassVar[str]
    Params: ClassVar[type]
    reads: ClassVar[frozenset[TableKind]]  # the table kinds it accepts as input
    writes: ClassVar[TableKind | None] = None  # None: the kind it read (a filter)
    candidate_rejects: ClassVar[bool] = False  # rejects are candidates, not input rows
    reject_schema: ClassVar[pa.Schema] = STAGE_REJECT_SCHEMA

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = parse_params(self.Params, params, self.name)

    def describe(self) -> dict[str, Any]:
        return {self.name: json.loads(json.dumps(dataclasses.asdict(self.params), default=list))}

    @classmethod
    def params_schema(cls) -> dict[str, Any]:
        """JSON Schema of the step's parameters (the recipe schema is made of these)."""
        schema = dataclass_schema(cls.Params)
        if "fields" in schema["properties"]:  # a lone field name is a list of one
            schema["properties"]["fields"] = {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                "default": ["question"],
            }
        return schema

    def output_kind(self, read: TableKind) -> TableKind:
        return self.writes or read

    def run(self, ctx: RunContext, stage: StageDir, chunks: list[Chunk], tables: Tables) -> dict:
        """Write the stage's chunk outputs; returns what done.json adds to the common counts."""
        raise NotImplementedError

    def estimate(
        self, ctx: RunContext, stage: StageDir, chunks: list[Chunk], tables: Tables
    ) -> dict[str, Any] | None:
        """A dry run's estimate of the stage, or None: a step that just runs."""
        return None


class Processed(NamedTuple):
    kept: pa.Table  # kept rows, or the rows made (samples), `_order` kept
    rejects: pa.Table
    stats: Mapping[str, Any] | None = None  # the chunk's counts (summed by `summarize`)


class RowStep(Step):
    """A row-local step: each chunk's output depends on that chunk only."""

    def process(self, table: pa.Table, stage: str) -> Processed:
        raise NotImplementedError

    def prepare(self, ctx: RunContext, chunks: Sequence[Chunk]) -> None:
        """A pass before the chunk jobs (e.g. a pool drawn from every row); default none."""

    def summarize(self, chunk_stats: list[dict[str, Any]]) -> dict[str, Any]:
        """What done.json adds from the chunks' stats; default nothing."""
        return {}

    def run(self, ctx: RunContext, stage: StageDir, chunks: list[Chunk], tables: Tables) -> dict:
        todo = stage.todo(len(chunks))
        if todo:
            self.prepare(ctx, chunks)
        jobs = [
            RowJob(
                self,
                chunks[k],
                stage.name,
                str(stage.data_path(k)),
                str(stage.rejects_path(k)),
                str(stage.stats_path(k)),
            )
            for k in todo
        ]
        advance = ctx.progress(stage.name, len(chunks)) if ctx.progress else None
        if advance:
            advance(len(chunks) - len(todo))
        for _ in ctx.executor.map(run_row_job, jobs):
            if advance:
                advance(1)
        return self.summarize(stage.chunk_stats())


class RowJob(NamedTuple):
    step: RowStep
    chunk: Chunk | pa.Table
    stage: str
    data_path: str
    rejects_path: str
    stats_path: str


def run_row_job(job: RowJob) -> tuple[int, int]:
    """One chunk of a row step (module-level so executors can ship it): rejects, stats,
    then the data file, which marks the chunk done."""
    out = job.step.process(as_table(job.chunk), job.stage)
    write_parquet_atomic(out.rejects.cast(job.step.reject_schema), Path(job.rejects_path))
    if out.stats is not None:
        write_json_atomic(Path(job.stats_path), out.stats)
    write_parquet_atomic(out.kept, Path(job.data_path))
    return out.kept.num_rows, out.rejects.num_rows


class GlobalStep(Step):
    """A step whose verdict needs every row: keys per chunk, one decision, applied per chunk."""

    def keys(self, chunk: Chunk | pa.Table, offset: int) -> pa.Table:
        raise NotImplementedError

    def decide(self, executor: Any, chunks: Sequence[Chunk]) -> Any:
        """The decision over all rows, made by the executor's pass for this step."""
        raise NotImplementedError

    def split(
        self, decision: Any, chunks: Sequence[Chunk], stage: str
    ) -> Callable[[int, pa.Table], tuple[pa.Table, pa.Table]]:
        """Chunk k's (kept, rejects) under the decision."""
        raise NotImplementedError

    def run(self, ctx: RunContext, stage: StageDir, chunks: list[Chunk], tables: Tables) -> dict:
        # The decision is made again on resume (it is not stored); chunk outputs written
        # before a kill are kept, and the rest are cut from the same decision.
        todo = stage.todo(len(chunks))
        if not todo:
            return {}
        rows = sum(c.num_rows for c in chunks)
        apply = self.split(self.decide(ctx.executor, chunks), chunks, stage.name) if rows else None
        for k in todo:
            table = as_table(chunks[k])
            kept, rejects = apply(k, table) if apply else (table, STAGE_REJECT_SCHEMA.empty_table())
            write_parquet_atomic(rejects.cast(self.reject_schema), stage.rejects_path(k))
            write_parquet_atomic(kept, stage.data_path(k))
        return {}


class DriverStep(Step):
    """A step that runs its own loop on the driver (subclasses implement `run`)."""
