"""Reading and writing ``ckpt.pt`` safely.

A checkpoint holds only tensors and plain containers (the model's and the optimizer's
state dicts, the step, the RNG state); the settings live in ``config.json``. So it is
always loaded with ``weights_only=True``: a crafted file can describe data but never
name a callable to run. A file that is empty, cut short, not a torch checkpoint, or
holds anything but weights gets a :class:`CheckpointError` that names it.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from errsynth.core.atomic import atomic_write


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded safely; the message says which file and why."""


REQUIRED_KEYS = ("model",)


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` atomically (temp file + rename), so a kill never leaves half a file."""
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """The state dict in ``path``, loaded as weights only."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc.strerror})") from exc
    if size == 0:
        raise CheckpointError(
            f"{path}: the checkpoint is empty (truncated by a crash or a full disk?); "
            "delete it to start the run again, or use another run"
        )
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; nothing else is read
        raise CheckpointError(
            f"{path}: not a readable checkpoint: truncated (a crash or a full disk while it was "
            "written?) or not a torch checkpoint; delete it to start the run again"
        )
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{path}: refused: the checkpoint holds more than weights ({_why(exc)}); "
            "errsynth loads weights only and never runs code from a checkpoint"
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"{path}: not a readable checkpoint: truncated or damaged ({_why(exc)})"
        ) from exc
    if not isinstance(state, dict) or any(k not in state for k in REQUIRED_KEYS):
        raise CheckpointError(f"{path}: not an errsynth checkpoint (no model state in it)")
    return state


def _why(exc: BaseException) -> str:
    """The informative line of a torch/pickle error, short and without terminal codes."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    named = [ln for ln in lines if "Unsupported" in ln]
    line = (named or lines or [type(exc).__name__])[0]
    line = line.replace("WeightsUnpickler error: ", "")
    line = line.split(" was not an allowed global")[0]
    return "".join(c for c in line if c.isprintable())[:200]
