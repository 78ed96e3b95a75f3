"""The Mistake Log (Transformer Copilot's idea): where, during training, the model errs.

Every ``mistake_log.every`` steps the trainer hands the batch's logits to
:class:`MistakeLogger`, which records, for each target token that carries loss in the
first ``max_rows`` sequences: the training step, the sample, the token, the solution step
it belongs to, its kind, ``p(gold)``, the gap ``1 - p(gold)`` (the distance between the
one-hot gold distribution and the prediction, on the gold token) and the top-k
predictions. Rows go to ``RUN/mistake_log/part-NNNNN.parquet``.

The file format and its readers (:func:`~errsynth.types.mistake_log.summarize_log`, used
by ``errsynth inspect`` and by the ``igsm_retry`` option ``mistake_log``) live in
:mod:`errsynth.types.mistake_log` and need only pyarrow; a finished run's model is
logged by :mod:`errsynth.train.mistake_probe`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.train.config import MistakeLogConfig
from errsynth.types.mistake_log import LOG_SCHEMA

# a retracted attempt "Define P as v; ...; so v = ... = 7. BACK." is one step: no cut before BACK.
_STEP_START = re.compile(r"(?:^|(?<=[.;!?\n]))\s*(?=Define\b)|(?<=[.!?])\s+(?=[A-Z])(?!BACK\.)|\n+")
_BACK_STEP = re.compile(r"^\s*Define [^.;]*? as (?:[A-Za-z]; [^.]*\. )?BACK\.")


def token_kind(piece: str) -> str:
    """A coarse kind for a token string (iGSM-oriented, fine for any text)."""
    s = piece.strip()
    if not s:
        return "space" if piece else "eos"
    if s in ("BACK", "[BACK]"):
        return "marker"
    if s.lstrip("-").isdigit():
        return "number"
    if s in ("=", "+", "-", "*", "/", ";"):
        return "operator"
    if len(s) == 1 and s.isalpha():
        return "variable"
    if s == "'s" or (any(c.isdigit() for c in s) and any(c.isalpha() for c in s)):
        return "name"
    if s.isalpha():
        return "word"
    return "punct"


def step_spans(completion: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_retraction) of each step of a completion, in order."""
    cuts = sorted({0, *(m.start() for m in _STEP_START.finditer(completion)), len(completion)})
    spans = []
    for a, b in itertools.pairwise(cuts):
        if completion[a:b].strip():
            spans.append((a, b, bool(_BACK_STEP.match(completion[a:b]))))
    return spans


class MistakeLogger:
    def __init__(
        self, folder: Path, cfg: MistakeLogConfig, tok: Any, samples: list[Any], encoded: list[Any]
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cfg = cfg
        self.tok = tok
        self.samples = samples
        self.encoded = encoded
        self.rows: list[dict[str, Any]] = []
        self.part = len(list(self.folder.glob("part-*.parquet")))
        self._steps: dict[int, tuple[list[int], list[bool]]] = {}

    def _token_steps(self, i: int) -> tuple[list[int], list[bool]]:
        """Per token of sample i: clean step index (-1 in the prompt), in a retraction.

        A retracted attempt gets the index of the clean step it comes before.
        """
        if i not in self._steps:
            s, e = self.samples[i], self.encoded[i]
            off = s.prompt_len
            spans = step_spans(s.text[off:])
            starts = [a for a, _, _ in spans]
            clean_before = []
            n_clean = 0
            for _, _, is_back in spans:
                clean_before.append(n_clean)
                n_clean += not is_back
            cut = len(s.text[:off].rstrip())  # " Define" after "Answer: " is completion
            idx, back = [], []
            for c in e.starts.tolist():
                c = len(s.text) - 1 if c < 0 else c  # the closing eos: the last step
                if c < cut or not spans:
                    idx.append(-1)
                    back.append(False)
                    continue
                j = max(0, bisect.bisect_right(starts, max(0, c - off)) - 1)
                idx.append(min(clean_before[j], max(n_clean - 1, 0)))
                back.append(spans[j][2])
            self._steps[i] = (idx, back)
        return self._steps[i]

    def record(self, step: int, logits: Any, batch: dict[str, Any]) -> None:
        import torch

        n = min(self.cfg.max_rows, logits.shape[0])
        w = batch["loss"][:n, 1:]
        sample = batch["sample"][:n, 1:]
        token = batch["token"][:n, 1:]
        gold = batch["ids"][:n, 1:]
        with torch.no_grad():
            probs = torch.softmax(logits[:n].float(), dim=-1)
            k = min(self.cfg.topk, probs.shape[-1])
            top_p, top_i = probs.topk(k, dim=-1)
            p_gold = probs.gather(-1, torch.as_tensor(gold, dtype=torch.long, device=probs.device).unsqueeze(-1)).squeeze(-1)  # fmt: skip
        top_p, top_i, p_gold = top_p.cpu().numpy(), top_i.cpu().numpy(), p_gold.cpu().numpy()
        ts = self.tok.token_str
        for r, c in zip(*w.nonzero(), strict=True):
            i = int(sample[r, c])
            if i < 0:
                continue
            steps, backs = self._token_steps(i)
            t = int(token[r, c])
            g = ts(int(gold[r, c]))
            self.rows.append(
                {
                    "train_step": step,
                    "sample_id": self.samples[i].id,
                    "sample_kind": self.samples[i].kind,
                    "token_index": t,
                    "solution_step": steps[t],
                    "in_retraction": backs[t],
                    "token_kind": token_kind(g) if int(gold[r, c]) != self.tok.eos_id else "eos",
                    "gold": g,
                    "p_gold": float(p_gold[r, c]),
                    "gap": float(1.0 - p_gold[r, c]),
                    "top1_ok": int(top_i[r, c, 0]) == int(gold[r, c]),
                    "top_tokens": [ts(int(x)) for x in top_i[r, c]],
                    "top_probs": [float(x) for x in top_p[r, c]],
                }
            )
        if len(self.rows) >= 200_000:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        path = self.folder / f"part-{self.part:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(self.rows, schema=LOG_SCHEMA), path)
        self.part += 1
        self.rows = []

    def close(self) -> None:
        self.flush()
