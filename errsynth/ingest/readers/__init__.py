"""Format readers; importing a module registers its reader in `errsynth.ingest.base.READERS`."""

from __future__ import annotations


def ensure_registered() -> None:
    """Import every reader module (cheap after the first call)."""
    from errsynth.ingest.readers import (  # noqa: F401
        fieldmap,
        gsm8k,
        igsm,
        math,
        metamath,
        steps,
    )
