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


def field_problems(process: Any, reads: Sequence[str]) -> list[Problem]:
    """The `fields:` each dedup/decontamination step reads, checked against the text
    columns of the table it reads at that point (`reads[i]`: "solutions" or "samples",
    from the steps' declared inputs and outputs)."""
    problems: list[Problem] = []
    if not isinstance(process, list):
        return problems
    for i, entry in enumerate(process):
        if not isinstance(entry, Mapping) or len(entry) != 1 or i >= len(reads):
            continue
        ((name, params),) = entry.items()
        if name in FIELD_OPERATORS and (params is None or isinstance(params, Mapping)):
            fields = (params or {}).get("fields", ["question"])
            fields = [fields] if isinstance(fields, str) else fields
            samples = reads[i] == "samples"
            table, schema = ("sample", SAMPLE_SCHEMA) if samples else ("solution", SOLUTION_SCHEMA)
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
    return problems
