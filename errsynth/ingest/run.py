"""Ingest input files into a solutions table, a rejects table and a manifest.

Nothing is lost silently: every record read becomes either a solution row or a
rejection with a reason, so `rows_in == rows_out + rows_rejected` always holds
(an empty or unreadable file counts as one rejected record).
"""

from __future__ import annotations

import itertools
import json
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import errsynth
from errsynth.core.atomic import write_json_atomic
from errsynth.core.sink import ParquetSink
from errsynth.ingest.base import READERS, Parsed, ReaderOptions, Reject, stable_id
from errsynth.ingest.numberflow import arithmetic_flow
from errsynth.ingest.readers import CHAT_FORMATS, ensure_registered
from errsynth.ingest.records import (
    DEFAULT_MAX_RECORD_BYTES,
    RawLine,
    RawRecord,
    decoded,
    expand_inputs,
    raw_text,
    read_items,
)
from errsynth.ingest.segment import self_correction_steps
from errsynth.schema import REJECT_SCHEMA, SOLUTION_SCHEMA

DETECT_PEEK = 50
PARSE_BATCH = 1000  # records per parse_batch call (and per progress update)


class FormatError(ValueError):
    """The input's format could not be told; the message says what to pass instead."""


def detect_format(records: list[RawRecord], path: str) -> str:
    """The first reader that recognises the first readable records of a file."""
    ensure_registered()
    good = [r.data for r in records if r.ok and r.data is not None]
    if not good:
        return "jsonl"  # nothing readable: every record is rejected anyway
    order = ("igsm", "gsm8k", "math", "metamath", "steps", *CHAT_FORMATS)
    for name in order:
        reader = READERS[name]
        hits = sum(1 for rec in good if reader.detect(rec))
        if hits * 2 > len(good):
            return name
    fields = sorted({k for rec in good for k in rec})[:20]
    raise FormatError(
        f"{path}: cannot tell the format from its fields {fields}. "
        "Pass --format NAME, or --format jsonl with a field map such as "
        "--field question=prompt --field solution=output [--field answer=gold]."
    )


@dataclass
class IngestStats:
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    per_format: Counter[str] = field(default_factory=Counter)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    equations: Counter[str] = field(default_factory=Counter)  # ok / wrong / unjudged
    files: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    def as_manifest(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_rejected": self.rows_rejected,
            "per_format": dict(sorted(self.per_format.items())),
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "equations": dict(sorted(self.equations.items())),
            "files": self.files,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def solution_row(parsed: Parsed, source: str, fmt: str) -> dict[str, Any]:
    """The full solution row: id, number flow (unless the reader knew it) and JSON meta."""
    if parsed.produces is None or parsed.uses is None:
        produces, uses = arithmetic_flow(parsed.question, parsed.steps, parsed.equations)
    else:
        produces, uses = parsed.produces, parsed.uses
    return {
        "id": stable_id(source, parsed.question, parsed.solution),
        "source": source,
        "format": fmt,
        "question": parsed.question,
        "solution": parsed.solution,
        "steps": parsed.steps,
        "answer": parsed.answer,
        "equations": parsed.equations,
        "produces": produces,
        "uses": uses,
        "self_corrections": parsed.self_corrections
        if parsed.self_corrections is not None
        else self_correction_steps(parsed.steps),
        "meta": json.dumps(parsed.meta, ensure_ascii=False, sort_keys=True, default=str),
    }


def reject_row(
    record: RawRecord, fmt: str | None, reason: str, detail: str | None
) -> dict[str, Any]:
    return {
        "file": record.file,
        "record": record.index,
        "format": fmt,
        "reason": reason,
        "detail": detail,
        "raw": raw_text(record),
    }


def parse_record(
    record: RawRecord, fmt: str, source: str, options: ReaderOptions
) -> dict[str, Any]:
    """One record to one solution row; raises Reject with the reason otherwise."""
    if not record.ok or record.data is None:
        raise Reject(record.reason or "unreadable", record.detail or "")
    try:
        parsed = READERS[fmt].parse(record.data, options)
    except Reject:
        raise
    except Exception as exc:  # a reader bug must not lose the row or stop the run
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise Reject(
            "reader_error",
            f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})",
        ) from exc
    return solution_row(parsed, source, fmt)


def check_format(fmt: str, where: str = "") -> None:
    """A clear FormatError for a format name no reader has (`where`: a message prefix)."""
    ensure_registered()
    if fmt != "auto" and fmt not in READERS:
        raise FormatError(
            f"{where}unknown format {fmt!r}; choose from auto, {', '.join(sorted(READERS))}"
        )


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of `size` items (the last one shorter); itertools.batched is 3.12+."""
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


@dataclass
class ParsedBatch:
    """Solution rows and rejections of a batch of records, with their counters."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)  # batch position of each row's record
    rejects: list[dict[str, Any]] = field(default_factory=list)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    equations: Counter[str] = field(default_factory=Counter)  # ok / wrong / unjudged


def parse_batch(
    records: Iterable[RawRecord], fmt: str, source: str, options: ReaderOptions
) -> ParsedBatch:
    """Parse records in order: each becomes a solution row or a rejection with a reason.

    A pure function of its inputs, so batches of one file can be parsed anywhere
    (another process, a Ray task) and concatenated in order to the serial result.
    """
    out = ParsedBatch()
    for k, record in enumerate(records):
        try:
            row = parse_record(record, fmt, source, options)
        except Reject as rej:
            out.rejects.append(reject_row(record, fmt, rej.reason, rej.detail))
            out.rejected_by_reason[rej.reason] += 1
        else:
            out.rows.append(row)
            out.accepted.append(k)
            for eq in row["equations"]:
                out.equations[{True: "ok", False: "wrong", None: "unjudged"}[eq["ok"]]] += 1
    return out


def file_records(
    path: Path, fmt: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> tuple[str, Iterator[RawRecord]]:
    """The file's format (detected from its first records when `auto`) and all its records."""
    chosen, items = file_items(path, fmt, max_record_bytes)
    return chosen, (decoded(item, max_record_bytes) for item in items)


def file_items(
    path: Path, fmt: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> tuple[str, Iterator[RawRecord | RawLine]]:
    """`file_records` with JSONL lines left undecoded (decoded where they are parsed)."""
    it = read_items(path, max_record_bytes=max_record_bytes)
    head: list[RawRecord | RawLine] = []
    for item in it:
        head.append(item)
        if len(head) >= DETECT_PEEK:
            break
    if fmt == "auto":
        chosen = detect_format([decoded(x, max_record_bytes) for x in head], str(path))
    else:
        chosen = fmt

    def chain() -> Iterator[RawRecord | RawLine]:
        yield from head
        yield from it

    return chosen, chain()


def ingest(
    inputs: list[str | Path],
    out_dir: str | Path,
    *,
    fmt: str = "auto",
    source: str | None = None,
    field_map: Mapping[str, str] | None = None,
    evaluate: bool = True,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    batch_rows: int = 4096,
    on_format: Callable[[Path, str], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IngestStats:
    """Read `inputs` and write `solutions.parquet`, `rejects.parquet`, `manifest.json` to `out_dir`."""
    check_format(fmt)
    options = ReaderOptions(field_map=dict(field_map or {}), evaluate=evaluate)
    files = expand_inputs(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stats = IngestStats()
    started = time.perf_counter()
    solutions = ParquetSink(out / "solutions.parquet", SOLUTION_SCHEMA, batch_rows)
    rejects = ParquetSink(out / "rejects.parquet", REJECT_SCHEMA, batch_rows)
    try:
        for path in files:
            chosen, records = file_records(path, fmt, max_record_bytes)
            if on_format:
                on_format(path, chosen)
            label = source or chosen
            file_stats = {
                "path": str(path),
                "format": chosen,
                "rows_in": 0,
                "rows_out": 0,
                "rows_rejected": 0,
            }
            for batch in batched(records, PARSE_BATCH):
                parsed = parse_batch(batch, chosen, label, options)
                solutions.extend(parsed.rows)
                rejects.extend(parsed.rejects)
                file_stats["rows_in"] += len(batch)
                file_stats["rows_out"] += len(parsed.rows)
                file_stats["rows_rejected"] += len(parsed.rejects)
                stats.rejected_by_reason.update(parsed.rejected_by_reason)
                stats.equations.update(parsed.equations)
                if on_progress:
                    on_progress(len(batch))
            stats.rows_in += file_stats["rows_in"]
            stats.rows_out += file_stats["rows_out"]
            stats.rows_rejected += file_stats["rows_rejected"]
            stats.per_format[chosen] += file_stats["rows_out"]
            stats.files.append(file_stats)
        solutions.close()
        rejects.close()
    except BaseException:
        solutions.abort()
        rejects.abort()
        raise
    stats.elapsed_s = time.perf_counter() - started
    manifest = {
        "errsynth_version": errsynth.__version__,
        "stage": "ingest",
        "format": fmt,
        "source": source,
        "field_map": dict(field_map or {}),
        **stats.as_manifest(),
        "outputs": {"solutions": "solutions.parquet", "rejects": "rejects.parquet"},
    }
    write_json_atomic(out / "manifest.json", manifest)
    return stats
