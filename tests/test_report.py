"""`errsynth report`: the page's numbers against the manifest and the shards, the bounded
stratified sample, highlight spans, chat turns, validate-mix and harvest sections."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from html import unescape
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from report_fixtures import RECIPES, SMALL, make_quickstart_run

from errsynth.cli import main
from errsynth.report import ReportError, write_report
from errsynth.report.samples import sample_html
from errsynth.report.scan import FIRST_STEP_CAP, scan_table

KEYED = re.compile(r'data-key="([^"]+)">([^<]*)<')


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_quickstart_run(tmp_path_factory.mktemp("report") / "run")


def manifest_value(manifest: dict, key: str):
    """A value of the manifest by a report's data-key (stages are named by their stage)."""
    node = manifest
    for part in key.split("."):
        node = node[part]
        if part == "stages":
            node = {s["stage"]: s for s in node}
    return node


def _all_rows(run: Path) -> list[dict]:
    return pads.dataset(run / "shards", format="parquet").to_table().to_pylist()


def test_run_writes_the_report_and_every_keyed_number_is_the_manifests(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    keyed = KEYED.findall(page)
    keys = {k for k, _ in keyed}
    assert {"rows_in", "rows_out", "rows_rejected", "stages.01-augment.rows_out"} <= keys
    assert any(k.startswith("sources.") for k in keys) and any(
        k.startswith("mix.streams.") for k in keys
    )
    for key, shown in keyed:
        want = manifest_value(manifest, key)
        assert shown == f"{want:,}", key
    # self-contained: nothing fetched from anywhere, everything inline
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<svg") >= 5
    for shard in manifest["shards"]:
        assert shard["sha256"] in page and f'href="{shard["path"]}"' in page
    for rejects in (run_dir / "rejects").glob("*.parquet"):
        assert f'href="rejects/{rejects.name}"' in page


def test_no_report_flag_and_report_command(tmp_path: Path, run_dir: Path) -> None:
    quiet_run = make_quickstart_run(tmp_path / "noreport", "--no-report")
    assert not (quiet_run / "report.html").exists()
    out = tmp_path / "elsewhere" / "page.html"
    res = CliRunner().invoke(main, ["report", str(run_dir), "-o", str(out), "--samples", "40"])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert "report →" in res.output and page.count('<article class="sample"') <= 48
    shard = json.loads((run_dir / "manifest.json").read_text())["shards"][0]["path"]
    assert f'href="{os.path.relpath(run_dir / shard, out.parent)}"' in page  # links still work
    bad = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert bad.exit_code != 0 and "no Parquet files" in bad.output


def test_streamed_statistics_equal_a_full_read(run_dir: Path) -> None:
    rows = _all_rows(run_dir)
    stats = scan_table(run_dir / "shards", sample_rows=60)
    assert stats.rows == len(rows)
    for kind in {r["kind"] for r in rows}:
        mine = [r for r in rows if r["kind"] == kind]
        ks = stats.kinds[kind]
        assert ks.rows == len(mine)
        assert ks.errors == sum(r["n_errors"] for r in mine)
        assert ks.tokens.total == sum(r["n_tokens"] for r in mine)
        assert ks.chars.total == sum(len(r["text"]) for r in mine)
        assert ks.tokens.high == max(r["n_tokens"] for r in mine)
        median = sorted(r["n_tokens"] for r in mine)[len(mine) // 2]
        assert abs(ks.tokens.quantile(0.5) - median) <= 0.1 * median
    first = Counter(
        (r["kind"], min(r["errors"][0]["step"], FIRST_STEP_CAP)) for r in rows if r["errors"]
    )
    assert +stats.first_step == first
    by_kind = Counter((r["kind"], e["kind"]) for r in rows for e in r["errors"])
    assert +stats.errors_by_kind == by_kind
    premature = Counter((r["kind"], e["kind"]) for r in rows for e in r["errors"] if e["premature"])
    assert +stats.premature == premature


def test_sample_is_stratified_bounded_and_deterministic(run_dir: Path) -> None:
    a = scan_table(run_dir / "shards", sample_rows=40)
    b = scan_table(run_dir / "shards", sample_rows=40)
    assert [r["id"] for r in a.sample] == [r["id"] for r in b.sample]
    strata = Counter((r["kind"], r["source"], r["style"]) for r in a.sample)
    assert set(strata) == set(a.strata)  # every stratum is shown
    assert max(strata.values()) <= 10 and len(a.sample) <= 40
    ids = {r["id"] for r in _all_rows(run_dir)}
    assert {r["id"] for r in a.sample} <= ids


def _wrong_parts(article: str) -> dict[int, str]:
    parts: dict[int, str] = {}
    for cls, err, text in re.findall(
        r'<span class="hl ([^"]+)" data-err="(\d+)"[^>]*>([^<]*)</span>', article
    ):
        if "wrong" in cls.split():
            parts[int(err)] = parts.get(int(err), "") + unescape(text)
    return parts


def test_highlighted_wrong_parts_are_the_rows_wrong_text(run_dir: Path) -> None:
    rows = [r for r in _all_rows(run_dir) if r["errors"]][:200]
    assert rows
    for i, row in enumerate(rows):
        html = sample_html(row, "messages", i)
        assert _wrong_parts(html) == {j: e["wrong_text"] for j, e in enumerate(row["errors"])}
        assert 'class="hl marker' in html and f'data-kind="{row["kind"]}"' in html


def test_chat_samples_are_shown_turn_by_turn(tmp_path: Path, run_dir: Path) -> None:
    out = tmp_path / "cac"
    chunk = next((run_dir / "stages" / "input").glob("*.parquet"))
    res = CliRunner().invoke(
        main, ["augment", str(chunk), "-t", "igsm_retry", "--style", "cac", "--limit", "30", "-q", "-o", str(out)]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    result = write_report(out)
    page = result.path.read_text()
    rows = [r for r in pq.read_table(out / "samples.parquet").to_pylist() if r["errors"]]
    assert rows and rows[0]["messages"]
    articles = re.findall(r'<article class="sample".*?</article>', page, flags=re.S)
    chats = [a for a in articles if '<div class="chat">' in a]
    assert chats, "cac samples must be shown as turns"
    by_id = {r["id"]: r for r in rows}
    checked = 0
    for article in chats:
        rid = re.search(r'<code class="sid">([^<]+)</code>', article).group(1)
        if rid in by_id:
            row = by_id[rid]
            assert article.count('<div class="turn ') == len(row["messages"])
            assert _wrong_parts(article) == {
                j: e["wrong_text"] for j, e in enumerate(row["errors"])
            }
            checked += 1
    assert checked
    assert 'id="augment"' in page  # the augment manifest's per-transform rates


def test_without_matplotlib_the_page_keeps_every_table(
    tmp_path: Path, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from errsynth.report import charts

    monkeypatch.setattr(charts, "AVAILABLE", False)
    page = write_report(run_dir, tmp_path / "plain.html").path.read_text()
    full = (run_dir / "report.html").read_text()
    assert "<svg" not in page and "Charts need matplotlib" in page
    assert KEYED.findall(page) == KEYED.findall(full)


def test_a_folder_without_samples_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no Parquet files"):
        write_report(tmp_path)
    pq.write_table(pa.table({"x": [1]}), tmp_path / "t.parquet")
    with pytest.raises(ReportError, match="no `text` column"):
        write_report(tmp_path / "t.parquet")


def test_harvest_profile_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A harvest run (its model replaced by fixed generations, as in test_train_mistakes)
    writes NAME.stats.json beside its samples; the report shows those counts."""
    pytest.importorskip("torch")
    from errsynth.igsm import generate, parse_solution
    from errsynth.train import harvest as harvest_module
    from errsynth.train.harvest import harvest
    from errsynth.train.tokenizer import WordTokenizer

    rows = [
        r
        for r in generate(200, 4, 5, names="short", distractors=1)
        if len(parse_solution(r["solution"])) >= 2
    ][:6]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p.parquet")
    gens = []
    for i, r in enumerate(rows):  # the "model" writes the second step first, or the gold
        steps = [s.text for s in parse_solution(r["solution"])]
        gens.append(" ".join(steps[1:] if i % 2 == 0 else steps))
    tok = WordTokenizer.build([r["problem"] + " " + g for r, g in zip(rows, gens, strict=True)])
    # harvest's own names of the model loader and the decoder (it imports them by name)
    monkeypatch.setattr(harvest_module, "load_run", lambda run, device: (None, tok, {}))
    monkeypatch.setattr(
        harvest_module,
        "greedy_decode",
        lambda m, prompts, *a, **k: [tok.encode(" " + g) for g in gens],
    )
    out = tmp_path / "h.parquet"
    stats = harvest("run", tmp_path / "p.parquet", out)
    assert json.loads(out.with_suffix(".stats.json").read_text())["emitted"] == stats["emitted"]
    page = write_report(out).path.read_text()
    assert 'id="harvest"' in page and 'id="samples"' in page
    shown = dict(KEYED.findall(page))
    for key in ("problems", "generations", "correct", "emitted"):
        assert shown[f"harvest.{key}"] == f"{stats[key]:,}"
    first = [k.split(":", 1)[1] for k in stats if k.startswith("first_wrong:")]
    assert first and all(k in page for k in first)
    assert page.count('data-kind="harvest"') == stats["emitted"]


@pytest.mark.slow
def test_validate_mix_directory(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from errsynth.train.validate_mix import validate_mix

    tiny = [
        "train_source.generate.n=60", "test.generate.n=8", "seeds=[0]", "parallel=0",
        "train.tokens=0", "train.max_steps=2", "train.batch_size=2", "train.log_every=1",
        "train.model.n_layer=1", "train.model.n_embd=16", "train.model.n_head=2",
        "train.model.block_size=128", "eval.max_new_tokens=8", "train.ckpt_every=0",
    ]  # fmt: skip
    out = tmp_path / "vm"
    rep = validate_mix(RECIPES / "validate_igsm_cpu.yaml", out, overrides=tiny, log=lambda m: None)
    page = write_report(out).path.read_text()
    for arm, a in rep["arms"].items():
        assert f'data-key="arms.{arm}.accuracy">{100 * a["accuracy"]["mean"]:.1f}' in page
        assert (out / "data" / arm / "run" / "report.html").is_file()
        assert f'href="data/{arm}/run/report.html"' in page
    assert "<svg" in page and "majority baseline" in page
    for arm, a in rep["arms"].items():  # the verdict keys (issue 13)
        sol = a["solution_ok"]
        lo, hi = sol["ci95"]
        shown = f"{100 * sol['mean']:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
        assert f'data-key="arms.{arm}.solution_ok">{shown}' in page
        assert f'data-key="arms.{arm}.probe.auc">' in page
        for kind in a["failures_by_type"]:
            assert f'data-key="arms.{arm}.failures_by_type.{kind}">' in page
    assert 'data-key="comparisons.retry_0.5_vs_clean">' in page
    assert "Failure taxonomy" in page and "Regret probe" in page


def test_a_report_that_cannot_be_written_leaves_the_run_finished(tmp_path: Path) -> None:
    run = make_quickstart_run(tmp_path / "run")
    (run / "report.html").unlink()
    (run / "report.html").mkdir()  # the page cannot replace a directory
    args = ["run", str(RECIPES / "quickstart.yaml"), "-o", str(run), "-q"]
    for setting in SMALL:
        args += ["--set", setting]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "report not written" in res.output and f"errsynth report {run}" in res.output
    assert not (run / "report.html.tmp").exists()


def test_the_same_run_gives_the_same_page(tmp_path: Path, run_dir: Path) -> None:
    first = write_report(run_dir, tmp_path / "a.html").path.read_bytes()
    second = write_report(run_dir, tmp_path / "b.html").path.read_bytes()
    assert first == second  # chart ids, sample choice and order are all deterministic
