"""The regret probe: does the model know, right after a step's head, that the step is wrong?

Physics of Language Models 2.2 found that a model trained on clean data already "knows"
when the parameter it just named is not computable yet: a probe reads the mistake from
its state right after the head ``Define P as``. Here the question is asked of the model
itself, teacher-forced on held-out retry samples (:mod:`errsynth.train.probe_data`): at
every step head the probability the model gives to the retraction marker next (``BACK``
in the igsm form, the ``[BACK]`` token in the back form; both summed, as decoding bans
them). A head is *wrong* when the sample retracts it (its parameter is not computable
yet) and *right* when the correct step follows. Reported: the mean marker probability
after wrong and after right heads, and the ROC AUC of the marker probability as a score
separating the two (0.5: no idea; 1: always more likely to retract after a wrong head).

A model trained without retractions may give the marker almost no probability anywhere;
its AUC still says whether it ranks wrong heads above right ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from errsynth.train.data import iter_rows
from errsynth.train.heldout_eval import banned_ids
from errsynth.train.loop import load_run, pick_device
from errsynth.train.probe_data import build_probe_data

_HEAD = re.compile(r"Define [^.;\n]+? as(?= )")
_WRONG_AFTER = re.compile(r" (?:BACK\.|\[BACK\])")


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(score of a positive > score of a negative), ties counted one half (Mann-Whitney).

    Computed from average ranks over the pooled scores; None when a class is empty.
    """
    pos = np.asarray(positive, dtype=float)
    neg = np.asarray(negative, dtype=float)
    if len(pos) == 0 or len(neg) == 0:
        return None
    scores = np.concatenate([pos, neg])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average rank (1-based) over each run of tied scores
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def head_positions(text: str, completion_start: int) -> list[tuple[int, bool]]:
    """(character where the next token starts, wrong?) for every step head of the completion."""
    out = []
    for m in _HEAD.finditer(text, completion_start):
        out.append((m.end(), _WRONG_AFTER.match(text, m.end()) is not None))
    return out


@torch.no_grad()
def probe_model(
    model: Callable[[torch.Tensor], torch.Tensor],
    tok: Any,
    samples: Sequence[dict[str, Any]],
    *,
    marker: str = "[BACK]",
    block_size: int,
    device: str | torch.device = "cpu",
    batch_size: int = 32,
) -> dict[str, Any]:
    """Teacher-forced marker probabilities after wrong and right heads, and their AUC.

    ``model(ids)`` returns logits (B, T, V); each sample is ``<eos>`` + prompt + completion
    (as decoding starts), right-padded with ``<eos>`` (causal: padding cannot reach back).
    Heads past ``block_size`` tokens are not scored (counted in ``heads_beyond_block``).
    """
    marker_ids = banned_ids(tok, marker)
    wrong: list[float] = []
    right: list[float] = []
    beyond = unaligned = 0
    seqs: list[list[int]] = []
    wants: list[list[tuple[int, bool]]] = []
    for s in samples:
        text = s["prompt"] + s["completion"]
        ids, starts = tok.encode_with_offsets(text)
        at = {c: k for k, c in enumerate(starts)}
        want = []
        for char, is_wrong in head_positions(text, len(s["prompt"])):
            k = at.get(char)  # the token after the head starts where the head ends
            if k is None:
                unaligned += 1
            elif k + 1 > block_size:  # logits at index k (eos first) predict token k
                beyond += 1
            else:
                want.append((k, is_wrong))
        seqs.append([tok.eos_id, *ids][:block_size])
        wants.append(want)
    if not marker_ids:
        note = f"the tokenizer has no single token for {marker!r} or BACK"
        return _result(wrong, right, len(samples), beyond, unaligned, note)
    marker_t = torch.tensor(marker_ids, device=device)
    for a in range(0, len(seqs), batch_size):
        chunk = seqs[a : a + batch_size]
        width = max(len(c) for c in chunk)
        idx = torch.full((len(chunk), width), tok.eos_id, dtype=torch.long, device=device)
        for j, c in enumerate(chunk):
            idx[j, : len(c)] = torch.tensor(c, dtype=torch.long, device=device)
        probs = torch.softmax(model(idx).float(), dim=-1)[..., marker_t].sum(-1).cpu()
        for j, want in enumerate(wants[a : a + batch_size]):
            for k, is_wrong in want:
                (wrong if is_wrong else right).append(float(probs[j, k]))
    return _result(wrong, right, len(samples), beyond, unaligned, None)


def _result(
    wrong: list[float], right: list[float], n: int, beyond: int, unaligned: int, note: str | None
) -> dict[str, Any]:
    def mean(xs: list[float]) -> float | None:
        return round(float(np.mean(xs)), 4) if xs else None

    auc = roc_auc(wrong, right)
    out: dict[str, Any] = {
        "p_marker_after_wrong": mean(wrong),
        "p_marker_after_right": mean(right),
        "auc": None if auc is None else round(auc, 4),
        "samples": n,
        "wrong_heads": len(wrong),
        "right_heads": len(right),
        "heads_beyond_block": beyond,
        "heads_unaligned": unaligned,
    }
    if note:
        out["note"] = note
    return out


def load_probe_samples(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Probe samples (``prompt``, ``completion``) of a file made by probe_data."""
    rows = []
    for r in iter_rows([path], ["id", "op", "prompt", "completion"]):
        if limit is not None and len(rows) >= limit:
            break
        if not isinstance(r.get("prompt"), str) or not isinstance(r.get("completion"), str):
            raise ValueError(
                f"{path}: row {len(rows)} has no prompt/completion text; probe data is what "
                "validate-mix writes as probe_data.parquet (or errsynth eval --probe makes)"
            )
        rows.append(r)
    return rows


def probe_run(
    run: str | Path,
    probe_file: str | Path,
    *,
    marker: str = "[BACK]",
    device: str = "cpu",
    limit: int | None = None,
    batch_size: int = 32,
) -> dict[str, Any]:
    """The probe of a trained run on a probe file (see :mod:`errsynth.train.probe_data`)."""
    device = str(pick_device(device))
    model, tok, _ = load_run(run, device)
    samples = load_probe_samples(probe_file, limit)
    res = probe_model(
        model, tok, samples, marker=marker, block_size=model.cfg.block_size, device=device,
        batch_size=batch_size,
    )  # fmt: skip
    res["probe_file"] = str(probe_file)
    return res


def probe_and_record(
    run: str | Path,
    test: str | Path,
    out: str | Path,
    *,
    probe_file: str | Path | None = None,
    rate: float = 0.5,
    seed: int = 0,
    limit: int | None = None,
    style: str = "igsm",
    marker: str = "[BACK]",
    device: str = "cpu",
) -> dict[str, Any]:
    """Probe ``run``; write ``out/probe.json`` and add ``probe`` to ``out/eval.json``.

    Without ``probe_file`` the samples are made from ``test`` (its gold solutions) into
    ``out/probe_data.parquet`` first.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made: dict[str, Any] | None = None
    if probe_file is None:
        probe_file = out / "probe_data.parquet"
        made = build_probe_data(
            test, probe_file, rate=rate, seed=seed, limit=limit, style=style, marker=marker
        )
    res = probe_run(run, probe_file, marker=marker, device=device, limit=limit)
    if made is not None:
        res["data"] = made
    (out / "probe.json").write_text(json.dumps(res, indent=2) + "\n")
    ev = out / "eval.json"
    if ev.exists():
        rep = json.loads(ev.read_text())
        rep["probe"] = res
        ev.write_text(json.dumps(rep, indent=2) + "\n")
    return res


__all__ = [
    "head_positions",
    "load_probe_samples",
    "probe_and_record",
    "probe_model",
    "probe_run",
    "roc_auc",
]
