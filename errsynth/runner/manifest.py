"""The run's rejects/ folder and manifest.json: the mix's manifest plus the accounting per source.

`rows_in == rows_out_clean + rows_rejected` holds per source: a source's rows are
its ingest rejects, the rows later stages rejected (stages whose rejects are input
rows, not candidates), and the clean rows that went on.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import errsynth
from errsynth.core.atomic import write_parquet_atomic
from errsynth.core.context import RunContext
from errsynth.recipe import Recipe


def collect_rejects(ctx: RunContext, recipe: Recipe) -> None:
    """rejects/: one file per source's ingest and per stage, each row with its reason."""
    folder = ctx.out / "rejects"
    folder.mkdir(exist_ok=True)
    for src in recipe.data["sources"]:
        path = ctx.out / "sources" / src["name"] / "rejects.parquet"
        target = folder / f"ingest-{src['name']}.parquet"
        if path.exists() and not target.exists():
            write_parquet_atomic(pq.read_table(path), target)
    stages = ctx.out / "stages"
    for stage in sorted(stages.glob("*")) if stages.exists() else []:
        parts = [pq.read_table(p) for p in sorted((stage / "rejects").glob("chunk-*.parquet"))]
        target = folder / f"stage-{stage.name}.parquet"
        if parts and not target.exists():
            write_parquet_atomic(pa.concat_tables(parts, promote_options="default"), target)


def build_run_manifest(
    ctx: RunContext, recipe: Recipe, mixed: dict[str, Any], elapsed: float
) -> dict[str, Any]:
    """The run's manifest: the mix's (shards, tokens, streams) plus the accounting per source."""
    sources: dict[str, dict[str, Any]] = {}
    for src in recipe.data["sources"]:
        m = json.loads((ctx.out / "sources" / src["name"] / "manifest.json").read_text())
        sources[src["name"]] = {
            "rows_in": m["rows_in"],
            "ingest_rejected": m["rows_rejected"],
            "ingest_rejected_by_reason": m["rejected_by_reason"],
            "stage_rejected": 0,
            "rows_out_clean": m["rows_out"],
        }
    for stage in ctx.stats.get("stages", []):
        if stage.get("candidate_rejects"):
            continue
        folder = ctx.out / "stages" / stage["stage"]
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
            "recipe": recipe.data,
            "recipe_overrides": recipe.overrides,
            "seed": recipe.seed,
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
