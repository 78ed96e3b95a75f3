"""Bounds and YAML features the line-keeping recipe loader handles itself.

`yaml.compose` keeps aliases as shared nodes, so a 400-byte document can stand
for billions of values; the loader builds at most `MAX_VALUES` of them. Merge
keys (`<<: *defaults`) are resolved here the way YAML 1.1 specifies: keys
written in the mapping win over merged ones, and of several merged mappings the
first that has a key wins.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

MAX_VALUES = 100_000  # values in one recipe after expanding aliases (shipped ones: < 200)
MAX_MERGE_DEPTH = 50
MERGE_TAG = "tag:yaml.org,2002:merge"

Pair = tuple[yaml.Node, yaml.Node]
ErrorAt = Callable[[yaml.Node, str], Exception]


def too_many_values_message() -> str:
    return (
        f"the recipe expands to more than {MAX_VALUES:,} values through YAML aliases "
        "(*name); recipes need far fewer: write the values out or use fewer aliases"
    )


def _key_id(node: yaml.Node) -> object:
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else id(node)


def merged_pairs(
    node: yaml.MappingNode,
    error: ErrorAt,
    depth: int = 0,
    cache: dict[int, list[Pair]] | None = None,
) -> list[Pair]:
    """The mapping's (key, value) node pairs with `<<` merge keys resolved."""
    cache = {} if cache is None else cache
    if id(node) in cache:
        return cache[id(node)]
    if depth > MAX_MERGE_DEPTH:
        raise error(node, f"merge keys (<<) nested deeper than {MAX_MERGE_DEPTH} (a loop?)")
    explicit: list[Pair] = []
    merged: list[Pair] = []
    for key, value in node.value:
        if key.tag != MERGE_TAG:
            explicit.append((key, value))
            continue
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        if not isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) or not all(
            isinstance(s, yaml.MappingNode) for s in sources
        ):
            raise error(key, "a merge key (<<) takes a mapping or a list of mappings")
        for source in sources:
            merged.extend(merged_pairs(source, error, depth + 1, cache))
    seen = {_key_id(k) for k, _ in explicit}
    out = list(explicit)
    for key, value in merged:
        if _key_id(key) not in seen:
            seen.add(_key_id(key))
            out.append((key, value))
    cache[id(node)] = out
    return out
