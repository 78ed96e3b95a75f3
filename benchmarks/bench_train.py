"""Training and decoding tokens/s on CPU, measured side by side.

    nice -n 10 python benchmarks/bench_train.py [--threads 2] [--steps 60] [--repeats 2]
        [--only loop,mask,decode]

``loop``: errsynth's training loop vs a plain PyTorch loop of the same model.
``mask``: training steps (forward, loss, backward, AdamW) on the same packed batches with
the document mask (``doc_mask: true``, block-diagonal boolean SDPA mask, per-document
positions) and without it (plain causal attention), interleaved; tokens/s of processed
tokens (padding included, the same for both).
``decode``: ``greedy_decode`` with the KV cache and with full recomputation, on the same
prompts (iGSM problems, op <= 6, three distractors: the experiment's data) batched and
left-padded as ``errsynth eval`` does; the model is untrained and ``<eos>`` is never
chosen (its logit is set to -inf), so every row decodes ``--new-tokens`` tokens; tokens/s
of decoded tokens. The two decodings are checked to give the same tokens.

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
from errsynth.train.data import (
    QUESTION_TEMPLATE,
    BlockStream,
    encode_sample,
    input_documents,
    load_samples,
)
from errsynth.train.heldout_eval import greedy_decode
from errsynth.train.loop import read_log, train
from errsynth.train.model import GPT, masked_loss
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


def step_rate(
    cfg: TrainConfig, stream: BlockStream, steps: int, warmup: int, doc_mask: bool
) -> float:
    """Processed tokens/s of forward + masked loss + backward + AdamW, with or without the
    document mask, on the stream's first batches."""
    torch.manual_seed(0)
    model = GPT(cfg.model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    model.train()
    t0 = 0.0
    for s in range(steps + warmup):
        if s == warmup:
            t0 = time.perf_counter()
        b = stream.batch(s)
        ids = torch.from_numpy(b["ids"]).long()
        doc = torch.from_numpy(input_documents(b["sample"])) if doc_mask else None
        w = torch.from_numpy(b["loss"][:, 1:])
        loss = masked_loss(model(ids[:, :-1], doc=doc), ids[:, 1:], w)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return steps * cfg.batch_size * cfg.model.block_size / (time.perf_counter() - t0)


class _NoEos(torch.nn.Module):
    """The model with ``<eos>`` never chosen, so every row decodes the same length."""

    def __init__(self, model: GPT, eos_id: int) -> None:
        super().__init__()
        self.inner, self.eos, self.cfg, self.blocks = model, eos_id, model.cfg, model.blocks

    def forward(self, idx, **kw):  # type: ignore[no-untyped-def]
        out = self.inner(idx, **kw)
        out[..., self.eos] = float("-inf")
        return out


def decode_rate(
    model: GPT, prompts: list[list[int]], eos_id: int, new_tokens: int, use_cache: bool
) -> tuple[float, list[list[int]]]:
    t0 = time.perf_counter()
    out = greedy_decode(_NoEos(model, eos_id), prompts, eos_id, new_tokens, use_cache=use_cache)
    n = sum(len(o) for o in out)
    return n / (time.perf_counter() - t0), out


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
    ap.add_argument("--only", default="loop,mask,decode", help="comma list of loop, mask, decode")
    ap.add_argument("--decode-batch", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=100)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    parts = set(a.only.split(","))
    torch.set_num_threads(a.threads)
    results: dict[str, list[dict]] = {"loop": [], "mask": [], "decode": []}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        data = tmp / "gen.parquet"
        pq.write_table(pa.Table.from_pylist(list(generate(4000, 4, 1, names="short", distractors=2))), data)  # fmt: skip
        samples = load_samples([data])
        tok = WordTokenizer.build(s.text for s in samples)
        problems = list(generate(a.decode_batch, 6, 7, names="short", distractors=3))
        prompts = [tok.encode(QUESTION_TEMPLATE.format(question=r["problem"]).rstrip()) for r in problems]  # fmt: skip
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
            n_params = GPT(c.model).n_params()
            base = {"model": label, "params": n_params, "threads": a.threads}
            if "loop" in parts:
                plain, ours = [], []
                for _ in range(a.repeats):
                    plain.append(plain_loop(cfg(), stream, a.steps, a.warmup))
                    ours.append(our_loop(cfg(), data, a.steps, a.warmup, tmp))
                row = {
                    **base, "batch": f"{a.batch_size}x{a.block_size}",
                    "plain_tok_s": round(statistics.median(plain)),
                    "errsynth_tok_s": round(statistics.median(ours)),
                    "ratio": round(statistics.median(ours) / statistics.median(plain), 3),
                    "all_plain": [round(x) for x in plain], "all_errsynth": [round(x) for x in ours],
                }  # fmt: skip
                results["loop"].append(row)
                print(json.dumps(row), flush=True)
            if "mask" in parts:
                on, off = [], []
                for _ in range(a.repeats):
                    off.append(step_rate(c, stream, a.steps, a.warmup, doc_mask=False))
                    on.append(step_rate(c, stream, a.steps, a.warmup, doc_mask=True))
                row = {
                    **base, "batch": f"{a.batch_size}x{a.block_size}",
                    "causal_tok_s": round(statistics.median(off)),
                    "doc_mask_tok_s": round(statistics.median(on)),
                    "ratio": round(statistics.median(on) / statistics.median(off), 3),
                    "all_causal": [round(x) for x in off], "all_doc_mask": [round(x) for x in on],
                }  # fmt: skip
                results["mask"].append(row)
                print(json.dumps(row), flush=True)
            if "decode" in parts:
                torch.manual_seed(0)
                model = GPT(c.model).eval()
                full, cached = [], []
                for _ in range(a.repeats):
                    r_full, out_full = decode_rate(model, prompts, tok.eos_id, a.new_tokens, False)
                    r_cache, out_cache = decode_rate(model, prompts, tok.eos_id, a.new_tokens, True)
                    if out_full != out_cache:
                        raise SystemExit("the KV-cache decoding gave other tokens")
                    full.append(r_full)
                    cached.append(r_cache)
                row = {
                    **base, "batch": a.decode_batch, "prompt_tokens": round(statistics.fmean(map(len, prompts))),
                    "new_tokens": a.new_tokens,
                    "full_tok_s": round(statistics.median(full)),
                    "cache_tok_s": round(statistics.median(cached)),
                    "speedup": round(statistics.median(cached) / statistics.median(full), 2),
                    "all_full": [round(x) for x in full], "all_cache": [round(x) for x in cached],
                }  # fmt: skip
                results["decode"].append(row)
                print(json.dumps(row), flush=True)
    if results["loop"]:
        print(
            "\n| model | params | threads | batch | plain loop tok/s | errsynth loop tok/s | ratio |"
        )
        print("|---|---:|---:|---|---:|---:|---:|")
        for r in results["loop"]:
            print(f"| {r['model']} | {r['params']:,} | {r['threads']} | {r['batch']} | {r['plain_tok_s']:,} | {r['errsynth_tok_s']:,} | {r['ratio']} |")  # fmt: skip
    if results["mask"]:
        print("\n| model | params | threads | batch | causal tok/s | document mask tok/s | ratio |")
        print("|---|---:|---:|---|---:|---:|---:|")
        for r in results["mask"]:
            print(f"| {r['model']} | {r['params']:,} | {r['threads']} | {r['batch']} | {r['causal_tok_s']:,} | {r['doc_mask_tok_s']:,} | {r['ratio']} |")  # fmt: skip
    if results["decode"]:
        print("\n| model | params | threads | batch | prompt tokens | new tokens | full recompute tok/s | KV cache tok/s | speed-up |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in results["decode"]:
            print(f"| {r['model']} | {r['params']:,} | {r['threads']} | {r['batch']} | {r['prompt_tokens']} | {r['new_tokens']} | {r['full_tok_s']:,} | {r['cache_tok_s']:,} | {r['speedup']}x |")  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
