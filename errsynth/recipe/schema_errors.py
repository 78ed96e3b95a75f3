"""Pick the error a person needs out of a jsonschema `oneOf`/`anyOf` failure.

A process entry is one of many operator schemas, so a typo inside `augment:`
fails every branch and jsonschema reports only "is not valid under any of the
given schemas". The branch the entry meant is the one whose required key it
has (`augment`, `reorder`, ...); its deepest error names the bad key and path.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError

MAX_DEPTH = 20


def _meant_branch(err: ValidationError) -> list[ValidationError]:
    """Sub-errors of the branch the instance meant (its required keys are present)."""
    branches = err.schema.get(err.validator, []) if isinstance(err.schema, dict) else []
    inst: Any = err.instance
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in err.context or []:
        if sub.schema_path and isinstance(sub.schema_path[0], int):
            by_branch.setdefault(sub.schema_path[0], []).append(sub)
    if isinstance(inst, dict):
        meant = [
            i
            for i, branch in enumerate(branches)
            if isinstance(branch, dict)
            and branch.get("required")
            and all(k in inst for k in branch["required"])
        ]
        if len(meant) == 1:
            return by_branch.get(meant[0], [])
    if any(isinstance(b, dict) and b.get("required") for b in branches):
        return []  # no branch or several meant: the caller's summary says which keys
    # otherwise: the branches that failed on more than the type (e.g. "or null")
    return [
        sub
        for sub in err.context or []
        if not (sub.validator == "type" and list(sub.absolute_path) == list(err.absolute_path))
    ]


def most_specific(err: ValidationError) -> ValidationError:
    """The deepest error of the meant branch, followed through nested oneOf/anyOf."""
    for _ in range(MAX_DEPTH):
        if err.validator not in ("oneOf", "anyOf") or not err.context:
            return err
        candidates = _meant_branch(err)
        if not candidates:
            return err
        err = max(candidates, key=lambda e: len(e.absolute_path))
    return err


def friendly_message(err: ValidationError) -> str | None:
    """A clearer message than jsonschema's for a few cases, else None."""
    schema = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties" and schema.get("patternProperties"):
        known = sorted(schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in known and not str(k).startswith("x-"))
        hint = (
            " (this looks like a validate-mix spec: run `errsynth validate-mix FILE`)"
            if not err.absolute_path and "arms" in extra
            else " (keys starting with x- are free, e.g. for YAML anchors)"
        )
        return f"unknown key(s) {extra}; known: {', '.join(known)}{hint}"
    return None
