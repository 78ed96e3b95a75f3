"""Steps a fake attempt must keep away from: the writer's own self-corrections.

Model-written solutions already correct themselves ("Wait, 48/2 is 24, not 26.").
Ingest lists the steps that open or contain such a correction in the row's
`self_corrections` column; a fake attempt placed before such a step, or before the step
right after it, would land inside the model's own mistake–retraction–fix sequence. Every
transform removes these positions from its eligible steps, and reorder never writes a
correction step as a wrong attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def correction_steps(row: Mapping[str, Any]) -> frozenset[int]:
    """The row's self-correction steps (empty for tables written before the column)."""
    found = row.get("self_corrections")
    return frozenset(found) if found else frozenset()


def protected_positions(row: Mapping[str, Any]) -> frozenset[int]:
    """Steps before which no fake attempt may go: each correction step and the one after."""
    found = row.get("self_corrections")
    if not found:
        return frozenset()
    n = len(row["steps"])
    return frozenset(j for i in found for j in (i, i + 1) if j < n)
