"""The augment stage: clean solution rows → validated, rendered retry samples.

`augment_row` is the engine-independent unit of work (one row, every configured
transform); `augment_table` runs it locally over a solutions table and writes
`samples.parquet`, `rejects.parquet` and `manifest.json`. Every (row, transform)
pair ends up either as a sample or as a rejection with its reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

import errsynth
from errsynth.render import StyleConfig, render, render_clean
from errsynth.schema import CANDIDATE_REJECT_SCHEMA, SAMPLE_SCHEMA
from errsynth.transforms import Skip, Transform, row_rng
from errsynth.validate import validate_sample

SOLUTION_COLUMNS = {"id", "source", "question", "steps", "answer", "equations", "uses", "produces"}


@dataclass
class AugmentSpec:
    transforms: list[Transform]
    style: StyleConfig = field(default_factory=StyleConfig)
    seed: int = 0
    include_clean: bool = False  # also emit each row's clean rendering (kind "clean")


@dataclass
class TransformStats:
    tried: int = 0
    emitted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # wrong attempts in emitted samples
    premature: int = 0
    eligible_steps: int = 0
    steps_with_attempt: int = 0
    solution_steps: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tried": self.tried,
            "emitted": self.emitted,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "errors": self.errors,
            "premature": self.premature,
            "solution_steps": self.solution_steps,
            "eligible_steps": self.eligible_steps,
            "steps_with_attempt": self.steps_with_attempt,
            "realized_rate": round(self.steps_with_attempt / self.eligible_steps, 6)
            if self.eligible_steps
            else None,
            "attempts_per_step": round(self.errors / self.solution_steps, 6)
            if self.solution_steps
            else None,
        }


def sample_id(
    parent_id: str, kind: str, style: StyleConfig, seed: int, params: Mapping[str, Any]
) -> str:
    h = hashlib.blake2b(digest_size=10)
    h.update(
        json.dumps(
            [parent_id, kind, style.name, style.marker, style.output, seed, params],
            sort_keys=True,
            default=str,
        ).encode()
    )
    return h.hexdigest()


def _sample_row(
    row: Mapping[str, Any],
    kind: str,
    rendered: Any,
    style: StyleConfig,
    seed: int,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "id": sample_id(row["id"], kind, style, seed, params),
        "parent_id": row["id"],
        "source": row["source"],
        "kind": kind,
        "style": style.name,
        "question": row["question"],
        "text": rendered.text,
        "prompt": rendered.prompt,
        "completion": rendered.completion,
        "messages": rendered.messages,
        "answer": row["answer"],
        "n_errors": len(rendered.errors),
        "errors": rendered.errors,
        "mask_spans": rendered.mask_spans,
        "meta": json.dumps(
            {"transform": kind, "params": dict(params), "seed": seed, "format": row.get("format")},
            sort_keys=True,
            default=str,
        ),
    }


def _reject(row: Mapping[str, Any], transform: str, reason: str, detail: str) -> dict[str, Any]:
    return {
        "parent_id": row["id"],
        "source": row["source"],
        "transform": transform,
        "reason": reason,
        "detail": detail[:2000],
    }


def augment_row(
    row: Mapping[str, Any], spec: AugmentSpec, stats: dict[str, TransformStats] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Samples and rejections for one clean row under every configured transform."""
    samples: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    if spec.include_clean:
        clean = render_clean(row, spec.style)
        samples.append(_sample_row(row, "clean", clean, spec.style, spec.seed, {}))
    for t in spec.transforms:
        st = stats[t.name] if stats is not None else TransformStats()
        st.tried += 1
        try:
            candidate = t.apply(row, row_rng(spec.seed, row["id"], t.name))
            rendered = render(
                candidate, spec.style, row_rng(spec.seed, row["id"], t.name + "/render")
            )
            problems = validate_sample(candidate, rendered, spec.style)
        except Skip as skip:
            st.rejected[skip.reason] += 1
            rejects.append(_reject(row, t.name, skip.reason, skip.detail))
            continue
        except Exception as exc:  # a transform bug must not lose the row or stop the run
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
            st.rejected["transform_error"] += 1
            rejects.append(_reject(row, t.name, "transform_error", detail))
            continue
        if problems:
            st.rejected["invalid"] += 1
            rejects.append(_reject(row, t.name, "invalid", "; ".join(problems)))
            continue
        st.emitted += 1
        st.errors += len(candidate.attempts)
        st.premature += sum(1 for a in candidate.attempts if a.detail.get("premature"))
        st.solution_steps += len(row["steps"])
        st.eligible_steps += len(candidate.eligible)
        st.steps_with_attempt += len({a.at for a in candidate.attempts})
        samples.append(_sample_row(row, t.name, rendered, spec.style, spec.seed, candidate.params))
    return samples, rejects


def is_solutions_table(path: Path) -> bool:
    try:
        names = set(pq.read_schema(path).names)
    except Exception:
        return False
    return names >= SOLUTION_COLUMNS


def iter_rows(
    path: Path, batch_rows: int = 2048, columns: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    dataset = ds.dataset(path, format="parquet")
    for batch in dataset.to_batches(batch_size=batch_rows, columns=columns):
        yield from batch.to_pylist()


class _Writer:
    """Row buffers flushed as Parquet row groups into a temp file renamed on close."""

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int = 4096) -> None:
        self.path, self.schema, self.batch_rows = path, schema, batch_rows
        self.tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def extend(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)
        self.count += len(rows)
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows.clear()

    def close(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def augment_table(
    solutions: Path,
    out_dir: Path,
    spec: AugmentSpec,
    *,
    on_progress: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Run the augment stage locally over a solutions table; returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for t in spec.transforms:
        t.prepare(iter_rows(solutions, columns=["id", "source", "steps"]), spec.seed)
    stats: dict[str, TransformStats] = defaultdict(TransformStats)
    for t in spec.transforms:
        stats[t.name] = TransformStats()
    samples = _Writer(out_dir / "samples.parquet", SAMPLE_SCHEMA)
    rejects = _Writer(out_dir / "rejects.parquet", CANDIDATE_REJECT_SCHEMA)
    rows_in = 0
    per_kind: Counter[str] = Counter()
    try:
        for row in iter_rows(solutions):
            if limit is not None and rows_in >= limit:
                break
            rows_in += 1
            made, rejected = augment_row(row, spec, stats)
            for s in made:
                per_kind[s["kind"]] += 1
            samples.extend(made)
            rejects.extend(rejected)
            if on_progress:
                on_progress(1)
        samples.close()
        rejects.close()
    except BaseException:
        samples.abort()
        rejects.abort()
        raise
    manifest = {
        "errsynth_version": errsynth.__version__,
        "stage": "augment",
        "input": str(solutions),
        "seed": spec.seed,
        "style": {k: getattr(spec.style, k) for k in spec.style.__dataclass_fields__},
        "transforms": {t.name: t.param_dict() for t in spec.transforms},
        "rows_in": rows_in,
        "candidates_tried": sum(s.tried for s in stats.values()),
        "rows_out": samples.count,
        "rows_rejected": rejects.count,
        "per_kind": dict(sorted(per_kind.items())),
        "per_transform": {name: s.as_dict() for name, s in stats.items()},
        "elapsed_s": round(time.perf_counter() - started, 3),
        "outputs": {"samples": "samples.parquet", "rejects": "rejects.parquet"},
    }
    tmp = out_dir / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, out_dir / "manifest.json")
    return manifest
