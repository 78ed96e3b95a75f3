"""The transform contract: a clean solution row in, a candidate with wrong attempts out.

A transform never writes training text. It decides *where* wrong attempts go and
*what* they say, with the evidence that they are wrong (a `Candidate` of
`WrongAttempt`s, :mod:`errsynth.types.candidates`); a validator in
:mod:`errsynth.validate` checks that evidence independently, and a style in
:mod:`errsynth.render` turns the candidate into text.

Transforms register themselves in `TRANSFORMS` (one `core.registry.Registry`);
`errsynth.transforms` imports every built-in transform module, so importing the
package offers them all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from errsynth.core.params import parse_params
from errsynth.core.registry import Registry
from errsynth.types.candidates import Candidate, Skip, WrongAttempt


def row_rng(seed: int, row_id: str, name: str) -> random.Random:
    """The per-row generator: seeded from the recipe seed, the row id and the transform name."""
    digest = hashlib.blake2b(f"{seed}\x1f{row_id}\x1f{name}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def geometric_count(rng: random.Random, rate: float, cap: int) -> int:
    """How many attempts at one step: repeat while a draw with probability `rate` succeeds."""
    k = 0
    while k < cap and rng.random() < rate:
        k += 1
    return k


@dataclass(frozen=True)
class TransformParams:
    """Parameters every transform takes; subclasses add their own fields."""

    rate: float = 0.2  # probability of a wrong attempt before each eligible step
    max_per_step: int = 3  # cap on the geometric number of attempts per step
    min_errors: int = 1  # force attempts at random eligible steps up to this many (0: paper)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise ValueError(f"rate must be in [0, 1), got {self.rate}")
        if self.max_per_step < 1:
            raise ValueError(f"max_per_step must be >= 1, got {self.max_per_step}")
        if self.min_errors < 0:
            raise ValueError(f"min_errors must be >= 0, got {self.min_errors}")


class Transform:
    """Base of registered transforms. Subclasses set `name`, `Params` and implement `apply`."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[TransformParams]] = TransformParams

    def __init__(self, **params: Any) -> None:
        self.params = parse_params(self.Params, params, f"transform {self.name!r}")

    def prepare(self, rows: Iterator[Mapping[str, Any]], seed: int) -> None:
        """Optional corpus-wide pass before `apply` (e.g. the distractor pool)."""

    def apply(self, row: Mapping[str, Any], rng: random.Random) -> Candidate:
        """A candidate for `row`, or raise Skip(reason)."""
        raise NotImplementedError

    def param_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (a fresh copy: candidates carry it).

        `dataclasses.asdict` per row costs more than a small transform; it runs once
        per `params` object and later calls copy its result.
        """
        cached = self.__dict__.get("_param_cache")
        if cached is None or cached[0] is not self.params:
            cached = self._param_cache = (self.params, dataclasses.asdict(self.params))
        return dict(cached[1])


TRANSFORMS: Registry[type[Transform]] = Registry("transform")


def place_counts(
    rng: random.Random, eligible: list[int], params: TransformParams, n_choices: dict[int, int]
) -> dict[int, int]:
    """How many attempts go before each eligible step.

    Per step a geometric count (rate, capped by `max_per_step` and by how many
    distinct choices the step has); then, while fewer than `min_errors` attempts
    were drawn, one more at a uniformly drawn eligible step that still has a free
    choice. Draws happen in step order so the result depends only on the rng.
    """
    counts: dict[int, int] = {}
    rate, cap, draw = params.rate, params.max_per_step, rng.random
    for i in eligible:
        # geometric_count, inlined: this runs for every eligible step of every row
        k, most = 0, min(cap, n_choices[i])
        while k < most and draw() < rate:
            k += 1
        if k:
            counts[i] = k
    total = sum(counts.values())
    while total < params.min_errors:
        free = [i for i in eligible if counts.get(i, 0) < min(params.max_per_step, n_choices[i])]
        if not free:
            break
        i = rng.choice(free)
        counts[i] = counts.get(i, 0) + 1
        total += 1
    return counts


__all__ = [
    "TRANSFORMS",
    "Candidate",
    "Skip",
    "Transform",
    "TransformParams",
    "WrongAttempt",
    "geometric_count",
    "place_counts",
    "row_rng",
]
