"""`make docs` (python -m waybill_watch.docs) writes one static dbt docs page that opens offline in
headless Chromium without console errors and shows every analyst table and analysis with its description."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from waybill_watch import docs
from waybill_watch.analyst import ANALYST_TABLES
from waybill_watch.config import PROJECT_ROOT, build_db_path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANALYSES = sorted(path.stem for path in (PROJECT_ROOT / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def built(tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The docs page built by the `make docs` entry point, and the manifest it inlines.

    dbt docs generate writes into the warehouse's dbt_target; it runs on a copy of the tiny build
    database so the shared warehouse keeps the manifest and run results of its pipeline run. The
    bronze is the tiny warehouse's, linked (only read): the catalog binds the staging views, which
    read it from the warehouse directory."""
    warehouse = tmp_path_factory.mktemp("docs_warehouse")
    (warehouse / "build").mkdir()
    for source in build_db_path(tiny_warehouse).parent.glob("waybill_watch.duckdb*"):  # with any .wal
        shutil.copy2(source, warehouse / "build" / source.name)
    (warehouse / "bronze").symlink_to(tiny_warehouse / "bronze", target_is_directory=True)
    out = tmp_path_factory.mktemp("docs_site")
    assert docs.main(["--warehouse-dir", str(warehouse), "--out", str(out)]) == 0
    manifest = json.loads((warehouse / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))
    return out / "index.html", manifest


def plain_phrase(description: str) -> str:
    """Three or more plain words in a row from a description: text that survives markdown rendering."""
    match = re.search(r"[A-Za-z]+(?: [A-Za-z]+){2,}", description)
    assert match is not None, f"description without plain words: {description!r}"
    return match.group(0)


def test_make_docs_writes_one_offline_page(built: tuple[Path, dict]) -> None:
    index, manifest = built
    page = index.read_text(encoding="utf-8")
    assert index.stat().st_size > 1_000_000
    docs.make_offline(page)  # raises on any remote script, stylesheet, font or import
    assert "turn_on_tracking:function(){return;" in page
    assert '"MANIFEST.JSON INLINE DATA"' not in page and '"CATALOG.JSON INLINE DATA"' not in page
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


def test_remote_resources_are_refused() -> None:
    with pytest.raises(docs.WaybillWatchError, match="remote resource"):
        docs.make_offline('<html><link rel="stylesheet" href="https://fonts.example.com/x.css"></html>')


def test_every_analyst_table_and_analysis_is_documented(built: tuple[Path, dict]) -> None:
    _, manifest = built
    nodes = manifest["nodes"]
    for table in ANALYST_TABLES:
        node = nodes.get(f"model.waybill_watch.{table}")
        assert node is not None, f"{table} is not a dbt model"
        assert node["description"].strip(), f"{table} has no description"
    for name in ANALYSES:
        assert nodes[f"analysis.waybill_watch.{name}"]["description"].strip(), name


@pytest.mark.slow
def test_headless_chromium_opens_the_page_offline_without_console_errors(built: tuple[Path, dict]) -> None:
    from playwright.sync_api import sync_playwright

    index, manifest = built
    problems: list[str] = []
    remote_requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "request",
                lambda request: (
                    request.url.startswith(("file:", "data:", "blob:", "about:"))
                    or remote_requests.append(request.url)
                ),
            )
            page.goto(index.as_uri())
            # the project tree renders once the inlined manifest is loaded (collapsed, so not visible yet)
            page.get_by_text("fct_listings").first.wait_for(state="attached", timeout=30_000)
            pages = [("model", table) for table in ANALYST_TABLES] + [("analysis", name) for name in ANALYSES]
            for kind, name in pages:
                description = manifest["nodes"][f"{kind}.waybill_watch.{name}"]["description"]
                page.goto(f"{index.as_uri()}#!/{kind}/{kind}.waybill_watch.{name}")
                page.get_by_text(plain_phrase(description)).first.wait_for(timeout=15_000)
                assert name in page.title() or name in page.locator("body").inner_text(), name
        finally:
            browser.close()
    assert problems == []
    assert remote_requests == []
