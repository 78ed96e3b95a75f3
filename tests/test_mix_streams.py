"""Stream conditions: values, lists, operators, nulls, first match wins."""

from __future__ import annotations

import pyarrow as pa
import pytest

from errsynth.mix.spec import MixSpec, MixSpecError
from errsynth.mix.streams import NO_STREAM, assign_streams, filter_columns

TABLE = pa.table(
    {
        "kind": ["clean", "reorder", "arith", None, "reorder"],
        "style": ["back", "back", "igsm", "back", "natural"],
        "n_errors": pa.array([0, 1, 2, 1, 3], pa.int32()),
    }
)


def _assign(*streams: dict) -> list[int]:
    spec = MixSpec.from_dict({"streams": list(streams)})
    return assign_streams(TABLE, spec.streams).tolist()


def test_equality_and_conjunction() -> None:
    got = _assign({"name": "rb", "where": {"kind": "reorder", "style": "back"}})
    assert got == [NO_STREAM, 0, NO_STREAM, NO_STREAM, NO_STREAM]


def test_operators_and_nulls() -> None:
    assert _assign({"name": "x", "where": {"kind": ["arith", "clean"]}}) == [0, -1, 0, -1, -1]
    assert _assign({"name": "x", "where": {"kind": {"ne": "clean"}}}) == [-1, 0, 0, -1, 0]
    assert _assign({"name": "x", "where": {"kind": {"not_in": ["clean"]}}}) == [-1, 0, 0, -1, 0]
    assert _assign({"name": "x", "where": {"kind": {"is_null": True}}}) == [-1, -1, -1, 0, -1]
    assert _assign({"name": "x", "where": {"n_errors": {"ge": 1, "lt": 3}}}) == [-1, 0, 0, 0, -1]


def test_first_matching_stream_wins() -> None:
    got = _assign(
        {"name": "back", "where": {"style": "back"}},
        {"name": "retry", "where": {"n_errors": {"gt": 0}}},
    )
    assert got == [0, 0, 1, 0, 1]


def test_missing_column_and_bad_value_are_clear() -> None:
    with pytest.raises(MixSpecError, match="column 'colour' is not in the input"):
        _assign({"name": "x", "where": {"colour": "red"}})
    with pytest.raises(MixSpecError, match="does not fit"):
        _assign({"name": "x", "where": {"n_errors": "many"}})


def test_filter_columns() -> None:
    spec = MixSpec.from_dict(
        {
            "streams": [
                {"name": "a", "where": {"kind": 1, "style": 2}},
                {"name": "b", "where": {"n": 1}},
            ]
        }
    )
    assert filter_columns(spec.streams) == ["kind", "style", "n"]
