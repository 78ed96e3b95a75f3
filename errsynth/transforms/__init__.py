"""Understanding-free transforms: clean solution rows in, candidates with wrong attempts out.

Importing the package registers every built-in transform in `TRANSFORMS`.
"""

from __future__ import annotations

from errsynth.transforms import arith, distractor, igsm_retry, reorder  # noqa: F401  (they register)
from errsynth.transforms.base import (
    TRANSFORMS,
    Candidate,
    Skip,
    Transform,
    TransformParams,
    WrongAttempt,
    row_rng,
)


def ensure_registered() -> None:
    """Kept for callers: importing this package registers every built-in transform."""


def make_transform(name: str, **params: object) -> Transform:
    """A transform by registered name, with a clear error for unknown names or parameters."""
    return TRANSFORMS.get(name)(**params)


__all__ = [
    "TRANSFORMS",
    "Candidate",
    "Skip",
    "Transform",
    "TransformParams",
    "WrongAttempt",
    "ensure_registered",
    "make_transform",
    "row_rng",
]
