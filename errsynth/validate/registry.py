"""The validators, one per attempt kind (one `core.registry.Registry`).

A validator is a function of a candidate that returns its problems (empty: valid).
Each module of this package registers its own (`@VALIDATORS.named(kind)`), and
:mod:`errsynth.validate` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable

from errsynth.core.registry import Registry
from errsynth.types.candidates import Candidate

Validator = Callable[[Candidate], list[str]]

VALIDATORS: Registry[Validator] = Registry("validator")
