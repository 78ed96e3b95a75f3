"""A harvest from a corpus into an output directory, chunk by chunk, resumable.

Layout (the run-directory shape of DESIGN.md)::

    OUT/problems/            the corpus read by errsynth's readers (solutions, rejects, manifest)
    OUT/harvest.json         the settings; a second run on OUT with other settings is refused
    OUT/llm_cache.sqlite     every answer, committed as it arrives (client.cache)
    OUT/chunks/NNNNN.json    per chunk: counts and the located first errors (written last)
    OUT/shards/part-NNNNN.parquet   retry samples (SAMPLE_SCHEMA, kind harvest)
    OUT/rejects/part-NNNNN.parquet  every sampled solution that gave no sample, with a reason
    OUT/manifest.json        rows_in (solutions sampled) == rows_out + rows_rejected, ...
    OUT/profile.json|csv|png (--profile)

A chunk is ``chunk_size`` problems: its requests go through one cached session, then its
files are written atomically, the stats file last. Killed at any point and started again,
a run skips finished chunks, and the cache answers every request that had come back, so
nothing is sent twice. Outputs depend only on the answers, not on timing or concurrency.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

import errsynth
from errsynth.core.atomic import write_json_atomic, write_parquet_atomic
from errsynth.core.errors import Rejection
from errsynth.harvest.grading import Graded, grade
from errsynth.harvest.judge import judge_request, judge_verdict
from errsynth.harvest.locate import Located, NotLocated, locate_exact
from errsynth.harvest.locate_igsm import igsm_steps, locate_igsm
from errsynth.harvest.profile_files import write_profile
from errsynth.harvest.retry import CORRECTIONS, KIND, Harvested, sample_for
from errsynth.harvest.sampling import Sampling, dry_run, sample_requests
from errsynth.ingest.run import ingest
from errsynth.llm.cache import ResponseCache
from errsynth.llm.meter import Meter
from errsynth.llm.request import ChatRequest, ChatResult
from errsynth.llm.session import ClientParams, LLMSession, make_backend
from errsynth.mix.writer import file_sha256
from errsynth.render import StyleConfig
from errsynth.render.forms import check_form, style_output_for
from errsynth.schema import CANDIDATE_REJECT_SCHEMA, SAMPLE_SCHEMA


class HarvestError(RuntimeError):
    """A harvest that cannot start or finish; the message says what to do."""


@dataclass(frozen=True)
class HarvestSpec:
    corpus: tuple[str, ...]
    sampling: Sampling
    client: ClientParams = field(default_factory=ClientParams)
    fmt: str = "auto"
    source: str | None = None
    limit: int | None = None
    judge_model: str | None = None
    judge_max_tokens: int = 512
    correction: Literal["continue", "restart", "both"] = "both"
    style: StyleConfig = field(default_factory=StyleConfig)
    form: str = "text"
    annotations: str = "auto"
    chunk_size: int = 256
    profile: bool = False

    def corrections(self) -> tuple[str, ...]:
        return CORRECTIONS if self.correction == "both" else (self.correction,)

    def settings(self) -> dict[str, Any]:
        """What the outputs depend on (transport settings left out)."""
        d = dataclasses.asdict(self)
        client = d.pop("client")
        d["cache_namespace"] = client["cache_namespace"]
        d.pop("profile")
        return json.loads(json.dumps(d, default=str))


def _check_spec(spec: HarvestSpec) -> None:
    if spec.correction not in ("continue", "restart", "both"):
        raise HarvestError(f"--correction must be continue, restart or both; got {spec.correction}")
    try:
        check_form(spec.form, spec.style.name)
    except ValueError as exc:
        raise HarvestError(str(exc)) from None
    if spec.style.output != style_output_for(spec.form):
        raise HarvestError(
            f"form {spec.form} needs style output {style_output_for(spec.form)!r}, not "
            f"{spec.style.output!r} (StyleConfig(name=..., output=style_output_for(form)))"
        )
    if spec.chunk_size < 1:
        raise HarvestError("--chunk-size must be >= 1")


# --- problems ---------------------------------------------------------------------------


def load_problems(spec: HarvestSpec, out: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The corpus as solution rows (read once into OUT/problems), the first `limit`."""
    folder = out / "problems"
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        missing = [p for p in spec.corpus if not Path(p).exists()]
        if missing:
            raise HarvestError(f"corpus not found: {', '.join(missing)}")
        try:
            ingest(list(spec.corpus), folder, fmt=spec.fmt, source=spec.source)
        except ValueError as exc:
            raise HarvestError(f"cannot read the corpus: {exc}") from exc
    manifest = json.loads(manifest_path.read_text())
    table = pq.read_table(folder / "solutions.parquet")
    if spec.limit is not None:
        table = table.slice(0, spec.limit)
    rows = table.to_pylist()
    if not rows:
        raise HarvestError(
            f"no usable problems in {', '.join(spec.corpus)} "
            f"(see {folder / 'rejects.parquet'} for why records were rejected)"
        )
    return rows, manifest


# --- one solution ---------------------------------------------------------------------


def _meta(problem: Mapping[str, Any], k: int, sampling: Sampling, key: str) -> dict[str, Any]:
    return {
        "model": sampling.model,
        "temperature": sampling.temperature,
        "sample_index": k,
        "seed": sampling.seed + k,
        "problem_id": problem["id"],
        "solution_id": f"{problem['id']}:{k}",
        "cache_key": key,
    }


def _reject(problem: Mapping[str, Any], k: int, reason: str, detail: str) -> dict[str, Any]:
    return {
        "parent_id": problem["id"],
        "source": problem["source"],
        "transform": KIND,
        "reason": reason,
        "detail": f"sample {k}: {detail}"[:2000],
    }


def _graded(problem: Mapping[str, Any], result: ChatResult) -> Graded:
    content = result.content or ""
    g = grade(content, problem["answer"])
    if problem.get("format") == "igsm":
        g = dataclasses.replace(g, steps=tuple(igsm_steps(_igsm_body(content))))
    return g


def _igsm_body(content: str) -> str:
    """An iGSM reply without its closing answer line."""
    lines = [ln for ln in content.strip().splitlines() if ln.strip()]
    while lines and lines[-1].lower().lstrip().startswith(("the answer", "answer", "####")):
        lines.pop()
    return " ".join(lines)


def locate(problem: Mapping[str, Any], steps: Sequence[str]) -> Located | NotLocated:
    if problem.get("format") == "igsm":
        return locate_igsm(problem["question"], list(steps), problem["answer"])
    return locate_exact(problem["question"], steps, problem)


# --- a chunk ------------------------------------------------------------------------------


@dataclass
class ChunkOutput:
    samples: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # located first errors
    counts: Counter[str] = field(default_factory=Counter)


def run_chunk(
    spec: HarvestSpec,
    problems: Sequence[Mapping[str, Any]],
    session: LLMSession,
    judge_session: LLMSession | None,
) -> ChunkOutput:
    sampling = spec.sampling
    planned = [(p, sample_requests(p, sampling)) for p in problems]
    results = session.run([r for _, reqs in planned for r in reqs])
    out = ChunkOutput()
    wrong: list[tuple[Mapping[str, Any], int, Graded, str, NotLocated | Located]] = []
    correct_steps: dict[str, tuple[str, ...]] = {}
    graded_all: list[tuple[Mapping[str, Any], int, ChatResult, Graded | None]] = []
    for p, reqs in planned:
        for k, req in enumerate(reqs):
            res = results[req.key]
            g = _graded(p, res) if res.ok else None
            graded_all.append((p, k, res, g))
            if g is not None and g.correct and p["id"] not in correct_steps and g.steps:
                correct_steps[p["id"]] = g.steps
    for p, k, res, g in graded_all:
        out.counts["solutions"] += 1
        if g is None:
            out.counts["request_failed"] += 1
            out.rejects.append(_reject(p, k, "request_failed", res.error or ""))
            continue
        if res.finish_reason == "length" and g.answer is None:
            out.rejects.append(_reject(p, k, "truncated", "cut at max_tokens, no final answer"))
            out.counts["truncated"] += 1
            continue
        if g.correct:
            out.counts["correct"] += 1
            out.rejects.append(_reject(p, k, "correct", "the answer is right: no mistake"))
            continue
        if g.answer is None:
            out.counts["no_answer"] += 1
            out.rejects.append(_reject(p, k, "no_answer", "no final answer found in the reply"))
            continue
        out.counts["wrong"] += 1
        if not g.steps:
            out.rejects.append(_reject(p, k, "no_steps", "the reply has no steps"))
            continue
        wrong.append((p, k, g, res.key, locate(p, g.steps)))
    if judge_session is not None and spec.judge_model:
        jparams = {"temperature": 0.0, "max_tokens": spec.judge_max_tokens, "seed": 0}
        asks = {
            i: judge_request(
                spec.judge_model,
                p["question"],
                p["answer"],
                list(g.steps),
                jparams,
                spec.client.cache_namespace,
            )
            for i, (p, _, g, _, where) in enumerate(wrong)
            if isinstance(where, NotLocated)
        }
        if asks:
            answers = judge_session.run(list(asks.values()))
            for i, req in asks.items():
                p, k, g, key, where = wrong[i]
                verdict = judge_verdict(answers[req.key], len(g.steps), spec.judge_model)
                if isinstance(verdict, NotLocated):  # keep both reasons
                    verdict = NotLocated(verdict.reason, f"{where.detail}; judge: {verdict.detail}")
                wrong[i] = (p, k, g, key, verdict)
    for p, k, g, key, where in wrong:
        if isinstance(where, NotLocated):
            out.counts["unlocated"] += 1
            out.rejects.append(_reject(p, k, where.reason, where.detail))
            continue
        out.counts[f"located_{where.located_by}"] += 1
        meta = {
            **_meta(p, k, sampling, key),
            "model_answer": g.answer,
            "answer_source": g.answer_source,
        }
        out.errors.append(
            {
                "problem_id": p["id"],
                "sample_index": k,
                "kind": where.kind,
                "subkind": where.subkind,
                "step_index": where.step,
                "n_steps": len(g.steps),
                "located_by": where.located_by,
            }
        )
        other = correct_steps.get(p["id"])
        h = Harvested(p, g.steps, where, meta, other)
        reasons = []
        made = 0
        for correction in spec.corrections():
            try:
                out.samples.append(
                    sample_for(
                        h, correction, spec.style, spec.form, spec.annotations, sampling.seed
                    )
                )
                made += 1
            except Rejection as exc:
                reasons.append(f"{correction}: {exc.reason}: {exc.detail}")
                out.counts[f"correction_rejected_{exc.reason}"] += 1
        if made:
            out.counts["harvested"] += 1
        else:
            out.rejects.append(_reject(p, k, "no_valid_correction", " | ".join(reasons)))
    out.counts["samples"] = len(out.samples)
    return out


# --- the whole run --------------------------------------------------------------------------


def _settings_guard(out: Path, spec: HarvestSpec, force: bool) -> None:
    path = out / "harvest.json"
    settings = spec.settings()
    old = json.loads(path.read_text()) if path.exists() else None
    if old is not None and old != settings and not force:
        raise HarvestError(
            f"{out} holds a harvest with other settings; use another -o, or --force to "
            "start it again (the response cache is kept and answers what it can)"
        )
    if force:
        for sub in ("chunks", "shards", "rejects"):
            for f in sorted((out / sub).glob("*")) if (out / sub).exists() else []:
                f.unlink()
        corpus_keys = ("corpus", "fmt", "source")
        if old is not None and any(old.get(k) != settings[k] for k in corpus_keys):
            shutil.rmtree(out / "problems", ignore_errors=True)  # another corpus: read again
    write_json_atomic(path, settings)


def harvest_corpus(
    spec: HarvestSpec,
    out: str | Path,
    *,
    force: bool = False,
    progress: Callable[[str, int | None], Callable[[int], None]] | None = None,
    log: Callable[[str], None] = lambda s: None,
    after_chunk: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) a harvest into `out`; returns the manifest."""
    _check_spec(spec)
    out = Path(out)
    missing = [p for p in spec.corpus if not Path(p).exists()]
    if missing:
        raise HarvestError(f"corpus not found: {', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    _settings_guard(out, spec, force)
    problems, problems_manifest = load_problems(spec, out)
    chunks = [problems[i : i + spec.chunk_size] for i in range(0, len(problems), spec.chunk_size)]
    for sub in ("chunks", "shards", "rejects"):
        (out / sub).mkdir(exist_ok=True)
    meter = Meter()
    cache = ResponseCache(spec.client.cache_path(out))
    total = len(problems) * spec.sampling.samples
    advance = progress("harvest requests", total) if progress else None
    # a chunk's requests in one batch: a batch boundary drains the requests in flight
    batch = max(spec.client.batch_size, spec.chunk_size * spec.sampling.samples)
    session = LLMSession(
        None,
        cache,
        meter,
        batch_size=batch,
        on_progress=advance,
        backend_factory=lambda: make_backend(spec.client, spec.sampling.model, meter),
    )
    judge_session = None
    if spec.judge_model:
        judge_meter = Meter()
        judge_session = LLMSession(
            None,
            cache,
            judge_meter,
            batch_size=batch,
            backend_factory=lambda: make_backend(spec.client, spec.judge_model or "", judge_meter),
        )
    started = time.perf_counter()
    try:
        for n, chunk in enumerate(chunks):
            stats_path = out / "chunks" / f"{n:05d}.json"
            if stats_path.exists():
                if advance:
                    advance(len(chunk) * spec.sampling.samples)
                continue
            result = run_chunk(spec, chunk, session, judge_session)
            write_parquet_atomic(
                pa.Table.from_pylist(result.samples, schema=SAMPLE_SCHEMA),
                out / "shards" / f"part-{n:05d}.parquet",
            )
            write_parquet_atomic(
                pa.Table.from_pylist(result.rejects, schema=CANDIDATE_REJECT_SCHEMA),
                out / "rejects" / f"part-{n:05d}.parquet",
            )
            write_json_atomic(stats_path, {"counts": dict(result.counts), "errors": result.errors})
            log(f"chunk {n + 1}/{len(chunks)}: {meter.line()}")
            if after_chunk:
                after_chunk(n)
    finally:
        cache.close()
    manifest = _manifest(spec, out, len(chunks), problems_manifest, meter)
    manifest["elapsed_s"] = round(time.perf_counter() - started, 3)
    if judge_session is not None:
        manifest["judge_llm"] = judge_session.meter.as_dict()
    if spec.profile:
        records = []
        for n in range(len(chunks)):
            records.extend(json.loads((out / "chunks" / f"{n:05d}.json").read_text())["errors"])
        manifest["profile"] = write_profile(
            out,
            records,
            {
                "model": spec.sampling.model,
                "temperature": spec.sampling.temperature,
                "samples": spec.sampling.samples,
                "corpus": list(spec.corpus),
                "problems": len(problems),
            },
        )
    write_json_atomic(out / "manifest.json", manifest)
    return manifest


def _manifest(
    spec: HarvestSpec,
    out: Path,
    n_chunks: int,
    problems_manifest: Mapping[str, Any],
    meter: Meter,
) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    located: Counter[str] = Counter()
    for n in range(n_chunks):
        st = json.loads((out / "chunks" / f"{n:05d}.json").read_text())
        counts.update(st["counts"])
        for e in st["errors"]:
            kinds[e["kind"]] += 1
            located[e["located_by"]] += 1
    shards, reasons = [], Counter()
    for n in range(n_chunks):
        path = out / "shards" / f"part-{n:05d}.parquet"
        rows = pq.read_metadata(path).num_rows
        if rows:
            shards.append(
                {"path": str(path.relative_to(out)), "rows": rows, "sha256": file_sha256(path)}
            )
        rej = pq.read_table(out / "rejects" / f"part-{n:05d}.parquet", columns=["reason"])
        reasons.update(rej.column("reason").to_pylist())
    rows_in = counts["solutions"]
    rows_out = counts["harvested"]
    rejected = sum(reasons.values())
    if rows_in != rows_out + rejected:
        raise HarvestError(f"accounting: {rows_in} solutions != {rows_out} + {rejected} rejected")
    wrong = counts["wrong"]
    exact = located["exact"] + located["igsm_checker"]
    return {
        "errsynth_version": errsynth.__version__,
        "stage": "harvest",
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_rejected": rejected,
        "rejected_by_reason": dict(sorted(reasons.items())),
        "samples": counts["samples"],
        "per_kind": {KIND: counts["samples"]},
        "shards": shards,
        "solutions": {
            k: counts[k]
            for k in ("solutions", "correct", "wrong", "no_answer", "request_failed", "truncated")
        },
        "located": dict(sorted(located.items())),
        "located_exact_share": round(exact / wrong, 4) if wrong else None,
        "first_error_kinds": dict(sorted(kinds.items())),
        "correction_rejects": {
            k.removeprefix("correction_rejected_"): v
            for k, v in sorted(counts.items())
            if k.startswith("correction_rejected_")
        },
        "problems": {
            "rows_in": problems_manifest.get("rows_in"),
            "rows_out": problems_manifest.get("rows_out"),
            "rows_rejected": problems_manifest.get("rows_rejected"),
            "used": min(spec.limit or 1 << 62, problems_manifest.get("rows_out") or 0),
        },
        "recipe": spec.settings(),
        "seed": spec.sampling.seed,
        "llm": meter.as_dict(),
    }


def plan_dry_run(spec: HarvestSpec, out: str | Path) -> dict[str, Any]:
    """What `harvest_corpus` would send (the corpus is read; nothing is sent)."""
    _check_spec(spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    problems, _ = load_problems(spec, out)
    return dry_run(
        problems,
        spec.sampling,
        spec.client.cache_path(out),
        judge_model=spec.judge_model,
    )


def request_for(problem: Mapping[str, Any], sampling: Sampling, k: int) -> ChatRequest:
    """The request of sample `k` of a problem (for tools and tests)."""
    return sample_requests(problem, sampling)[k]
