"""Understanding-free transforms: clean solution rows in, candidates with wrong attempts out."""

from __future__ import annotations

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
    """Import every built-in transform module (each registers itself)."""
    from errsynth.transforms import arith, distractor, igsm_retry, reorder  # noqa: F401


def make_transform(name: str, **params: object) -> Transform:
    """A transform by registered name, with a clear error for unknown names or parameters."""
    ensure_registered()
    if name not in TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}; choose from {', '.join(sorted(TRANSFORMS))}")
    return TRANSFORMS[name](**params)


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
