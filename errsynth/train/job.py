"""One validate-mix job in its own process: train a run, then evaluate it.

``python -m errsynth.train.job JOB.json`` — JOB holds ``train`` (TrainConfig dict),
``data``, ``run``, ``test``, ``eval`` (keyword arguments of ``evaluate_run``) and optionally
``probe`` (``file``: held-out retry samples for the regret probe, ``limit``). Finished
pieces are skipped, so a killed validate-mix picks up where it stopped.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from errsynth.train.arm_stats import eval_current
from errsynth.train.config import TrainConfig
from errsynth.train.heldout_eval import evaluate_run, format_probe, format_report
from errsynth.train.loop import train
from errsynth.train.regret_probe import probe_and_record


def run_job(job: dict) -> None:
    run = Path(job["run"])
    cfg = TrainConfig.from_dict(job["train"])
    if cfg.threads:
        torch.set_num_threads(cfg.threads)

    def log(m: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {m}", flush=True)

    summary = (
        json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
    )
    if not summary.get("finished"):
        summary = train(cfg, job["data"], run, log=log)
    if not eval_current(run):  # missing, or from before the per-row results
        t = time.perf_counter()
        rep = evaluate_run(run, job["test"], out=run, **job.get("eval", {}))
        log(f"eval in {time.perf_counter() - t:.0f}s\n" + format_report(rep))
    probe = job.get("probe")
    if probe and not (run / "probe.json").exists():
        t = time.perf_counter()
        ev = job.get("eval", {})
        res = probe_and_record(
            run, job["test"], run, probe_file=probe["file"], limit=probe.get("limit"),
            marker=ev.get("marker", "[BACK]"), device=ev.get("device", "cpu"),
        )  # fmt: skip
        log(f"probe in {time.perf_counter() - t:.0f}s: " + format_probe(res))


if __name__ == "__main__":
    run_job(json.loads(Path(sys.argv[1]).read_text()))
