"""``errsynth harvest``: retry samples built from the trained model's own mistakes.

LEMA and "retry upon regret" start from real mistakes. For each iGSM problem the model
writes solutions (the first greedy, the others sampled); the exact checker finds the
first wrong step. When that step defines the wrong parameter (one that is not computable
yet, not needed, or not a parameter of the problem) the mistake is written the paper's
way, ``Define P as BACK.``, into the gold solution at the point where the model made it
(the first gold step by which everything the model had correctly computed is defined),
and the result is checked again (``allow_back``): the answer and every other step stay
right. Mistakes of another kind (the right parameter with a wrong formula or value)
cannot be written in this form; they are counted, not emitted.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import torch

from errsynth.core.errors import Rejection
from errsynth.igsm import check, parse_solution
from errsynth.igsm.context import igsm_context
from errsynth.schema import SAMPLE_SCHEMA
from errsynth.train.data import QUESTION_TEMPLATE, iter_rows
from errsynth.train.heldout_eval import greedy_decode
from errsynth.train.loop import load_run
from errsynth.train.solutions import check_igsm, strip_retractions


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def mistake_kind(reason: str) -> str:
    """A short name for the checker's reason of a first wrong step."""
    for key, name in (
        ("which no earlier step defines", "premature"),
        ("not needed for the query", "not_needed"),
        ("defined twice", "defined_twice"),
        ("not a parameter", "unknown_parameter"),
        ("arithmetic", "arithmetic"),
        ("does not compute the stated formula", "formula"),
        (" instead of ", "wrong_inputs"),
    ):
        if key in reason:
            return name
    return "other"


def retry_from_mistake(
    problem: str, gold_solution: str, answer: str, model_prefix: list[Any], wrong: Any
) -> tuple[str, int, dict[str, Any]] | str:
    """(completion, gold step index, detail) or the reason no sample is made."""
    try:
        ctx = igsm_context({"question": problem, "solution": gold_solution})
    except Rejection as exc:
        return f"gold_unreadable: {exc}"
    done = {s.param for s in model_prefix}
    j = 0
    while j < len(ctx.steps) and not done <= ctx.defined_before(j):
        j += 1
    if not done <= ctx.defined_before(j):
        return "prefix_not_in_gold"
    param = wrong.param
    if param in ctx.defined_before(j):
        return "redefined"
    missing = ctx.missing(param, j)
    needed = {s.param for s in ctx.steps}
    if param in needed and not missing:
        return "right_parameter_wrong_value"  # not a choice mistake: no BACK form
    steps = [s.text for s in ctx.steps]
    head = f"Define {param} as BACK."
    completion = " ".join([*steps[:j], head, *steps[j:]])
    res = check(problem, completion, answer, allow_back=True)
    if not res.ok:
        return f"invalid: {res.reason}"
    detail = {
        "param": param,
        "missing": missing,
        "premature": bool(missing),
        "needed": param in needed,
    }
    return completion, j, detail


def harvest(
    run: str | Path,
    problems: str | Path,
    out: str | Path,
    *,
    n_samples: int = 1,
    temperature: float = 1.0,
    limit: int | None = None,
    seed: int = 0,
    style: str = "igsm",
    device: str = "cpu",
    batch_size: int = 64,
    max_new_tokens: int = 160,
) -> dict[str, Any]:
    if style != "igsm":
        raise ValueError("harvest writes the iGSM form (style igsm) only for now")
    model, tok, _ = load_run(run, device)
    rows = []
    for r in iter_rows([problems], ["problem", "solution", "answer", "op"]):
        if limit is not None and len(rows) >= limit:
            break
        rows.append(r)
    gen = torch.Generator(device=device).manual_seed(seed)
    stats: Counter[str] = Counter()
    out_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    run_name = Path(run).name
    for a in range(0, len(rows), batch_size):
        chunk = rows[a : a + batch_size]
        prompts = [
            tok.encode(QUESTION_TEMPLATE.format(question=r["problem"]).rstrip()) for r in chunk
        ]
        outs: list[list[list[int]]] = [[] for _ in chunk]
        for k in range(n_samples):
            temp = 0.0 if k == 0 else temperature
            for i, o in enumerate(greedy_decode(model, prompts, tok.eos_id, max_new_tokens, device=device, temperature=temp, generator=gen)):  # fmt: skip
                outs[i].append(o)
        for r, gens in zip(chunk, outs, strict=True):
            stats["problems"] += 1
            prompt = QUESTION_TEMPLATE.format(question=r["problem"])
            for k, ids in enumerate(gens):
                stats["generations"] += 1
                g = strip_retractions(tok.decode(ids))
                v = check_igsm(r["problem"], g, str(r["answer"]))
                if v.ok:
                    stats["correct"] += 1
                    continue
                if not v.parsed:
                    stats["unparsable"] += 1
                    continue
                steps = parse_solution(g)
                if v.first_wrong is None or v.first_wrong >= len(steps):
                    stats["incomplete"] += 1
                    continue
                kind = mistake_kind(v.reason)
                stats[f"first_wrong:{kind}"] += 1
                made = retry_from_mistake(r["problem"], r["solution"], str(r["answer"]), steps[: v.first_wrong], steps[v.first_wrong])  # fmt: skip
                if isinstance(made, str):
                    stats[f"skipped:{made.split(':')[0]}"] += 1
                    continue
                completion, j, detail = made
                parent = _hash(r["problem"], r["solution"])
                sid = _hash(parent, "harvest", detail["param"], str(j))
                if sid in seen:
                    stats["duplicate"] += 1
                    continue
                seen.add(sid)
                text = prompt + completion
                head = f"Define {detail['param']} as"
                start = len(prompt) + (completion.index(head + " BACK."))
                end = start + len(head)
                out_rows.append(
                    {
                        "id": sid,
                        "parent_id": parent,
                        "source": f"harvest:{run_name}",
                        "kind": "harvest",
                        "style": "igsm",
                        "question": r["problem"],
                        "text": text,
                        "prompt": prompt,
                        "completion": completion,
                        "messages": None,
                        "answer": str(r["answer"]),
                        "n_errors": 1,
                        "errors": [
                            {
                                "step": j,
                                "kind": "harvest",
                                "wrong_text": head,
                                "start": start,
                                "end": end,
                                "attempt_start": start,
                                "attempt_end": end,
                                "marker_start": end + 1,
                                "marker_end": end + len(" BACK."),
                                "premature": detail["premature"],
                                "finding": f"the model's own step {v.first_wrong + 1}: {v.reason}",
                                "detail": json.dumps(
                                    {**detail, "model_step": steps[v.first_wrong].text},
                                    sort_keys=True,
                                ),
                            }
                        ],
                        "mask_spans": [
                            {"mode": "wrong", "start": start, "end": end},
                            {"mode": "attempt", "start": start, "end": end},
                        ],
                        "meta": json.dumps(
                            {
                                "transform": "harvest",
                                "run": str(run),
                                "sample": k,
                                "temperature": 0.0 if k == 0 else temperature,
                                "mistake": kind,
                            },
                            sort_keys=True,
                        ),
                    }
                )
                stats["emitted"] += 1
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(out_rows, schema=SAMPLE_SCHEMA), out)
    result = dict(sorted(stats.items()))
    # beside the samples, for `errsynth report` (a harvest profile)
    out.with_suffix(".stats.json").write_text(json.dumps(result, indent=2) + "\n")
    result["output"] = str(out)
    return result
