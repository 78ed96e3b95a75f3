"""What the verdict adds to ``errsynth eval``: the failure taxonomy and the regret probe.

    nice -n 10 python benchmarks/bench_verdict.py [--run RUN --test FILE] [--steps 300]

Without ``--run`` a small model (2 × 64, rotary, loss on the solution) is trained for
``--steps`` steps of 8 × 256 tokens on 3,000 generated problems (one-token names, op ≤ 4)
and 200 held-out problems are generated. Then, in one process on one thread, CPU time
(``time.process_time``: less sensitive to other work on a shared machine than wall time):

* ``evaluate_run``: decoding, answer scoring, the exact checker and the taxonomy;
* the taxonomy alone (``classify`` over the same generations, mean of 3 passes), and its
  worst case: the gold solutions with the last step's value wrong (the checker walks every
  step before it finds the mistake);
* the regret probe, its held-out retry samples made included (``probe_and_record``).

Before the taxonomy, eval was ``evaluate_run`` minus the taxonomy; the overheads are
printed as shares of that.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import torch

from errsynth.igsm import generate
from errsynth.train.config import TrainConfig
from errsynth.train.heldout_eval import evaluate_run, load_test
from errsynth.train.loop import train
from errsynth.train.regret_probe import probe_and_record
from errsynth.train.taxonomy import classify


def _toy_run(root: Path, steps: int) -> tuple[Path, Path]:
    data, test = root / "train.parquet", root / "test.parquet"
    pq.write_table(pa.Table.from_pylist(list(generate(3000, 4, 1, names="short", distractors=1))), data)  # fmt: skip
    pq.write_table(pa.Table.from_pylist(list(generate(200, 4, 99, names="short", distractors=1))), test)  # fmt: skip
    cfg = TrainConfig.from_dict(
        {"max_steps": steps, "batch_size": 8, "loss_on": "completion", "threads": 1,
         "model": {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 256, "pos": "rope"}}
    )  # fmt: skip
    train(cfg, [data], root / "run")
    return root / "run", test


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path)
    ap.add_argument("--test", type=Path)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run, test = (args.run, args.test) if args.run else _toy_run(root, args.steps)
        t = time.process_time()
        rep = evaluate_run(run, test, out=root / "eval")
        t_eval = time.process_time() - t
        gens = pq.read_table(root / "eval" / "eval_rows.parquet").to_pylist()
        rows = load_test(test)
        t = time.process_time()
        for _ in range(3):
            for g, r in zip(gens, rows, strict=True):
                classify(r.problem or "", g["generation"], r.answer, truncated=g["truncated"])
        t_tax = (time.process_time() - t) / 3
        gold = pq.read_table(test, columns=["problem", "solution", "answer"]).to_pylist()
        t = time.process_time()
        for r in gold:
            head, _ = r["solution"].rsplit(" = ", 1)
            classify(r["problem"], f"{head} = 99.", str(r["answer"]))
        t_worst = time.process_time() - t
        t = time.process_time()
        probe = probe_and_record(run, test, root / "eval")
        t_probe = time.process_time() - t
    before = t_eval - t_tax
    out = {
        "rows": len(rows),
        "solution_ok": rep["overall"]["solution_ok"],
        "eval_cpu_s": round(t_eval, 3),
        "eval_before_taxonomy_cpu_s": round(before, 3),
        "taxonomy_cpu_s": round(t_tax, 4),
        "taxonomy_worst_case_cpu_s": round(t_worst, 4),
        "probe_cpu_s": round(t_probe, 3),
        "probe_samples": probe["samples"],
        "taxonomy_share": round(t_tax / before, 4),
        "taxonomy_worst_case_share": round(t_worst / before, 4),
        "probe_share": round(t_probe / before, 4),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
