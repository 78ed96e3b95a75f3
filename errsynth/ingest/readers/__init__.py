"""Format readers, one module each; importing this package registers them all in
`errsynth.ingest.base.READERS`."""

from __future__ import annotations

from errsynth.ingest.base import READERS
from errsynth.ingest.readers import (  # noqa: F401  (each registers its reader)
    chat,
    fieldmap,
    gsm8k,
    igsm,
    math,
    metamath,
    step_list,
)

#: Chat-shaped formats, in the order --format auto tries them (after the benchmark formats).
CHAT_FORMATS: tuple[str, ...] = ("messages", "sharegpt", "trl", "prompt_response")


def ensure_registered() -> None:
    """Kept for callers: importing this package registers every reader."""


__all__ = ["CHAT_FORMATS", "READERS", "ensure_registered"]
