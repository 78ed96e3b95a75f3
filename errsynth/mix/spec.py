"""The mix and output settings a recipe carries, parsed and checked.

A recipe holds them as plain mappings (``mix:`` and ``output:``); this module
turns them into frozen dataclasses and reports every mistake with the key path,
so the recipe loader can show it next to the line number. `EXAMPLE_RECIPE` is a
complete, tested example.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from errsynth.mix.tokenizers import DEFAULT_TOKENIZER

WeightBy = Literal["rows", "tokens"]
OPS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_null")
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")
_SUFFIX = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


EXAMPLE_RECIPE = """\
seed: 1234
mix:
  weight_by: tokens            # rows | tokens: the unit of weights, quotas and target
  target: {tokens: 50M}        # or {rows: N} with weight_by: rows, or "all" (default):
                               #   everything at the weights' ratio, the scarcest stream limits
  tokenizer: whitespace        # | "tiktoken:cl100k_base" | "hf:tokenizers/llama.json"
  token_field: text            # column whose tokens are counted
  allow_repeat: false          # upsample (more than one epoch of a stream) only if true
  on_shortfall: error          # | shrink: lower the target until no stream must repeat
  streams:                     # a row goes to the first stream whose `where` it meets
    - name: clean
      where: {kind: clean}
      weight: 0.6
    - name: reorder_back
      where: {kind: reorder, style: back}
      weight: 0.25
    - name: other_retry
      where: {kind: {not_in: [clean]}, n_errors: {ge: 1}}
      weight: 0.15
      allow_repeat: true       # per-stream override
  # stream_column: bucket      # instead of `where`: rows name their stream in a column
output:
  shard_bytes: 256MiB          # uncompressed estimate; or shard_rows: 100000 (either or both)
  row_group_rows: 4096
  compression: zstd            # zstd | snappy | gzip | lz4 | brotli | none
  compression_level: 3
  memory: 512MiB               # local engine: spill budget of the external shuffle
  write_rejects: true          # rejects/mix-00000.parquet: id, source, kind, stream, reason
"""


class MixSpecError(ValueError):
    """A mix or output setting that cannot be used; the message starts with its key path."""


def parse_size(value: Any, where: str) -> int:
    """An integer count, or a string such as ``50M``, ``2.5G``, ``256MiB`` (decimal K/M/G/T)."""
    if isinstance(value, bool):
        raise MixSpecError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and (m := _SIZE.match(value)) and m[2].lower() in _SUFFIX:
        n = round(float(m[1]) * _SUFFIX[m[2].lower()])
    else:
        raise MixSpecError(f"{where}: expected a count like 1000, '50M' or '256MiB', got {value!r}")
    if n <= 0:
        raise MixSpecError(f"{where}: must be > 0, got {value!r}")
    return n


def _check_keys(d: Mapping[str, Any], allowed: set[str], where: str) -> None:
    if not isinstance(d, Mapping):
        raise MixSpecError(f"{where}: expected a mapping, got {type(d).__name__}")
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise MixSpecError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise MixSpecError(f"{where}: expected true or false, got {value!r}")
    return value


def _check_where(where_: Any, where: str) -> dict[str, Any]:
    if not isinstance(where_, Mapping) or not where_:
        raise MixSpecError(f"{where}: expected a non-empty mapping column -> condition")
    out: dict[str, Any] = {}
    for col, cond in where_.items():
        if not isinstance(col, str) or not col:
            raise MixSpecError(f"{where}: column names must be strings, got {col!r}")
        if isinstance(cond, Mapping):
            bad = sorted(set(cond) - set(OPS))
            if bad or not cond:
                raise MixSpecError(f"{where}.{col}: unknown operator(s) {bad}; use {list(OPS)}")
            for op in ("in", "not_in"):
                if op in cond and not isinstance(cond[op], list | tuple):
                    raise MixSpecError(f"{where}.{col}.{op}: expected a list")
            if "is_null" in cond:
                _bool(cond["is_null"], f"{where}.{col}.is_null")
            out[col] = dict(cond)
        elif isinstance(cond, list | tuple):
            out[col] = list(cond)
        else:
            out[col] = cond
    return out


@dataclass(frozen=True)
class StreamSpec:
    """One named stream: the rows ``where`` selects (or whose stream column equals ``name``)."""

    name: str
    weight: float
    where: dict[str, Any] = field(default_factory=dict)
    allow_repeat: bool | None = None  # None: the mix-wide setting

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "weight": self.weight}
        if self.where:
            d["where"] = self.where
        if self.allow_repeat is not None:
            d["allow_repeat"] = self.allow_repeat
        return d


@dataclass(frozen=True)
class MixSpec:
    """How to mix: streams and weights, the unit, the target size, the tokenizer, the seed."""

    streams: tuple[StreamSpec, ...]
    weight_by: WeightBy = "rows"
    target: int | None = None  # in weight_by units; None: everything at the weights' ratio
    tokenizer: str = DEFAULT_TOKENIZER
    token_field: str = "text"
    allow_repeat: bool = False
    on_shortfall: Literal["error", "shrink"] = "error"
    stream_column: str | None = None
    seed: int = 0

    def repeat_allowed(self, stream: StreamSpec) -> bool:
        return self.allow_repeat if stream.allow_repeat is None else stream.allow_repeat

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "weight_by": self.weight_by,
            "target": "all" if self.target is None else {self.weight_by: self.target},
            "tokenizer": self.tokenizer,
            "token_field": self.token_field,
            "allow_repeat": self.allow_repeat,
            "on_shortfall": self.on_shortfall,
            "stream_column": self.stream_column,
            "streams": [s.as_dict() for s in self.streams],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], seed: int | None = None) -> MixSpec:
        """Parse ``mix:``; ``seed`` (the recipe's) is used when ``mix.seed`` is absent."""
        _check_keys(
            d,
            {
                "streams",
                "weight_by",
                "target",
                "tokenizer",
                "token_field",
                "allow_repeat",
                "on_shortfall",
                "stream_column",
                "seed",
            },
            "mix",
        )
        weight_by = d.get("weight_by", "rows")
        if weight_by not in ("rows", "tokens"):
            raise MixSpecError(f"mix.weight_by: expected 'rows' or 'tokens', got {weight_by!r}")
        target = _parse_target(d.get("target"), weight_by)
        stream_column = d.get("stream_column")
        if stream_column is not None and (not isinstance(stream_column, str) or not stream_column):
            raise MixSpecError(f"mix.stream_column: expected a column name, got {stream_column!r}")
        streams = _parse_streams(d.get("streams"), stream_column)
        on_shortfall = d.get("on_shortfall", "error")
        if on_shortfall not in ("error", "shrink"):
            raise MixSpecError(
                f"mix.on_shortfall: expected 'error' or 'shrink', got {on_shortfall!r}"
            )
        s = d.get("seed", seed if seed is not None else 0)
        if isinstance(s, bool) or not isinstance(s, int):
            raise MixSpecError(f"mix.seed: expected an integer, got {s!r}")
        tok = d.get("tokenizer", DEFAULT_TOKENIZER)
        field_ = d.get("token_field", "text")
        if not isinstance(tok, str) or not isinstance(field_, str):
            raise MixSpecError("mix.tokenizer and mix.token_field must be strings")
        return cls(
            streams=streams,
            weight_by=weight_by,
            target=target,
            tokenizer=tok,
            token_field=field_,
            allow_repeat=_bool(d.get("allow_repeat", False), "mix.allow_repeat"),
            on_shortfall=on_shortfall,
            stream_column=stream_column,
            seed=s,
        )


def _parse_target(value: Any, weight_by: str) -> int | None:
    if value is None or value == "all":
        return None
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise MixSpecError("mix.target: expected one of {rows: N} or {tokens: N}")
        ((unit, n),) = value.items()
        if unit not in ("rows", "tokens"):
            raise MixSpecError(f"mix.target: unit must be rows or tokens, got {unit!r}")
        if unit != weight_by:
            raise MixSpecError(
                f"mix.target: a target in {unit} needs weight_by: {unit} "
                f"(weights and target share one unit; weight_by is {weight_by})"
            )
        return parse_size(n, f"mix.target.{unit}")
    return parse_size(value, "mix.target")


def _parse_streams(value: Any, stream_column: str | None) -> tuple[StreamSpec, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise MixSpecError("mix.streams: expected a non-empty list of streams")
    out: list[StreamSpec] = []
    seen: set[str] = set()
    for i, s in enumerate(value):
        where = f"mix.streams[{i}]"
        _check_keys(s, {"name", "weight", "where", "allow_repeat"}, where)
        name = s.get("name")
        if not isinstance(name, str) or not name or not name.isprintable():
            raise MixSpecError(f"{where}.name: expected a non-empty printable string")
        if name in seen:
            raise MixSpecError(f"{where}.name: stream {name!r} is named twice")
        seen.add(name)
        weight = s.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise MixSpecError(f"{where}.weight: expected a number >= 0, got {weight!r}")
        if weight != weight or weight == float("inf"):
            raise MixSpecError(f"{where}.weight: must be finite")
        if stream_column is not None:
            if "where" in s:
                raise MixSpecError(
                    f"{where}.where: not allowed with mix.stream_column (rows name their stream)"
                )
            cond: dict[str, Any] = {stream_column: name}
        else:
            if "where" not in s:
                raise MixSpecError(f"{where}.where: required (or set mix.stream_column)")
            cond = _check_where(s["where"], f"{where}.where")
        rep = s.get("allow_repeat")
        out.append(
            StreamSpec(
                name=name,
                weight=float(weight),
                where=cond,
                allow_repeat=None if rep is None else _bool(rep, f"{where}.allow_repeat"),
            )
        )
    if not any(s.weight > 0 for s in out):
        raise MixSpecError("mix.streams: at least one stream needs a weight > 0")
    return tuple(out)


@dataclass(frozen=True)
class OutputSpec:
    """How to write: shard size (rows or uncompressed bytes), compression, row groups."""

    shard_rows: int | None = None
    shard_bytes: int | None = None
    row_group_rows: int = 4096
    compression: str = "zstd"
    compression_level: int = 3
    memory_bytes: int = 512 * 2**20  # spill budget of the local engine's shuffle
    write_rejects: bool = True

    DEFAULT_SHARD_BYTES = 256 * 2**20

    @property
    def target_bytes(self) -> int | None:
        if self.shard_rows is None and self.shard_bytes is None:
            return self.DEFAULT_SHARD_BYTES
        return self.shard_bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "shard_rows": self.shard_rows,
            "shard_bytes": self.target_bytes,
            "row_group_rows": self.row_group_rows,
            "compression": self.compression,
            "compression_level": self.compression_level,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> OutputSpec:
        d = d or {}
        _check_keys(
            d,
            {
                "shard_rows",
                "shard_bytes",
                "row_group_rows",
                "compression",
                "compression_level",
                "memory",
                "write_rejects",
                "form",  # read by the augment operators (errsynth.render.forms)
                "annotations",
                "prm_prompt",
            },
            "output",
        )
        comp = d.get("compression", "zstd")
        if comp not in ("zstd", "snappy", "gzip", "lz4", "brotli", "none"):
            raise MixSpecError(f"output.compression: unsupported {comp!r}")
        level = d.get("compression_level", 3)
        if isinstance(level, bool) or not isinstance(level, int):
            raise MixSpecError(f"output.compression_level: expected an integer, got {level!r}")

        def opt(key: str) -> int | None:
            return None if d.get(key) is None else parse_size(d[key], f"output.{key}")

        return cls(
            shard_rows=opt("shard_rows"),
            shard_bytes=opt("shard_bytes"),
            row_group_rows=opt("row_group_rows") or 4096,
            compression=comp,
            compression_level=level,
            memory_bytes=opt("memory") or 512 * 2**20,
            write_rejects=_bool(d.get("write_rejects", True), "output.write_rejects"),
        )


@dataclass(frozen=True)
class MixJob:
    """``mix:`` and ``output:`` together, with the seed resolved."""

    mix: MixSpec
    output: OutputSpec

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], seed: int | None = None) -> MixJob:
        """From a mapping with ``mix`` (required), ``output`` and ``seed``; other keys (the
        rest of a recipe) are ignored. ``mix.seed`` wins over ``seed`` keys and arguments."""
        if not isinstance(d, Mapping) or "mix" not in d:
            raise MixSpecError("expected a mapping with a 'mix' section")
        top = d.get("seed", seed)
        return cls(MixSpec.from_dict(d["mix"], seed=top), OutputSpec.from_dict(d.get("output")))
