"""Reading evaluation sets (JSONL or Parquet) as (id, question) pairs.

The question is the first present field of `question`, `problem` (MATH,
MATH-500), `prompt`, `input`, unless a field is named. The id is the first
present field of `id`, `idx`, `unique_id` (MATH-500), `task_id`, else the row
number; ids are strings, prefixed with the eval set's name so matches from
several sets stay apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from errsynth.core.unicode_checks import loads_json, scrub

QUESTION_FIELDS = ("question", "problem", "prompt", "input")
ID_FIELDS = ("id", "idx", "unique_id", "task_id")


@dataclass(frozen=True, slots=True)
class EvalSet:
    """Questions of one evaluation set, with ids as `name:id`."""

    name: str
    ids: list[str]
    questions: list[str]


class EvalSetError(ValueError):
    """An evaluation file that cannot be read; the message names the file and line."""


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".parquet":
        try:
            rows = pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise EvalSetError(f"{path}: not a readable Parquet file ({exc})") from exc
        yield from rows
        return
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    record = loads_json(line)
                except (ValueError, RecursionError) as exc:
                    raise EvalSetError(
                        f"{path}:{lineno}: not JSON ({str(exc).split(';')[0]}); eval files are "
                        "JSONL (one object per line) or Parquet"
                    ) from exc
                if not isinstance(record, dict):
                    raise EvalSetError(
                        f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}"
                    )
                yield record
    except UnicodeDecodeError as exc:
        raise EvalSetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise EvalSetError(f"{path}: {exc.strerror or exc}") from exc


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
        ids.append(scrub(f"{set_name}:{row if rid is None else rid}"))
        questions.append(scrub(text))  # a lone surrogate cannot be hashed as UTF-8
    return EvalSet(set_name, ids, questions)
