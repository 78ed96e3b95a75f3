"""Steps a fake attempt must keep away from: the writer's own self-corrections.

Model-written solutions already correct themselves ("Wait, 48/2 is 24, not 26.").
Ingest lists the steps that open or contain such a correction in the row's
`self_corrections` column; a fake attempt placed before such a step, or before the step
right after it, would land inside the model's own mistake–retraction–fix sequence. Every
transform removes these positions from its eligible steps, and reorder never writes a
correction step as a wrong attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_REASONING_STEPS = re.compile(r'"n_reasoning_steps": ([0-9]+)')


def correction_steps(row: Mapping[str, Any]) -> frozenset[int]:
    """The row's self-correction steps (empty for tables written before the column)."""
    found = row.get("self_corrections")
    return frozenset(found) if found else frozenset()


def reasoning_steps(row: Mapping[str, Any]) -> int:
    """How many leading steps are the reply's thinking (chat rows with <think> or a
    reasoning field; 0 for others). Read from the meta text without decoding it all."""
    meta = row.get("meta")
    if isinstance(meta, str):
        m = _REASONING_STEPS.search(meta)
        return int(m.group(1)) if m else 0
    if isinstance(meta, Mapping):
        return int((meta.get("chat") or {}).get("n_reasoning_steps") or 0)
    return 0


def protected_positions(row: Mapping[str, Any]) -> frozenset[int]:
    """Steps before which no fake attempt may go: each correction step and the one after;
    and, when the reply has thinking, the answer part after it (mistakes go inside the
    thinking, where a model makes and fixes them)."""
    found = row.get("self_corrections")
    n = len(row["steps"])
    out = {j for i in found or () for j in (i, i + 1) if j < n}
    thinking = reasoning_steps(row)
    if thinking:
        out.update(range(thinking, n))
    return frozenset(out)
