"""Load YAML keeping the line of every value, so errors can point at the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from errsynth.core.unicode_checks import lone_surrogate
from errsynth.recipe.yaml_guard import MAX_VALUES, merged_pairs, too_many_values_message

Path_ = tuple[str | int, ...]


class YamlError(ValueError):
    """A YAML syntax error, with the file and line in the message."""


class _Converter:
    """Nodes to Python values with the line of each, bounded and strict.

    Bounded: aliases can expand a few hundred bytes into billions of values
    ("billion laughs"), so at most MAX_VALUES values are built and a recursive
    alias is refused. Strict: keys must be plain scalars, merge keys (`<<`) are
    merged, scalars must be writable text and convertible numbers.
    """

    def __init__(self, name: str, lines: dict[Path_, int]) -> None:
        self.name = name
        self.lines = lines
        self.count = 0
        self.active: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()
        self.merges: dict[int, list[tuple[yaml.Node, yaml.Node]]] = {}

    def error(self, node: yaml.Node, message: str) -> YamlError:
        return YamlError(f"{self.name}:{node.start_mark.line + 1}: {message}")

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.error(node, too_many_values_message())
        if id(node) in self.active:
            raise self.error(node, "a YAML alias refers to itself (recursive alias)")
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            out: dict[Any, Any] = {}
            for key_node, value_node in merged_pairs(node, self.error, cache=self.merges):
                key = self.key(key_node)
                if key in out:
                    raise self.error(key_node, f"duplicate key {key!r}")
                out[key] = self.convert(value_node, (*path, key))
            return out
        finally:
            self.active.discard(id(node))

    def key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
            raise self.error(node, f"a key must be a plain value, not a {kind} (a `? ` key)")
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            problem = getattr(exc, "problem", None) or str(exc).split(";")[0]
            raise self.error(node, f"cannot read the value {node.value[:40]!r}: {problem}") from exc
        if isinstance(value, str):
            position = lone_surrogate(value)
            if position is not None:
                raise self.error(
                    node,
                    f"the text holds a lone surrogate at character {position} (not valid Unicode)",
                )
        elif value is not None and not isinstance(value, (bool, int, float)):
            return node.value  # dates, binary: the text as written
        return value


def load_with_lines(text: str, name: str = "<recipe>") -> tuple[Any, dict[Path_, int]]:
    """The parsed document and a map from each value's path to its 1-based line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(f"{where}: YAML syntax error: {problem}") from exc
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    return _Converter(name, lines).convert(node, ()), lines


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest parent that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get(())


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{path}: not UTF-8 text ({exc})") from exc
