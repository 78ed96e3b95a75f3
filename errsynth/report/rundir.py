"""What a report reads from disk besides the samples: a run's accounting files.

Only files are read (manifest.json, sources/*/manifest.json, stages/*/done.json, the
`source` and `reason` columns of the rejects and stage chunks), so the report does not
depend on the pipeline's code and can be made for any finished run directory.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq

_STAGE_NAME = re.compile(r"^\d+-")


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file, or None when absent or unreadable (a report shows what exists)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class RejectsFile:
    path: Path
    rows: int
    by_reason: Counter[str]
    by_source: Counter[str]


@dataclass
class StageFlow:
    """Rows per source entering and leaving one stage (from the chunk files' `source`)."""

    stage: str
    rows_in: Counter[str] = field(default_factory=Counter)
    rows_out: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)


@dataclass
class RunFiles:
    root: Path
    manifest: dict[str, Any]
    source_manifests: dict[str, dict[str, Any]]
    stages: list[dict[str, Any]]
    rejects: list[RejectsFile]
    flows: list[StageFlow]


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.json").is_file() and (path / "shards").is_dir()


def _count_column(files: list[Path], column: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    if not files:
        return counts
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    if column not in dataset.schema.names:
        counts["(all)"] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        return counts
    for batch in dataset.to_batches(columns=[column], batch_size=262_144):
        for value in batch.column(0).value_counts().to_pylist():
            counts[str(value["values"])] += value["counts"]
    return counts


def read_rejects(root: Path) -> list[RejectsFile]:
    """Every rejects file of the run with its row count, reasons and sources."""
    out = []
    for path in sorted((root / "rejects").glob("*.parquet")):
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
            reasons = _count_column([path], "reason")
            sources = _count_column([path], "source")
        except OSError:
            continue
        out.append(RejectsFile(path, rows, reasons, sources))
    return out


def _stage_dirs(root: Path) -> list[Path]:
    return sorted(
        p for p in (root / "stages").glob("*") if p.is_dir() and _STAGE_NAME.match(p.name)
    )


def _input_by_source(root: Path, manifest: dict[str, Any]) -> Counter[str]:
    """Rows per source in stages/input (chunk-SSS-*.parquet: SSS is the source's index)."""
    names = list((manifest.get("sources") or {}).keys())
    counts: Counter[str] = Counter()
    for path in sorted((root / "stages" / "input").glob("chunk-*.parquet")):
        parts = path.stem.split("-")
        try:
            name = names[int(parts[1])]
        except (IndexError, ValueError):
            name = "(unknown)"
        counts[name] += pq.ParquetFile(path).metadata.num_rows
    return counts


def read_flows(root: Path, manifest: dict[str, Any]) -> list[StageFlow]:
    """Per stage, rows per source in, out and rejected (empty when stages/ was removed)."""
    flows = []
    previous = _input_by_source(root, manifest)
    for folder in _stage_dirs(root):
        flow = StageFlow(folder.name, rows_in=Counter(previous))
        flow.rows_out = _count_column(sorted((folder / "data").glob("*.parquet")), "source")
        flow.rejected = _count_column(sorted((folder / "rejects").glob("*.parquet")), "source")
        flows.append(flow)
        previous = flow.rows_out
    return flows


def read_run(root: Path) -> RunFiles:
    manifest = read_json(root / "manifest.json") or {}
    sources = {}
    for name in manifest.get("sources") or {}:
        sources[name] = read_json(root / "sources" / name / "manifest.json") or {}
    stages = list(manifest.get("stages") or [])
    if not stages:
        stages = [d for d in (read_json(p / "done.json") for p in _stage_dirs(root)) if d]
    return RunFiles(
        root=root,
        manifest=manifest,
        source_manifests=sources,
        stages=stages,
        rejects=read_rejects(root),
        flows=read_flows(root, manifest),
    )


def requested_rates(stage: dict[str, Any]) -> dict[str, float | None]:
    """The rate each transform of an augment stage asked for (None when it has none)."""
    operator = stage.get("operator") or {}
    spec = operator.get("augment") or {}
    rates: dict[str, float | None] = {}
    for entry in spec.get("transforms") or []:
        if isinstance(entry, str):
            rates[entry] = None
            continue
        for name, params in entry.items():
            value = (params or {}).get("rate") if isinstance(params, dict) else None
            rates[name] = float(value) if isinstance(value, int | float) else None
    return rates
