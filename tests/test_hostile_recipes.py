"""Hostile and careless recipes: each ends in a FILE:LINE error, never a traceback or a hang."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.recipe import RecipeError, load_recipe

GEN = "  - {name: gen, generate: {n: 6, max_ops: 3}}\n"


def _write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _problems(path: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(RecipeError) as exc:
        load_recipe(path, overrides)
    return exc.value.problems


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    return result.exit_code, output


def test_billion_laughs_is_refused_quickly_with_file_and_line(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, 10):
        refs = ",".join([f"*a{k - 1}"] * 9)
        lines.append(f"a{k}: &a{k} [{refs}]")
    path = _write(tmp_path, "\n".join(lines) + "\nsources:\n" + GEN)
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:") and "alias" in problems[0]
    code, out = _cli("recipe", "validate", str(path))
    assert code != 0 and "Error:" in out and "alias" in out


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "a: &a [*a]\nsources:\n" + GEN)
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:1:") and "alias" in problem


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "x-gen: &g {n: 6, max_ops: 3}\nsources:\n  - {name: a, generate: *g}\n"
        "  - {name: b, generate: *g}\n",
    )
    recipe = load_recipe(path)  # x- keys hold anchors, like docker compose's extension fields
    assert [s["generate"] for s in recipe.data["sources"]] == [{"n": 6, "max_ops": 3}] * 2
    path.write_text("gen: &g {n: 6}\nsources:\n  - {name: a, generate: *g}\n")
    (problem,) = _problems(path)  # any other unknown key is named, with its line
    assert problem.startswith(f"{path}:1:") and "unknown key(s) ['gen']" in problem


def test_merge_keys_are_merged(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "name: m\nsources:\n  - &base {name: a, generate: {n: 6, max_ops: 3}}\n"
        "  - {<<: *base, name: b}\n"
        "  - name: c\n    generate:\n      <<: [{n: 4}, {max_ops: 2, n: 9}]\n      seed: 3\n",
    )
    recipe = load_recipe(path)
    sources = recipe.data["sources"]
    assert sources[1] == {"name": "b", "generate": {"n": 6, "max_ops": 3}}
    assert sources[2]["generate"] == {"n": 4, "max_ops": 2, "seed": 3}


def test_merge_key_of_a_scalar_is_an_error_with_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: m\nsources:\n  - {<<: 3, name: a, generate: {n: 6}}\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:3:") and "merge" in problem


def test_complex_keys_are_an_error_with_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: t\nsources:\n" + GEN + "? [a, b]\n: 1\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:4:") and "key" in problem
    code, out = _cli("recipe", "validate", str(path))
    assert code != 0 and "Error:" in out


@pytest.mark.parametrize("assignment", ["seed.x=1", "name.0=a", "sources.0.name.x=1"])
def test_set_into_a_scalar_is_an_error(tmp_path: Path, assignment: str) -> None:
    path = _write(tmp_path, "name: t\nseed: 0\nsources:\n" + GEN)
    (problem,) = _problems(path, (assignment,))
    assert "--set" in problem and "not a mapping" in problem
    code, out = _cli("recipe", "validate", str(path), "--set", assignment)
    assert code != 0 and "Error:" in out


def test_generate_n_is_bounded(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources:\n  - {name: g, generate: {n: 100000000000000000000}}\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:2: sources.0.generate.n:") and "maximum" in problem


def test_generate_max_ops_out_of_range_is_found_at_load(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources:\n  - {name: g, generate: {n: 5, max_ops: 99}}\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:2: sources.0.generate.max_ops:")


PROCESS_CASES = {
    "minhash_threshold_0": ("dedup_minhash: {threshold: 0}", "threshold"),
    "minhash_threshold_big": ("dedup_minhash: {threshold: 1.5}", "threshold"),
    "minhash_ngram_0": ("dedup_minhash: {ngram: 0}", "ngram"),
    "minhash_num_perm_0": ("dedup_minhash: {num_perm: 0}", "num_perm"),
    "minhash_bands_rows": ("dedup_minhash: {bands: 64, rows: 64}", "num_perm"),
    "decontam_ngram_0": ("decontaminate: {eval: [ev.jsonl], ngram: 0}", "ngram"),
    "decontam_not_json": ("decontaminate: {eval: [ev.txt]}", "ev.txt:2"),
    "dedup_exact_missing_column": ("dedup_exact: {fields: nosuch}", "nosuch"),
    "dedup_exact_list_column": ("dedup_exact: {fields: steps}", "steps"),
    "dedup_before_augment_on_text": ("dedup_exact: {fields: [question, text]}", "text"),
    "augment_unknown_key": (
        "augment: {transforms: [{reorder: {rate: 0.2}}], bogus: 1}",
        "'bogus' was unexpected",
    ),
    "augment_unknown_transform_key": (
        "augment: {transforms: [{reorder: {bogus: 1}}]}",
        "'bogus' was unexpected",
    ),
    "augment_unknown_style_key": ("augment: {style: {bogus: 1}}", "'bogus' was unexpected"),
}


@pytest.mark.parametrize("case", sorted(PROCESS_CASES))
def test_settings_that_crashed_later_are_refused_at_load(tmp_path: Path, case: str) -> None:
    entry, needle = PROCESS_CASES[case]
    (tmp_path / "ev.jsonl").write_text('{"question": "a b c"}\n')
    (tmp_path / "ev.txt").write_text('{"question": "a b c"}\nthis is not json\n')
    path = _write(tmp_path, f"name: t\nsources:\n{GEN}process:\n  - {entry}\n")
    problems = _problems(path)
    assert any(p.startswith(f"{path}:5:") and needle in p for p in problems), problems
    code, out = _cli("recipe", "validate", str(path))
    assert code != 0 and "Error:" in out and needle in out
    code, out = _cli("run", str(path), "-o", str(tmp_path / "run"), "-q")
    assert code != 0 and "Error:" in out


def test_dedup_on_a_sample_column_after_augment_is_fine(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"name: t\nsources:\n{GEN}process:\n  - augment: {{transforms: [{{reorder: {{}}}}]}}\n"
        "  - dedup_exact: {fields: text}\n",
    )
    load_recipe(path)


def test_recipe_with_surrogate_and_huge_int_values(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name: "\\ud800"\nseed: ' + "9" * 5000 + "\nsources:\n" + GEN)
    code, out = _cli("recipe", "validate", str(path))
    assert code != 0 and "Error:" in out
    json.dumps(out)  # printable


def test_eval_file_with_surrogates_is_used_and_huge_ints_are_refused(tmp_path: Path) -> None:
    (tmp_path / "ev.jsonl").write_text(
        '\ufeff{"question": "a b c \\ud800 d e f g h i j k l m n"}\n{"id": "\\udc00"}\n'
    )
    path = _write(
        tmp_path,
        f"name: t\nsources:\n{GEN}process:\n  - decontaminate: {{eval: [ev.jsonl], ngram: 3}}\n",
    )
    code, out = _cli("run", str(path), "-o", str(tmp_path / "run"), "-q")
    assert code == 0, out
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    (tmp_path / "ev.jsonl").write_text(
        '{"question": "q"}\n{"question": "q", "n": ' + "9" * 5000 + "}\n"
    )
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:5:") and "ev.jsonl:2" in problem and "digits" in problem
