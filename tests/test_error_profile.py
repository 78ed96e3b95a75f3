"""The error-profile file type: counts, weights, round trip, clear errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from errsynth.types.error_profile import (
    KINDS,
    N_BINS,
    ErrorProfile,
    FirstError,
    ProfileError,
    load_profile,
)


def test_counts_and_shares() -> None:
    errs = [FirstError("arith_slip", 0, 4, "offset"), FirstError("arith_slip", 3, 4, "digit"),
            FirstError("premature", 1, 4)]  # fmt: skip
    prof = ErrorProfile.from_errors(errs, meta={"model": "m"})
    assert prof.n == 3
    assert prof.kind_shares()["arith_slip"] == pytest.approx(2 / 3)
    assert prof.subkind_weights("arith_slip") == {"digit": 0.5, "offset": 0.5}
    assert prof.subkind_weights("premature") == {}
    assert prof.relative[0] == 1 and prof.relative[2] == 1 and prof.relative[7] == 1


def test_position_weights_follow_the_histogram() -> None:
    prof = ErrorProfile.from_errors([FirstError("arith_slip", 3, 4)] * 50)
    w = prof.position_weights(4)
    assert len(w) == 4 and sum(w) == pytest.approx(4)
    assert w[3] > 10 * w[0]
    # a kind never measured: uniform
    assert prof.position_weights(5, kind="premature") == [1.0] * 5
    # the same relative place in a longer solution
    w12 = prof.position_weights(12, kind="arith_slip")
    assert max(range(12), key=w12.__getitem__) >= 9


def test_round_trip_and_folder(tmp_path) -> None:
    prof = ErrorProfile.from_errors(
        [FirstError("copy_error", 2, 5), FirstError("wrong_quantity", 0, 3, "x")], meta={"k": 1}
    )
    p = prof.write(tmp_path / "prof")
    assert p.name == "profile.json"
    back = load_profile(tmp_path / "prof")
    assert back.to_dict() == prof.to_dict()


@pytest.mark.parametrize(
    "content, why",
    [
        ("not json", "cannot read"),
        ("[]", "top level"),
        (json.dumps({"version": 9}), "version"),
        (
            json.dumps({"version": 1, "relative_bins": N_BINS, "kinds": {"typo": 1}}),
            "unknown kinds",
        ),
        (json.dumps({"version": 1, "relative_bins": N_BINS, "relative": [1]}), "bins"),
        (json.dumps({"version": 1, "relative_bins": N_BINS, "kinds": {"other": "x"}}), "integer"),
        (json.dumps({"version": 1, "relative_bins": N_BINS, "kinds": {"other": -1}}), "negative"),
    ],
)
def test_bad_files_get_a_clear_error(tmp_path, content: str, why: str) -> None:
    f = tmp_path / "profile.json"
    f.write_text(content)
    with pytest.raises(ProfileError, match=why):
        load_profile(f)


def test_missing_profile(tmp_path) -> None:
    with pytest.raises(ProfileError, match="no error profile"):
        load_profile(tmp_path)


def test_first_error_checks() -> None:
    with pytest.raises(ValueError, match="unknown"):
        FirstError("slip", 0, 1)
    with pytest.raises(ValueError, match="outside"):
        FirstError("other", 3, 3)


@given(
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(1, 40)).flatmap(
            lambda kn: st.tuples(st.just(kn[0]), st.integers(0, kn[1] - 1), st.just(kn[1]))
        ),
        max_size=30,
    ),
    st.integers(1, 30),
)
def test_weights_have_mean_one(errs, n_steps) -> None:
    prof = ErrorProfile.from_errors(FirstError(k, i, n) for k, i, n in errs)
    for kind in (None, *KINDS):
        w = prof.position_weights(n_steps, kind=kind)
        assert len(w) == n_steps and all(x > 0 for x in w)
        assert sum(w) / n_steps == pytest.approx(1.0)
    assert sum(prof.relative) == len(errs)
