"""``errsynth validate-mix``: clean vs each mixture, same model, same token budget.

A validate-mix recipe (YAML) names one training source, a held-out test set, the arms
(``clean`` and one per mixture: the transforms that make it), the model and training
settings, and the seeds. For every arm the data is made by errsynth's own pipeline (a
generated recipe, ``data/ARM/recipe.yaml``, run into ``data/ARM/``); with ``fill_clean``
(the default for arms with transforms) a problem that the transforms could not change is
kept clean, so every arm covers the same problems. Every arm × seed is trained for the
same number of steps of the same batch shape (the same tokens), evaluated on the same
test set, and summarized in ``report.md``, ``report.json`` and ``accuracy_by_op.png``.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from errsynth.igsm.generator import generate
from errsynth.recipe import load_recipe
from errsynth.recipe.yaml_lines import YamlError, load_with_lines, read_text
from errsynth.runner import run_recipe
from errsynth.train.config import TrainConfig, apply_overrides
from errsynth.train.data import QUESTION_TEMPLATE

TRAIN_COLUMNS = [
    "id",
    "parent_id",
    "kind",
    "text",
    "prompt",
    "completion",
    "mask_spans",
    "errors",  # where each attempt and its marker are (correct-step token counts)
    "answer",
    "n_errors",
]


class ValidateMixError(ValueError):
    pass


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    path = Path(path)
    try:  # the recipe loader: bounded aliases, merge keys, FILE:LINE errors
        spec = load_with_lines(read_text(path), str(path))[0]
    except (YamlError, OSError) as exc:
        raise ValidateMixError(str(exc)) from exc
    if not isinstance(spec, dict):
        raise ValidateMixError(f"{path}: not a mapping")
    try:
        spec = apply_overrides(spec, list(overrides))
    except ValueError as exc:
        raise ValidateMixError(str(exc)) from exc
    for key in ("train_source", "test", "arms", "train"):
        if key not in spec:
            raise ValidateMixError(f"{path}: missing {key!r}")
    spec["_dir"] = str(path.resolve().parent)
    try:
        TrainConfig.from_dict(spec["train"])  # validate early
    except (ValueError, TypeError) as exc:
        raise ValidateMixError(f"{path}: train: {exc}") from exc
    if not spec.get("seeds") or len(spec["seeds"]) < 1:
        raise ValidateMixError(f"{path}: seeds must list at least one seed")
    return spec


def _resolve(spec: dict[str, Any], p: str) -> str:
    q = Path(p).expanduser()
    return str(q if q.is_absolute() else (Path(spec["_dir"]) / q).resolve())


def arm_recipe(spec: dict[str, Any], name: str, arm: dict[str, Any]) -> dict[str, Any]:
    """The errsynth data recipe of one arm (every row, clean renderings included)."""
    src = copy.deepcopy(spec["train_source"])
    src.setdefault("name", "train")
    if "path" in src:
        src["path"] = _resolve(spec, src["path"])
        src.setdefault("format", "igsm")
    transforms = arm.get("transforms") or []
    style = arm.get("style", spec.get("style", {"name": "igsm"}))
    augment: dict[str, Any] = {"transforms": transforms, "style": style, "include_clean": True}
    return {
        "name": f"{spec.get('name', 'validate')}_{name}",
        "seed": int(spec.get("seed", 0)),
        "sources": [src],
        "process": [{"augment": augment}, *arm.get("process_after", [])],
        "output": {"shard_rows": 1_000_000},
    }


def build_arm_data(
    spec: dict[str, Any], name: str, arm: dict[str, Any], out: Path, log: Callable[[str], None]
) -> Path:
    """Run the arm's recipe; write ``data/ARM/train.parquet`` (the rows it trains on)."""
    folder = out / "data" / name
    train_file = folder / "train.parquet"
    if train_file.exists():
        return train_file
    folder.mkdir(parents=True, exist_ok=True)
    rpath = folder / "recipe.yaml"
    rpath.write_text(yaml.safe_dump(arm_recipe(spec, name, arm), sort_keys=False))
    t = time.perf_counter()
    run_recipe(load_recipe(rpath), folder / "run", log=log)
    table = pq.read_table(folder / "run" / "shards", columns=TRAIN_COLUMNS)
    rows = table.to_pylist()
    transforms = arm.get("transforms") or []
    if not transforms:
        keep = [r for r in rows if r["kind"] == "clean"]
    else:
        changed = [r for r in rows if r["kind"] != "clean"]
        if arm.get("fill_clean", True):
            have = {r["parent_id"] for r in changed}
            keep = changed + [
                r for r in rows if r["kind"] == "clean" and r["parent_id"] not in have
            ]
        else:
            keep = changed
    keep.sort(key=lambda r: r["id"])
    tab = pa.Table.from_pylist(keep, schema=table.schema)
    pq.write_table(tab, folder / "train.parquet.tmp")
    (folder / "train.parquet.tmp").rename(train_file)
    kinds: dict[str, int] = {}
    for r in keep:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    n_err = sum(r["n_errors"] for r in keep)
    (folder / "stats.json").write_text(
        json.dumps({"rows": len(keep), "kinds": kinds, "errors": n_err}, indent=2) + "\n"
    )
    log(
        f"data {name}: {len(keep)} rows {kinds}, {n_err} wrong attempts ({time.perf_counter() - t:.0f}s)"
    )
    return train_file


def build_all_data(
    spec: dict[str, Any],
    arms: dict[str, dict[str, Any]],
    out: Path,
    width: int,
    log: Callable[[str], None],
) -> dict[str, Path]:
    """Every arm's training data; with ``width`` > 1 the arms not built yet are built in
    that many processes at once (each arm's pipeline is one process; the output of an arm
    does not depend on which process made it)."""
    pending = [n for n in arms if not (out / "data" / n / "train.parquet").exists()]
    if width > 1 and len(pending) > 1:
        log(f"data: building {len(pending)} arms, {min(width, len(pending))} at a time")
        ctx = multiprocessing.get_context("spawn")  # no state inherited from this process
        with ProcessPoolExecutor(min(width, len(pending)), mp_context=ctx) as pool:
            futures = [pool.submit(build_arm_data, spec, n, arms[n], out, print) for n in pending]
            for f in futures:
                f.result()  # a failed arm raises here with its own error
    return {name: build_arm_data(spec, name, arm, out, log) for name, arm in arms.items()}


def build_test(spec: dict[str, Any], out: Path, train_files: list[Path]) -> Path:
    """The held-out set: generated or read, minus problems that occur in training."""
    path = out / "test.parquet"
    if path.exists():
        return path
    t = spec["test"]
    if "generate" in t:
        g = t["generate"]
        rows = list(
            generate(
                g["n"], g.get("max_ops", 6), g.get("seed", 10_000),
                names=g.get("names", "full"), distractors=g.get("distractors"),
            )
        )  # fmt: skip
        table = pa.Table.from_pylist(rows)
    else:
        table = pq.read_table(_resolve(spec, t["path"]))
    seen: set[str] = set()
    for f in train_files:
        for r in pq.read_table(f, columns=["prompt"]).column("prompt").to_pylist():
            seen.add(r)
    qcol = "problem" if "problem" in table.column_names else "question"
    keep = [
        QUESTION_TEMPLATE.format(question=q) not in seen for q in table.column(qcol).to_pylist()
    ]
    table = table.filter(pa.array(keep))
    if t.get("limit"):
        table = table.slice(0, int(t["limit"]))
    pq.write_table(table, path)
    return path


def validate_mix(
    recipe: str | Path,
    out: str | Path,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    parallel: int | None = None,
    nice: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    spec = load_spec(recipe, overrides)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "spec.json").write_text(json.dumps(spec, indent=2) + "\n")
    arms: dict[str, dict[str, Any]] = {k: (v or {}) for k, v in spec["arms"].items()}
    width = parallel if parallel is not None else int(spec.get("parallel", 1))
    files = build_all_data(spec, arms, out, width, log)
    test = build_test(spec, out, list(files.values()))
    log(f"test set: {pq.read_metadata(test).num_rows} rows ({test})")
    jobs = []
    for name in arms:
        for seed in spec["seeds"]:
            run = out / "runs" / f"{name}-s{seed}"
            run.mkdir(parents=True, exist_ok=True)
            train = copy.deepcopy(spec["train"])
            train["seed"] = int(seed)
            job = {
                "run": str(run),
                "data": [str(files[name])],
                "train": train,
                "test": str(test),
                "eval": spec.get("eval", {}),
            }
            (run / "job.json").write_text(json.dumps(job, indent=2) + "\n")
            jobs.append((name, seed, run))
    _run_jobs(jobs, width, nice, log)
    report = aggregate(spec, out, jobs)
    return report


def _run_jobs(
    jobs: list[tuple[str, int, Path]], width: int, nice: int, log: Callable[[str], None]
) -> None:
    pending = [j for j in jobs if not (j[2] / "eval.json").exists()]
    if width == 0:  # in this process, one after another (tests, debugging)
        from errsynth.train.job import run_job  # torch: only this path trains in-process

        for name, seed, run in pending:
            log(f"run {name} seed {seed} → {run}")
            run_job(json.loads((run / "job.json").read_text()))
        return
    running: list[tuple[subprocess.Popen[bytes], tuple[str, int, Path], Any]] = []
    failed = []
    while pending or running:
        while pending and len(running) < width:
            name, seed, run = job = pending.pop(0)
            cmd = [sys.executable, "-m", "errsynth.train.job", str(run / "job.json")]
            if nice:
                cmd = ["nice", "-n", str(nice), *cmd]
            fh = (run / "job.log").open("ab")
            log(f"start {name} seed {seed} → {run}/job.log")
            running.append((subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT), job, fh))
        time.sleep(2)
        for item in list(running):
            proc, job, fh = item
            if proc.poll() is not None:
                fh.close()
                running.remove(item)
                status = "done" if proc.returncode == 0 else f"FAILED ({proc.returncode})"
                log(f"{status}: {job[0]} seed {job[1]}")
                if proc.returncode:
                    failed.append(job)
    if failed:
        raise ValidateMixError(f"jobs failed: {[(n, s) for n, s, _ in failed]} (see their job.log)")


def _mean_spread(xs: list[float]) -> dict[str, float | None]:
    if not xs:
        return {"mean": None, "std": None, "min": None, "max": None}
    return {
        "mean": round(statistics.fmean(xs), 4),
        "std": round(statistics.stdev(xs), 4) if len(xs) > 1 else 0.0,
        "min": round(min(xs), 4),
        "max": round(max(xs), 4),
    }


def aggregate(spec: dict[str, Any], out: Path, jobs: list[tuple[str, int, Path]]) -> dict[str, Any]:
    per_arm: dict[str, dict[str, Any]] = {}
    baseline: dict[str, Any] = {}
    for name, seed, run in jobs:
        ev = json.loads((run / "eval.json").read_text())
        sm = json.loads((run / "summary.json").read_text())
        a = per_arm.setdefault(name, {"seeds": {}})
        a["seeds"][str(seed)] = {
            "overall": ev["overall"],
            "by_op": ev["by_op"],
            "final_loss": sm["final_loss"],
            "tokens": sm["tokens"],
            "params": sm["params"],
        }
        baseline = {"overall": ev["overall"]["majority_accuracy"], "answer": ev["overall"]["majority_answer"],
                    "by_op": {k: v["majority_accuracy"] for k, v in ev["by_op"].items()},
                    "n": ev["overall"]["n"], "n_by_op": {k: v["n"] for k, v in ev["by_op"].items()}}  # fmt: skip
    for a in per_arm.values():
        seeds = list(a["seeds"].values())
        a["accuracy"] = _mean_spread([s["overall"]["accuracy"] for s in seeds])
        a["solution_ok"] = _mean_spread([s["overall"]["solution_ok"] or 0.0 for s in seeds])
        a["retraction_rate"] = _mean_spread([s["overall"]["retraction_rate"] for s in seeds])
        caf = [s["overall"]["correct_after_retraction"] for s in seeds]
        a["correct_after_retraction"] = _mean_spread([c for c in caf if c is not None])
        a["final_loss"] = _mean_spread([s["final_loss"] for s in seeds])
        ops = sorted({k for s in seeds for k in s["by_op"]}, key=int)
        a["by_op"] = {
            k: _mean_spread([s["by_op"][k]["accuracy"] for s in seeds if k in s["by_op"]])
            for k in ops
        }
    clean = per_arm.get("clean")
    for name, a in per_arm.items():
        if clean is not None and name != "clean":
            diffs = [
                a["seeds"][s]["overall"]["accuracy"] - clean["seeds"][s]["overall"]["accuracy"]
                for s in a["seeds"] if s in clean["seeds"]
            ]  # fmt: skip
            a["gain_vs_clean_same_seed"] = _mean_spread(diffs)
    report = {
        "name": spec.get("name"),
        "seeds": spec["seeds"],
        "train": spec["train"],
        "tokens_per_arm": TrainConfig.from_dict(spec["train"]).steps()
        * spec["train"].get("batch_size", 32)
        * spec["train"].get("model", {}).get("block_size", 256),
        "majority_baseline": baseline,
        "arms": per_arm,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(render_md(report))
    plot(report, out / "accuracy_by_op.png")
    return report


def _pm(m: dict[str, Any], pct: bool = True) -> str:
    if m["mean"] is None:
        return "–"
    f = 100 if pct else 1
    return f"{f * m['mean']:.1f} ± {f * m['std']:.1f} [{f * m['min']:.1f}, {f * m['max']:.1f}]"


def render_md(rep: dict[str, Any]) -> str:
    b = rep["majority_baseline"]
    lines = [
        f"# validate-mix: {rep['name']}",
        "",
        f"Seeds {rep['seeds']}; {rep['tokens_per_arm']:,} training tokens per run; test set of "
        f"{b['n']} held-out problems. Accuracy in %, mean ± std [min, max] over seeds. The "
        f"majority baseline is the best constant answer on the same rows ({b['answer']!r} overall).",
        "",
        "| arm | accuracy | majority baseline | gain vs clean (same seed) | solution fully right | "
        "retraction rate | correct after retraction | final train loss |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, a in rep["arms"].items():
        gain = a.get("gain_vs_clean_same_seed")
        lines.append(
            f"| {name} | {_pm(a['accuracy'])} | {100 * b['overall']:.1f} | "
            f"{_pm(gain) if gain else '–'} | {_pm(a['solution_ok'])} | {_pm(a['retraction_rate'])} | "
            f"{_pm(a['correct_after_retraction'])} | {_pm(a['final_loss'], pct=False)} |"
        )
    ops = sorted(b["by_op"], key=int)
    lines += ["", "Accuracy by number of operations (mean ± std over seeds):", ""]
    lines.append("| arm | " + " | ".join(f"op {k} (n={b['n_by_op'][k]})" for k in ops) + " |")
    lines.append("|---|" + "---|" * len(ops))
    for name, a in rep["arms"].items():
        cells = []
        for k in ops:
            m = a["by_op"].get(k)
            cells.append(
                f"{100 * m['mean']:.1f} ± {100 * m['std']:.1f}"
                if m and m["mean"] is not None
                else "–"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| majority baseline | " + " | ".join(f"{100 * b['by_op'][k]:.1f}" for k in ops) + " |"
    )
    lines += ["", "Per seed (accuracy %):", ""]
    for name, a in rep["arms"].items():
        per = ", ".join(
            f"seed {s}: {100 * v['overall']['accuracy']:.1f}" for s, v in a["seeds"].items()
        )
        lines.append(f"- {name}: {per}")
    return "\n".join(lines) + "\n"


def plot(rep: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b = rep["majority_baseline"]
    ops = sorted(b["by_op"], key=int)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, a in rep["arms"].items():
        xs = [int(k) for k in ops if k in a["by_op"]]
        ms = [100 * a["by_op"][k]["mean"] for k in ops if k in a["by_op"]]
        lo = [
            m - 100 * a["by_op"][k]["min"]
            for m, k in zip(ms, [k for k in ops if k in a["by_op"]], strict=True)
        ]
        hi = [
            100 * a["by_op"][k]["max"] - m
            for m, k in zip(ms, [k for k in ops if k in a["by_op"]], strict=True)
        ]
        ax.errorbar(xs, ms, yerr=[lo, hi], marker="o", capsize=3, label=name)
    ax.plot(
        [int(k) for k in ops], [100 * b["by_op"][k] for k in ops], "k--", label="majority answer"
    )
    ax.set_xticks([int(k) for k in ops])
    ax.set_xlabel("operations")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{rep['name']}: {len(rep['seeds'])} seeds, min–max bars")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
