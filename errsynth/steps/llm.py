"""The LLM steps (`llm_correct`, `llm_mistake`, `llm_paraphrase`): driver steps over samples.

Each wraps an LLM operator (`transforms.llm`: plan a request per sample, finish a
reply into a sample) and runs it chunk by chunk, resumable, through the cache.
Stage layout is the other stages' (``stages/NN-llm_*/data``, ``rejects``, ``done.json``).
Per chunk: the samples the operator takes are planned into requests, the session
answers them (cache first; each new answer stored the moment it arrives), and the
chunk's output (the input samples when `keep_input`, each followed by the sample
made from it) is written atomically. A killed run resumes at the first unwritten
chunk, and the cache answers every request that had come back, so nothing is sent
twice. The clean parent solutions come from the solution chunks `augment` read
(chunk k of the samples has its parents in solution chunk k; others are looked up).

The stage runs on the driver whatever the engine: HTTP requests are I/O, bounded
by the client's concurrency; the vLLM backend distributes the work itself.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from errsynth.core.atomic import write_json_atomic, write_parquet_atomic
from errsynth.core.chunks import ORDER, Chunk
from errsynth.core.context import RunContext
from errsynth.core.errors import RunError
from errsynth.core.stage import StageDir
from errsynth.llm.cache import ResponseCache
from errsynth.llm.meter import Meter
from errsynth.llm.request import ChatRequest
from errsynth.llm.session import LLMSession, make_backend
from errsynth.schema import CANDIDATE_REJECT_SCHEMA, SAMPLE_SCHEMA
from errsynth.steps.base import SAMPLES, SOLUTIONS, DriverStep, Tables
from errsynth.transforms.llm import LLMCorrect, LLMMistake, LLMParaphrase
from errsynth.transforms.llm.base import Job, LLMOperator, Skip

#: meta and solution hold a chat's conversation and reply (a chat-form sample is rebuilt from them).
PARENT_COLUMNS = [
    *("id", "source", "format", "question", "steps", "answer", "equations"),
    *("meta", "solution"),
]
LOG_EVERY_S = 2.0


class Parents:
    """Clean solution rows by id, read from the solution chunks on demand."""

    def __init__(self, solutions: Sequence[Chunk]) -> None:
        self.solutions = list(solutions)

    def _read(self, chunk: Chunk, ids: set[str]) -> dict[str, dict[str, Any]]:
        names = set(pq.read_schema(chunk.path).names)
        table = chunk.table([c for c in PARENT_COLUMNS if c in names])
        table = table.filter(pc.is_in(table.column("id"), pa.array(sorted(ids), pa.string())))
        return {r["id"]: r for r in table.to_pylist()}

    def lookup(self, k: int, ids: set[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        if not ids:
            return found
        if k < len(self.solutions):
            found.update(self._read(self.solutions[k], ids))
        missing = ids - set(found)
        for j, chunk in enumerate(self.solutions):
            if not missing:
                break
            if j != k:
                got = self._read(chunk, missing)
                found.update(got)
                missing -= set(got)
        return found


def _reject(sample: dict[str, Any], op: LLMOperator, reason: str, detail: str) -> dict[str, Any]:
    return {
        "parent_id": sample["parent_id"],
        "source": sample["source"],
        "transform": op.name,
        "reason": reason,
        "detail": f"sample {sample['id']}: {detail}"[:2000],
    }


class ChunkPlan:
    """The jobs and the plan-time rejects of one chunk."""

    def __init__(
        self, op: LLMOperator, rows: list[dict[str, Any]], parents: Parents, k: int, seed: int
    ):
        self.rows = rows
        self.jobs: dict[int, Job] = {}
        self.rejects: list[tuple[int, dict[str, Any]]] = []
        selected = [i for i, r in enumerate(rows) if op.selected(r, seed)]
        self.selected = len(selected)
        found = parents.lookup(k, {rows[i]["parent_id"] for i in selected})
        for i in selected:
            try:
                self.jobs[i] = op.plan(rows[i], found.get(rows[i]["parent_id"]), seed)
            except Skip as skip:
                self.rejects.append((i, _reject(rows[i], op, skip.reason, skip.detail)))

    def requests(self) -> list[ChatRequest]:
        return [j.request for j in self.jobs.values()]


def _sample_schema() -> pa.Schema:
    return SAMPLE_SCHEMA.append(pa.field(ORDER, pa.int64(), nullable=False))


def _count_selected(op: LLMOperator, chunks: Sequence[Chunk], seed: int) -> int:
    n = 0
    for c in chunks:
        for r in c.table(["id", "kind"]).to_pylist():
            n += op.selected(r, seed)
    return n


def _throttled(log: Callable[[str], None], stage: str) -> Callable[[Meter], None]:
    last = [0.0]
    lock = threading.Lock()

    def on_change(meter: Meter) -> None:
        now = time.monotonic()
        with lock:
            if now - last[0] < LOG_EVERY_S:
                return
            last[0] = now
        log(f"{stage}: {meter.line()}")

    return on_change


def run_chunk(
    op: LLMOperator,
    plan: ChunkPlan,
    session: LLMSession,
    orders: list[int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """(output samples, rejects, stats) of one planned chunk."""
    results = session.run(plan.requests())
    reasons: Counter[str] = Counter()
    rejects_at: dict[int, list[dict[str, Any]]] = {}
    for i, rej in plan.rejects:
        rejects_at.setdefault(i, []).append(rej)
        reasons[rej["reason"]] += 1
    out: list[dict[str, Any]] = []
    emitted = 0
    tokens = Counter()
    cached = 0
    for key_result in {j.request.key: results[j.request.key] for j in plan.jobs.values()}.values():
        tokens["prompt_tokens"] += key_result.prompt_tokens
        tokens["completion_tokens"] += key_result.completion_tokens
        cached += key_result.cached
    rejects: list[dict[str, Any]] = []
    for i, row in enumerate(plan.rows):
        if op.params.keep_input:
            out.append({**row, ORDER: orders[i]})
        job = plan.jobs.get(i)
        if job is not None:
            try:
                new, why = op.outcome(job, results[job.request.key])
            except Exception as exc:  # an operator bug must not lose the sample or stop the run
                new, why = None, ("operator_error", f"{type(exc).__name__}: {exc}")
            if new is not None:
                new[ORDER] = orders[i]
                out.append(new)
                emitted += 1
            else:
                assert why is not None
                reasons[why[0]] += 1
                rejects.append(_reject(row, op, *why))
        rejects.extend(rejects_at.get(i, []))
    stats = {
        "samples_in": len(plan.rows),
        "candidates": plan.selected,
        "emitted": emitted,
        "rejected": sum(reasons.values()),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "requests": len({j.request.key for j in plan.jobs.values()}),
        "cache_hits": cached,
        **tokens,
    }
    return out, rejects, stats


class LLMStep(DriverStep):
    """An LLM operator as a step: samples in, the input samples (`keep_input`) each followed
    by the sample made from it; the clean parents come from the solutions augment read."""

    Operator: ClassVar[type[LLMOperator]]
    reads = frozenset({SAMPLES})
    candidate_rejects = True  # rejects are candidates, not input rows (like augment's)
    reject_schema = CANDIDATE_REJECT_SCHEMA

    def __init__(self, params: Any) -> None:
        self.op = self.Operator(params)
        self.params = self.op.params

    def describe(self) -> dict[str, Any]:
        return self.op.describe()

    def estimate(
        self, ctx: RunContext, stage: StageDir, chunks: list[Chunk], tables: Tables
    ) -> dict[str, Any]:
        return dry_run_stage(ctx, stage.name, self.op, chunks, tables[SOLUTIONS])

    def run(
        self, ctx: RunContext, stage: StageDir, chunks: list[Chunk], tables: Tables
    ) -> dict[str, Any]:
        return run_llm_stage(ctx, stage, self.op, chunks, tables[SOLUTIONS])


class LLMCorrectStep(LLMStep):
    name = LLMCorrect.name
    Params = LLMCorrect.Params
    Operator = LLMCorrect


class LLMMistakeStep(LLMStep):
    name = LLMMistake.name
    Params = LLMMistake.Params
    Operator = LLMMistake


class LLMParaphraseStep(LLMStep):
    name = LLMParaphrase.name
    Params = LLMParaphrase.Params
    Operator = LLMParaphrase


def run_llm_stage(
    ctx: RunContext,
    stage: StageDir,
    op: LLMOperator,
    chunks: Sequence[Chunk],
    solutions: Sequence[Chunk],
) -> dict[str, Any]:
    """The stage's chunks through the session; returns the LLM counts for done.json."""
    seed = ctx.seed
    total = _count_selected(op, chunks, seed)
    advance = ctx.progress(f"{stage.name} requests", total) if ctx.progress else None
    meter = Meter(on_change=_throttled(ctx.log, stage.name))
    client = op.params.client
    cache = ResponseCache(client.cache_path(ctx.out))
    session = LLMSession(
        None,
        cache,
        meter,
        batch_size=client.batch_size,
        on_progress=advance,
        backend_factory=lambda: make_backend(client, op.params.model, meter),
    )
    failed_chunks: list[int] = []
    parents = Parents(solutions)
    try:
        for k in stage.todo(len(chunks)):
            table = chunks[k].table()
            orders = table.column(ORDER).to_pylist()
            rows = table.drop_columns([ORDER]).to_pylist()
            plan = ChunkPlan(op, rows, parents, k, seed)
            if advance:
                advance(len(plan.rejects))
            out, rejects, stats = run_chunk(op, plan, session, orders)
            if client.on_failure == "stop" and stats["rejected_by_reason"].get("request_failed"):
                failed_chunks.append(k)
                continue
            write_parquet_atomic(
                pa.Table.from_pylist(rejects, schema=CANDIDATE_REJECT_SCHEMA),
                stage.rejects_path(k),
            )
            write_json_atomic(stage.stats_path(k), stats)
            write_parquet_atomic(
                pa.Table.from_pylist(out, schema=_sample_schema()), stage.data_path(k)
            )
    finally:
        cache.close()
    ctx.log(f"{stage.name}: {meter.line()}")
    if failed_chunks:
        raise RunError(
            f"{stage.name}: requests failed in {len(failed_chunks)} chunk(s) "
            "(client.on_failure: stop); "
            "run the same command again to retry them: answered requests are cached"
        )
    per: Counter[str] = Counter()
    for st in stage.chunk_stats():
        st.pop("rejected_by_reason")
        per.update(st)
    return {"per_operator": {op.name: dict(sorted(per.items()))}, "llm": meter.as_dict()}


# --- dry run ------------------------------------------------------------------------------


def estimate_tokens(text_chars: int, messages: int) -> int:
    """Prompt tokens, roughly: 4 characters a token plus a few per message (chat framing)."""
    return math.ceil(text_chars / 4) + 4 * messages


def dry_run_stage(
    ctx: RunContext,
    stage: str,
    op: LLMOperator,
    chunks: Sequence[Chunk],
    solutions: Sequence[Chunk],
) -> dict[str, Any]:
    """What the stage would send: requests, those the cache holds, tokens (estimated)."""
    seed = ctx.seed
    parents = Parents(solutions)
    keys: dict[str, ChatRequest] = {}
    candidates = skipped = 0
    for k, chunk in enumerate(chunks):
        table = chunk.table()
        plan = ChunkPlan(op, table.drop_columns([ORDER]).to_pylist(), parents, k, seed)
        candidates += plan.selected
        skipped += len(plan.rejects)
        for r in plan.requests():
            keys.setdefault(r.key, r)
    path = op.params.client.cache_path(ctx.out)
    cached: set[str] = set()
    if path.exists():
        with ResponseCache(path) as cache:
            cached = set(cache.get_many(keys))
    send = [r for k, r in keys.items() if k not in cached]
    prompt_tokens = sum(estimate_tokens(r.prompt_chars(), len(r.messages)) for r in send)
    return {
        "stage": stage,
        "operator": op.name,
        "model": op.params.model,
        "backend": op.params.client.resolved_backend(),
        "samples_in": sum(c.num_rows for c in chunks),
        "candidates": candidates,
        "skipped": skipped,
        "requests": len(keys),
        "cached": len(cached),
        "to_send": len(send),
        "prompt_tokens_est": prompt_tokens,
        "completion_tokens_max": len(send) * op.params.sampling.max_tokens,
        "kinds": list(op.kinds),
    }
