"""Transforms that place their mistakes by a model's error profile (``profile: PATH``).

``arith``, ``reorder`` and ``distractor`` take ``profile``: a ``profile.json`` written by
``errsynth harvest ... --profile`` (or the folder holding it; see
:mod:`errsynth.types.error_profile`). The profile is read once, when the transform is
made, so a missing or malformed file is a parameter error at recipe load or on the
command line, and the loaded counts travel with the transform to every worker (a Ray
worker never opens the file).

Positions: attempts before step ``i`` of an ``n``-step solution are drawn at
``rate * w[i]`` with ``w = profile.placement_weights(n, kind=TRANSFORM_KIND[name])``
(:func:`errsynth.transforms.mistake_placement.weighted_place_counts`): the kind's own
histogram of relative first-error positions, else the all-kinds one when the kind was
never measured, else uniform (``profile_positions`` in the samples' params says which).

Without ``profile`` the transform draws exactly as before: the params carry no profile
key and every output is byte-identical.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

from errsynth.core.params import ParamError
from errsynth.transforms.base import Transform, TransformParams, place_counts
from errsynth.transforms.mistake_placement import weighted_place_counts
from errsynth.types.error_profile import TRANSFORM_KIND, ErrorProfile, ProfileError, load_profile

#: How many leading hex digits of the profile's digest the samples' params record.
DIGEST_CHARS = 16


@dataclass(frozen=True)
class ProfileParams(TransformParams):
    # a model's error profile (profile.json or its folder): mistakes placed where it errs
    profile: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.profile is not None:
            if not isinstance(self.profile, str | os.PathLike):
                raise ValueError(f"profile must be a path, got {self.profile!r}")
            object.__setattr__(self, "profile", os.fspath(self.profile))
            if not self.profile.strip():
                raise ValueError("profile must be a path to a profile.json or its folder")


class ProfiledTransform(Transform):
    """A transform whose ``Params`` has ``profile``; loads it and places attempts by it."""

    params: ProfileParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.profile: ErrorProfile | None = None
        self.profile_kind = TRANSFORM_KIND[self.name]
        self._weights: dict[int, tuple[float, ...]] = {}
        self._profile_params: dict[str, Any] = {}
        if self.params.profile is None:
            return
        try:
            self.profile = load_profile(self.params.profile)
        except ProfileError as exc:
            raise ParamError(f"transform {self.name!r}: profile: {exc}") from exc
        self._profile_params = {
            "profile_digest": self.profile.digest()[:DIGEST_CHARS],
            "profile_positions": self.profile.position_source(self.profile_kind),
        }

    def param_dict(self) -> dict[str, Any]:
        params = super().param_dict()
        if self.profile is None:  # outputs without the option stay byte-identical
            params.pop("profile", None)
        else:
            params.update(self._profile_params)
        return params

    def step_weights(self, n_steps: int) -> tuple[float, ...]:
        """The profile's per-step weights for an ``n_steps``-step solution (cached)."""
        w = self._weights.get(n_steps)
        if w is None:
            assert self.profile is not None
            w = self._weights[n_steps] = tuple(
                self.profile.placement_weights(n_steps, self.profile_kind)
            )
        return w

    def place(
        self, rng: random.Random, eligible: list[int], n_choices: dict[int, int], n_steps: int
    ) -> dict[int, int]:
        """How many attempts go before each eligible step: ``place_counts`` without a
        profile, the profile's weights with one."""
        if self.profile is None:
            return place_counts(rng, eligible, self.params, n_choices)
        return weighted_place_counts(
            rng, eligible, self.params, n_choices, self.step_weights(n_steps)
        )

    def shuffled(self, rng: random.Random, eligible: list[int], n_steps: int) -> list[int]:
        """The eligible steps in a random order: uniform without a profile (as before);
        with one, a weighted order (each step's key ``u ** (1 / w)``, largest first), so
        steps where the model errs come first."""
        if self.profile is None:
            return rng.sample(eligible, len(eligible))
        weights = self.step_weights(n_steps)
        keyed = [(rng.random() ** (1.0 / weights[min(i, len(weights) - 1)]), i) for i in eligible]
        return [i for _, i in sorted(keyed, reverse=True)]
