"""The run report in a real headless browser (Debian's chromium through Playwright).

These tests run in CI: the README's test command installs chromium first
(tests/setup_browser.sh). They do not skip when it is missing; they fail and say why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from browser import browser_context, file_url
from playwright.sync_api import Page
from report_fixtures import make_quickstart_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_quickstart_run(tmp_path_factory.mktemp("browser") / "run")


@pytest.fixture(scope="module")
def rows_by_id(run_dir: Path) -> dict[str, dict]:
    rows = pads.dataset(run_dir / "shards", format="parquet").to_table().to_pylist()
    return {r["id"]: r for r in rows}


@pytest.fixture
def page(run_dir: Path) -> Iterator[Page]:
    with browser_context() as context:
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.requests = []  # type: ignore[attr-defined]
        page.on(
            "console", lambda m: m.type in ("error", "warning") and page.problems.append(m.text)
        )  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.problems.append(str(e)))  # type: ignore[attr-defined]
        page.on("requestfailed", lambda r: page.problems.append(f"failed {r.url}"))  # type: ignore[attr-defined]
        page.on("request", lambda r: page.requests.append(r.url))  # type: ignore[attr-defined]
        page.goto(file_url(run_dir / "report.html"))
        page.wait_for_load_state("load")
        yield page


def _visible_kinds(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "article.sample", "els => els.filter(e => !e.hidden).map(e => e.dataset.kind)"
    )


def test_loads_from_file_without_errors_or_network(page: Page, run_dir: Path) -> None:
    assert page.problems == []  # type: ignore[attr-defined]
    assert page.requests == [file_url(run_dir / "report.html")]  # type: ignore[attr-defined]
    assert page.title().startswith("errsynth run report")
    assert page.locator("svg[role=img]").count() >= 5
    assert page.locator("#controls").is_visible()
    assert page.locator("#status").inner_text().startswith("Showing 1–10 of ")
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), "element ids must be unique"
    labelled = page.eval_on_selector_all(
        "select, input",
        "els => els.filter(e => !document.querySelector(`label[for=${e.id}]`)).length",
    )
    assert labelled == 0  # every control has a label


def test_funnel_numbers_equal_the_manifest(page: Page, run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    shown = dict(
        page.eval_on_selector_all(
            "#funnel [data-key]", "els => els.map(e => [e.dataset.key, e.innerText.trim()])"
        )
    )
    stages = {s["stage"]: s for s in manifest["stages"]}
    expected = {
        "rows_in": manifest["rows_in"],
        "rows_out": manifest["rows_out"],
        "rows_rejected": manifest["rows_rejected"],
        "mix_rows_in": manifest["mix_rows_in"],
        "mix_rows_rejected": manifest["mix_rows_rejected"],
    }
    for name, s in manifest["sources"].items():
        for key in (
            "rows_in",
            "rows_rejected",
            "rows_out_clean",
            "ingest_rejected",
            "stage_rejected",
        ):
            expected[f"sources.{name}.{key}"] = s[key]
    for name, s in stages.items():
        for key in ("rows_in", "rows_out", "rows_rejected"):
            expected[f"stages.{name}.{key}"] = s[key]
        for reason, n in s["rejected_by_reason"].items():
            expected[f"stages.{name}.rejected_by_reason.{reason}"] = n
    for reason, n in manifest["rejected_by_reason"].items():
        expected[f"rejected_by_reason.{reason}"] = n
    assert {k: shown.get(k) for k in expected} == {k: f"{v:,}" for k, v in expected.items()}


def test_filtering_by_kind_shows_only_that_kind(page: Page) -> None:
    kinds = page.eval_on_selector_all(
        "#f-kind option", "os => os.map(o => o.value).filter(Boolean)"
    )
    assert {"clean", "igsm_retry", "reorder", "arith"} <= set(kinds)
    total = page.locator("article.sample").count()
    for kind in kinds:
        page.select_option("#f-kind", kind)
        visible = _visible_kinds(page)
        assert visible and set(visible) == {kind}
        of = int(page.locator("#status").inner_text().split(" of ")[1].split()[0])
        assert of == page.locator(f'article.sample[data-kind="{kind}"]').count() < total
    page.select_option("#f-kind", "")
    page.fill("#f-q", "no such text anywhere 123456")
    assert (
        _visible_kinds(page) == [] and "No sample matches" in page.locator("#status").inner_text()
    )


def test_highlighted_mistakes_are_the_rows_wrong_text(
    page: Page, rows_by_id: dict[str, dict]
) -> None:
    page.select_option("#f-kind", "reorder")
    checked = 0
    for _ in range(3):  # three pages
        found = page.eval_on_selector_all(
            "article.sample:not([hidden])",
            """els => els.map(e => {
                const parts = {};
                e.querySelectorAll('.hl.wrong').forEach(s => {
                    parts[s.dataset.err] = (parts[s.dataset.err] || '') + s.textContent; });
                return [e.querySelector('.sid').textContent, parts];
            })""",
        )
        for sid, parts in found:
            errors = rows_by_id[sid]["errors"]
            assert parts == {str(i): e["wrong_text"] for i, e in enumerate(errors)}
            checked += 1
        page.click("#next")
    assert checked >= 10
    # the wrong part is drawn struck through, the marker boxed: not by colour alone
    style = page.eval_on_selector(
        "article .hl.wrong",
        "e => [getComputedStyle(e).textDecorationLine, getComputedStyle(e.closest('article').querySelector('.hl.marker')).borderTopStyle]",
    )
    assert style == ["line-through", "solid"]


def test_without_javascript_the_numbers_and_samples_are_there(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    with browser_context(javascript=False) as context:
        page = context.new_page()
        page.goto(file_url(run_dir / "report.html"))
        funnel = page.locator("#funnel").inner_text()
        assert f"{manifest['rows_out']:,}" in funnel and f"{manifest['mix_rows_in']:,}" in funnel
        assert page.locator('[data-key="rows_out"]').inner_text() == f"{manifest['rows_out']:,}"
        shards = page.locator("#shards").inner_text()
        assert all(s["sha256"] in shards for s in manifest["shards"])
        assert page.locator("#controls").is_hidden()  # controls appear only with the script
        n = page.locator("article.sample").count()
        assert n > 10 and page.locator("article.sample:visible").count() == n


def test_the_filters_work_from_the_keyboard(page: Page) -> None:
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-kind":
            break
    assert page.evaluate("document.activeElement.id") == "f-kind"
    page.keyboard.press("ArrowDown")  # first kind after "all"
    kind = page.eval_on_selector("#f-kind", "s => s.value")
    assert kind and set(_visible_kinds(page)) == {kind}
    for _ in range(6):  # on through source, style and search to the paging buttons
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "next":
            break
    assert page.evaluate("document.activeElement.id") == "next"
    before = page.locator("#status").inner_text()
    page.keyboard.press("Enter")
    after = page.locator("#status").inner_text()
    assert before.startswith("Showing 1–10") and after.startswith("Showing 11–")
    assert set(_visible_kinds(page)) == {kind}
