"""Run a recipe: sources → process operators → mix → shards, resumable and deterministic.

The run directory:

    sources/NAME/        ingest output per source (solutions, rejects, manifest)
    stages/NN-OP/        each process operator: data/ chunk files, rejects/, done.json
    shards/part-NNNNN.parquet, rejects/*.parquet, manifest.json

Work is cut into chunks of `engine.chunk_rows` input rows; each chunk's output is
written to a temp file and renamed, and a stage is finished when its done.json
exists. A killed run started again skips finished stages and chunks. Chunks are
the unit the executor schedules (in-process, or Ray tasks), and their content
never depends on the executor, so shards are byte-identical across engines.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import errsynth
from errsynth.pipeline.executors import Executor, LocalExecutor
from errsynth.pipeline.ops import (
    ORDER,
    Augment,
    DedupOperator,
    Operator,
    chunk_offsets,
    dedup_split,
    make_operator,
    representative_ids,
)
from errsynth.recipe import Recipe, default_mix, resolved_entry

STAGE_REJECT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
    ]
)


class RunError(RuntimeError):
    """A run that cannot go on; the message says what to do."""


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write to a temp file beside `path` and rename it into place; on failure (a full
    disk, say) remove the temp file, so nothing half-written is ever taken as done."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n"
    _atomic(path, lambda tmp: tmp.write_text(text))


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    _atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def recipe_digest(recipe: Recipe) -> str:
    return hashlib.sha256(json.dumps(recipe.data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class RunContext:
    recipe: Recipe
    out: Path
    executor: Executor
    progress: Callable[[str, int | None], Callable[[int], None]] | None = None
    log: Callable[[str], None] = lambda msg: None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def chunk_rows(self) -> int:
        return int(self.recipe.data.get("engine", {}).get("chunk_rows", 20000))


# --- sources ---------------------------------------------------------------------------


def generate_source(src: dict[str, Any], folder: Path) -> list[Path]:
    """The built-in generator's problems as a Parquet file in the iGSM format."""
    from errsynth.igsm.generator import generate

    g = src["generate"]
    path = folder / "generated.parquet"
    if not path.exists():
        rows = list(
            generate(
                g["n"],
                g.get("max_ops", 6),
                g.get("seed", 0),
                names=g.get("names", "full"),
                distractors=g.get("distractors"),
            )
        )
        write_parquet_atomic(pa.Table.from_pylist(rows), path)
    return [path]


@dataclass(frozen=True)
class Chunk:
    """A chunk of rows on disk, read only when a job needs it (bounded memory)."""

    path: Path
    num_rows: int

    @classmethod
    def at(cls, path: Path) -> Chunk:
        return cls(path, pq.read_metadata(path).num_rows)

    def table(self, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.path, columns=columns)

    def select(self, columns: list[str]) -> pa.Table:
        return self.table(columns)


def as_table(chunk: Chunk | pa.Table) -> pa.Table:
    return chunk.table() if isinstance(chunk, Chunk) else chunk


def chunk_inputs(ctx: RunContext) -> list[Chunk]:
    """The sources parsed into input chunks (`pipeline.sources`), empty ones left out."""
    from errsynth.pipeline.sources import ingest_sources

    chunks = [Chunk.at(p) for p in ingest_sources(ctx)]
    return [c for c in chunks if c.num_rows]


# --- stages ----------------------------------------------------------------------------


def _stage_dir(ctx: RunContext, index: int, op: Operator) -> Path:
    return ctx.out / "stages" / f"{index:02d}-{op.name}"


def _chunk_paths(folder: Path) -> list[Path]:
    return sorted((folder / "data").glob("chunk-*.parquet"))


def _read_chunks(folder: Path) -> list[Chunk]:
    return [Chunk.at(p) for p in _chunk_paths(folder)]


def run_filter_chunk(args: tuple[Operator, Chunk | pa.Table, str, str, str]) -> tuple[int, int]:
    """One chunk of a filter operator (module-level so executors can ship it)."""
    op, chunk, stage, data_path, rejects_path = args
    kept, rejected = op.apply(as_table(chunk), stage)  # type: ignore[attr-defined]
    write_parquet_atomic(rejected.cast(STAGE_REJECT_SCHEMA), Path(rejects_path))
    write_parquet_atomic(kept, Path(data_path))
    return kept.num_rows, rejected.num_rows


def run_augment_chunk(args: tuple[Augment, Chunk | pa.Table, int, str, str]) -> tuple[int, int]:
    """One chunk of the augment operator: samples and candidate rejects."""
    from errsynth.augment import AugmentSpec, TransformStats, augment_row
    from errsynth.schema import CANDIDATE_REJECT_SCHEMA, SAMPLE_SCHEMA

    op, chunk, seed, data_path, rejects_path = args
    chunk = as_table(chunk)
    spec = AugmentSpec(
        transforms=op.transforms,
        style=op.style,
        seed=seed,
        include_clean=op.params.include_clean,
        form=op.form,
        annotations=op.params.annotations,
    )
    stats = {t.name: TransformStats() for t in op.transforms}
    samples: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    orders = chunk.column(ORDER).to_pylist()
    for row, order in zip(chunk.drop_columns([ORDER]).to_pylist(), orders, strict=True):
        made, rejected = augment_row(row, spec, stats)
        for s in made:
            s[ORDER] = order
        samples.extend(made)
        rejects.extend(rejected)
    schema = SAMPLE_SCHEMA.append(pa.field(ORDER, pa.int64(), nullable=False))
    write_parquet_atomic(
        pa.Table.from_pylist(rejects, schema=CANDIDATE_REJECT_SCHEMA), Path(rejects_path)
    )
    write_parquet_atomic(pa.Table.from_pylist(samples, schema=schema), Path(data_path))
    stats_path = Path(data_path).with_suffix(".stats.json")
    write_json_atomic(stats_path, {k: v.as_dict() for k, v in stats.items()})
    return len(samples), len(rejects)


def run_stage(ctx: RunContext, index: int, op: Operator, chunks: list[Chunk]) -> list[Chunk]:
    """Run one operator over the chunks (resuming finished chunks); returns its output chunks."""
    folder = _stage_dir(ctx, index, op)
    done = folder / "done.json"
    if done.exists():
        ctx.stats.setdefault("stages", []).append(json.loads(done.read_text()))
        ctx.log(f"stage {folder.name}: already done")
        return _read_chunks(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "rejects").mkdir(parents=True, exist_ok=True)
    stage = folder.name
    started = time.perf_counter()
    rows_in = sum(c.num_rows for c in chunks)
    if isinstance(op, DedupOperator):
        # The decision needs every row: the executor makes it (local: one process; Ray:
        # shuffles). The chunk outputs are written after it, so resuming redoes only it.
        result = ctx.executor.dedup(op, chunks) if rows_in else None
        id_of = representative_ids(chunks, result) if result is not None else {}
        offsets = chunk_offsets(chunks)
        for k, chunk in enumerate(chunks):
            data_path = folder / "data" / f"chunk-{k:05d}.parquet"
            if data_path.exists():
                continue
            if result is None:
                kept, rejected = (
                    as_table(chunk),
                    pa.table({f.name: pa.array([], f.type) for f in STAGE_REJECT_SCHEMA}),
                )
            else:
                kept, rejected = dedup_split(as_table(chunk), result, stage, offsets[k], id_of)
            write_parquet_atomic(
                rejected.cast(STAGE_REJECT_SCHEMA), folder / "rejects" / f"chunk-{k:05d}.parquet"
            )
            write_parquet_atomic(kept, data_path)
    else:
        todo = [
            k
            for k in range(len(chunks))
            if not (folder / "data" / f"chunk-{k:05d}.parquet").exists()
        ]
        if isinstance(op, Augment):
            fn: Callable[[Any], tuple[int, int]] = run_augment_chunk
            jobs = [
                (
                    op,
                    chunks[k],
                    ctx.recipe.seed,
                    str(folder / "data" / f"chunk-{k:05d}.parquet"),
                    str(folder / "rejects" / f"chunk-{k:05d}.parquet"),
                )
                for k in todo
            ]
            if any(t.name == "distractor" for t in op.transforms):
                pool_rows = (
                    r for c in chunks for r in c.select(["id", "source", "steps"]).to_pylist()
                )
                for t in op.transforms:
                    t.prepare(pool_rows, ctx.recipe.seed)
        else:
            fn = run_filter_chunk
            jobs = [
                (
                    op,
                    chunks[k],
                    stage,
                    str(folder / "data" / f"chunk-{k:05d}.parquet"),
                    str(folder / "rejects" / f"chunk-{k:05d}.parquet"),
                )
                for k in todo
            ]
        advance = ctx.progress(stage, len(chunks)) if ctx.progress else None
        if advance:
            advance(len(chunks) - len(todo))
        for _ in ctx.executor.map(fn, jobs):
            if advance:
                advance(1)
    out_chunks = _read_chunks(folder)
    rejects = [pq.read_table(p) for p in sorted((folder / "rejects").glob("chunk-*.parquet"))]
    reasons: Counter[str] = Counter()
    for r in rejects:
        reasons.update(r.column("reason").to_pylist())
    info: dict[str, Any] = {
        "stage": stage,
        "operator": op.describe(),
        "rows_in": rows_in,
        "rows_out": sum(c.num_rows for c in out_chunks),
        "rows_rejected": sum(r.num_rows for r in rejects),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    if isinstance(op, Augment):
        per: dict[str, Counter[str]] = {}
        for p in sorted((folder / "data").glob("chunk-*.stats.json")):
            for name, st in json.loads(p.read_text()).items():
                acc = per.setdefault(name, Counter())
                for key in (
                    "tried",
                    "emitted",
                    "rejected",
                    "errors",
                    "premature",
                    "eligible_steps",
                    "steps_with_attempt",
                    "solution_steps",
                ):
                    acc[key] += st[key]
        info["per_transform"] = {k: dict(v) for k, v in per.items()}
    write_json_atomic(done, info)
    ctx.stats.setdefault("stages", []).append(info)
    return out_chunks


def _clean_samples(ctx: RunContext, chunks: list[Chunk]) -> list[Chunk]:
    """Without an augment operator, the solutions themselves become clean samples."""
    output = ctx.recipe.data.get("output") or {}
    op = make_operator(
        {
            "augment": {
                "transforms": [],
                "include_clean": True,
                "form": output.get("form"),
                "annotations": output.get("annotations", "auto"),
            }
        },
        "implicit augment",
    )
    index = len(ctx.recipe.data.get("process", []))
    return run_stage(ctx, index, op, chunks)


# --- the run ---------------------------------------------------------------------------


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

    `dry_run`: run the stages before the LLM operators (their outputs are kept for the
    real run) and return what each LLM stage would send instead of sending it.
    """
    out = Path(out)
    digest = recipe_digest(recipe)
    marker = out / "run.json"
    if force and out.exists():
        for name in ("sources", "stages", "shards", "rejects", "manifest.json", "run.json"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    if marker.exists():
        previous = json.loads(marker.read_text())
        if previous.get("recipe_sha256") != digest:
            raise RunError(
                f"{out} holds a run of a different recipe (or other --set values); "
                "use --force to start over, or another -o directory"
            )
        if (out / "manifest.json").exists():
            log("finished already: nothing to do (use --force to run again)")
            return json.loads((out / "manifest.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    probe = out / f".write-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    write_json_atomic(
        marker,
        {"recipe_sha256": digest, "recipe": recipe.data, "errsynth_version": errsynth.__version__},
    )
    started = time.perf_counter()
    ctx = RunContext(recipe, out, executor or LocalExecutor(), progress=progress, log=log)
    chunks = chunk_inputs(ctx)
    ops = [
        make_operator(resolved_entry(recipe, e), f"process[{i}]")
        for i, e in enumerate(recipe.data.get("process", []))
    ]
    output_form = (recipe.data.get("output") or {}).get("form")
    for op in ops:  # output.form is the default form of every augment operator
        if isinstance(op, Augment) and op.params.form is None and output_form:
            op.set_form(output_form)
    augmented = False
    solutions: list[Chunk] = []  # augment's input: the parents of the samples (LLM stages)
    for i, op in enumerate(ops):
        if op.kind == "llm":
            from errsynth.transforms.llm.stage import run_llm_stage

            if not augmented:
                raise RunError(
                    f"process[{i}] {op.name}: LLM operators work on samples: put them after augment"
                )
            chunks = run_llm_stage(ctx, i, op, chunks, solutions, dry_run=dry_run)  # type: ignore[arg-type]
            continue
        if augmented and not isinstance(op, DedupOperator):
            raise RunError(
                f"process[{i}] {op.name}: only dedup and LLM operators may follow augment"
            )
        if isinstance(op, Augment):
            solutions = chunks
        chunks = run_stage(ctx, i, op, chunks)
        augmented = augmented or isinstance(op, Augment)
    if dry_run:
        return {"dry_run": ctx.stats.get("llm_dry_run", []), "recipe": recipe.data}
    if not augmented:
        chunks = _clean_samples(ctx, chunks)
    spec = {
        "mix": recipe.data.get("mix") or default_mix(),
        "output": recipe.data.get("output") or {},
    }
    samples = mix_inputs(ctx, chunks)
    if not samples:
        raise RunError("no samples left to mix: every row was rejected (see rejects/ and stages/)")
    collect_rejects(ctx)
    mixed = ctx.executor.mix(samples, out, spec, recipe=recipe.data, seed=recipe.seed)
    manifest = build_run_manifest(ctx, mixed, time.perf_counter() - started)
    write_json_atomic(out / "manifest.json", manifest)
    return manifest


def mix_inputs(ctx: RunContext, chunks: list[Chunk]) -> list[Path]:
    """The final samples without the internal order column, one file per chunk, streamed."""
    folder = ctx.out / "stages" / "mix-input"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, chunk in enumerate(c for c in chunks if c.num_rows):
        path = folder / f"chunk-{k:05d}.parquet"
        if not path.exists():
            write_parquet_atomic(chunk.table().drop_columns([ORDER]), path)
        paths.append(path)
    return paths


def collect_rejects(ctx: RunContext) -> None:
    """rejects/: one file per source's ingest and per stage, each row with its reason."""
    folder = ctx.out / "rejects"
    folder.mkdir(exist_ok=True)
    for src in ctx.recipe.data["sources"]:
        path = ctx.out / "sources" / src["name"] / "rejects.parquet"
        target = folder / f"ingest-{src['name']}.parquet"
        if path.exists() and not target.exists():
            write_parquet_atomic(pq.read_table(path), target)
    for stage in sorted((ctx.out / "stages").glob("*")) if (ctx.out / "stages").exists() else []:
        parts = [pq.read_table(p) for p in sorted((stage / "rejects").glob("chunk-*.parquet"))]
        target = folder / f"stage-{stage.name}.parquet"
        if parts and not target.exists():
            write_parquet_atomic(pa.concat_tables(parts, promote_options="default"), target)


def build_run_manifest(ctx: RunContext, mixed: dict[str, Any], elapsed: float) -> dict[str, Any]:
    """The run's manifest: the mix's (shards, tokens, streams) plus the accounting per source."""
    sources: dict[str, dict[str, Any]] = {}
    for src in ctx.recipe.data["sources"]:
        m = json.loads((ctx.out / "sources" / src["name"] / "manifest.json").read_text())
        sources[src["name"]] = {
            "rows_in": m["rows_in"],
            "ingest_rejected": m["rows_rejected"],
            "ingest_rejected_by_reason": m["rejected_by_reason"],
            "stage_rejected": 0,
            "rows_out_clean": m["rows_out"],
        }
    for stage in ctx.stats.get("stages", []):
        folder = ctx.out / "stages" / stage["stage"]
        if stage.get("candidate_rejects") or (
            stage["operator"] and next(iter(stage["operator"])) == "augment"
        ):
            continue
        for p in sorted((folder / "rejects").glob("chunk-*.parquet")):
            for s in pq.read_table(p, columns=["source"]).column("source").to_pylist():
                sources[s]["stage_rejected"] += 1
                sources[s]["rows_out_clean"] -= 1
    for s in sources.values():
        s["rows_rejected"] = s["ingest_rejected"] + s["stage_rejected"]
        assert s["rows_in"] == s["rows_out_clean"] + s["rows_rejected"], s
    rows_in = sum(s["rows_in"] for s in sources.values())
    rows_rejected = sum(s["rows_rejected"] for s in sources.values())
    manifest = dict(mixed)
    manifest.update(
        {
            "errsynth_version": errsynth.__version__,
            "recipe": ctx.recipe.data,
            "recipe_overrides": ctx.recipe.overrides,
            "seed": ctx.recipe.seed,
            "engine": ctx.executor.name,
            "rows_in": rows_in,
            "rows_out": mixed["rows_out"],
            "rows_rejected": rows_rejected,
            "mix_rows_in": mixed.get("rows_in"),
            "mix_rows_rejected": mixed.get("rows_rejected"),
            "sources": sources,
            "stages": ctx.stats.get("stages", []),
            "elapsed_s": round(elapsed, 3),
        }
    )
    return manifest
