"""Profile-matched fake errors: ``arith``, ``reorder``, ``distractor`` with ``profile: PATH``.

A synthetic profile concentrated on late (or early) steps moves the placed mistakes
there, on real GSM8K (../shared/corpora, skipped when absent) and on the project's own
generated iGSM rows; arith's perturbation kinds follow the profile's subkinds; without
the option every output is the one of the code before profiles existed (digests pinned
from commit 33fc9e2); a bad profile is a clear error at recipe load and on the CLI; the
Ray engine gives the local bytes with a profile; every emitted sample passed the
validators (augment rejects invalid ones as ``invalid``: none here).

The statistics: each row gives one observation (the mean relative position
``at / n_steps`` of its attempts), rows are independent, and a shift counts only when
it is both large (a margin) and far beyond sampling noise (a z of the difference of
means above 6: about one in a billion by chance).
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from errsynth.cli import main
from errsynth.core.params import ParamError
from errsynth.engine import LocalExecutor, RayExecutor
from errsynth.igsm.generator import generate
from errsynth.ingest.run import ingest
from errsynth.recipe import RecipeError, load_recipe
from errsynth.render import StyleConfig
from errsynth.runner import run_recipe
from errsynth.steps.augment import AugmentSpec, augment_table
from errsynth.transforms import make_transform
from errsynth.transforms.base import Skip, Transform, row_rng
from errsynth.types.error_profile import ErrorProfile, FirstError
from errsynth.validate import validate_candidate

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
DATA = Path(__file__).parent / "data"
FAKE = ("arith", "reorder", "distractor")
KIND_OF = {"arith": "arith_slip", "reorder": "premature", "distractor": "wrong_quantity"}
GSM8K_ROWS = 2000

# sha256 of augment_table's samples + rejects (see _outputs_digest) made by commit 33fc9e2,
# the code before profiles, with the options below: the option unset must not change a byte.
BASE_DIGESTS = {
    "own": "dfffa525c9e604a2b407ec0cdcada2972d846537c770dd5c150420988b331615",
    "gsm8k": "80aba536b8fafb1051c84e1c9dd34410c43a48a7c9d46e7710b0795c3626fc36",
}


# -- profiles -----------------------------------------------------------------------------


def positional_profile(half: str, kinds: Iterable[str], subkinds: dict[str, int] | None = None):
    """Every first error in the late (second) or early (first) half of its solution, or
    (``"all"``) at every position alike."""
    errors = []
    for kind in kinds:
        for n in range(2, 13):
            for i in range(n):
                late = i / n >= 0.5
                if half == "all" or late == (half == "late"):
                    errors.append(FirstError(kind, i, n))
    prof = ErrorProfile.from_errors(errors, meta={"synthetic": half})
    for sub, count in (subkinds or {}).items():
        prof.subkinds.setdefault("arith_slip", Counter())[sub] += count
    return prof


def write_profile(prof: ErrorProfile, folder: Path) -> Path:
    return prof.write(folder)


# -- data ---------------------------------------------------------------------------------


def _solutions(raw: list[Path], out: Path) -> list[dict[str, Any]]:
    ingest(raw, out)
    return pq.read_table(out / "solutions.parquet").to_pylist()


@pytest.fixture(scope="module")
def own_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The project's own data: generated iGSM problems (many steps) and the GSM8K mini file."""
    base = tmp_path_factory.mktemp("own")
    rows = list(generate(400, 12, 5, names="short"))
    pq.write_table(pa.Table.from_pylist(rows), base / "igsm.parquet")
    shutil.copy(DATA / "gsm8k_mini.jsonl", base / "gsm8k_mini.jsonl")
    return _solutions([base / "igsm.parquet", base / "gsm8k_mini.jsonl"], base / "ing")


@pytest.fixture(scope="module")
def gsm8k_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The first GSM8K_ROWS rows of real GSM8K train."""
    src = CORPORA / "gsm8k" / "train.jsonl"
    if not src.exists():
        pytest.skip(f"real corpus gsm8k/train.jsonl not present at {CORPORA}")
    base = tmp_path_factory.mktemp("gsm8k")
    with src.open(encoding="utf-8") as f, (base / "gsm8k.jsonl").open("w") as g:
        for _, line in zip(range(GSM8K_ROWS), f, strict=False):
            g.write(line)
    return _solutions([base / "gsm8k.jsonl"], base / "ing")


def _candidates(t: Transform, rows: list[dict[str, Any]], seed: int = 0) -> list[Any]:
    t.prepare(iter(rows), seed)
    out = []
    for row in rows:
        try:
            cand = t.apply(row, row_rng(seed, row["id"], t.name))
        except Skip:
            continue
        assert validate_candidate(cand) == [], row["id"]
        out.append(cand)
    return out


def _row_means(cands: list[Any]) -> list[float]:
    """Per candidate, the mean relative position of its attempts (one value per row)."""
    return [
        sum(a.at / len(c.row["steps"]) for a in c.attempts) / len(c.attempts)
        for c in cands
        if c.attempts
    ]


def _shift(base: list[float], moved: list[float]) -> tuple[float, float]:
    """(difference of means, its z: difference over the standard error)."""

    def mean_var(xs: list[float]) -> tuple[float, float]:
        m = sum(xs) / len(xs)
        return m, sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    m0, v0 = mean_var(base)
    m1, v1 = mean_var(moved)
    return m1 - m0, (m1 - m0) / math.sqrt(v0 / len(base) + v1 / len(moved))


def _assert_positions_follow(rows: list[dict[str, Any]], tmp_path: Path, name: str) -> None:
    late = write_profile(positional_profile("late", [KIND_OF[name]]), tmp_path / "late")
    early = write_profile(positional_profile("early", [KIND_OF[name]]), tmp_path / "early")
    plain = _row_means(_candidates(make_transform(name), rows))
    to_late = _row_means(_candidates(make_transform(name, profile=str(late)), rows))
    to_early = _row_means(_candidates(make_transform(name, profile=str(early)), rows))
    assert min(len(plain), len(to_late), len(to_early)) > 0.8 * len(rows) * 0.5
    d, z = _shift(plain, to_late)
    print(f"{name}: late profile shifts the mean relative position by {d:+.3f} (z={z:.1f})")
    assert d > 0.08 and z > 6, (d, z)
    d, z = _shift(plain, to_early)
    print(f"{name}: early profile shifts the mean relative position by {d:+.3f} (z={z:.1f})")
    assert d < -0.04 and z < -6, (d, z)


# -- positions ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", FAKE)
def test_positions_follow_the_profile_on_real_gsm8k(
    gsm8k_rows: list[dict[str, Any]], tmp_path: Path, name: str
) -> None:
    _assert_positions_follow(gsm8k_rows, tmp_path, name)


@pytest.mark.parametrize("name", FAKE)
def test_positions_follow_the_profile_on_own_rows(
    own_rows: list[dict[str, Any]], tmp_path: Path, name: str
) -> None:
    _assert_positions_follow(own_rows, tmp_path, name)


def test_a_kind_never_measured_falls_back_to_all_kinds_then_uniform(tmp_path: Path) -> None:
    only_premature = positional_profile("late", ["premature"])
    assert only_premature.position_source("premature") == "kind"
    assert only_premature.position_source("arith_slip") == "all"
    w = only_premature.placement_weights(6, "arith_slip")
    assert w == only_premature.position_weights(6) and w[-1] > 3 * w[0]
    empty = ErrorProfile()
    assert empty.position_source("arith_slip") == "uniform"
    assert empty.placement_weights(5, "arith_slip") == [1.0] * 5
    t = make_transform("arith", profile=str(write_profile(only_premature, tmp_path / "p")))
    assert t.param_dict()["profile_positions"] == "all"
    assert make_transform("reorder", profile=str(tmp_path / "p")).param_dict()[
        "profile_positions"
    ] == ("kind")


# -- arith's perturbation kinds -----------------------------------------------------------


def test_arith_kinds_follow_the_subkinds_on_real_gsm8k(
    gsm8k_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    shares = {"offset": 0.6, "operator": 0.3, "digit": 0.1}
    prof = positional_profile("late", ["arith_slip"], {k: int(v * 100) for k, v in shares.items()})
    prof.subkinds["arith_slip"]["other"] = 40  # not a perturbation: dropped, rest renormalized
    path = write_profile(prof, tmp_path / "p")
    got = Counter(
        a.detail["perturbation"]
        for c in _candidates(make_transform("arith", profile=str(path)), gsm8k_rows)
        for a in c.attempts
    )
    plain = Counter(
        a.detail["perturbation"]
        for c in _candidates(make_transform("arith"), gsm8k_rows)
        for a in c.attempts
    )
    n = sum(got.values())
    observed = {k: got[k] / n for k in got}
    print(f"arith perturbations with the profile: {observed} (n={n}); without: {dict(plain)}")
    assert set(got) <= set(shares)  # kinds the model never made are never made
    assert n > 1000
    for kind, share in shares.items():  # standard error about 0.015 at n > 1000
        assert abs(observed[kind] - share) < 0.07, (kind, observed[kind], share)
    assert plain["offset"] / sum(plain.values()) < 0.3  # today: about a sixth each


def test_arith_kinds_on_own_rows_modular_and_unmeasured(
    own_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    # iGSM residues: decimal is not a modular kind, so only offset is drawn there
    path = write_profile(
        positional_profile("late", ["arith_slip"], {"offset": 3, "decimal": 7}), tmp_path / "a"
    )
    igsm = [r for r in own_rows if r["format"] == "igsm"]
    kinds = Counter(
        a.detail["perturbation"]
        for c in _candidates(make_transform("arith", profile=str(path)), igsm)
        for a in c.attempts
    )
    assert set(kinds) == {"offset"}, kinds
    # a profile with no arith subkinds measured draws the kinds as without a profile (its
    # positions spread alike: later steps are more often computations than copies, which
    # would change the kinds that apply)
    none_measured = write_profile(positional_profile("all", ["arith_slip"]), tmp_path / "b")
    assert make_transform("arith", profile=str(none_measured))._kind_weights == (None, None)
    with_p = Counter(
        a.detail["perturbation"]
        for c in _candidates(make_transform("arith", profile=str(none_measured)), igsm)
        for a in c.attempts
    )
    without = Counter(
        a.detail["perturbation"]
        for c in _candidates(make_transform("arith"), igsm)
        for a in c.attempts
    )
    tv = 0.5 * sum(
        abs(with_p[k] / sum(with_p.values()) - without[k] / sum(without.values()))
        for k in set(with_p) | set(without)
    )
    print(f"unmeasured subkinds: {dict(with_p)} vs {dict(without)}, total variation {tv:.3f}")
    assert set(with_p) == set(without) and tv < 0.08


# -- unset: byte-identical ----------------------------------------------------------------

UNSET_TRANSFORMS = (
    ("reorder", {"rate": 0.2}),
    ("arith", {"rate": 0.2, "propagate": 1}),
    ("distractor", {"rate": 0.2}),
)


def outputs_digest(solutions: Path, out: Path, **extra: Any) -> str:
    """sha256 of every sample and reject that augment_table writes (row contents, in order)."""
    spec = AugmentSpec(
        transforms=[make_transform(n, **p, **extra) for n, p in UNSET_TRANSFORMS],
        style=StyleConfig(name="back"),
        seed=3,
        include_clean=True,
    )
    augment_table(solutions, out, spec)
    h = hashlib.sha256()
    for name in ("samples.parquet", "rejects.parquet"):
        rows = pq.read_table(out / name).to_pylist()
        h.update(json.dumps(rows, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _solutions_path(rows: list[dict[str, Any]], path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_unset_is_byte_identical_on_own_rows(own_rows: list[dict[str, Any]], tmp_path: Path):
    sol = _solutions_path(own_rows, tmp_path / "solutions.parquet")
    digest = outputs_digest(sol, tmp_path / "a")
    assert digest == BASE_DIGESTS["own"]
    assert outputs_digest(sol, tmp_path / "b", profile=None) == digest


def test_unset_is_byte_identical_on_real_gsm8k(gsm8k_rows: list[dict[str, Any]], tmp_path: Path):
    sol = _solutions_path(gsm8k_rows, tmp_path / "solutions.parquet")
    digest = outputs_digest(sol, tmp_path / "a")
    assert digest == BASE_DIGESTS["gsm8k"]
    # and a profile does change them (the digest can tell)
    prof = write_profile(positional_profile("late", ["arith_slip"]), tmp_path / "p")
    assert outputs_digest(sol, tmp_path / "b", profile=str(prof)) != digest
    # every sample placed by the profile passed validation and the round trip
    reasons = set(pq.read_table(tmp_path / "b" / "rejects.parquet").column("reason").to_pylist())
    assert reasons <= {"no_equation", "no_numeric_equation"}, reasons


def test_params_record_the_profile_only_when_set(tmp_path: Path) -> None:
    prof = positional_profile("late", ["premature"])
    path = write_profile(prof, tmp_path / "p")
    for name in FAKE:
        assert "profile" not in make_transform(name).param_dict()
        params = make_transform(name, profile=str(tmp_path / "p")).param_dict()
        assert params["profile"] == str(tmp_path / "p")
        assert params["profile_digest"] == prof.digest()[:16]
    assert path.name == "profile.json"


# -- bad profiles: clear errors where the recipe or the command line is read --------------


def _recipe(folder: Path, profile: str, n: int = 200) -> Path:
    data = {
        "name": "profiled",
        "seed": 0,
        "sources": [
            {"name": "gen", "generate": {"n": n, "max_ops": 8, "seed": 1, "names": "short"}}
        ],
        "process": [
            {
                "augment": {
                    "transforms": [
                        {"reorder": {"rate": 0.2, "profile": profile}},
                        {"arith": {"rate": 0.2, "profile": profile}},
                        {"distractor": {"rate": 0.2, "profile": profile}},
                    ],
                    "style": {"name": "back"},
                    "include_clean": True,
                }
            }
        ],
        "engine": {"chunk_rows": 50},
        "output": {"shard_rows": 200},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_bad_profile_is_a_recipe_error_with_its_line(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path, "profiles/missing")
    with pytest.raises(RecipeError) as exc:
        load_recipe(recipe)
    text = str(exc.value)
    assert f"{recipe}:" in text and "process.0" in text and "no error profile" in text
    assert str(tmp_path / "profiles" / "missing") in text  # resolved against the recipe
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "broken.json").write_text("{not json")
    (tmp_path / "profiles" / "other.json").write_text('{"version": 1, "relative_bins": 7}')
    for name, why in (("broken.json", "cannot read"), ("other.json", "relative_bins")):
        with pytest.raises(RecipeError) as exc:
            load_recipe(_recipe(tmp_path, f"profiles/{name}"))
        assert why in str(exc.value) and "transform 'reorder': profile:" in str(exc.value)
    with pytest.raises(ParamError, match="profile must be a path"):
        make_transform("arith", profile=3)


_AUGMENT_MINI = ["augment", str(DATA / "gsm8k_mini.jsonl"), "-q", "-o"]


def test_cli_profile_option_and_errors(tmp_path: Path) -> None:
    prof = write_profile(positional_profile("late", ["arith_slip"], {"offset": 1}), tmp_path / "p")
    both = ["-t", "arith", "-t", "reorder"]
    ok = CliRunner().invoke(
        main, [*_AUGMENT_MINI, str(tmp_path / "out"), *both, "--profile", str(prof.parent)]
    )
    assert ok.exit_code == 0, ok.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["transforms"]["arith"]["profile"] == str(prof.parent)
    samples = pq.read_table(tmp_path / "out" / "samples.parquet").to_pylist()
    arith = [s for s in samples if s["kind"] == "arith"]
    kinds = {json.loads(e["detail"])["perturbation"] for s in arith for e in s["errors"]}
    assert arith and kinds == {"offset"}
    missing = CliRunner().invoke(
        main,
        [*_AUGMENT_MINI, str(tmp_path / "o2"), "-t", "arith", "--profile", str(tmp_path / "x")],
    )
    assert missing.exit_code == 2 and "no error profile" in missing.output
    assert "Traceback" not in missing.output
    wrong = CliRunner().invoke(
        main,
        [*_AUGMENT_MINI, str(tmp_path / "o3"), "-t", "igsm_retry", "--profile", str(prof)],
    )
    assert wrong.exit_code == 2 and "takes a profile" in wrong.output


# -- engines ------------------------------------------------------------------------------


def test_a_pickled_transform_needs_no_profile_file(tmp_path: Path, own_rows: list[dict]) -> None:
    """What a Ray worker gets: the loaded counts travel with the transform, not the path."""
    path = write_profile(positional_profile("late", ["arith_slip"], {"digit": 1}), tmp_path / "p")
    t = make_transform("arith", profile=str(path))
    shipped = pickle.dumps(t)
    shutil.rmtree(tmp_path / "p")
    clone = pickle.loads(shipped)
    rows = [r for r in own_rows if r["format"] == "igsm"][:60]
    a = [c.attempts for c in _candidates(t, rows)]
    assert a and a == [c.attempts for c in _candidates(clone, rows)]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


def test_ray_gives_the_local_bytes_with_a_profile(ray_local: Any, tmp_path: Path) -> None:
    write_profile(
        positional_profile("late", ["arith_slip", "premature"], {"offset": 2, "operator": 1}),
        tmp_path / "recipe" / "profiles" / "late",
    )
    recipe = _recipe(tmp_path / "recipe", "profiles/late")
    local = run_recipe(load_recipe(recipe), tmp_path / "local", executor=LocalExecutor())
    remote = run_recipe(load_recipe(recipe), tmp_path / "ray", executor=RayExecutor(partitions=2))
    assert remote["engine"] == "ray"
    shards = _hashes(tmp_path / "local" / "shards")
    assert shards and _hashes(tmp_path / "ray" / "shards") == shards
    assert _hashes(tmp_path / "ray" / "rejects") == _hashes(tmp_path / "local" / "rejects")
    stage = next(s for s in local["stages"] if s["stage"].endswith("augment"))
    assert "invalid" not in json.dumps(stage["per_transform"])
    samples = pq.read_table(tmp_path / "local" / "shards").to_pylist()
    metas = [json.loads(s["meta"]) for s in samples if s["kind"] in FAKE]
    assert metas and all(m["params"]["profile_digest"] for m in metas)


# -- the additive helpers of types.error_profile ------------------------------------------

_first_errors = st.integers(1, 30).flatmap(
    lambda n: st.builds(
        FirstError,
        kind=st.sampled_from(["arith_slip", "premature", "wrong_quantity", "other"]),
        step_index=st.integers(0, n - 1),
        n_steps=st.just(n),
        subkind=st.sampled_from(["", "offset", "digit", "other"]),
    )
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_first_errors, max_size=40), st.integers(1, 40), st.sampled_from(FAKE))
def test_placement_weights_are_positive_mean_one_and_fall_back(
    errors: list[FirstError], n: int, name: str
) -> None:
    prof = ErrorProfile.from_errors(errors)
    kind = KIND_OF[name]
    w = prof.placement_weights(n, kind)
    assert len(w) == n and min(w) > 0 and abs(sum(w) / n - 1) < 1e-9
    source = prof.position_source(kind)
    if any(e.kind == kind for e in errors):
        assert source == "kind" and w == prof.position_weights(n, kind)
    elif errors:
        assert source == "all" and w == prof.position_weights(n)
    else:
        assert source == "uniform" and w == [1.0] * n
    again = ErrorProfile.from_dict(json.loads(json.dumps(prof.to_dict())))
    assert again.digest() == prof.digest()
    shares = prof.transform_shares(FAKE)
    assert all(v >= 0 for v in shares.values())
    assert abs(sum(shares.values()) - 1) < 1e-9 or not any(shares.values())


def test_transform_shares_and_digest() -> None:
    prof = ErrorProfile.from_errors(
        [FirstError("arith_slip", 0, 2)] * 3 + [FirstError("premature", 1, 2)]
    )
    assert prof.transform_shares(["arith", "reorder"]) == {"arith": 0.75, "reorder": 0.25}
    assert prof.transform_shares(["distractor"]) == {"distractor": 0.0}
    with pytest.raises(ValueError, match="igsm_retry"):
        prof.transform_shares(["igsm_retry"])
    other = ErrorProfile.from_errors([FirstError("arith_slip", 1, 2)] * 3)
    assert len(prof.digest()) == 64 and prof.digest() != other.digest()
