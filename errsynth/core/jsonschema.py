"""JSON Schema of a parameters dataclass, from its fields and type hints.

Step, transform and style parameters are plain dataclasses; the recipe schema is built from them
so that editors can complete a recipe and the loader can validate it, with one
source of truth.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints


def type_schema(tp: Any) -> dict[str, Any]:
    """JSON Schema of one Python type annotation (the subset parameter dataclasses use)."""
    origin = get_origin(tp)
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp is type(None):
        return {"type": "null"}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [type_schema(a) for a in get_args(tp)]}
    if origin in (tuple, list, typing.Sequence, set, frozenset):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if origin in (dict, typing.Mapping):
        args = get_args(tp)
        return {"type": "object", "additionalProperties": type_schema(args[1]) if args else {}}
    if dataclasses.is_dataclass(tp):
        return dataclass_schema(tp)
    return {}


def dataclass_schema(cls: type, *, description: str | None = None) -> dict[str, Any]:
    """An object schema: one property per field with its default; no other keys allowed."""
    hints = get_type_hints(cls)
    props: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        sub = dict(type_schema(hints[f.name]))
        if f.default is not dataclasses.MISSING and isinstance(
            f.default, bool | int | float | str | None
        ):
            sub["default"] = f.default
        elif f.default is not dataclasses.MISSING and isinstance(f.default, tuple):
            sub["default"] = list(f.default)
        props[f.name] = sub
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    doc = description or (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else description
    if doc:
        out["description"] = doc
    return out
