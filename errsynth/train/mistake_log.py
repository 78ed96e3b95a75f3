"""The Mistake Log (Transformer Copilot's idea): where, during training, the model errs.

Every ``mistake_log.every`` steps the trainer hands the batch's logits to
:class:`MistakeLogger`, which records, for each target token that carries loss in the
first ``max_rows`` sequences: the training step, the sample, the token, the solution step
it belongs to, its kind, ``p(gold)``, the gap ``1 - p(gold)`` (the distance between the
one-hot gold distribution and the prediction, on the gold token) and the top-k
predictions. Rows go to ``RUN/mistake_log/part-NNNNN.parquet``.

:func:`summarize_log` reads it back (used by ``errsynth inspect`` and by the
``igsm_retry`` option ``mistake_log`` that places fake errors where the model errs most).
The reader needs only pyarrow, not torch.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.train.config import MistakeLogConfig

LOG_SCHEMA = pa.schema(
    [
        ("train_step", pa.int32()),
        ("sample_id", pa.string()),
        ("sample_kind", pa.string()),
        ("token_index", pa.int32()),
        ("solution_step", pa.int32()),  # clean step the token belongs to (-1: in the prompt)
        ("in_retraction", pa.bool_()),  # inside a retracted attempt (" Define X as BACK.")
        ("token_kind", pa.string()),
        ("gold", pa.string()),
        ("p_gold", pa.float32()),
        ("gap", pa.float32()),  # 1 - p(gold)
        ("top1_ok", pa.bool_()),
        ("top_tokens", pa.list_(pa.string())),
        ("top_probs", pa.list_(pa.float32())),
    ]
)

_STEP_START = re.compile(r"(?:^|(?<=[.;!?\n]))\s*(?=Define\b)|(?<=[.!?])\s+(?=[A-Z])|\n+")
_BACK_STEP = re.compile(r"^\s*Define [^.;]*? as BACK\.")


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


def log_files(path: str | Path) -> list[Path]:
    p = Path(path)
    if p.is_file():
        return [p]
    if (p / "mistake_log").is_dir():
        p = p / "mistake_log"
    return sorted(p.glob("part-*.parquet"))


def is_mistake_log(path: str | Path) -> bool:
    files = log_files(path)
    return bool(files) and "gap" in pq.read_schema(files[0]).names


def read_log(path: str | Path, last: float = 0.25) -> pa.Table:
    """The logged rows of the last ``last`` fraction of logged training steps."""
    files = log_files(path)
    if not files:
        raise FileNotFoundError(f"{path}: no mistake log (part-*.parquet)")
    table = pa.concat_tables(pq.read_table(f) for f in files)
    steps = sorted(set(table.column("train_step").to_pylist()))
    if last < 1.0 and steps:
        cut = steps[min(len(steps) - 1, int(len(steps) * (1 - last)))]
        table = table.filter(pa.compute.greater_equal(table.column("train_step"), cut))
    return table


def summarize_log(path: str | Path, last: float = 0.25) -> dict[str, Any]:
    """Mean gap and top-1 error by solution step, by token kind, and their cross table."""
    table = read_log(path, last)
    rows = table.select(
        [
            "train_step",
            "solution_step",
            "in_retraction",
            "token_kind",
            "gap",
            "top1_ok",
            "gold",
            "top_tokens",
        ]
    ).to_pylist()

    def agg(key) -> dict[Any, dict[str, float]]:
        acc: dict[Any, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        for r in rows:
            k = key(r)
            if k is None:
                continue
            a = acc[k]
            a[0] += 1
            a[1] += r["gap"]
            a[2] += not r["top1_ok"]
        return {
            k: {"n": a[0], "mean_gap": a[1] / a[0], "top1_error": a[2] / a[0]}
            for k, a in sorted(acc.items(), key=lambda kv: str(kv[0]))
        }

    clean = lambda r: None if r["in_retraction"] or r["solution_step"] < 0 else r  # noqa: E731
    by_step = agg(lambda r: r["solution_step"] if clean(r) else None)
    by_kind = agg(lambda r: r["token_kind"] if clean(r) else None)
    cross = agg(lambda r: (r["solution_step"], r["token_kind"]) if clean(r) else None)
    retraction = agg(lambda r: "in_retraction" if r["in_retraction"] else None)
    confusions: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        if clean(r) and not r["top1_ok"] and r["token_kind"] != "variable":  # letters: random
            confusions[(r["gold"], r["top_tokens"][0])] += 1
    steps = sorted(set(table.column("train_step").to_pylist()))
    return {
        "train_steps": [steps[0], steps[-1]] if steps else [],
        "tokens": len(rows),
        "by_step": {int(k): v for k, v in by_step.items()},
        "by_kind": by_kind,
        "by_step_kind": {f"{k[0]}:{k[1]}": v for k, v in cross.items()},
        "retraction": retraction.get("in_retraction"),
        "confusions": sorted(confusions.items(), key=lambda kv: -kv[1])[:10],
    }


DECISION_KINDS = ("name", "number")


def step_weights(
    path: str | Path,
    last: float = 0.25,
    floor: float = 0.1,
    kinds: tuple[str, ...] = DECISION_KINDS,
) -> list[float]:
    """Per clean solution step, how much the logged model errs there, normalized to mean 1.

    Weight of step i ∝ the mean gap of step i's tokens of the given kinds (by default the
    parameter names and numbers, where a step's decisions are; the fresh variable letters
    are random by design and would only add noise), floored at ``floor`` times the mean
    so no step is never chosen. Steps past the last logged one use the last weight.
    """
    cross = summarize_log(path, last)["by_step_kind"]
    acc: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, v in cross.items():
        step, _, kind = key.partition(":")
        if kind in kinds:
            acc[int(step)][0] += v["mean_gap"] * v["n"]
            acc[int(step)][1] += v["n"]
    if not acc:
        raise ValueError(f"{path}: the mistake log has no {'/'.join(kinds)} tokens in solutions")
    n = max(acc) + 1
    gaps = [acc[i][0] / acc[i][1] if acc.get(i) and acc[i][1] else 0.0 for i in range(n)]
    mean = sum(gaps) / n or 1.0
    w = [max(g / mean, floor) for g in gaps]
    z = sum(w) / n
    return [x / z for x in w]


def render_summary(path: str | Path, last: float = 0.25) -> Any:
    """Rich renderables: where the logged model errs, by step position and token kind."""
    from rich.console import Group
    from rich.table import Table

    s = summarize_log(path, last)
    kinds = list(s["by_kind"])
    t = Table(
        title=f"Mistake Log {path}: train steps {s['train_steps']}, {s['tokens']:,} solution "
        "tokens. all: mean 1-p(gold) / top-1 error; per kind: mean 1-p(gold)"
    )
    t.add_column("step")
    t.add_column("all", justify="right")
    for k in kinds:
        t.add_column(k, justify="right")
    for step, v in s["by_step"].items():
        cells = []
        for k in kinds:
            c = s["by_step_kind"].get(f"{step}:{k}")
            cells.append(f"{c['mean_gap']:.2f}" if c else "")
        t.add_row(str(step), f"{v['mean_gap']:.2f} / {v['top1_error']:.0%} (n={v['n']})", *cells)
    parts: list[Any] = [t]
    if s["retraction"]:
        r = s["retraction"]
        parts.append(f"inside retracted attempts: mean gap {r['mean_gap']:.2f}, top-1 error {r['top1_error']:.0%} (n={r['n']})")  # fmt: skip
    if s["confusions"]:
        c = Table(title="most frequent top-1 confusions, variable letters aside (gold → predicted)")
        c.add_column("gold")
        c.add_column("predicted")
        c.add_column("count", justify="right")
        for (g, p), n in s["confusions"]:
            c.add_row(repr(g), repr(p), str(n))
        parts.append(c)
    return Group(*parts)


def log_trained_model(
    run: str | Path,
    out: str | Path,
    data: list[str | Path] | None = None,
    batches: int = 20,
    cfg: MistakeLogConfig | None = None,
) -> Path:
    """A Mistake Log of a finished run's model over ``batches`` of its training data.

    The in-training log shows how the model errs while it learns; this one, written to
    ``out`` (a folder), shows where the trained model still errs (what the ``mistake_log``
    placement of ``igsm_retry`` wants). ``train_step`` is the run's final step.
    """
    import json

    import torch

    from errsynth.train.config import TrainConfig
    from errsynth.train.data import BlockStream, encode_sample, load_samples
    from errsynth.train.loop import load_run

    model, tok, meta = load_run(run)
    tc = TrainConfig.from_dict(meta["train"])
    samples = load_samples(data or meta["data"])
    encoded = [encode_sample(tok, s, tc.loss_on, tc.mask) for s in samples]
    stream = BlockStream(encoded, tc.model.block_size, tc.batch_size, tc.seed + 1, tok.eos_id)
    step = json.loads((Path(run) / "summary.json").read_text())["steps"]
    logger = MistakeLogger(Path(out), cfg or MistakeLogConfig(every=1), tok, samples, encoded)
    with torch.no_grad():
        for b in range(batches):
            batch = stream.batch(b)
            logits = model(torch.from_numpy(batch["ids"][:, :-1]).long())
            logger.record(step, logits, batch)
    logger.close()
    return Path(out)
