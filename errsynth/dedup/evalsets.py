"""Reading evaluation sets (JSONL or Parquet) as (id, question) pairs.

The question is the first present field of `question`, `problem` (MATH,
MATH-500), `prompt`, `input`, unless a field is named. The id is the first
present field of `id`, `idx`, `unique_id` (MATH-500), `task_id`, else the row
number; ids are strings, prefixed with the eval set's name so matches from
several sets stay apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

QUESTION_FIELDS = ("question", "problem", "prompt", "input")
ID_FIELDS = ("id", "idx", "unique_id", "task_id")


@dataclass(frozen=True, slots=True)
class EvalSet:
    """Questions of one evaluation set, with ids as `name:id`."""

    name: str
    ids: list[str]
    questions: list[str]


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".parquet":
        yield from pq.read_table(path).to_pylist()
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def _pick(record: dict[str, Any], candidates: tuple[str, ...], named: str | None) -> str | None:
    if named is not None:
        return named if named in record else None
    return next((f for f in candidates if f in record), None)


def load_eval_set(
    path: str | Path,
    *,
    name: str | None = None,
    question_field: str | None = None,
    id_field: str | None = None,
) -> EvalSet:
    """Read an eval file; records without a question are skipped, not fatal."""
    path = Path(path)
    set_name = name or path.stem
    ids: list[str] = []
    questions: list[str] = []
    for row, record in enumerate(_records(path)):
        qf = _pick(record, QUESTION_FIELDS, question_field)
        text = record.get(qf) if qf else None
        if not isinstance(text, str) or not text.strip():
            continue
        idf = _pick(record, ID_FIELDS, id_field)
        rid = record.get(idf) if idf else None
        ids.append(f"{set_name}:{row if rid is None else rid}")
        questions.append(text)
    return EvalSet(set_name, ids, questions)
