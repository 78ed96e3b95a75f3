"""Training tokens/s on CPU: errsynth's loop vs a plain PyTorch loop of the same model.

    nice -n 10 python benchmarks/bench_train.py [--threads 2] [--steps 60] [--repeats 2]

Both loops train the same GPT (errsynth.train.model) on the same packed batches of
generated iGSM problems (one-token names, op <= 4), measured in the same process, one
after the other, ``--repeats`` times interleaved (the median is reported), the first
``--warmup`` steps of every measurement excluded. The plain loop is what one would write
by hand: forward, full cross-entropy, backward, AdamW step. errsynth's loop adds the
loss mask (solution tokens only), the warm-up/cosine schedule, gradient clipping,
logging and one final checkpoint.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import torch
import torch.nn.functional as F

from errsynth.igsm import generate
from errsynth.train.config import ModelConfig, TrainConfig
from errsynth.train.data import BlockStream, encode_sample, load_samples
from errsynth.train.loop import read_log, train
from errsynth.train.model import GPT
from errsynth.train.tokenizer import WordTokenizer

MODELS = {
    "0.85M (CPU recipe)": dict(n_layer=4, n_head=4, n_embd=128),
    "4.8M (GPU recipe width)": dict(n_layer=6, n_head=8, n_embd=256),
}


def plain_loop(cfg: TrainConfig, stream: BlockStream, steps: int, warmup: int) -> float:
    torch.manual_seed(0)
    model = GPT(cfg.model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    t0 = 0.0
    for s in range(steps + warmup):
        if s == warmup:
            t0 = time.perf_counter()
        ids = torch.from_numpy(stream.batch(s)["ids"]).long()
        x, y = ids[:, :-1], ids[:, 1:]
        loss = F.cross_entropy(model(x).reshape(-1, cfg.model.vocab_size), y.reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return steps * cfg.batch_size * cfg.model.block_size / (time.perf_counter() - t0)


def our_loop(cfg: TrainConfig, data: Path, steps: int, warmup: int, tmp: Path) -> float:
    run = Path(tempfile.mkdtemp(dir=tmp))
    cfg.max_steps = steps + warmup
    cfg.log_every = 1
    train(cfg, [data], run)
    log = read_log(run)
    # per-step times from the log windows after the warm-up
    secs = [cfg.batch_size * cfg.model.block_size / r["tokens_per_s"] for r in log[warmup:]]
    return steps * cfg.batch_size * cfg.model.block_size / sum(secs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--block-size", type=int, default=256)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    results = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        data = tmp / "gen.parquet"
        pq.write_table(pa.Table.from_pylist(list(generate(4000, 4, 1, names="short", distractors=2))), data)  # fmt: skip
        samples = load_samples([data])
        tok = WordTokenizer.build(s.text for s in samples)
        for label, dims in MODELS.items():

            def cfg(dims: dict = dims) -> TrainConfig:
                return TrainConfig(
                    model=ModelConfig(vocab_size=tok.vocab_size, block_size=a.block_size, **dims),
                    batch_size=a.batch_size, lr=1e-3, warmup_steps=10, loss_on="completion",
                    threads=a.threads, device="cpu", compile="off",
                )  # fmt: skip

            c = cfg()
            enc = [encode_sample(tok, s, c.loss_on) for s in samples]
            stream = BlockStream(enc, a.block_size, a.batch_size, 0, tok.eos_id)
            plain, ours = [], []
            for _ in range(a.repeats):
                plain.append(plain_loop(cfg(), stream, a.steps, a.warmup))
                ours.append(our_loop(cfg(), data, a.steps, a.warmup, tmp))
            n_params = GPT(c.model).n_params()
            row = {
                "model": label,
                "params": n_params,
                "threads": a.threads,
                "batch": f"{a.batch_size}x{a.block_size}",
                "plain_tok_s": round(statistics.median(plain)),
                "errsynth_tok_s": round(statistics.median(ours)),
                "ratio": round(statistics.median(ours) / statistics.median(plain), 3),
                "all_plain": [round(x) for x in plain],
                "all_errsynth": [round(x) for x in ours],
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    print("\n| model | params | threads | batch | plain loop tok/s | errsynth loop tok/s | ratio |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['model']} | {r['params']:,} | {r['threads']} | {r['batch']} | {r['plain_tok_s']:,} | {r['errsynth_tok_s']:,} | {r['ratio']} |")  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
