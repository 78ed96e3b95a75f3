"""``errsynth harvest``: retry samples built from the trained model's own mistakes.

LEMA and "retry upon regret" start from real mistakes. For each iGSM problem the model
writes solutions (the first greedy, the others sampled); the exact checker finds the
first wrong step, and :mod:`errsynth.train.harvest_retry` writes that mistake into the
gold solution where the model made it, retracted and followed by the right step, and
checks the result again:

* the wrong parameter (not computable yet, not needed, not a parameter of the problem):
  the paper's ``Define P as BACK.``;
* the right parameter with a wrong value or formula (kinds ``arithmetic``, ``copy``,
  ``formula``, ``wrong_inputs``): the model's whole step, in the gold solution's letters,
  then the style's retraction marker (``BACK.`` in the igsm style, ``[BACK]`` in back)
  and the right step.

The stats count first wrong steps by kind (``first_wrong:KIND``), emitted samples by kind
(``emitted:KIND``) and by form (``emitted_form:head|step``), and the reasons nothing was
made (``skipped:REASON``). The form follows what the model could compute: a step with a
wrong formula for a parameter whose inputs the model had not computed yet is a premature
choice (head form), whatever the checker's first complaint about it.
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

from errsynth.igsm import parse_solution
from errsynth.schema import SAMPLE_SCHEMA
from errsynth.train.data import QUESTION_TEMPLATE, iter_rows
from errsynth.train.harvest_retry import HarvestedRetry, mistake_kind, retry_from_mistake
from errsynth.train.heldout_eval import greedy_decode
from errsynth.train.loop import load_run
from errsynth.train.solutions import check_igsm, strip_retractions

__all__ = ["harvest", "mistake_kind", "retry_from_mistake", "sample_row"]

LOCATED_BY = "igsm_checker"  # every first wrong step here is located by the exact checker


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def sample_row(
    made: HarvestedRetry,
    row: dict[str, Any],
    *,
    run: str,
    sample: int,
    temperature: float,
    kind: str,
    model_step: str,
    model_step_index: int,
    reason: str,
    style: str,
) -> dict[str, Any]:
    """One SAMPLE_SCHEMA row of a harvested retry sample."""
    prompt = QUESTION_TEMPLATE.format(question=row["problem"])
    parent = _hash(row["problem"], row["solution"])
    param = made.detail["param"]
    if made.form == "head" and style == "igsm":  # the ids harvest always gave these samples
        sid = _hash(parent, "harvest", param, str(made.at))
    else:
        sid = _hash(parent, "harvest", param, str(made.at), made.form, made.wrong_text, style)
    off = len(prompt)
    start, end = off + made.attempt_start, off + made.attempt_end
    return {
        "id": sid,
        "parent_id": parent,
        "source": f"harvest:{Path(run).name}",
        "kind": "harvest",
        "style": style,
        "question": row["problem"],
        "text": prompt + made.completion,
        "prompt": prompt,
        "completion": made.completion,
        "messages": None,
        "answer": str(row["answer"]),
        "n_errors": 1,
        "errors": [
            {
                "step": made.at,
                "kind": "harvest",
                "wrong_text": made.wrong_text,
                "start": start,
                "end": end,
                "attempt_start": start,
                "attempt_end": end,
                "marker_start": off + made.marker_start,
                "marker_end": off + made.marker_end,
                "premature": made.detail["premature"],
                "finding": f"the model's own step {model_step_index + 1}: {reason}",
                "detail": json.dumps(
                    {**made.detail, "model_step": model_step, "mistake": kind}, sort_keys=True
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
                "sample": sample,
                "temperature": temperature,
                "mistake": kind,
                "form": made.form,
                "located_by": LOCATED_BY,
            },
            sort_keys=True,
        ),
    }


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
    marker: str = "[BACK]",
) -> dict[str, Any]:
    """Decode the run on ``problems``, write retry samples of its mistakes to ``out``.

    ``style``: ``igsm`` (``BACK.``) or ``back`` (``marker`` after the attempt). Returns
    the stats (also written beside ``out`` as ``.stats.json``) and ``output``.
    """
    if style not in ("igsm", "back"):
        raise ValueError(f"harvest writes the igsm or back style, not {style!r}")
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
            for k, ids in enumerate(gens):
                stats["generations"] += 1
                g = strip_retractions(tok.decode(ids), marker)
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
                made = retry_from_mistake(r["problem"], r["solution"], str(r["answer"]), steps[: v.first_wrong], steps[v.first_wrong], style=style, marker=marker)  # fmt: skip
                if isinstance(made, str):
                    stats[f"skipped:{made.split(':')[0]}"] += 1
                    continue
                if made.form == "step" and made.detail["checker_kind"] != kind:
                    stats["skipped:kind_changed"] += 1  # renamed into the gold letters
                    continue
                out_row = sample_row(made, r, run=str(run), sample=k, temperature=0.0 if k == 0 else temperature, kind=kind, model_step=steps[v.first_wrong].text, model_step_index=v.first_wrong, reason=v.reason, style=style)  # fmt: skip
                if out_row["id"] in seen:
                    stats["duplicate"] += 1
                    continue
                seen.add(out_row["id"])
                out_rows.append(out_row)
                stats[f"emitted:{kind}"] += 1
                stats[f"emitted_form:{made.form}"] += 1  # head: Define P as BACK.; step: whole step
                stats["emitted"] += 1
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(out_rows, schema=SAMPLE_SCHEMA), out)
    result = dict(sorted(stats.items()))
    # beside the samples, for `errsynth report` (a harvest profile)
    out.with_suffix(".stats.json").write_text(json.dumps(result, indent=2) + "\n")
    result["output"] = str(out)
    return result
