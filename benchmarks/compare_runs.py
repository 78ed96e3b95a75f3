"""Compare two run directories: shard tables row for row and every column, plus manifest counts.

    python benchmarks/compare_runs.py RUN_A RUN_B [RUN_A2 RUN_B2 ...]

Each pair is compared by:
- the shards (`shards/part-*.parquet`): same number of files, same schema, every row
  equal in every column, in order (Arrow `Table.equals` per shard);
- `rejects/*.parquet`: the same files, same rows (row order kept);
- `manifest.json`: the counts (rows_in, rows_out, rows_rejected, per source, per
  stage rows and reasons, shard rows and sha256), ignoring timings and the engine name.

Exits 1 when any pair differs and prints what differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

TIMING_KEYS = {"elapsed_s", "phases_s", "engine", "recipe_overrides", "llm"}


def _strip(obj: Any) -> Any:
    """The manifest without timings, the engine name and absolute paths."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def manifest_counts(run: Path) -> dict[str, Any]:
    m = json.loads((run / "manifest.json").read_text())
    out: dict[str, Any] = {
        k: m.get(k) for k in ("rows_in", "rows_out", "rows_rejected", "mix_rows_in", "seed")
    }
    out["sources"] = m.get("sources")
    out["shards"] = [(Path(s["path"]).name, s["rows"], s["sha256"]) for s in m.get("shards", [])]
    out["stages"] = [
        {
            "rows_in": s["rows_in"],
            "rows_out": s["rows_out"],
            "rows_rejected": s["rows_rejected"],
            "rejected_by_reason": s.get("rejected_by_reason"),
            "per_transform": _strip(s.get("per_transform")),
            "per_operator": _strip(s.get("per_operator")),
        }
        for s in m.get("stages", [])
    ]
    for key in ("per_kind", "streams", "tokens", "per_stream", "rejected_by_reason"):
        if key in m:
            out[key] = _strip(m[key])
    return out


def compare_tables(a: Path, b: Path) -> list[str]:
    ta, tb = pq.read_table(a), pq.read_table(b)
    if ta.schema != tb.schema:
        return [f"{a.name}: schemas differ:\n{ta.schema}\n---\n{tb.schema}"]
    if ta.num_rows != tb.num_rows:
        return [f"{a.name}: {ta.num_rows} rows vs {tb.num_rows}"]
    problems = []
    for name in ta.column_names:
        if not ta.column(name).equals(tb.column(name)):
            ca, cb = ta.column(name).to_pylist(), tb.column(name).to_pylist()
            first = next(i for i, (x, y) in enumerate(zip(ca, cb, strict=True)) if x != y)
            problems.append(f"{a.name}: column {name!r} differs first at row {first}")
    return problems


def compare_runs(a: Path, b: Path) -> list[str]:
    problems: list[str] = []
    for sub in ("shards", "rejects"):
        fa = sorted(p.name for p in (a / sub).glob("*.parquet"))
        fb = sorted(p.name for p in (b / sub).glob("*.parquet"))
        if fa != fb:
            problems.append(f"{sub}: files differ: {sorted(set(fa) ^ set(fb))}")
            continue
        for name in fa:
            problems += [f"{sub}/{p}" for p in compare_tables(a / sub / name, b / sub / name)]
    ma, mb = manifest_counts(a), manifest_counts(b)
    for key in sorted(set(ma) | set(mb)):
        if ma.get(key) != mb.get(key):
            problems.append(f"manifest {key!r}: {ma.get(key)!r} != {mb.get(key)!r}"[:600])
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__)
        return 2
    bad = 0
    for a, b in zip(argv[::2], argv[1::2], strict=True):
        pa_, pb = Path(a), Path(b)
        problems = compare_runs(pa_, pb)
        shards = len(list((pa_ / "shards").glob("*.parquet")))
        rows = json.loads((pa_ / "manifest.json").read_text())["rows_out"]
        status = "EQUAL" if not problems else "DIFFERENT"
        print(f"{status}: {a} vs {b} ({shards} shards, {rows} rows)")
        for p in problems[:20]:
            print("   ", p)
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
