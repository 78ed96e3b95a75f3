"""What a solution row's number flow says about writing a step early.

`row["uses"][y]` lists, per step y, the earlier steps whose values it uses (ingest
computes it: the arithmetic number flow, or iGSM's exact dependency graph). A later
step y written at step x is *premature* when it uses a value that a step in x..y-1
produces: it truly cannot be computed yet. The reorder transform draws by it and its
validator re-checks by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_premature(row: Mapping[str, Any], x: int, y: int) -> bool:
    """Whether step y needs a value produced by a step in x..y-1 (so it can't be written at x)."""
    return any(u["step"] >= x for u in row["uses"][y])


def missing_refs(row: Mapping[str, Any], x: int, y: int) -> list[str]:
    return [u["ref"] for u in row["uses"][y] if u["step"] >= x]
