"""Ranges and types of training settings, checked when a config is built.

A negative `max_steps` used to train nothing and report a finished run with a
NaN loss; `model=3` or `lr=[1]` failed deep in a constructor. Each is a
ValueError naming the setting, which the CLI shows as `Error: ...`.
"""

from __future__ import annotations

import math
from typing import Any

from errsynth.recipe.yaml_lines import YamlError, load_with_lines

MAX_BLOCK_SIZE = 1 << 16
MAX_LAYERS = 1024
MAX_WIDTH = 1 << 16


def _at_least(obj: Any, name: str, low: float, prefix: str = "") -> None:
    value = getattr(obj, name)
    if not low <= value:
        raise ValueError(f"{prefix}{name} must be >= {low:g}, got {value!r}")


def _at_most(obj: Any, name: str, high: float, prefix: str = "") -> None:
    value = getattr(obj, name)
    if value > high:
        raise ValueError(f"{prefix}{name} must be <= {high:g}, got {value!r}")


def check_model_ranges(m: Any) -> None:
    for name in ("block_size", "n_layer", "n_head", "n_embd"):
        _at_least(m, name, 1, "model.")
    _at_least(m, "vocab_size", 0, "model.")
    _at_most(m, "block_size", MAX_BLOCK_SIZE, "model.")
    _at_most(m, "n_layer", MAX_LAYERS, "model.")
    _at_most(m, "n_embd", MAX_WIDTH, "model.")
    if not 0 <= m.dropout < 1:
        raise ValueError(f"model.dropout must be in [0, 1), got {m.dropout!r}")


def check_train_ranges(c: Any) -> None:
    for name in ("tokens", "max_steps", "warmup_steps", "ckpt_every", "threads", "grad_clip"):
        _at_least(c, name, 0)
    for name in ("batch_size", "log_every"):
        _at_least(c, name, 1)
    _at_least(c, "weight_decay", 0)
    if not (math.isfinite(c.lr) and c.lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {c.lr!r}")
    if not 0 <= c.min_lr_ratio <= 1:
        raise ValueError(f"min_lr_ratio must be in [0, 1], got {c.min_lr_ratio!r}")
    for name in ("beta1", "beta2"):
        if not 0 <= getattr(c, name) < 1:
            raise ValueError(f"{name} must be in [0, 1), got {getattr(c, name)!r}")


_CHECKS = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}


def check_types(types: dict[str, Any], values: dict[str, Any]) -> None:
    """Each value has its field's type (field types as written: 'int', 'float', ...)."""
    for key, value in values.items():
        check = _CHECKS.get(str(types.get(key)))
        if check is not None and not check(value):
            raise ValueError(f"{key}: expected {types[key]}, got {value!r:.60}")


def mapping(value: Any, name: str) -> dict[str, Any]:
    """A nested settings section: a mapping (None: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(
            f"{name}: expected a mapping of settings (e.g. --set {name}.KEY=VALUE), "
            f"got {value!r:.40}"
        )
    return value


def yaml_value(raw: str, key: str) -> Any:
    """A `--set` value read as YAML with the recipe loader's bounds."""
    try:
        return load_with_lines(raw, f"--set {key}")[0]
    except YamlError as exc:
        raise ValueError(f"--set {key}: {exc}") from exc
