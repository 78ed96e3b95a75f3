"""Parsing of the recipe's mix: and output: sections."""

from __future__ import annotations

from typing import Any

import pytest

from errsynth.mix.spec import EXAMPLE_RECIPE, MixJob, MixSpec, MixSpecError, OutputSpec, parse_size


def _mix(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "streams": [
            {"name": "clean", "where": {"kind": "clean"}, "weight": 3},
            {"name": "retry", "where": {"kind": {"ne": "clean"}}, "weight": 1},
        ]
    }
    d.update(over)
    return d


def test_defaults_and_seed_precedence() -> None:
    spec = MixSpec.from_dict(_mix())
    assert spec.weight_by == "rows" and spec.target is None and spec.tokenizer == "whitespace"
    assert spec.seed == 0
    assert MixSpec.from_dict(_mix(), seed=5).seed == 5
    assert MixSpec.from_dict(_mix(seed=7), seed=5).seed == 7
    job = MixJob.from_dict(
        {"seed": 9, "mix": _mix(), "output": {"shard_rows": "10k"}, "augment": {"ignored": True}}
    )
    assert job.mix.seed == 9 and job.output.shard_rows == 10_000


def test_targets_and_sizes() -> None:
    assert MixSpec.from_dict(_mix(target=1000)).target == 1000
    assert MixSpec.from_dict(_mix(target="all")).target is None
    assert (
        MixSpec.from_dict(_mix(weight_by="tokens", target={"tokens": "2.5M"})).target == 2_500_000
    )
    assert parse_size("256MiB", "x") == 256 * 2**20
    assert OutputSpec.from_dict({"shard_bytes": "64MB"}).target_bytes == 64_000_000
    assert OutputSpec.from_dict({}).target_bytes == 256 * 2**20
    assert OutputSpec.from_dict({"shard_rows": 5}).target_bytes is None


def test_stream_column_mode() -> None:
    spec = MixSpec.from_dict(
        {"stream_column": "bucket", "streams": [{"name": "a", "weight": 1}, {"name": "b"}]}
    )
    assert spec.streams[0].where == {"bucket": "a"} and spec.streams[1].weight == 1.0


@pytest.mark.parametrize(
    ("mix", "message"),
    [
        (_mix(weight_by="bytes"), "mix.weight_by"),
        (_mix(target={"tokens": 5}), "needs weight_by: tokens"),
        (_mix(target=-3), "must be > 0"),
        (_mix(target="lots"), "mix.target"),
        (_mix(colour="red"), "unknown key"),
        (_mix(streams=[]), "non-empty list"),
        (_mix(streams=[{"name": "a", "where": {"kind": "x"}, "weight": -1}]), "weight"),
        (_mix(streams=[{"name": "a", "where": {"kind": "x"}, "weight": 0}]), "weight > 0"),
        (_mix(streams=[{"name": "a", "weight": 1}]), "where: required"),
        (_mix(streams=[{"name": "a", "where": {"kind": {"like": "x"}}}]), "unknown operator"),
        (_mix(streams=[{"name": "a", "where": {"kind": "x"}}] * 2), "named twice"),
        (_mix(on_shortfall="ignore"), "on_shortfall"),
        (_mix(allow_repeat="yes"), "allow_repeat"),
        ({"stream_column": "s", "streams": [{"name": "a", "where": {"k": 1}}]}, "not allowed"),
    ],
)
def test_errors_name_the_key(mix: dict[str, Any], message: str) -> None:
    with pytest.raises(MixSpecError, match=message):
        MixSpec.from_dict(mix)


def test_output_errors() -> None:
    with pytest.raises(MixSpecError, match=r"output\.compression"):
        OutputSpec.from_dict({"compression": "lzma"})
    with pytest.raises(MixSpecError, match="unknown key"):
        OutputSpec.from_dict({"shards": 3})
    with pytest.raises(MixSpecError, match="'mix' section"):
        MixJob.from_dict({"output": {}})


def test_example_recipe_parses() -> None:
    yaml = pytest.importorskip("yaml")
    job = MixJob.from_dict(yaml.safe_load(EXAMPLE_RECIPE))
    assert job.mix.seed == 1234 and job.mix.target == 50_000_000
    assert [s.name for s in job.mix.streams] == ["clean", "reorder_back", "other_retry"]
    assert job.mix.repeat_allowed(job.mix.streams[2]) and not job.mix.allow_repeat
    assert job.output.target_bytes == 256 * 2**20 and job.output.memory_bytes == 512 * 2**20
