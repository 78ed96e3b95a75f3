"""errsynth harvest against a loopback server playing a model with a known error profile.

The scripted model (tests/scripted_model.py) answers harvest's solver prompt with the
reference solution, or with a first error of a scripted kind at a scripted step (the rest
following from it), and logs what it did: the tests compare what harvest located with
that log, on the project's own fixture and on real GSM8K and MATH problems.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from errsynth.cli import main
from errsynth.harvest.locate import Located, NotLocated, locate_exact
from errsynth.harvest.locate_igsm import locate_igsm
from errsynth.harvest.run import HarvestError, HarvestSpec, harvest_corpus
from errsynth.harvest.sampling import Sampling
from errsynth.harvest.subkind import classify
from errsynth.igsm import generate
from errsynth.igsm.step_parser import parse_solution
from errsynth.ingest.numberflow import numbers_in
from errsynth.ingest.run import ingest
from errsynth.llm.cache import ResponseCache
from errsynth.llm.session import ClientParams
from errsynth.render.roundtrip import strip_attempts
from errsynth.schema import SAMPLE_SCHEMA
from errsynth.types.error_profile import load_profile
from tests.conftest import DATA, corpus
from tests.llm_server import FakeLLM, hang, status, truncated
from tests.scripted_model import Script, ScriptedModel, question_of


def question_of_user(text: str) -> str:
    """The question of a solver prompt's user message (or of a question itself)."""
    return question_of({"messages": [{"role": "user", "content": text}]})


FIXTURE = DATA / "harvest_problems.jsonl"
GSM_KINDS = {
    "arith_slip:offset": 0.1,
    "arith_slip:digit": 0.1,
    "arith_slip:transpose": 0.1,
    "arith_slip:operator": 0.1,
    "premature": 0.1,
    "wrong_quantity": 0.15,
    "copy_error": 0.15,
}


def reference_rows(path: Path, fmt: str, tmp: Path, limit: int) -> list[dict[str, Any]]:
    ingest([path], tmp / "reference", fmt=fmt)
    return pq.read_table(tmp / "reference" / "solutions.parquet").to_pylist()[:limit]


def spec_for(url: str, path: Path, fmt: str, limit: int, **kw: Any) -> HarvestSpec:
    client = kw.pop("client", {})
    sampling = kw.pop("sampling", {})
    return HarvestSpec(
        corpus=(str(path),),
        fmt=fmt,
        limit=limit,
        sampling=Sampling("scripted", **{"samples": 4, "temperature": 0.8, **sampling}),
        client=ClientParams(
            base_url=url,
            api_key_env=None,
            **{"concurrency": 8, "backoff_base_s": 0.01, "backoff_max_s": 0.05, **client},
        ),
        **kw,
    )


def truth_and_found(
    model: ScriptedModel, rows: list[dict[str, Any]], out: Path
) -> list[tuple[Any, dict[str, str] | None]]:
    """(the scripted decision, harvest's profile row or None) per wrong solution served."""
    ids = {r["question"]: r["id"] for r in rows}
    with (out / "profile.csv").open() as fh:
        found = {(r["problem_id"], int(r["sample_index"])): r for r in csv.DictReader(fh)}
    pairs = []
    for (question, seed), d in sorted(model.decisions.items()):
        if d.kind != "correct" and d.answer_changed:
            pairs.append((d, found.get((ids[question], seed))))
    return pairs


def exact_match(d: Any, f: dict[str, str] | None) -> bool:
    return (
        f is not None
        and f["kind"] == d.kind
        and int(f["step_index"]) == d.step
        and (d.kind != "arith_slip" or f["subkind"] == d.subkind)
    )


def check_samples(out: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every sample: schema, gold answer kept, spans exact, and the round trip: stripping
    the retraction leaves a clean solution with no false equation that states the gold."""
    gold = {r["id"]: r["answer"] for r in rows}
    manifest = json.loads((out / "manifest.json").read_text())
    samples = []
    for shard in manifest["shards"]:
        table = pq.read_table(out / shard["path"])
        assert table.schema.equals(SAMPLE_SCHEMA)
        samples.extend(table.to_pylist())
    assert len(samples) == manifest["samples"]
    for s in samples:
        assert s["kind"] == "harvest" and s["answer"] == gold[s["parent_id"]]
        assert s["text"] == s["prompt"] + s["completion"]
        e = s["errors"][0]
        assert s["text"][e["start"] : e["end"]] == e["wrong_text"]
        meta = json.loads(s["meta"])
        assert meta["model"] == "scripted" and meta["located_by"] in ("exact", "judge")
        assert {"temperature", "sample_index", "first_error", "correction"} <= set(meta)
        clean = strip_attempts(s)
        if meta["first_error"]["kind"] != "premature":  # a premature step comes back later
            assert e["wrong_text"] not in clean
        body = clean[len(s["prompt"]) :].split("\n")
        from errsynth.harvest.locate import solution_equations

        assert all(q["ok"] is not False for q in solution_equations(body, None))
        assert numbers_in(s["answer"])[-1] in numbers_in(body[-1]), body[-1]
    rejects = pq.read_table(out / "rejects").to_pylist()
    assert all(r["reason"] for r in rejects)
    assert manifest["rows_in"] == manifest["rows_out"] + manifest["rows_rejected"]
    assert manifest["rows_rejected"] == len(rejects)
    return samples


# --- the profile is recovered -------------------------------------------------------------


def test_profile_recovered_on_own_fixture(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    model = ScriptedModel(rows, Script(GSM_KINDS, position=lambda i, n: 3.0 if i == 0 else 1.0))
    with FakeLLM(responder=model) as server:
        spec = spec_for(server.url, FIXTURE, "gsm8k", 12, sampling={"samples": 8}, profile=True)
        manifest = harvest_corpus(spec, tmp_path / "out")
    assert not server.errors
    pairs = truth_and_found(model, rows, tmp_path / "out")
    assert len(pairs) >= 40
    matched = sum(exact_match(d, f) for d, f in pairs)
    assert matched / len(pairs) >= 0.9, Counter((d.kind, f and f["kind"]) for d, f in pairs)
    # kinds and positions of the profile file within sampling error of the served truth
    prof = load_profile(tmp_path / "out")
    truth = Counter(d.kind for d, _ in pairs)
    for kind, n in truth.items():
        assert abs(prof.kinds[kind] - n) <= max(2, 0.1 * n), (kind, prof.kinds, truth)
    want_pos = sum(d.step / d.n_steps for d, _ in pairs) / len(pairs)
    got = [int(f["step_index"]) / int(f["n_steps"]) for _, f in pairs if f is not None]
    assert abs(sum(got) / len(got) - want_pos) < 0.05
    assert (tmp_path / "out" / "profile.png").stat().st_size > 1000
    assert manifest["located_exact_share"] >= 0.85
    samples = check_samples(tmp_path / "out", rows)
    assert Counter(json.loads(s["meta"])["correction"] for s in samples).keys() == {
        "continue",
        "restart",
    }


def test_profile_recovered_on_real_gsm8k(tmp_path: Path) -> None:
    path = corpus("gsm8k/train.jsonl")
    rows = reference_rows(path, "gsm8k", tmp_path, 60)
    model = ScriptedModel(rows, Script(GSM_KINDS, seed=7))
    with FakeLLM(responder=model) as server:
        spec = spec_for(server.url, path, "gsm8k", 60, profile=True, correction="continue")
        manifest = harvest_corpus(spec, tmp_path / "out")
    pairs = truth_and_found(model, rows, tmp_path / "out")
    assert len(pairs) >= 80
    matched = sum(exact_match(d, f) for d, f in pairs)
    assert matched / len(pairs) >= 0.78  # the rest: unlocated (rejects), or an earlier step
    prof = load_profile(tmp_path / "out")
    truth = Counter(d.kind for d, _ in pairs)
    for kind in truth:  # shares within sampling error (n ~ 100: a few points)
        assert abs(prof.kinds[kind] / prof.n - truth[kind] / len(pairs)) < 0.08
    subs = Counter(d.subkind for d, _ in pairs if d.kind == "arith_slip")
    for sub, n in subs.items():
        assert abs(prof.subkinds["arith_slip"][sub] - n) <= max(2, 0.15 * n)
    assert manifest["rows_in"] == 240
    check_samples(tmp_path / "out", rows)


def test_arith_slips_recovered_on_real_math(tmp_path: Path) -> None:
    path = corpus("math/math_test_4500.jsonl")
    rows = reference_rows(path, "math", tmp_path, 400)
    kinds = {"arith_slip:offset": 0.3, "arith_slip:digit": 0.3, "arith_slip:transpose": 0.3}
    model = ScriptedModel(rows, Script(kinds, seed=3))
    with FakeLLM(responder=model) as server:
        spec = spec_for(
            server.url, path, "math", 400, sampling={"samples": 2}, profile=True, chunk_size=100
        )
        harvest_corpus(spec, tmp_path / "out")
    pairs = truth_and_found(model, rows, tmp_path / "out")
    assert len(pairs) >= 15
    assert sum(exact_match(d, f) for d, f in pairs) / len(pairs) >= 0.8
    check_samples(tmp_path / "out", rows)


# --- resume, faults, judge, dry run ------------------------------------------------------------


def test_kill_mid_harvest_resumes_without_resending(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    model = ScriptedModel(rows, Script(GSM_KINDS))
    with FakeLLM(responder=model) as server:
        spec = spec_for(server.url, FIXTURE, "gsm8k", 12, chunk_size=4, client={"batch_size": 4})
        seen = [0]

        def bar(name: str, total: int | None):
            def advance(n: int) -> None:
                seen[0] += n
                if seen[0] >= 22:  # mid-chunk: some answers of chunk 2 are cached, some not
                    raise KeyboardInterrupt

            return advance

        with pytest.raises(KeyboardInterrupt):
            harvest_corpus(spec, tmp_path / "out", progress=bar)
        with ResponseCache(tmp_path / "out" / "llm_cache.sqlite") as cache:
            kept = {(r["messages"][-1]["content"], r["params"]["seed"]) for r in cache.requests()}
        calls_before = len(model.calls)
        assert 16 <= len(kept) < 48
        manifest = harvest_corpus(spec, tmp_path / "out")
    later = Counter(
        (question_of_user(q), s) for q, s in [(q, s) for q, s in model.calls[calls_before:]]
    )
    kept_pairs = {(question_of_user(u), s) for u, s in kept}
    assert not kept_pairs & set(later)  # nothing that had come back is sent again
    assert len(set(model.calls)) == 48  # every request answered
    assert len(model.calls) - 48 <= 8  # at most the requests in flight at the kill, again
    assert manifest["llm"]["cache_hits"] >= len(kept) - 16  # chunk 1 done, the rest cached
    with FakeLLM(responder=model) as clean_server:
        harvest_corpus(
            spec_for(clean_server.url, FIXTURE, "gsm8k", 12, chunk_size=4), tmp_path / "clean"
        )
    a = pq.read_table(tmp_path / "out" / "shards").to_pylist()
    b = pq.read_table(tmp_path / "clean" / "shards").to_pylist()
    assert a == b  # the resumed run writes what an uninterrupted one writes


def test_server_faults_are_survived(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 6)
    model = ScriptedModel(rows, Script(GSM_KINDS))
    with FakeLLM(responder=model) as server:
        server.add(
            status(429, retry_after=0),
            status(500),
            hang(3.0),
            truncated(),
            status(503),
        )
        spec = spec_for(server.url, FIXTURE, "gsm8k", 6, client={"timeout_s": 0.5})
        manifest = harvest_corpus(spec, tmp_path / "out")
    assert manifest["solutions"]["request_failed"] == 0
    assert manifest["llm"]["retries"] >= 5
    with FakeLLM(responder=model) as calm:
        harvest_corpus(spec_for(calm.url, FIXTURE, "gsm8k", 6), tmp_path / "calm")
    assert (
        pq.read_table(tmp_path / "out" / "shards").to_pylist()
        == pq.read_table(tmp_path / "calm" / "shards").to_pylist()
    )


def test_spent_retries_become_rejects_with_reasons(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 2)
    with FakeLLM(responder=ScriptedModel(rows, Script({}))) as server:
        server.add(*[status(500)] * 50)
        spec = spec_for(server.url, FIXTURE, "gsm8k", 2, client={"max_retries": 1})
        manifest = harvest_corpus(spec, tmp_path / "out")
    assert manifest["rejected_by_reason"] == {"request_failed": 8}
    assert manifest["rows_in"] == 8 and manifest["rows_out"] == 0


class NarrativeSlip:
    """A 'model' whose wrong answer leaves no exact trace: the last step states a wrong
    result in words, without an equation."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.inner = ScriptedModel(rows, Script({}), judge_step=lambda user, steps: len(steps) - 1)
        self.rows = {r["question"]: r for r in rows}

    def __call__(self, body: dict[str, Any]) -> str:
        user = body["messages"][-1]["content"]
        if "Student's solution:" in user:
            return self.inner(body)
        from tests.scripted_model import question_of

        row = self.rows[question_of(body)]
        steps = [s.split("<<")[0].rstrip(" =$") for s in row["steps"]]
        wrong = str(int(float(row["answer"])) + 7)
        steps[-1] = f"So in the end the result is {wrong}."
        return "\n".join(steps) + f"\nThe answer is: {wrong}"


def test_judge_locates_what_the_evaluator_cannot_and_is_recorded_apart(tmp_path: Path) -> None:
    rows = [r for r in reference_rows(FIXTURE, "gsm8k", tmp_path, 12) if "." not in r["answer"]]
    model = NarrativeSlip(rows)
    with FakeLLM(responder=model) as server:
        plain = harvest_corpus(
            spec_for(server.url, FIXTURE, "gsm8k", 12, sampling={"samples": 1}), tmp_path / "a"
        )
        assert plain["rows_out"] == 0
        assert plain["rejected_by_reason"].get("no_exact_evidence", 0) >= len(rows) - 1
        judged = harvest_corpus(
            spec_for(
                server.url,
                FIXTURE,
                "gsm8k",
                12,
                sampling={"samples": 1},
                judge_model="judge",
                profile=True,
            ),
            tmp_path / "b",
        )
    assert judged["located"].get("judge", 0) >= len(rows) - 1
    assert judged["located"].get("exact", 0) == 0
    samples = pq.read_table(tmp_path / "b" / "shards").to_pylist()
    assert samples and all(json.loads(s["meta"])["located_by"] == "judge" for s in samples)
    assert load_profile(tmp_path / "b").n == 0  # exact profile: no judge verdict mixed in
    assert load_profile(tmp_path / "b" / "profile_judge.json").n == judged["located"]["judge"]


def test_dry_run_sends_nothing(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    with FakeLLM(responder=ScriptedModel(rows, Script(GSM_KINDS))) as server:
        args = ["harvest", "--corpus", str(FIXTURE), "--model", "scripted", "--base-url",
                server.url, "--api-key-env", "", "--samples", "3", "-o", str(tmp_path / "o"),
                "--dry-run", "--usd-per-mtok-in", "1", "--usd-per-mtok-out", "2"]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert server.log == []
    report = json.loads(result.output)
    assert report["requests"] == report["to_send"] == 36 and report["cached"] == 0
    assert report["cost_usd_max"] > 0


def test_cli_prm_form_labels_the_real_first_error_false(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    model = ScriptedModel(rows, Script(GSM_KINDS))
    with FakeLLM(responder=model) as server:
        args = ["harvest", "--corpus", str(FIXTURE), "--model", "scripted", "--base-url",
                server.url, "--api-key-env", "", "-o", str(tmp_path / "o"), "--form", "prm",
                "--correction", "continue", "--profile", "-q"]  # fmt: skip
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    samples = pq.read_table(tmp_path / "o" / "shards").to_pylist()
    assert samples
    for s in samples:
        meta = json.loads(s["meta"])
        assert s["labels"] == [True] * meta["first_error"]["step"] + [False]
        assert s["completions"][-1] == s["errors"][0]["wrong_text"]
    assert {"profile.json", "profile.csv", "profile.png"} <= {
        p.name for p in (tmp_path / "o").iterdir()
    }
    again = CliRunner().invoke(main, [*args[:-1], "--samples", "2"])  # other settings, same OUT
    assert again.exit_code != 0 and "--force" in again.output


def test_cli_errors_say_what_to_do(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["harvest", "-o", str(tmp_path / "x")])
    assert r.exit_code != 0 and "--corpus" in r.output
    r = CliRunner().invoke(main, ["harvest", "--corpus", str(FIXTURE), "-o", str(tmp_path / "x")])
    assert r.exit_code != 0 and "--model" in r.output
    with pytest.raises(HarvestError, match="form"):
        harvest_corpus(
            HarvestSpec(
                corpus=(str(FIXTURE),),
                sampling=Sampling("m"),
                form="messages",
                style=__import__("errsynth.render", fromlist=["StyleConfig"]).StyleConfig(
                    name="lema",
                    output="text",  # lema goes into chat forms, as a chat layout
                ),
            ),
            tmp_path / "y",
        )


def test_vllm_backend_without_vllm_says_what_to_install(tmp_path: Path) -> None:
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    args = ["harvest", "--corpus", str(FIXTURE), "--model", "m", "--backend", "vllm",
            "-o", str(tmp_path / "o"), "-q"]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "errsynth[vllm]" in r.output
    assert not (tmp_path / "o" / "shards" / "part-00000.parquet").exists()


def test_legacy_form_still_calls_the_trained_run_harvest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    from errsynth.train import harvest as train_harvest

    calls = []
    monkeypatch.setattr(train_harvest, "harvest", lambda *a, **k: calls.append((a, k)) or {"ok": 1})
    (tmp_path / "run").mkdir()
    (tmp_path / "p.parquet").write_bytes(b"")
    r = CliRunner().invoke(
        main,
        [
            "harvest",
            str(tmp_path / "run"),
            "--problems",
            str(tmp_path / "p.parquet"),
            "-o",
            str(tmp_path / "h.parquet"),
            "--samples",
            "2",
        ],
    )
    assert r.exit_code == 0, r.output
    ((_, kwargs),) = calls
    assert kwargs == {
        "n_samples": 2,
        "temperature": 1.0,
        "limit": None,
        "seed": 0,
        "style": "igsm",
        "device": "cpu",
    }


# --- the locators on their own ---------------------------------------------------------------


def test_subkind_matches_the_arith_transform_kinds() -> None:
    assert classify("48/2", "25", "24", "plain")[0] == "offset"
    assert classify("48/2", "96", "24", "plain") == ("operator", ["operator"])
    assert classify("48/2", "42", "24", "plain") == ("transpose", ["transpose"])
    assert classify("48/2", "240", "24", "plain") == ("decimal", ["decimal"])
    assert classify("12*34", "418", "408", "plain") == ("digit", ["digit"])
    assert classify("1477/39", "40.87", "1477/39", "plain")[0] == "offset"  # rounded claims
    assert classify("48/2", "1000", "24", "plain") == ("other", [])


def test_exact_locator_kinds_on_a_worked_example() -> None:
    ref = {
        "format": "gsm8k",
        "equations": [
            {"step": 0, "expr": "24+36", "claimed": "60", "ok": True},
            {"step": 1, "expr": "60-45", "claimed": "15", "ok": True},
            {"step": 2, "expr": "15/3", "claimed": "5", "ok": True},
        ],
    }
    q = "A baker makes 24 muffins and 36 more. He sells 45 and packs the rest in boxes of 3."
    cases = {
        "arith_slip": ["He makes 24+36 = 61 muffins.", "61-45 = 16 left.", "16/3 = 5.33"],
        "premature": ["He has 60-45 = 15 left.", "15/3 = 5 boxes."],
        "copy_error": ["He makes 24+36 = 60 muffins.", "He has 69-45 = 24 left.", "24/3 = 8"],
        "wrong_quantity": ["He makes 24+36 = 60 muffins.", "60-36 = 24 left.", "24/3 = 8"],
        "wrong_formula": ["He makes 24+36 = 60 muffins.", "60+45 = 105 left.", "105/3 = 35"],
    }
    where = {"arith_slip": 0, "premature": 0, "copy_error": 1, "wrong_quantity": 1,
             "wrong_formula": 1}  # fmt: skip
    for kind, steps in cases.items():
        got = locate_exact(q, steps, ref)
        assert isinstance(got, Located) and (got.kind, got.step) == (kind, where[kind]), got
    assert isinstance(locate_exact(q, ["He makes 60 muffins.", "So 5."], ref), NotLocated)


def test_igsm_locator_uses_the_checker() -> None:
    for row in generate(60, 4, 5, names="short", distractors=1):
        steps = [s.text for s in parse_solution(row["solution"])]
        if len(steps) < 3:
            continue
        swapped = [steps[0], steps[2], steps[1], *steps[3:]]
        got = locate_igsm(row["problem"], swapped, str(row["answer"]))
        if isinstance(got, Located) and got.kind == "premature":
            assert got.step == 1 and got.located_by == "igsm_checker"
            return
    pytest.fail("no iGSM row whose swapped steps are premature")


def test_yaml_config_with_command_line_overrides(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    with FakeLLM(responder=ScriptedModel(rows, Script(GSM_KINDS))) as server:
        config = tmp_path / "h.yaml"
        config.write_text(
            "harvest:\n"
            f"  corpus: [{FIXTURE}]\n"
            "  format: gsm8k\n"
            "  limit: 5\n"
            "  model: scripted\n"
            f"  client: {{base_url: '{server.url}', api_key_env: null, concurrency: 4}}\n"
            "  sampling: {samples: 3, temperature: 0.5}\n"
            "  style: {name: natural}\n"
            "  correction: restart\n"
        )
        args = ["harvest", "--config", str(config), "--samples", "2", "-o", str(tmp_path / "o"),
                "-q"]  # fmt: skip
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["rows_in"] == 10  # 5 problems (file) x 2 samples (command line)
    assert manifest["recipe"]["sampling"]["temperature"] == 0.5
    samples = pq.read_table(tmp_path / "o" / "shards").to_pylist()
    assert samples and {s["style"] for s in samples} == {"natural"}
    assert {json.loads(s["meta"])["correction"] for s in samples} == {"restart"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("harvest:\n  corpus: [x]\n  model: m\n  clinet: {}\n")
    r = CliRunner().invoke(main, ["harvest", "--config", str(bad), "-o", str(tmp_path / "b")])
    assert r.exit_code != 0 and "clinet" in r.output


def test_shipped_harvest_config_loads() -> None:
    from errsynth.harvest.config import load_harvest_config

    root = Path(__file__).resolve().parents[1]
    spec = load_harvest_config(root / "recipes" / "harvest" / "gsm8k_harvest.yaml")
    assert spec.corpus[0].endswith("gsm8k/train.jsonl") and spec.sampling.samples == 8
    assert spec.style.name == "natural" and spec.profile


def test_igsm_harvest_locates_with_the_checker_and_keeps_samples_checkable(
    tmp_path: Path,
) -> None:
    import pyarrow as pa

    from errsynth.igsm import check

    rows = [
        r
        for r in generate(80, 4, 5, names="short", distractors=1)
        if len(parse_solution(r["solution"])) >= 4
    ][:10]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p.parquet")
    by_problem = {r["problem"]: r for r in rows}

    def responder(body: dict[str, Any]) -> str:  # writes step 3 second: premature
        steps = parse_solution(by_problem[question_of(body)]["solution"])
        return f"{steps[0].text} {steps[2].text}\nThe answer is: {steps[2].value}"

    with FakeLLM(responder=responder) as server:
        spec = spec_for(
            server.url, tmp_path / "p.parquet", "igsm", 10, sampling={"samples": 1},
            correction="continue", style=__import__("errsynth.render", fromlist=["StyleConfig"]).StyleConfig(name="igsm"),
        )  # fmt: skip
        manifest = harvest_corpus(spec, tmp_path / "out")
    assert manifest["located"].get("igsm_checker", 0) >= 1 and "exact" not in manifest["located"]
    assert set(manifest["first_error_kinds"]) == {"premature"}
    for s in pq.read_table(tmp_path / "out" / "shards").to_pylist():
        assert check(s["question"], s["completion"], s["answer"], allow_back=True).ok
    reasons = set(manifest["rejected_by_reason"])
    assert reasons <= {"correct", "no_step_named"}  # an early stop names no step


def test_sigkilled_harvest_resumes_without_resending(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    model = ScriptedModel(rows, Script(GSM_KINDS))
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    with FakeLLM(responder=model, latency=0.05) as server:
        cmd = [sys.executable, "-m", "errsynth.cli", "harvest", "--corpus", str(FIXTURE),
               "--format", "gsm8k", "--model", "scripted", "--base-url", server.url,
               "--api-key-env", "", "--samples", "4", "--concurrency", "2", "--chunk-size", "4",
               "-o", str(out), "-q"]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(model.calls) < 20 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        with ResponseCache(out / "llm_cache.sqlite") as cache:
            kept = {
                (question_of_user(r["messages"][-1]["content"]), r["params"]["seed"])
                for r in cache.requests()
            }
        before = len(model.calls)
        assert 0 < len(kept) < 48
        r = CliRunner().invoke(main, cmd[3:])
        assert r.exit_code == 0, r.output
    again = set(model.calls[before:])
    assert not kept & again  # nothing that had come back is asked again
    assert len(set(model.calls)) == 48
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows_in"] == 48 == manifest["rows_out"] + manifest["rows_rejected"]
