"""Sources into the stage input: ingest as parse jobs, one input chunk per job.

    driver    reads each source's records in order and cuts them into batches of
              `engine.chunk_rows` records of one file (JSONL lines travel as bytes:
              the driver only splits lines, the jobs decode them)
    executor  decode + parse_batch (readers, evaluator, number flow) per batch
              -> stages/input/chunk-SSS-PPPPP.parquet   solution rows + `_order`
                 sources/NAME/parts/rejects-PPPPP.parquet
                 sources/NAME/parts/part-PPPPP.json      counts; written last = done
    driver    the source's `limit`, sources/NAME/rejects.parquet and manifest.json

Parsing is a pure function of the records, so the chunks are the same whichever
engine parsed them and however many workers ran. `_order` is (source index << 40)
| record number in the source: unique, increasing in input order (the keep-first
order of dedup). A killed run resumes at the first part without its `part-*.json`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import errsynth
from errsynth.core.atomic import write_json_atomic, write_parquet_atomic
from errsynth.core.chunks import ORDER, Chunk
from errsynth.core.context import RunContext
from errsynth.igsm.generator import generate
from errsynth.ingest.base import ReaderOptions
from errsynth.ingest.readers import ensure_registered
from errsynth.ingest.records import (
    DEFAULT_MAX_RECORD_BYTES,
    RawLine,
    RawRecord,
    decoded,
    expand_inputs,
)
from errsynth.ingest.run import batched, check_format, file_items, parse_batch
from errsynth.recipe import Recipe
from errsynth.runner.fingerprint import record_inputs, verify_source
from errsynth.schema import REJECT_SCHEMA, SOLUTION_SCHEMA

SOURCE_SHIFT = 40  # _order = source index << 40 | record number


@dataclass(frozen=True)
class ParseJob:
    """One batch of one file's records and where its outputs go."""

    records: list[RawRecord | RawLine]  # JSONL lines are decoded by the job
    fmt: str
    source: str
    field_map: dict[str, str]
    first_order: int
    file: str
    chunk_path: str
    rejects_path: str
    stats_path: str


def parse_part(job: ParseJob) -> dict[str, Any]:
    """Executor job: parse the batch and write its chunk, rejects and (last) its counts."""
    ensure_registered()
    options = ReaderOptions(field_map=dict(job.field_map), evaluate=True)
    records = [decoded(item) for item in job.records]
    parsed = parse_batch(records, job.fmt, job.source, options)
    rows = parsed.rows
    table = pa.Table.from_pylist(rows, schema=SOLUTION_SCHEMA).append_column(
        ORDER, pa.array([job.first_order + k for k in parsed.accepted], pa.int64())
    )
    write_parquet_atomic(
        pa.Table.from_pylist(parsed.rejects, schema=REJECT_SCHEMA), Path(job.rejects_path)
    )
    write_parquet_atomic(table, Path(job.chunk_path))
    stats = {
        "file": job.file,
        "format": job.fmt,
        "rows_in": len(records),
        "rows_out": len(rows),
        "rows_rejected": len(parsed.rejects),
        "rejected_by_reason": dict(parsed.rejected_by_reason),
        "equations": dict(parsed.equations),
        "chunk": Path(job.chunk_path).name,
    }
    write_json_atomic(Path(job.stats_path), stats)
    return stats


def generate_source(src: dict[str, Any], folder: Path) -> list[Path]:
    """The built-in generator's problems as a Parquet file in the iGSM format."""
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


def _source_inputs(recipe: Recipe, src: dict[str, Any], folder: Path) -> tuple[list[Path], str]:
    if "generate" in src:
        return generate_source(src, folder), "igsm"
    paths = src["path"] if isinstance(src["path"], list) else [src["path"]]
    fmt = "jsonl" if src.get("fields") else src.get("format", "auto")
    check_format(fmt, f"source {src['name']}: ")
    declared = [recipe.resolve_path(p) for p in paths]
    files = expand_inputs(declared)
    record_inputs(folder, declared, files)  # checked by every later start of the run
    return files, fmt


def _parse_jobs(
    ctx: RunContext,
    recipe: Recipe,
    index: int,
    src: dict[str, Any],
    folder: Path,
    parts: list[Path],
) -> Iterator[ParseJob]:
    """The source's batches as jobs, skipping parts finished before (their paths appended
    to `parts` in order either way)."""
    inputs, fmt = _source_inputs(recipe, src, folder)
    ctx.log(f"ingest {src['name']}: {', '.join(str(p) for p in inputs)}")
    record = 0
    part = 0
    for path in inputs:
        chosen, records = file_items(path, fmt, DEFAULT_MAX_RECORD_BYTES)
        if fmt == "auto":
            ctx.log(f"ingest {src['name']}: {path} read as {chosen}")
        for batch in batched(records, ctx.chunk_rows):
            name = f"{index:03d}-{part:05d}"
            stats_path = folder / "parts" / f"part-{part:05d}.json"
            parts.append(stats_path)
            if not stats_path.exists():
                yield ParseJob(
                    records=batch,
                    fmt=chosen,
                    source=src["name"],
                    field_map=dict(src.get("fields") or {}),
                    first_order=(index << SOURCE_SHIFT) | record,
                    file=str(path),
                    chunk_path=str(ctx.out / "stages" / "input" / f"chunk-{name}.parquet"),
                    rejects_path=str(folder / "parts" / f"rejects-{part:05d}.parquet"),
                    stats_path=str(stats_path),
                )
            record += len(batch)
            part += 1


def _apply_limit(
    ctx: RunContext, src: dict[str, Any], parts: list[dict[str, Any]], folder: Path
) -> int:
    """Keep the source's first `limit` solutions; the rest become `over_limit` rejects.

    Idempotent (a killed run redoes it from the parts' original counts): for each part
    the over-limit rejects are written first, then the chunk is cut to its kept rows.
    Returns the number of solutions moved to the rejects.
    """
    limit = src.get("limit")
    if not limit:
        return 0
    seen = 0
    moved = 0
    for k, stats in enumerate(parts):
        keep = max(0, min(stats["rows_out"], limit - seen))
        seen += stats["rows_out"]
        if keep == stats["rows_out"]:
            continue
        moved += stats["rows_out"] - keep
        chunk = ctx.out / "stages" / "input" / stats["chunk"]
        extra = folder / "parts" / f"limit-{k:05d}.parquet"
        if extra.exists() and pq.read_metadata(chunk).num_rows == keep:
            continue  # done before a kill
        table = pq.read_table(chunk)
        if not extra.exists():
            rest = table.slice(keep)
            n = rest.num_rows
            write_parquet_atomic(
                pa.table(
                    {
                        "file": pa.array([stats["file"]] * n, pa.string()),
                        "record": pa.nulls(n, pa.int64()),
                        "format": rest.column("format"),
                        "reason": pa.array(["over_limit"] * n, pa.string()),
                        "detail": pa.array([f"source limit {limit}"] * n, pa.string()),
                        "raw": rest.column("id").cast(pa.string()),
                    }
                ).cast(REJECT_SCHEMA),
                extra,
            )
        if table.num_rows > keep:
            write_parquet_atomic(table.slice(0, keep), chunk)
    return moved


def _finish_source(
    ctx: RunContext, src: dict[str, Any], folder: Path, stats_paths: list[Path], elapsed: float
) -> None:
    """Limit, the source's rejects.parquet and its manifest (the source's done marker)."""
    parts = [json.loads(p.read_text()) for p in stats_paths]
    over = _apply_limit(ctx, src, parts, folder)
    reject_files = sorted((folder / "parts").glob("rejects-*.parquet")) + sorted(
        (folder / "parts").glob("limit-*.parquet")
    )
    rejects = [pq.read_table(p) for p in reject_files]
    write_parquet_atomic(
        pa.concat_tables(rejects) if rejects else REJECT_SCHEMA.empty_table(),
        folder / "rejects.parquet",
    )
    by_reason: Counter[str] = Counter()
    equations: Counter[str] = Counter()
    files: dict[str, dict[str, Any]] = {}
    per_format: Counter[str] = Counter()
    for p in parts:
        by_reason.update(p["rejected_by_reason"])
        equations.update(p["equations"])
        per_format[p["format"]] += p["rows_out"]
        f = files.setdefault(
            p["file"],
            {
                "path": p["file"],
                "format": p["format"],
                "rows_in": 0,
                "rows_out": 0,
                "rows_rejected": 0,
            },
        )
        for key in ("rows_in", "rows_out", "rows_rejected"):
            f[key] += p[key]
    if over:
        by_reason["over_limit"] += over
    rows_in = sum(p["rows_in"] for p in parts)
    rows_out = sum(p["rows_out"] for p in parts) - over
    manifest = {
        "errsynth_version": errsynth.__version__,
        "stage": "ingest",
        "source": src["name"],
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_rejected": rows_in - rows_out,
        "per_format": dict(sorted(per_format.items())),
        "rejected_by_reason": dict(sorted(by_reason.items())),
        "equations": dict(sorted(equations.items())),
        "files": list(files.values()),
        "chunks": [p["chunk"] for p in parts],
        "elapsed_s": round(elapsed, 3),  # of this (possibly resumed) attempt
        "outputs": {"solutions": "../../stages/input/", "rejects": "rejects.parquet"},
    }
    write_json_atomic(folder / "manifest.json", manifest)


def ingest_sources(ctx: RunContext, recipe: Recipe) -> list[Chunk]:
    """Every source parsed into the input chunks (skipping finished work), empty ones left
    out."""
    folder_in = ctx.out / "stages" / "input"
    done = folder_in / "done.json"
    if not done.exists():
        folder_in.mkdir(parents=True, exist_ok=True)
        for index, src in enumerate(recipe.data["sources"]):
            folder = ctx.out / "sources" / src["name"]
            if (folder / "manifest.json").exists():
                continue
            (folder / "parts").mkdir(parents=True, exist_ok=True)
            stats_paths: list[Path] = []
            started = time.perf_counter()
            advance = ctx.progress(f"ingest {src['name']}", None) if ctx.progress else None
            for stats in ctx.executor.map(
                parse_part, _parse_jobs(ctx, recipe, index, src, folder, stats_paths)
            ):
                if advance:
                    advance(stats["rows_in"])
            verify_source(folder, src["name"], quick=True)  # not changed while it was read
            _finish_source(ctx, src, folder, stats_paths, time.perf_counter() - started)
    paths: list[Path] = []
    for src in recipe.data["sources"]:
        m = json.loads((ctx.out / "sources" / src["name"] / "manifest.json").read_text())
        paths.extend(folder_in / name for name in m["chunks"])
    if not done.exists():
        write_json_atomic(done, {"chunks": len(paths)})
    chunks = [Chunk.at(p) for p in paths]
    return [c for c in chunks if c.num_rows]


def source_solutions(run_dir: Path | str, name: str, columns: list[str] | None = None) -> pa.Table:
    """A finished run's solution rows of one source, in input order (from its chunks)."""
    run_dir = Path(run_dir)
    m = json.loads((run_dir / "sources" / name / "manifest.json").read_text())
    parts = [
        pq.read_table(run_dir / "stages" / "input" / chunk, columns=columns)
        for chunk in m["chunks"]
    ]
    return pa.concat_tables(parts).drop_columns([c for c in [ORDER] if columns is None])
