"""The one parameter parser: a user mapping (recipe, CLI) into a frozen parameter dataclass."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

P = TypeVar("P")


class ParamError(ValueError):
    """Parameters that do not fit; the message names the owner and the offending keys."""


def _tuple_fields(cls: type) -> set[str]:
    """Fields typed as tuples: a list from YAML becomes a tuple, a lone string a 1-tuple."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: fall back to the default's type
        hints = {}
    out = set()
    for f in dataclasses.fields(cls):
        hint = hints.get(f.name, f.type)
        origin = typing.get_origin(hint)
        if (
            origin is tuple
            or hint is tuple
            or (isinstance(f.default, tuple) and f.default is not dataclasses.MISSING)
        ):
            out.add(f.name)
    return out


def known_params(cls: type) -> list[str]:
    return sorted(f.name for f in dataclasses.fields(cls))


def parse_params(cls: type[P], values: Mapping[str, Any] | None, owner: str) -> P:
    """`cls(**values)` with unknown keys named, lists made tuples, and a clear error.

    `owner` names what the parameters belong to in messages ("transform 'arith'",
    "dedup_minhash"). Errors raised by the dataclass's own `__post_init__` checks
    come back as `ParamError` with the owner in front.
    """
    values = dict(values or {})
    known = known_params(cls)
    unknown = sorted(str(k) for k in set(values) - set(known))
    if unknown:
        raise ParamError(f"{owner}: unknown parameter(s) {unknown}; known: {known}")
    tuples = _tuple_fields(cls)
    for k, v in list(values.items()):
        if isinstance(v, list):
            values[k] = tuple(v)
        elif k in tuples and isinstance(v, str):
            values[k] = (v,)
    try:
        return cls(**values)
    except ParamError:
        raise
    except (TypeError, ValueError) as exc:
        raise ParamError(f"{owner}: {exc}") from exc
