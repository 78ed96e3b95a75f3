"""Training data from errsynth's Parquet shards, packed into fixed-length blocks.

A path is a Parquet file, a directory of them, or a run directory (its ``shards/``).
Each row gives ``text``, or ``prompt`` + ``completion`` (``text`` is their concatenation
in errsynth's shards), or, for generator/corpus files, ``problem`` + ``solution``
(rendered with errsynth's question template). Every sample is tokenized once as
``text <eos>``; a block starts with ``<eos>``, so every sample follows an ``<eos>``; samples are packed whole (never split across
blocks) into blocks of ``block_size + 1`` tokens, in a seeded order per epoch, padded
with ``<eos>`` that carries no loss. Batch ``s`` depends only on (seed, s), which is
what makes a resumed run see exactly the batches the uninterrupted run would.

Documents in a block: the model's input is ``ids[:, :-1]`` and input position ``j``
predicts ``ids[j + 1]``; it belongs to the document of its target (``sample[:, 1:]``),
so a sample's document is the ``<eos>`` before it and its tokens but its own closing
``<eos>`` (:func:`input_documents`). Padding forms one document of its own (-1).

Token counts per batch: *real* tokens are targets that belong to a sample (its text and
closing ``<eos>``, loss-carrying or not), the rest of the block is padding; *correct-step*
tokens are the loss-carrying targets of the solution outside retracted attempts (a wrong
attempt and its retraction marker).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from errsynth.render.config import StyleConfig
from errsynth.train.inputs import TrainInputError, parquet_rows

QUESTION_TEMPLATE = StyleConfig().question_template


def parquet_files(path: str | Path) -> list[Path]:
    p = Path(path)
    if p.is_file():
        return [p]
    if (p / "shards").is_dir():
        p = p / "shards"
    files = sorted(p.glob("*.parquet"))
    if not files:
        raise TrainInputError(f"{path}: no Parquet files (*.parquet) in it")
    return files


def iter_rows(
    paths: list[str | Path], columns: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    for path in paths:
        for f in parquet_files(path):
            yield from parquet_rows(f, columns)  # not Parquet, non-text columns: clear errors


@dataclass
class Sample:
    id: str
    kind: str
    text: str
    prompt_len: int  # characters of text that are the prompt (0: no prompt)
    mask_spans: list[tuple[str, int, int]]
    answer: str = ""
    # char spans of retracted attempts, each with its retraction marker: not correct steps
    retracted: list[tuple[int, int]] = field(default_factory=list)


# the retraction markers of errsynth's igsm and back styles, for shards without `errors`
_MARKER_AFTER_ATTEMPT = re.compile(r"\s*(?:BACK\.|\[BACK\])")


def retracted_spans(row: dict[str, Any], text: str) -> list[tuple[int, int]]:
    """Each wrong attempt with its marker: ``errors`` (attempt_start..marker_end) when the
    row has them, else the ``attempt`` mask spans extended over an igsm/back marker."""
    out = []
    for e in row.get("errors") or []:
        a, b = e.get("attempt_start"), e.get("marker_end")
        if a is not None and b is not None and 0 <= a <= b:
            out.append((int(a), int(b)))
    if out:
        return out
    for s in row.get("mask_spans") or []:
        if s["mode"] == "attempt":
            m = _MARKER_AFTER_ATTEMPT.match(text, s["end"])
            out.append((s["start"], m.end() if m else s["end"]))
    return out


def sample_of(row: dict[str, Any], i: int) -> Sample:
    """One training sample from a shard row (or a generator row)."""
    spans = [(s["mode"], s["start"], s["end"]) for s in row.get("mask_spans") or []]
    sid = str(row.get("id") or i)
    kind = str(row.get("kind") or "clean")
    if row.get("prompt") is not None and row.get("completion") is not None:
        prompt, completion = row["prompt"], row["completion"]
        text = row.get("text") or prompt + completion
        back = retracted_spans(row, text)
        if text != prompt + completion:  # spans index text; keep it and find the prompt
            cut = len(prompt) if text.startswith(prompt) else 0
            return Sample(sid, kind, text, cut, spans, retracted=back)
        return Sample(sid, kind, text, len(prompt), spans, str(row.get("answer") or ""), back)
    if row.get("text") is not None:
        text = row["text"]
        back = retracted_spans(row, text)
        return Sample(sid, kind, text, 0, spans, str(row.get("answer") or ""), back)
    if row.get("problem") is not None and row.get("solution") is not None:
        prompt = QUESTION_TEMPLATE.format(question=row["problem"])
        return Sample(sid, kind, prompt + row["solution"], len(prompt), [], str(row["answer"]))
    raise ValueError("a row needs text, prompt+completion, or problem+solution")


SAMPLE_COLUMNS = [
    "id",
    "kind",
    "text",
    "prompt",
    "completion",
    "mask_spans",
    "errors",
    "answer",
    "problem",
    "solution",
]


def load_samples(paths: list[str | Path], limit: int | None = None) -> list[Sample]:
    out = []
    for i, row in enumerate(iter_rows(paths, SAMPLE_COLUMNS)):
        if limit is not None and i >= limit:
            break
        out.append(sample_of(row, i))
    return out


@dataclass
class Encoded:
    """One tokenized sample: ids (text then ``<eos>``) and the loss weight of each id."""

    ids: np.ndarray
    loss: np.ndarray  # 1 where the token is a target that counts
    starts: np.ndarray  # char offset of each token in text (-1 for the final eos)
    correct: np.ndarray | None = None  # 1: a loss-carrying token of a correct step


def _overlapping(begins: np.ndarray, ends: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    hit = np.zeros(len(begins), dtype=bool)
    for a, b in spans:
        hit |= (begins < b) & (ends > a)
    return hit


def input_documents(sample: np.ndarray) -> np.ndarray:
    """Document ids (B, block_size) of the model's input ``ids[:, :-1]`` of a batch.

    ``sample`` is the batch's (B, block_size + 1) sample index; an input token belongs to
    the document of the token it predicts, so a sample's document starts at the ``<eos>``
    before it; padding is document -1.
    """
    return sample[:, 1:]


def encode_sample(tok: Any, s: Sample, loss_on: str = "all", mask: str = "none") -> Encoded:
    ids, starts = tok.encode_with_offsets(s.text)
    n = len(ids)
    loss = np.ones(n + 1, dtype=np.uint8)
    st = np.asarray([*starts, -1], dtype=np.int32)
    ends = np.asarray([*starts[1:], len(s.text)], dtype=np.int64)
    begins = np.asarray(starts, dtype=np.int64)
    # a token is part of the completion when it reaches past the prompt's last non-space
    # character, so " Define" after "Answer: " is the first completion token (as at
    # decode time)
    prompt = ends <= len(s.text[: s.prompt_len].rstrip()) if s.prompt_len else None
    if loss_on == "completion" and prompt is not None:
        loss[:n][prompt] = 0
    if mask != "none" and s.mask_spans:
        loss[:n][_overlapping(begins, ends, [(a, b) for m, a, b in s.mask_spans if m == mask])] = 0
    correct = loss.copy()
    if prompt is not None:
        correct[:n][prompt] = 0
    correct[:n][_overlapping(begins, ends, s.retracted)] = 0
    return Encoded(np.asarray([*ids, tok.eos_id], dtype=np.int32), loss, st, correct)


class BlockStream:
    """Seeded, packed, epoch-wise batches; ``batch(step)`` is a pure function of step."""

    def __init__(
        self, encoded: list[Encoded], block_size: int, batch_size: int, seed: int, eos_id: int
    ) -> None:
        if not encoded:
            raise ValueError("no training samples")
        self.enc = encoded
        self.T = block_size
        self.B = batch_size
        self.seed = seed
        self.eos = eos_id
        self.truncated = sum(1 for e in encoded if len(e.ids) > block_size)
        # tokens of one pass over the data (a truncated sample counts what is kept)
        self.data_tokens = sum(min(len(e.ids), block_size) for e in encoded)
        self._epochs: dict[int, dict[str, np.ndarray]] = {}
        self._batches_per_epoch: list[int] = []
        self._real: list[np.ndarray] = []  # per epoch: real target tokens of each batch
        self._correct: list[np.ndarray] = []  # per epoch: correct-step tokens of each batch

    def _pack(self, epoch: int) -> dict[str, np.ndarray]:
        if epoch in self._epochs:
            return self._epochs[epoch]
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.enc))
        L = self.T + 1
        blocks: list[list[int]] = []
        cur: list[int] = []
        used = 1  # position 0 of every block is an <eos>
        for i in order:
            n = min(len(self.enc[i].ids), L - 1)  # the sample and its closing <eos>
            if used + n > L:
                blocks.append(cur)
                cur, used = [], 1
            cur.append(int(i))
            used += n
        if cur:
            blocks.append(cur)
        if len(blocks) < self.B:
            raise ValueError(
                f"{len(blocks)} blocks of {self.T} tokens per epoch: fewer than the batch size"
            )
        nb = len(blocks) - len(blocks) % self.B  # whole batches only
        ids = np.full((nb, L), self.eos, dtype=np.int32)
        loss = np.zeros((nb, L), dtype=np.uint8)
        sidx = np.full((nb, L), -1, dtype=np.int32)
        tidx = np.full((nb, L), -1, dtype=np.int32)
        correct = np.zeros((nb, L), dtype=np.uint8)
        for b, members in enumerate(blocks[:nb]):
            pos = 1
            for i in members:
                e = self.enc[i]
                n = min(len(e.ids), L - pos)
                # the weights label each token as a target (the model predicts ids[j] from
                # ids[:j]); a sample's closing <eos> opens the next one
                ids[b, pos : pos + n] = e.ids[:n]
                loss[b, pos : pos + n] = e.loss[:n]
                sidx[b, pos : pos + n] = i
                tidx[b, pos : pos + n] = np.arange(n)
                if e.correct is not None:
                    correct[b, pos : pos + n] = e.correct[:n]
                pos += n
        packed = {"ids": ids, "loss": loss, "sample": sidx, "token": tidx, "correct": correct}
        self._epochs = {epoch: packed}  # keep one epoch in memory
        if epoch == len(self._real):
            per = (nb // self.B, self.B * self.T)
            self._real.append((sidx[:, 1:] >= 0).reshape(per).sum(1, dtype=np.int64))
            self._correct.append(correct[:, 1:].reshape(per).sum(1, dtype=np.int64))
        return packed

    def _locate(self, step: int) -> tuple[int, int]:
        while True:
            cum = np.cumsum(self._batches_per_epoch).tolist() if self._batches_per_epoch else []
            if cum and step < cum[-1]:
                e = bisect.bisect_right(cum, step)
                before = cum[e - 1] if e else 0
                return e, step - before
            e = len(self._batches_per_epoch)
            self._batches_per_epoch.append(len(self._pack(e)["ids"]) // self.B)

    def batch(self, step: int) -> dict[str, np.ndarray]:
        """Arrays of shape (B, block_size + 1): ids, loss weights, sample and token index."""
        e, k = self._locate(step)
        p = self._pack(e)
        sl = slice(k * self.B, (k + 1) * self.B)
        return {name: arr[sl] for name, arr in p.items()}

    def epoch_of(self, step: int) -> int:
        return self._locate(step)[0]

    def _epoch_stats(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        while len(self._real) <= epoch:
            self._locate(sum(self._batches_per_epoch))  # packs the next epoch
        return self._real[epoch], self._correct[epoch]

    def steps_for_tokens(self, budget: int) -> int:
        """The fewest steps whose batches hold at least ``budget`` real (non-padding) tokens."""
        if budget <= 0:
            raise ValueError("the token budget must be > 0")
        before_steps, before_tokens, e = 0, 0, 0
        while True:
            real, _ = self._epoch_stats(e)
            cum = np.cumsum(real)
            if before_tokens + int(cum[-1]) >= budget:
                return before_steps + int(np.searchsorted(cum, budget - before_tokens)) + 1
            before_steps += len(real)
            before_tokens += int(cum[-1])
            e += 1

    def counts(self, steps: int) -> dict[str, float]:
        """What the first ``steps`` batches held: real, padding and correct-step tokens, and
        the data passes (real tokens over the tokens of one pass over the data)."""
        real = correct = 0
        left, e = steps, 0
        while left > 0:
            r, c = self._epoch_stats(e)
            real += int(r[:left].sum())
            correct += int(c[:left].sum())
            left -= len(r)
            e += 1
        return {
            "tokens_real": real,
            "tokens_padded": steps * self.B * self.T - real,
            "correct_step_tokens": correct,
            "epochs": round(real / self.data_tokens, 4),
        }

    def pad_fraction(self) -> float:
        p = self._pack(0)
        used = (p["sample"] >= 0).sum()
        return float(1 - used / p["sample"].size)
