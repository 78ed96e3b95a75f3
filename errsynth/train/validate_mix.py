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
import shlex
import statistics
import subprocess
import sys
import time
from collections import Counter
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
from errsynth.train.arm_stats import eval_current, verdict_stats
from errsynth.train.config import TrainConfig, apply_overrides
from errsynth.train.data import QUESTION_TEMPLATE
from errsynth.train.probe_data import PROBE_STYLES, build_probe_data
from errsynth.train.taxonomy import FAILURE_KINDS

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
    per_op = _per_op(t)  # a bad setting fails before any work
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
    if per_op is not None:
        table = stratify_by_op(table, per_op)
    elif t.get("limit"):
        table = table.slice(0, int(t["limit"]))
    pq.write_table(table, path)
    return path


def _per_op(t: dict[str, Any]) -> int | None:
    """Rows per op of a stratified test set: ``per_op: N``, or ``stratify: op`` with a limit."""
    if t.get("per_op") is not None:
        n = int(t["per_op"])
        if n < 1:
            raise ValidateMixError(f"test.per_op must be at least 1, got {n}")
        return n
    if t.get("stratify") is None:
        return None
    if t["stratify"] != "op":
        raise ValidateMixError(f"test.stratify: only 'op' is known, got {t['stratify']!r}")
    if not t.get("limit"):
        raise ValidateMixError("test.stratify: op needs test.limit (or give test.per_op)")
    return -int(t["limit"])  # negative: a total, split evenly over the ops present


def stratify_by_op(table: pa.Table, per_op: int) -> pa.Table:
    """The first ``per_op`` rows of each op, in file order (an op with fewer keeps all).

    A negative ``per_op`` is a total, split evenly over the ops present.
    """
    if "op" not in table.column_names:
        raise ValidateMixError("a stratified test set needs an 'op' column")
    ops = table.column("op").to_pylist()
    present = sorted({o for o in ops if o is not None})
    if not present:
        raise ValidateMixError("a stratified test set needs rows with an op")
    quota = per_op if per_op > 0 else max(1, -per_op // len(present))
    taken: dict[int, int] = dict.fromkeys(present, 0)
    keep = []
    for o in ops:
        ok = o is not None and taken[o] < quota
        if ok:
            taken[o] += 1
        keep.append(ok)
    return table.filter(pa.array(keep))


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
    by_op = ""
    if "op" in pq.read_schema(test).names:
        counts = Counter(pq.read_table(test, columns=["op"]).column("op").to_pylist())
        by_op = ", by op " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))  # fmt: skip
    log(f"test set: {pq.read_metadata(test).num_rows} rows{by_op} ({test})")
    probe = build_probe(spec, out, test, log)
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
            if probe is not None:
                job["probe"] = probe
            (run / "job.json").write_text(json.dumps(job, indent=2) + "\n")
            jobs.append((name, seed, run))
    _run_jobs(jobs, width, nice, log)
    command = " ".join(
        ["errsynth validate-mix", shlex.quote(str(recipe)), "-o", shlex.quote(str(out)),
         *[f"--set {shlex.quote(o)}" for o in overrides]]
    )  # fmt: skip
    report = aggregate(spec, out, jobs, command=command)
    return report


def build_probe(
    spec: dict[str, Any], out: Path, test: Path, log: Callable[[str], None]
) -> dict[str, Any] | None:
    """Held-out retry samples of the test problems for the regret probe (``probe:`` key).

    ``probe: false`` turns it off; ``probe: {rate, seed, limit, style}`` sets the
    igsm_retry rate (0.5), its seed (0), how many samples (all) and their style (the
    recipe's ``style``: igsm or back). Made once, the same for every run.
    """
    cfg = spec.get("probe", {})
    if cfg is False or cfg is None:
        return None
    if not isinstance(cfg, dict):
        raise ValidateMixError(f"probe: expected false or a mapping, got {cfg!r}")
    path = out / "probe_data.parquet"
    if not path.exists():
        style = spec.get("style") or {"name": "igsm"}
        name = cfg.get("style", style.get("name", "igsm"))
        if name not in PROBE_STYLES:
            raise ValidateMixError(f"probe: samples are written in {PROBE_STYLES}; set probe.style (the arms use {name!r})")  # fmt: skip
        made = build_probe_data(
            test, path, rate=float(cfg.get("rate", 0.5)), seed=int(cfg.get("seed", 0)),
            limit=cfg.get("limit"), style=name, marker=style.get("marker", "[BACK]"),
        )  # fmt: skip
        (out / "probe_data.json").write_text(json.dumps(made, indent=2) + "\n")
        log(f"probe data: {made['samples']} held-out retry samples ({path})")
    return {"file": str(path), "limit": cfg.get("limit")}


def job_finished(run: Path) -> bool:
    """Trained, evaluated with per-row results, and probed when the job asks for it."""
    if not eval_current(run):
        return False
    job = json.loads((run / "job.json").read_text()) if (run / "job.json").exists() else {}
    return not job.get("probe") or (run / "probe.json").exists()


def _run_jobs(
    jobs: list[tuple[str, int, Path]], width: int, nice: int, log: Callable[[str], None]
) -> None:
    pending = [j for j in jobs if not job_finished(j[2])]
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


def aggregate(
    spec: dict[str, Any], out: Path, jobs: list[tuple[str, int, Path]], command: str | None = None
) -> dict[str, Any]:
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
    arm_runs: dict[str, dict[str, Path]] = {}
    for name, seed, run in jobs:
        arm_runs.setdefault(name, {})[str(seed)] = run
    stats_cfg = spec.get("stats") or {}
    verdict = verdict_stats(
        arm_runs,
        replicates=int(stats_cfg.get("bootstrap", 2000)),
        seed=int(stats_cfg.get("seed", 0)),
    )
    for name, a in per_arm.items():
        v = verdict["arms"][name]
        for key, field in (("accuracy", "correct"), ("solution_ok", "solution_ok")):
            a[key]["ci95"] = v[field]["ci95"]
        a["by_op_ci"] = v["by_op"]
        for key in ("failures_by_type", "failures_by_type_by_op", "failures_total", "probe", "training"):  # fmt: skip
            a[key] = v[key]
        a["n_problems"] = v["n_problems"]
    report = {
        "name": spec.get("name"),
        "seeds": spec["seeds"],
        "train": spec["train"],
        "tokens_per_arm": _budget_tokens(TrainConfig.from_dict(spec["train"])),
        "majority_baseline": baseline,
        "baseline": verdict["baseline"],
        "arms": per_arm,
        "comparisons": verdict["comparisons"],
        "config": {k: v for k, v in spec.items() if not k.startswith("_")},
        "command": command,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(render_md(report))
    plot(report, out / "accuracy_by_op.png")
    plot_ci(report, out / "solution_ok_by_op.png")
    return report


def _budget_tokens(cfg: TrainConfig) -> int:
    """The training budget per run: real (non-padding) tokens under ``token_budget: real``
    with a token budget, else batch x block x steps (each arm's real count is in its
    summary: ``arms.<arm>.training``)."""
    if cfg.token_budget == "real" and cfg.tokens and not cfg.max_steps:
        return int(cfg.tokens)
    return cfg.steps() * cfg.batch_size * cfg.model.block_size


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
        *([f"Reproduce: `{rep['command']}`", ""] if rep.get("command") else []),
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
    lines += verdict_md(rep)
    return "\n".join(lines) + "\n"


def _ci(m: dict[str, Any] | None) -> str:
    """``mean [lo, hi]`` in % for a {mean, ci95} block."""
    if not m or m.get("mean") is None:
        return "–"
    ci = m.get("ci95")
    return (
        f"{100 * m['mean']:.1f} [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
        if ci
        else f"{100 * m['mean']:.1f}"
    )


def _delta(d: dict[str, Any] | None) -> str:
    if not d:
        return "–"
    lo, hi = d["ci95"]
    sign = "excludes 0" if lo > 0 or hi < 0 else "includes 0"
    return f"{100 * d['delta']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] ({sign})"


def _num(x: float | None, fmt: str = "{:,.0f}") -> str:
    return "–" if x is None else fmt.format(x)


def verdict_md(rep: dict[str, Any]) -> list[str]:
    """The verdict sections: CIs, paired comparisons, per-op CIs, taxonomy, probe, training."""
    arms = rep["arms"]
    base = rep.get("baseline") or {}
    comps = rep.get("comparisons") or {}
    n = next((a.get("n_problems") for a in arms.values()), 0)
    lines = [
        "",
        "## Verdict",
        "",
        f"Primary metric: **solution_ok** (every step of the solution right, checked exactly), "
        f"beside final-answer accuracy; % with 95% percentile bootstrap intervals over the "
        f"{n} problems and the seeds (resampled together); differences against clean are "
        f"paired (the same seeds and problems in every replicate). Majority baseline: "
        f"{_ci(base.get('accuracy'))} accuracy (answer {base.get('answer')!r}), 0 solution_ok.",
        "",
        "| arm | solution_ok | Δ solution_ok vs clean | accuracy | Δ accuracy vs clean |",
        "|---|---|---|---|---|",
    ]
    for name, a in arms.items():
        c = comps.get(f"{name}_vs_clean") or {}
        sol = c if c.get("metric") == "solution_ok" else None
        lines.append(
            f"| {name} | {_ci(a['solution_ok'])} | {_delta(sol)} | {_ci(a['accuracy'])} | "
            f"{_delta(c.get('accuracy'))} |"
        )
    ops = sorted({k for a in arms.values() for k in a.get("by_op_ci", {})}, key=int)
    if ops:
        for metric, label in (("solution_ok", "solution_ok"), ("correct", "accuracy")):
            lines += ["", f"{label} % by number of operations, 95% CI:", ""]
            lines.append("| arm | " + " | ".join(f"op {k} (n={arms[next(iter(arms))]['by_op_ci'].get(k, {}).get('n', 0)})" for k in ops) + " |")  # fmt: skip
            lines.append("|---|" + "---|" * len(ops))
            for name, a in arms.items():
                cells = [_ci((a["by_op_ci"].get(k) or {}).get(metric)) for k in ops]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            if metric == "correct":
                bo = base.get("by_op") or {}
                lines.append("| majority baseline | " + " | ".join(f"{100 * bo[k]['accuracy']:.1f}" if k in bo else "–" for k in ops) + " |")  # fmt: skip
        for name, c in comps.items():
            lines += ["", f"Δ {c['metric']} {name.replace('_vs_', ' vs ')} by op (paired): " + "; ".join(f"op {k} {_delta(d)}" for k, d in c["by_op"].items())]  # fmt: skip
    lines += [
        "",
        "## Failure taxonomy",
        "",
        "The first mistake of every wrong solution (all seeds together; share of the arm's "
        "wrong solutions). premature: a parameter whose inputs are not defined yet (what "
        "retry data teaches to take back); unneeded parameter: computable but not needed, "
        "defined twice or not in the problem; wrong dependency: the right parameter from "
        "the wrong inputs or formula; arithmetic: a wrong result; wrong copy: a value or a "
        "number of the problem copied wrongly; query: right steps but the query is never "
        "(or wrongly) reached; runaway: cut off at the token limit; other: see eval_rows.",
        "",
        "| arm | wrong | " + " | ".join(k.replace("_", " ") for k in FAILURE_KINDS) + " |",
        "|---|---:|" + "---:|" * len(FAILURE_KINDS),
    ]
    for name, a in arms.items():
        fb = a.get("failures_by_type") or {}
        tot = sum(fb.values())
        cells = [f"{fb.get(k, 0)} ({100 * fb.get(k, 0) / tot:.0f}%)" if tot else "0" for k in FAILURE_KINDS]  # fmt: skip
        lines.append(f"| {name} | {tot} | " + " | ".join(cells) + " |")
    for name, a in arms.items():
        per = a.get("failures_by_type_by_op") or {}
        if not per:
            continue
        lines += ["", f"{name}, by op:", "", "| op | " + " | ".join(k.replace("_", " ") for k in FAILURE_KINDS) + " |", "|---|" + "---:|" * len(FAILURE_KINDS)]  # fmt: skip
        for op, counts in per.items():
            lines.append(f"| {op} | " + " | ".join(str(counts.get(k, 0)) for k in FAILURE_KINDS) + " |")  # fmt: skip
    lines += [
        "",
        "## Regret probe",
        "",
        "Teacher-forced on held-out retry samples of the test problems: the probability of "
        "the retraction marker right after a wrong step head (a parameter not computable "
        "yet) and after a right one, and the ROC AUC of that probability as a wrong-head "
        "detector (0.5: no signal). Mean over seeds.",
        "",
        "| arm | p(marker) after wrong head | p(marker) after right head | AUC | per seed AUC |",
        "|---|---|---|---|---|",
    ]
    for name, a in arms.items():
        p = a.get("probe") or {}
        per = ", ".join(f"{s}: {_num(v.get('auc'), '{:.3f}')}" for s, v in (p.get("seeds") or {}).items())  # fmt: skip
        lines.append(
            f"| {name} | {_num(p.get('p_marker_after_wrong'), '{:.4f}')} | "
            f"{_num(p.get('p_marker_after_right'), '{:.4f}')} | {_num(p.get('auc'), '{:.3f}')} | {per or '–'} |"
        )
    lines += [
        "",
        "## Training",
        "",
        "Mean over seeds from each run's summary.json (– where the trainer did not record it).",
        "",
        "| arm | tokens (budget) | real (non-padding) tokens | epochs | correct-step tokens seen |",
        "|---|---|---|---|---|",
    ]
    for name, a in arms.items():
        t = a.get("training") or {}
        lines.append(
            f"| {name} | {_num(t.get('tokens'))} | {_num(t.get('tokens_real'))} | "
            f"{_num(t.get('epochs'), '{:.2f}')} | {_num(t.get('correct_step_tokens'))} |"
        )
    return lines


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


def plot_ci(rep: dict[str, Any], path: Path) -> None:
    """solution_ok by op per arm with its 95% bootstrap interval (the verdict's primary metric)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = rep["arms"]
    ops = sorted({k for a in arms.values() for k in a.get("by_op_ci", {})}, key=int)
    if not ops or not any((a["by_op_ci"].get(k) or {}).get("solution_ok") for a in arms.values() for k in ops):  # fmt: skip
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.8 / max(len(arms), 1)
    for j, (name, a) in enumerate(arms.items()):
        xs, ms, lo, hi = [], [], [], []
        for k in ops:
            m = (a["by_op_ci"].get(k) or {}).get("solution_ok")
            if not m or m.get("ci95") is None:
                continue
            xs.append(int(k) + (j - (len(arms) - 1) / 2) * width)
            ms.append(100 * m["mean"])
            lo.append(100 * (m["mean"] - m["ci95"][0]))
            hi.append(100 * (m["ci95"][1] - m["mean"]))
        ax.errorbar(xs, ms, yerr=[lo, hi], marker="o", linestyle="none", capsize=3, label=name)
    ax.set_xticks([int(k) for k in ops])
    ax.set_xlabel("operations")
    ax.set_ylabel("solution_ok (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{rep['name']}: every step right, 95% bootstrap CI")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
