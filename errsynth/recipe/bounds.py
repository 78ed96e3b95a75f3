"""Recipe checks beyond the JSON Schema: sizes, `--set` targets, the columns operators read.

Everything here turns a recipe that would validate and then crash (or run for
ever) into a problem reported at load time with its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from errsynth.schema import SAMPLE_SCHEMA, SOLUTION_SCHEMA

MAX_GENERATE_N = 1_000_000  # rows per source: the generator keeps them in memory (~3.5 KB each)
MAX_GENERATE_OPS = 52  # errsynth.igsm.generator.GeneratorConfig: one letter per operation
FIELD_OPERATORS = ("dedup_exact", "dedup_minhash", "decontaminate")  # read `fields:` columns

Problem = tuple[tuple[str | int, ...], str]


def container_problem(node: Any, key: str, walked: Sequence[str | int]) -> str | None:
    """Why `--set KEY=...` cannot descend into `node` (a scalar), or None."""
    if isinstance(node, (dict, list)):
        return None
    where = ".".join(str(p) for p in walked) or "the recipe"
    return (
        f"--set {key}: {where} is {type(node).__name__} {node!r:.40}, not a mapping or list; "
        f"set {where} itself (--set {where}=VALUE)"
    )


def _text_columns(schema: pa.Schema) -> list[str]:
    return [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]


def process_problems(process: Any, kinds: Mapping[str, str]) -> list[Problem]:
    """Columns the operators read, and operator order, checked against what each one sees.

    `kinds` maps operator names to their kind (`augment` turns solution rows
    into sample rows; only dedup and `llm` operators may follow it, and `llm`
    operators need it first).
    """
    problems: list[Problem] = []
    if not isinstance(process, list):
        return problems
    augmented = False
    for i, entry in enumerate(process):
        if not isinstance(entry, Mapping) or len(entry) != 1:
            continue
        ((name, params),) = entry.items()
        kind = kinds.get(name)
        if kind == "llm" and not augmented:
            problems.append(
                ((("process", i)), f"{name}: LLM operators work on samples: put them after augment")
            )
        elif augmented and kind not in ("dedup", "llm"):
            problems.append(
                ((("process", i)), f"{name}: only dedup and LLM operators may follow augment")
            )
        if name in FIELD_OPERATORS and (params is None or isinstance(params, Mapping)):
            fields = (params or {}).get("fields", ["question"])
            fields = [fields] if isinstance(fields, str) else fields
            table, schema = (
                ("sample", SAMPLE_SCHEMA) if augmented else ("solution", SOLUTION_SCHEMA)
            )
            columns = _text_columns(schema)
            for f in fields if isinstance(fields, list) else []:
                if f not in columns:
                    problems.append(
                        (
                            ("process", i, name, "fields"),
                            f"{name}: {f!r} is not a text column of the {table} rows at this "
                            f"point; text columns: {', '.join(columns)}",
                        )
                    )
        if kind == "augment":
            augmented = True
    return problems
