"""Run report: generation time, peak RSS and page size for the quickstart and a 1M-sample
run, and time to first paint in headless chromium.

    python benchmarks/bench_report.py [--rows 1000000] [--also 100000] [--shard-rows 50000] [--paints 3]

The quickstart runs as shipped (2,000 problems, 3,868 samples). The large run is the
quickstart run directory with its shards replaced by --rows samples: the quickstart's
own rows repeated with fresh ids (so every row has real spans and errors), written as
Parquet shards of --shard-rows rows with zstd, and a manifest whose shard list matches;
--also sizes use the first shards of it (to see time and memory against the row count).
Each report is made in a fresh child process, so its peak RSS is its own. First paint
is read from the page's Performance API (``first-contentful-paint``) in Debian's
chromium, a fresh profile per load, median of --paints loads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import browser_context, file_url  # noqa: E402

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from errsynth.report import write_report
t1, c1 = time.perf_counter(), time.process_time()
r = write_report(sys.argv[1], sys.argv[2])
t2, c2 = time.perf_counter(), time.process_time()
# VmHWM: this process's own peak (ru_maxrss would include the forking parent's)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"import_s": t1 - t0, "seconds": t2 - t1, "cpu_s": c2 - c1, "bytes": r.bytes, "rows": r.rows,
                  "sampled": r.sampled, "peak_rss_mb": int(hwm.split()[1]) / 1024}))
"""


def quickstart(work: Path) -> Path:
    out = work / "quickstart"
    cmd = [sys.executable, "-m", "errsynth.cli", "run", str(ROOT / "recipes" / "quickstart.yaml"),
           "-o", str(out), "--no-report", "-q"]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out


def large_run(base: Path, out: Path, rows: int, shard_rows: int) -> Path:
    """`base` with its shards replaced by `rows` repeated samples with fresh ids."""
    shutil.copytree(base, out, ignore=shutil.ignore_patterns("shards", "report.html"))
    (out / "shards").mkdir()
    table = pads.dataset(base / "shards", format="parquet").to_table()
    n = table.num_rows
    shards = []
    for k, start in enumerate(range(0, rows, shard_rows)):
        stop = min(rows, start + shard_rows)
        index = pa.array([i % n for i in range(start, stop)], pa.int64())
        part = table.take(index)
        suffix = pa.array([f"-{i // n}" for i in range(start, stop)])
        ids = pc.binary_join_element_wise(part.column("id"), suffix, "")
        part = part.set_column(part.schema.get_field_index("id"), "id", ids)
        path = out / "shards" / f"part-{k:05d}.parquet"
        pq.write_table(part, path, compression="zstd", row_group_size=4096)  # as errsynth's writer
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        shards.append({"path": f"shards/{path.name}", "rows": stop - start, "sha256": digest,
                       "bytes": path.stat().st_size})  # fmt: skip
    manifest = json.loads((base / "manifest.json").read_text())
    manifest.update(shards=shards, rows_out=rows, synthetic=f"quickstart rows repeated to {rows:,}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out


def subset_run(big: Path, out: Path, rows: int) -> Path:
    """`big` with only its first shards (links to them), `rows` rows in all."""
    shutil.copytree(big, out, ignore=shutil.ignore_patterns("shards", "report.html"))
    (out / "shards").mkdir()
    manifest = json.loads((big / "manifest.json").read_text())
    kept, total = [], 0
    for shard in manifest["shards"]:
        if total >= rows:
            break
        (out / shard["path"]).symlink_to(big / shard["path"])
        kept.append(shard)
        total += shard["rows"]
    manifest.update(shards=kept, rows_out=total)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out


def make_report(run: Path) -> dict:
    page = run / "report.html"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(run), str(page)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_paint(page: Path, loads: int) -> dict:
    timings = []
    for _ in range(loads):
        with browser_context() as context:
            tab = context.new_page()
            tab.goto(file_url(page))
            tab.wait_for_load_state("load")
            timings.append(
                tab.evaluate(
                    """() => {
                    const p = Object.fromEntries(performance.getEntriesByType('paint')
                        .map(e => [e.name, e.startTime]));
                    const nav = performance.getEntriesByType('navigation')[0];
                    return {fcp: p['first-contentful-paint'], fp: p['first-paint'],
                            dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
                }"""
                )
            )
    return {k: statistics.median(t[k] for t in timings) for k in timings[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--also", type=int, nargs="*", default=[100_000])
    parser.add_argument("--shard-rows", type=int, default=50_000)
    parser.add_argument("--paints", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        work = Path(tmp)
        base = quickstart(work)
        t = time.perf_counter()
        big = large_run(base, work / "large", args.rows, args.shard_rows)
        made = time.perf_counter() - t
        size = sum(p.stat().st_size for p in (big / "shards").glob("*.parquet"))
        print(f"large run: {args.rows:,} samples in {len(list((big / 'shards').glob('*')))} "
              f"shards, {size / 1e6:,.0f} MB, made in {made:.1f} s")  # fmt: skip
        runs = [("quickstart", base)]
        for rows in sorted(args.also):
            runs.append((f"{rows:,} samples", subset_run(big, work / f"large-{rows}", rows)))
        runs.append((f"{args.rows:,} samples", big))
        results = {}
        for name, run in runs:
            rep = make_report(run)
            rep.update(first_paint(run / "report.html", args.paints))
            results[name] = rep
        head = f"{'run':<18}{'rows':>11}{'shown':>7}{'import s':>9}{'report s':>10}{'rows/s':>11}"
        head += f"{'CPU s':>7}{'peak RSS MB':>13}"
        head += f"{'page MB':>9}{'first paint ms':>16}{'FCP ms':>8}{'load ms':>9}"
        print(head)
        for name, r in results.items():
            print(
                f"{name:<18}{r['rows']:>11,}{r['sampled']:>7}{r['import_s']:>9.1f}{r['seconds']:>10.1f}"
                f"{r['rows'] / r['seconds']:>11,.0f}{r['cpu_s']:>7.1f}{r['peak_rss_mb']:>13,.0f}{r['bytes'] / 1e6:>9.2f}"
                f"{r['fp']:>16.0f}{r['fcp']:>8.0f}{r['load']:>9.0f}"
            )
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
