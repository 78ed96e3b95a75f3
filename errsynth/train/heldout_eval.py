"""``errsynth eval``: greedy decoding on held-out problems, answers checked exactly.

For every test row the prompt is rendered with errsynth's question template, the model
continues greedily until ``<eos>``, retracted attempts are removed, and the final answer
is compared with the gold one. iGSM rows are also checked step by step with the exact
checker (``solution_ok``; which step is wrong first, whether each retraction is followed
by a correct step). After ``max_retractions`` retractions the marker tokens are banned,
so a model that keeps retracting must commit to a step.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from errsynth.igsm import IgsmParseError, parse_problem
from errsynth.train.data import QUESTION_TEMPLATE, iter_rows
from errsynth.train.decode import CachedContext, FullContext
from errsynth.train.inputs import check_test_row
from errsynth.train.loop import load_run, pick_device
from errsynth.train.model import GPT
from errsynth.train.solutions import (
    check_igsm,
    count_retractions,
    final_answer,
    retraction_followups,
    strip_retractions,
)
from errsynth.train.taxonomy import FAILURE_KINDS, classify


@dataclass
class TestRow:
    prompt: str
    answer: str
    op: int | None
    problem: str | None  # iGSM problem text, for the exact checker

    @property
    def problem_id(self) -> str:
        """A stable id of the problem (pairs the rows of two runs on the same test set)."""
        return hashlib.sha256(self.prompt.encode()).hexdigest()[:16]


def is_igsm_problem(problem: str | None) -> bool:
    """Whether the exact iGSM checker can read this problem (else: answer-only scoring)."""
    if problem is None:
        return False
    try:
        parse_problem(problem)
    except IgsmParseError:
        return False
    return True


def load_test(path: str | Path, limit: int | None = None) -> list[TestRow]:
    """Generator/corpus rows (problem, answer, op) or sample shards (prompt, answer)."""
    rows = []
    cols = ["problem", "question", "prompt", "answer", "op", "format", "meta"]
    for r in iter_rows([path], cols):
        if limit is not None and len(rows) >= limit:
            break
        if r.get("problem") is not None:
            prompt = QUESTION_TEMPLATE.format(question=r["problem"])
            problem = r["problem"]
        elif r.get("prompt"):
            prompt, problem = r["prompt"], r.get("question")
        elif r.get("question") is not None:
            prompt, problem = QUESTION_TEMPLATE.format(question=r["question"]), r["question"]
        else:
            raise ValueError(f"{path}: a test row needs problem, prompt or question")
        op = r.get("op")
        check_test_row(path, len(rows), r)
        rows.append(
            TestRow(prompt, str(r["answer"]).strip(), int(op) if op is not None else None, problem)
        )
    return rows


def banned_ids(tok: Any, marker: str) -> list[int]:
    """Token ids that open a retraction: the marker and the iGSM word `` BACK``."""
    out = []
    for s in (marker, " " + marker, "BACK", " BACK"):
        ids = tok.encode(s)
        if len(ids) == 1 and ids[0] != getattr(tok, "unk_id", -1):
            out.append(ids[0])
    return sorted(set(out))


@torch.no_grad()
def greedy_decode(
    model: GPT,
    prompts: list[list[int]],
    eos_id: int,
    max_new_tokens: int,
    ban: list[int] | None = None,
    max_retractions: int | None = None,
    device: str | torch.device = "cpu",
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    retract_threshold: float | None = None,
    use_cache: bool = True,
) -> list[list[int]]:
    """Greedy (or, with ``temperature`` > 0, sampled) continuation of each prompt.

    Prompts are left-padded into one batch (positions count from each prompt's first
    token, padded keys are masked); a row stops at ``<eos>``. With ``use_cache`` (the
    default) the keys and values of earlier tokens are cached, so each new token costs
    one position instead of the whole context (:mod:`errsynth.train.decode`); the
    tokens are the same as with full recomputation (``use_cache=False``).

    ``retract_threshold``: a retraction token is only taken when its probability is at
    least this. Plain greedy decoding over-retracts on iGSM retry data: after
    ``Define P as`` the model spreads the fresh variable letter over ~50 letters, so
    ``BACK`` is often the single most likely token while committing is far likelier.
    """
    B = len(prompts)
    T = model.cfg.block_size
    seqs = [[eos_id, *p][-T:] for p in prompts]
    out: list[list[int]] = [[] for _ in range(B)]
    live = list(range(B))
    counts = [0] * B
    ban_t = torch.tensor(ban or [], dtype=torch.long, device=device)
    context = (CachedContext if use_cache else FullContext)(model, eos_id, device)
    for _ in range(max_new_tokens):
        if not live:
            break
        logits = context.logits(seqs, live)
        if ban and retract_threshold is not None:
            p_back = torch.softmax(logits, dim=-1)[:, ban_t].sum(-1)
            low = (p_back < retract_threshold).nonzero().squeeze(1)
            if len(low):
                logits[low.unsqueeze(1), ban_t.unsqueeze(0)] = float("-inf")
        if ban and max_retractions is not None:
            over = torch.tensor([counts[i] >= max_retractions for i in live], device=device)
            if over.any():
                logits[over.nonzero().squeeze(1).unsqueeze(1), ban_t.unsqueeze(0)] = float("-inf")
        if temperature > 0:
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1).tolist()
        else:
            nxt = logits.argmax(-1).tolist()
        still = []
        for i, t in zip(live, nxt, strict=True):
            if t == eos_id:
                continue
            out[i].append(t)
            seqs[i].append(t)
            if ban and t in ban:
                counts[i] += 1
            if len(out[i]) < max_new_tokens:
                still.append(i)
        live = still
    return out


#: Per-row results kept in eval.json: what the paired bootstrap of validate-mix reads.
ROW_KEYS = (
    "id", "op", "answer", "correct", "solution_ok", "failure_type", "retractions", "truncated",
)  # fmt: skip


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def majority_accuracy(answers: list[str]) -> tuple[str | None, float | None]:
    """The best constant answer on these rows, and its accuracy (the majority baseline)."""
    if not answers:
        return None, None
    ans, n = Counter(answers).most_common(1)[0]
    return ans, round(n / len(answers), 4)


def evaluate_run(
    run: str | Path,
    test: str | Path,
    *,
    limit: int | None = None,
    batch_size: int = 64,
    max_new_tokens: int = 160,
    max_retractions: int | None = 4,
    retract_threshold: float | None = None,
    marker: str = "[BACK]",
    device: str = "cpu",
    out: str | Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Evaluate a run on a test file; writes ``eval.json`` and ``eval_rows.parquet`` to ``out``."""
    device = str(pick_device(device))
    model, tok, _ = load_run(run, device)
    rows = load_test(test, limit)
    ban = banned_ids(tok, marker)
    gens: list[str] = []
    cut: list[bool] = []  # decoding stopped at max_new_tokens, not at <eos>
    for a in range(0, len(rows), batch_size):
        chunk = rows[a : a + batch_size]
        prompts = [tok.encode(r.prompt.rstrip()) for r in chunk]
        outs = greedy_decode(
            model, prompts, tok.eos_id, max_new_tokens, ban, max_retractions, device,
            retract_threshold=retract_threshold,
        )  # fmt: skip
        gens.extend(tok.decode(o) for o in outs)
        cut.extend(len(o) >= max_new_tokens for o in outs)
        if on_progress:
            on_progress(len(chunk))
    per_row = []
    for r, g, truncated in zip(rows, gens, cut, strict=True):
        stripped = strip_retractions(g, marker)
        pred = final_answer(stripped)
        rec: dict[str, Any] = {
            "id": r.problem_id,
            "op": r.op,
            "answer": r.answer,
            "pred": pred,
            "correct": pred is not None and pred.strip() == r.answer,
            "retractions": count_retractions(g, marker),
            "generation": g,
            "solution_ok": None,
            "first_wrong": None,
            "reason": None,
            "retractions_judged": 0,
            "retractions_followed_ok": 0,
            "truncated": truncated,
            "failure_type": None,
            "failure_step": None,
            "failure_detail": None,
        }
        if is_igsm_problem(r.problem):
            assert r.problem is not None
            v = check_igsm(r.problem, g.strip(), r.answer)
            rec["solution_ok"] = v.ok
            rec["first_wrong"] = v.first_wrong
            rec["reason"] = v.reason
            rec["retractions_judged"], rec["retractions_followed_ok"] = retraction_followups(v)
            if not v.ok:
                failure = classify(r.problem, g, r.answer, truncated=truncated)
                if failure is None:  # the checker's verdict on the raw text stands
                    rec["failure_type"], rec["failure_detail"] = "other", v.reason
                else:
                    rec["failure_type"] = failure.kind
                    rec["failure_step"] = failure.step
                    rec["failure_detail"] = "; ".join(
                        x for x in (failure.reason, failure.detail) if x
                    )
        per_row.append(rec)
    report = summarize(per_row)
    report["run"] = str(run)
    report["test"] = str(test)
    report["rows"] = [{k: rec[k] for k in ROW_KEYS} for rec in per_row]
    report["settings"] = {
        "max_new_tokens": max_new_tokens,
        "max_retractions": max_retractions,
        "retract_threshold": retract_threshold,
        "marker": marker,
        "banned_tokens": [tok.token_str(i) for i in ban],
    }
    if out is not None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "eval.json").write_text(json.dumps(report, indent=2) + "\n")
        pq.write_table(pa.Table.from_pylist(per_row), out / "eval_rows.parquet")
    return report


def summarize(per_row: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy overall and per op, each beside the majority-answer baseline."""

    def block(rs: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(rs)
        maj, maj_acc = majority_accuracy([r["answer"] for r in rs])
        checked = [r for r in rs if r["solution_ok"] is not None]
        judged = sum(r["retractions_judged"] for r in rs)
        return {
            "n": n,
            "accuracy": _rate(sum(r["correct"] for r in rs), n),
            "majority_answer": maj,
            "majority_accuracy": maj_acc,
            "solution_ok": _rate(sum(bool(r["solution_ok"]) for r in checked), n)
            if checked
            else None,
            "retraction_rate": _rate(sum(r["retractions"] > 0 for r in rs), n),
            "retractions_per_row": round(sum(r["retractions"] for r in rs) / n, 4) if n else None,
            "correct_after_retraction": _rate(
                sum(r["retractions_followed_ok"] for r in rs), judged
            ),
            "retractions_judged": judged,
            "failures_by_type": failure_counts(rs),
        }

    by_op: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in per_row:
        if r["op"] is not None:
            by_op[r["op"]].append(r)
    return {
        "overall": block(per_row),
        "by_op": {str(k): block(v) for k, v in sorted(by_op.items())},
    }


def failure_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows first fail in each way (every kind listed, in FAILURE_KINDS order)."""
    counts = Counter(r.get("failure_type") for r in rows if r.get("failure_type"))
    return {k: counts.get(k, 0) for k in FAILURE_KINDS}


def format_failures(rep: dict[str, Any]) -> str:
    """A table of first-mistake kinds, overall and per op (counts and share of failures)."""
    blocks = [("all", rep["overall"]), *rep["by_op"].items()]
    if not any(sum((b.get("failures_by_type") or {}).values()) for _, b in blocks):
        return "No wrong iGSM solution to classify."
    lines = ["| op | wrong | " + " | ".join(k.replace("_", " ") for k in FAILURE_KINDS) + " |"]
    lines.append("|---|---:|" + "---:|" * len(FAILURE_KINDS))
    for name, b in blocks:
        fb = b.get("failures_by_type") or {}
        total = sum(fb.values())
        cells = [
            f"{fb.get(k, 0)} ({100 * fb.get(k, 0) / total:.0f}%)" if total else "0"
            for k in FAILURE_KINDS
        ]
        lines.append(f"| {name} | {total} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_report(rep: dict[str, Any]) -> str:
    lines = [
        "| op | n | accuracy | majority baseline | solution ok | retracts | ok after retraction |"
    ]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    for name, b in [("all", rep["overall"]), *rep["by_op"].items()]:
        lines.append(
            f"| {name} | {b['n']} | {pct(b['accuracy'])} | {pct(b['majority_accuracy'])} "
            f"({b['majority_answer']}) | {pct(b['solution_ok'])} | {pct(b['retraction_rate'])} | "
            f"{pct(b['correct_after_retraction'])} |"
        )
    lines += ["", "First mistake of each wrong solution (failure taxonomy):", ""]
    lines.append(format_failures(rep))
    probe = rep.get("probe")
    if probe:
        lines += ["", format_probe(probe)]
    return "\n".join(lines)


def format_probe(probe: dict[str, Any]) -> str:
    """One line for the regret probe's result (see errsynth.train.regret_probe)."""
    if probe.get("auc") is None and probe.get("p_marker_after_wrong") is None:
        return f"Regret probe: {probe.get('note', 'no heads to score')}."

    def num(x: float | None) -> str:
        return "–" if x is None else f"{x:.3f}"

    return (
        f"Regret probe ({probe.get('samples', 0)} held-out retry samples, "
        f"{probe.get('wrong_heads', 0)} wrong / {probe.get('right_heads', 0)} right heads): "
        f"p(marker) after a wrong head {num(probe.get('p_marker_after_wrong'))}, "
        f"after a right head {num(probe.get('p_marker_after_right'))}, "
        f"AUC {num(probe.get('auc'))}"
    )


__all__ = [
    "ROW_KEYS",
    "TestRow",
    "asdict",
    "evaluate_run",
    "failure_counts",
    "format_failures",
    "format_probe",
    "format_report",
    "greedy_decode",
    "is_igsm_problem",
    "load_test",
    "summarize",
]
