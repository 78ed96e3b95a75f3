"""The training loop: AdamW, warm-up + cosine, clipping, checkpoints and exact resume.

A run directory holds ``config.json`` (the settings and data paths), ``tokenizer.json``,
``ckpt.pt`` (model, optimizer, step, RNG), ``log.jsonl`` (one line per logged step) and,
when enabled, ``mistake_log/part-*.parquet``. Started again on the same directory, the
run continues from its checkpoint; since batch ``s`` is a pure function of (seed, s),
the continued run follows the same trajectory as an uninterrupted one.

With ``doc_mask`` (the default) every packed sample attends only to itself, with
positions from 0 (``GPT.forward(doc=...)``). With ``token_budget: real`` (the default)
``tokens`` counts real (non-padding) tokens and the step count comes from the packed data.
A run made before these settings existed (its ``config.json`` lacks them) is resumed with
the behaviour it was made with (``config.LEGACY_SETTINGS``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

from errsynth.train.checkpoint import load_checkpoint, save_checkpoint
from errsynth.train.config import LEGACY_SETTINGS, TrainConfig
from errsynth.train.data import BlockStream, encode_sample, input_documents, load_samples
from errsynth.train.mistake_log import MistakeLogger
from errsynth.train.model import GPT, masked_loss
from errsynth.train.tokenizer import build_tokenizer, load_tokenizer


class TrainError(RuntimeError):
    pass


def lr_at(step: int, cfg: TrainConfig, total: int) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``lr * min_lr_ratio`` at ``total``."""
    warm = min(cfg.warmup_steps, max(total - 1, 0))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    frac = (step - warm) / max(1, total - warm)
    lo = cfg.lr * cfg.min_lr_ratio
    return lo + 0.5 * (cfg.lr - lo) * (1 + math.cos(math.pi * min(frac, 1.0)))


def pick_device(spec: str) -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(spec)


def make_optimizer(model: GPT, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    fused = device.type == "cuda"
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=fused)


def load_run(run: str | Path, device: str = "cpu") -> tuple[GPT, Any, dict[str, Any]]:
    """(model in eval mode, tokenizer, run config dict) of a finished or running run."""
    run = Path(run)
    meta = json.loads((run / "config.json").read_text())
    cfg = TrainConfig.from_stored(meta["train"])
    tok = load_tokenizer(run / "tokenizer.json")
    model = GPT(cfg.model)
    state = load_checkpoint(run / "ckpt.pt", device)
    model.load_state_dict(state["model"])
    model.to(device).eval()
    return model, tok, meta


def train(
    cfg: TrainConfig,
    data: list[str | Path],
    out: str | Path,
    *,
    log: Callable[[str], None] = lambda m: None,
    progress: bool = False,
    stop_after: int | None = None,
) -> dict[str, Any]:
    """Train (or resume) into ``out``; returns the summary written to ``summary.json``.

    ``stop_after`` ends the process-local loop after that many steps (checkpointing
    first), which is how tests interrupt a run.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    if device.type == "cpu" and cfg.threads:
        torch.set_num_threads(cfg.threads)
    cfg_path = out / "config.json"
    data = [str(d) for d in data]
    meta = {"train": cfg.to_dict(), "data": data}
    t_load = time.perf_counter()
    samples = load_samples(data)
    if (out / "tokenizer.json").exists():
        tok = load_tokenizer(out / "tokenizer.json")
    else:
        tok = build_tokenizer(cfg.tokenizer, (s.text for s in samples), cfg.specials)
        tok.save(out / "tokenizer.json")
    cfg.model.vocab_size = tok.vocab_size
    meta["train"] = cfg.to_dict()
    if cfg_path.exists():
        old = json.loads(cfg_path.read_text())
        cfg, meta = _as_stored(cfg, meta, old, log)
        if old != meta:
            raise TrainError(f"{out} holds a run with other settings or data; use a new directory")
    else:
        cfg_path.write_text(json.dumps(meta, indent=2) + "\n")
    encoded = [encode_sample(tok, s, cfg.loss_on, cfg.mask) for s in samples]
    stream = BlockStream(encoded, cfg.model.block_size, cfg.batch_size, cfg.seed, tok.eos_id)
    total = planned_steps(cfg, stream)
    log(
        f"{len(samples)} samples, vocab {tok.vocab_size}, {total} steps of "
        f"{cfg.batch_size}x{cfg.model.block_size} tokens, padding {stream.pad_fraction():.1%}, "
        f"truncated {stream.truncated}, document mask {'on' if cfg.doc_mask else 'off'} "
        f"(prepared in {time.perf_counter() - t_load:.1f}s)"
    )

    torch.manual_seed(cfg.seed)
    model = GPT(cfg.model).to(device)
    opt = make_optimizer(model, cfg, device)
    step = 0
    ckpt = out / "ckpt.pt"
    if ckpt.exists():
        state = load_checkpoint(ckpt, device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        step = state["step"]
        torch.set_rng_state(state["rng"])
        log(f"resumed at step {step}")
    log_path = out / "log.jsonl"
    kept = []
    if log_path.exists():  # drop lines past the checkpoint: they will be redone
        kept = [ln for ln in log_path.read_text().splitlines() if json.loads(ln)["step"] <= step]
    log_path.write_text("".join(ln + "\n" for ln in kept))

    use_cuda = device.type == "cuda"
    fwd = model
    if cfg.compile == "on" or (cfg.compile == "auto" and use_cuda):
        fwd = torch.compile(model)  # type: ignore[assignment]
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if use_cuda else nullcontext()
    mlog = None
    if cfg.mistake_log.every:
        mlog = MistakeLogger(out / "mistake_log", cfg.mistake_log, tok, samples, encoded)
    tokens_per_step = cfg.batch_size * cfg.model.block_size
    n_params = model.n_params()
    bar = None
    if progress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(
            TextColumn("train"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.description}"), TimeRemainingColumn(),
        )  # fmt: skip
        bar.start()
        task = bar.add_task("", total=total, completed=step)
    model.train()
    t0 = time.perf_counter()
    t_last, steps_since = t0, 0
    done_here = 0
    loss_sum = torch.zeros((), device=device)
    last_loss = float("nan")
    try:
        while step < total:
            b = stream.batch(step)
            ids = torch.from_numpy(b["ids"]).to(device, dtype=torch.long, non_blocking=True)
            w = torch.from_numpy(b["loss"][:, 1:]).to(device, non_blocking=True)
            x, y = ids[:, :-1], ids[:, 1:]
            doc = None
            if cfg.doc_mask:
                doc = torch.from_numpy(input_documents(b["sample"])).to(device, non_blocking=True)
            lr = lr_at(step, cfg, total)
            for g in opt.param_groups:
                g["lr"] = lr
            with amp:
                logits = fwd(x, doc=doc)
            loss = masked_loss(logits, y, w)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if mlog is not None and step % cfg.mistake_log.every == 0:
                mlog.record(step, logits.detach(), b)
            loss_sum += loss.detach()
            step += 1
            done_here += 1
            steps_since += 1
            if step % cfg.log_every == 0 or step == total:
                now = time.perf_counter()
                last_loss = float(loss_sum) / steps_since
                tps = steps_since * tokens_per_step / (now - t_last)
                rec = {
                    "step": step,
                    "loss": round(last_loss, 5),
                    "lr": lr,
                    "tokens": step * tokens_per_step,
                    "tokens_real": stream.counts(step)["tokens_real"],
                    "tokens_per_s": round(tps, 1),
                    "epoch": stream.epoch_of(step - 1),
                }
                with log_path.open("a") as f:
                    f.write(json.dumps(rec) + "\n")
                if bar is not None:
                    bar.update(
                        task, completed=step, description=f"loss {last_loss:.3f} {tps:,.0f} tok/s"
                    )
                else:
                    log(f"step {step}/{total} loss {last_loss:.4f} lr {lr:.2e} {tps:,.0f} tok/s")
                loss_sum.zero_()
                t_last, steps_since = now, 0
            if (cfg.ckpt_every and step % cfg.ckpt_every == 0) or step == total:
                _checkpoint(model, opt, step, ckpt)
            if stop_after is not None and done_here >= stop_after:
                _checkpoint(model, opt, step, ckpt)
                break
    finally:
        if bar is not None:
            bar.stop()
        if mlog is not None:
            mlog.close()
    elapsed = time.perf_counter() - t0
    summary = {
        "steps": step,
        "total_steps": total,
        "finished": step >= total,
        "params": n_params,
        "tokens": step * tokens_per_step,  # processed: real + padding
        **stream.counts(step),  # tokens_real, tokens_padded, correct_step_tokens, epochs
        "token_budget": cfg.token_budget,
        "doc_mask": cfg.doc_mask,
        "final_loss": last_loss,
        "seconds_this_process": round(elapsed, 2),
        "tokens_per_s_this_process": round(done_here * tokens_per_step / max(elapsed, 1e-9), 1),
        "device": str(device),
        "pad_fraction": stream.pad_fraction(),
        "n_samples": len(samples),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def planned_steps(cfg: TrainConfig, stream: BlockStream) -> int:
    """Steps of the run: ``max_steps``, or the steps that hold the ``tokens`` budget."""
    if cfg.max_steps or cfg.token_budget == "padded":
        return cfg.steps()
    if not cfg.tokens:
        raise ValueError("set tokens or max_steps")
    return stream.steps_for_tokens(cfg.tokens)


def _as_stored(
    cfg: TrainConfig, meta: dict[str, Any], old: dict[str, Any], log: Callable[[str], None]
) -> tuple[TrainConfig, dict[str, Any]]:
    """Resuming a run made before a setting existed: it keeps the behaviour it was made
    with, and its ``config.json`` (without the setting) stays as it is."""
    missing = [k for k in LEGACY_SETTINGS if k not in old.get("train", {})]
    if not missing:
        return cfg, meta
    kept = {k: LEGACY_SETTINGS[k] for k in missing}
    log(f"run made before {missing}: continues with {kept}")
    cfg = dataclasses.replace(cfg, **kept)
    train_dict = {k: v for k, v in cfg.to_dict().items() if k not in missing}
    return cfg, {**meta, "train": train_dict}


def _checkpoint(model: GPT, opt: torch.optim.Optimizer, step: int, path: Path) -> None:
    state = {
        "model": model.state_dict(),
        "optim": opt.state_dict(),
        "step": step,
        "rng": torch.get_rng_state(),
    }
    save_checkpoint(state, path)


def read_log(run: str | Path) -> list[dict[str, Any]]:
    p = Path(run) / "log.jsonl"
    return [json.loads(ln) for ln in p.read_text().splitlines()] if p.exists() else []
