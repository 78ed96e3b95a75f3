"""YAML recipes: sources, a `process:` list of registered steps, the mixture and the output.

`load_recipe` reads a file, applies `--set key=value` overrides, validates the
structure against the JSON Schema (`recipe_schema()`, also `errsynth recipe
schema`), every step's parameters by building it and the steps' order by what
each reads and writes (`steps.plan`), and reports each problem as
`FILE:LINE: path: message`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from errsynth.ingest.readers import CHAT_FORMATS
from errsynth.mix.spec import MixJob, MixSpecError
from errsynth.recipe.bounds import (
    MAX_GENERATE_N,
    MAX_GENERATE_OPS,
    container_problem,
    field_problems,
)
from errsynth.recipe.schema_errors import friendly_message, most_specific
from errsynth.recipe.yaml_lines import YamlError, line_of, load_with_lines, read_text
from errsynth.steps import STEPS, kinds_read, make_step, order_problems

FORMATS = ["auto", "gsm8k", "math", "igsm", "metamath", "steps", "jsonl", *CHAT_FORMATS]


class RecipeError(ValueError):
    """Everything wrong with a recipe, one `FILE:LINE: path: message` per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _operator_schemas() -> dict[str, Any]:
    """Each registered step's parameter schema (`Step.params_schema`)."""
    return {name: step.params_schema() for name, step in STEPS.items()}


def recipe_schema() -> dict[str, Any]:
    """JSON Schema of a recipe file (draft 2020-12)."""
    ops = _operator_schemas()
    process_item = {
        "oneOf": [
            {
                "type": "object",
                "properties": {name: {"anyOf": [sub, {"type": "null"}]}},
                "required": [name],
                "additionalProperties": False,
            }
            for name, sub in ops.items()
        ]
    }
    generate = {
        "type": "object",
        "description": "Make the source with the built-in iGSM-style generator.",
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": MAX_GENERATE_N},
            "max_ops": {"type": "integer", "minimum": 1, "maximum": MAX_GENERATE_OPS, "default": 6},
            "seed": {"type": "integer", "default": 0},
            "names": {"enum": ["full", "short"], "default": "full"},
            "distractors": {"type": ["integer", "null"], "minimum": 0},
        },
        "required": ["n"],
        "additionalProperties": False,
    }
    source = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
            "path": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                ],
                "description": "File(s) or folders, relative to the recipe file; $VARS expand.",
            },
            "generate": generate,
            "format": {"enum": FORMATS, "default": "auto"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "limit": {"type": "integer", "minimum": 1},
        },
        "required": ["name"],
        "oneOf": [{"required": ["path"]}, {"required": ["generate"]}],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "errsynth recipe",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "seed": {"type": "integer", "default": 0},
            "sources": {"type": "array", "items": source, "minItems": 1},
            "process": {"type": "array", "items": process_item, "default": []},
            "mix": {
                "type": "object",
                "description": "Streams, weights, target (errsynth.mix.spec).",
            },
            "output": {
                "type": "object",
                "description": "Shards: shard_rows/shard_bytes, compression.",
            },
            "engine": {
                "type": "object",
                "properties": {
                    "batch_rows": {"type": "integer", "minimum": 1, "default": 2048},
                    "chunk_rows": {"type": "integer", "minimum": 1, "default": 20000},
                },
                "additionalProperties": False,
            },
        },
        "required": ["sources"],
        "patternProperties": {"^x-": {"description": "Free for YAML anchors (&name) to alias."}},
        "additionalProperties": False,
    }


@dataclass
class Recipe:
    """A validated recipe: the resolved mapping plus where it came from."""

    data: dict[str, Any]
    path: Path | None = None
    overrides: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.data.get("name") or (self.path.stem if self.path else "recipe"))

    @property
    def seed(self) -> int:
        return int(self.data.get("seed", 0))

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve_path(self, value: str) -> Path:
        expanded = os.path.expanduser(os.path.expandvars(value))
        p = Path(expanded)
        return p if p.is_absolute() else (self.base_dir / p).resolve()


_INDEX = re.compile(r"^\d+$")


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """`a.b.0.c=value`: set a nested key (list items by index); value is read as YAML."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise RecipeError(
            [f"--set {assignment!r}: expected KEY=VALUE, e.g. seed=3 or mix.target.rows=1000"]
        )
    try:  # the recipe loader's bounds apply (aliases, merge keys, surrogates)
        value = load_with_lines(raw, f"--set {key}")[0] if raw else ""
    except YamlError as exc:
        raise RecipeError([f"--set {key}: value is not valid YAML ({exc})"]) from exc
    parts: list[str | int] = [int(p) if _INDEX.match(p) else p for p in key.split(".")]
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if problem := container_problem(node, key, parts[:i]):
            raise RecipeError([problem])
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise RecipeError(
                    [f"--set {key}: {part!r} is not an index of a list of {len(node)}"]
                )
            node = node[part]
        else:
            if part not in node or node[part] is None:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
    last = parts[-1]
    if problem := container_problem(node, key, parts[:-1]):
        raise RecipeError([problem])
    if isinstance(node, list):
        if not isinstance(last, int) or last > len(node):
            raise RecipeError([f"--set {key}: {last!r} is not an index of a list of {len(node)}"])
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        node[last] = value


def _path_from_key(key_path: str) -> tuple[str | int, ...]:
    """`mix.streams[1].weight` → ("mix", "streams", 1, "weight")."""
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key_path):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(out)


def _semantic_problems(recipe: Recipe) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems only the steps themselves can find (parameter values, order, mix spec, files)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    data = recipe.data
    names = [s.get("name") for s in data.get("sources", [])]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append((("sources",), f"source names must be unique: {dupes}"))
    for i, src in enumerate(data.get("sources", [])):
        paths = src.get("path")
        for p in [paths] if isinstance(paths, str) else (paths or []):
            if not recipe.resolve_path(p).exists():
                problems.append(
                    (("sources", i, "path"), f"{recipe.resolve_path(p)} does not exist")
                )
        if src.get("fields") and src.get("format", "auto") not in ("jsonl", "auto"):
            problems.append((("sources", i, "fields"), "fields: only with format: jsonl"))
    steps = []
    for i, entry in enumerate(data.get("process", [])):
        try:
            steps.append(make_step(_resolved_entry(recipe, entry), f"process[{i}]"))
        except (ValueError, TypeError) as exc:
            problems.append((("process", i), str(exc)))
    if not problems:
        order = order_problems(steps)
        problems += [(("process", i), msg) for i, msg in order]
        if not order:  # the columns each step reads, in the table it reads at that point
            problems += field_problems(data.get("process"), kinds_read(steps))
    if "mix" in data or "output" in data:
        try:
            MixJob.from_dict(
                {"mix": data.get("mix") or default_mix(), "output": data.get("output") or {}},
                seed=recipe.seed,
            )
        except MixSpecError as exc:
            msg = str(exc)
            key, _, rest = msg.partition(": ")
            problems.append((_path_from_key(key), rest or msg))
    return problems


def _resolved_entry(recipe: Recipe, entry: Any) -> Any:
    """Operator entry with file paths (decontaminate eval files) resolved against the recipe."""
    if (
        isinstance(entry, Mapping)
        and "decontaminate" in entry
        and isinstance(entry["decontaminate"], Mapping)
    ):
        params = dict(entry["decontaminate"])
        evals = params.get("eval") or []
        params["eval"] = [
            str(recipe.resolve_path(p)) for p in ([evals] if isinstance(evals, str) else evals)
        ]
        return {"decontaminate": params}
    if isinstance(entry, Mapping) and "augment" in entry:
        # the recipe's output.form / annotations / prm_prompt are every augment's defaults
        output = recipe.data.get("output") or {}
        params = dict(entry["augment"] or {})
        if params.get("form") is None and output.get("form"):
            params["form"] = output["form"]
        if "annotations" not in params and output.get("annotations"):
            params["annotations"] = output["annotations"]
        if "prm_prompt" not in params and output.get("prm_prompt"):
            params["prm_prompt"] = output["prm_prompt"]
        if isinstance(params.get("transforms"), list):
            params["transforms"] = [_resolved_transform(recipe, t) for t in params["transforms"]]
        return {"augment": params}
    return entry


def _resolved_transform(recipe: Recipe, entry: Any) -> Any:
    """A transform entry with its `profile:` path resolved against the recipe's folder."""
    if not isinstance(entry, Mapping) or len(entry) != 1:
        return entry
    ((name, params),) = entry.items()
    if isinstance(params, Mapping) and isinstance(params.get("profile"), str):
        return {name: {**params, "profile": str(recipe.resolve_path(params["profile"]))}}
    return entry


def resolved_entry(recipe: Recipe, entry: Any) -> Any:
    return _resolved_entry(recipe, entry)


def default_mix() -> dict[str, Any]:
    """Without a `mix:` section: everything, one stream."""
    return {
        "weight_by": "rows",
        "streams": [{"name": "all", "where": {"n_errors": {"ge": 0}}, "weight": 1.0}],
    }


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    """Read, override and validate a recipe file; raises RecipeError listing every problem."""
    path = Path(path)
    name = str(path)
    try:
        data, lines = load_with_lines(read_text(path), name)
    except (YamlError, OSError) as exc:
        raise RecipeError([str(exc) if isinstance(exc, YamlError) else f"{name}: {exc}"]) from exc
    if not isinstance(data, dict):
        raise RecipeError([f"{name}:1: a recipe is a mapping with at least `sources:`"])
    data = copy.deepcopy(data)
    for assignment in overrides:
        apply_override(data, assignment)
    recipe = Recipe(data=data, path=path.resolve(), overrides=list(overrides))
    problems: list[str] = []

    def where(p: tuple[str | int, ...]) -> str:
        line = line_of(lines, p)
        shown = ".".join(str(x) for x in p) or "(top)"
        return f"{name}:{line}: {shown}" if line else f"{name}: {shown}"

    validator = Draft202012Validator(recipe_schema())
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(x) for x in e.absolute_path]):
        err = most_specific(err)
        problems.append(
            f"{where(tuple(err.absolute_path))}: {friendly_message(err) or _short(err)}"
        )
    if not problems:
        problems += [f"{where(p)}: {msg}" for p, msg in _semantic_problems(recipe)]
    if problems:
        raise RecipeError(problems)
    return recipe


def _short(err: Any) -> str:
    """A jsonschema error in a line: for oneOf/anyOf, the most specific sub-error."""
    path = list(err.absolute_path)
    inst = err.instance
    if (
        err.validator == "oneOf"
        and path[:1] == ["process"]
        and len(path) == 2
        and isinstance(inst, dict)
    ):
        unknown = [k for k in inst if k not in STEPS]
        if len(inst) != 1:
            return f"expected one {{operator: {{params}}}} mapping, got keys {sorted(inst)}"
        if unknown:
            return f"unknown operator {unknown[0]!r}; choose from {', '.join(STEPS.names())}"
    if err.validator == "oneOf" and path[:1] == ["sources"] and isinstance(inst, dict):
        if "path" in inst and "generate" in inst:
            return "give either path: or generate:, not both"
        if "path" not in inst and "generate" not in inst:
            return "give path: (files to read) or generate: (the built-in generator)"
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = max(err.context, key=lambda e: len(e.absolute_path))
        if best.validator == "additionalProperties" or len(best.absolute_path) > 0:
            return best.message
        keys = [next(iter(s.get("required", [])), None) for s in err.schema.get(err.validator, [])]
        keys = [k for k in keys if k]
        if keys:
            return f"expected one of {sorted(keys)}"
    return err.message
