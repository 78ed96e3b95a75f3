"""Format readers, one module each; importing this package registers them all in
`errsynth.ingest.base.READERS`."""

from __future__ import annotations

from errsynth.ingest.base import READERS
from errsynth.ingest.readers import (  # noqa: F401  (each registers its reader)
    fieldmap,
    gsm8k,
    igsm,
    math,
    metamath,
    step_list,
)


def ensure_registered() -> None:
    """Kept for callers: importing this package registers every reader."""


__all__ = ["READERS", "ensure_registered"]
