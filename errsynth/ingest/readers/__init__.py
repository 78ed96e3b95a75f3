"""Format readers; importing a module registers its reader in `errsynth.ingest.base.READERS`."""

from __future__ import annotations

#: Chat-shaped formats, in the order --format auto tries them (after the benchmark formats).
CHAT_FORMATS: tuple[str, ...] = ("messages", "sharegpt", "trl", "prompt_response")


def ensure_registered() -> None:
    """Import every reader module (cheap after the first call)."""
    from errsynth.ingest.readers import (  # noqa: F401
        chat,
        fieldmap,
        gsm8k,
        igsm,
        math,
        metamath,
        steps,
    )
