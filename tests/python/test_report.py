"""The quarterly report, built once per session (internal and --public) and checked as a reader would:
in real headless Chromium, as PDF pages, against the analyst database, and for disclosure control.

The warehouse is the real pipeline's output on `tiny` generated data (conftest's `tiny_warehouse`)
unless WAYBILL_WATCH_REPORT_WAREHOUSE=fixture (the quick development fixture, report_fixture.py) or
names an existing warehouse directory.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from io import BytesIO
from pathlib import Path

import duckdb
import numpy as np
import pytest

from report_fixture import build_fixture_warehouse
from waybill_watch.errors import WaybillWatchError
from waybill_watch.report import build_report

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MIN_COUNT = 10
pytestmark = pytest.mark.slow  # builds the report (charts + PDF) a few times per session


@pytest.fixture(scope="session")
def report_warehouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    choice = os.environ.get("WAYBILL_WATCH_REPORT_WAREHOUSE", "tiny")
    if choice == "tiny":
        return request.getfixturevalue("tiny_warehouse")
    if choice == "fixture":
        return build_fixture_warehouse(tmp_path_factory.mktemp("report_warehouse"))
    return Path(choice)  # an existing warehouse directory holding analyst.duckdb


@pytest.fixture(scope="session")
def report_quarter(report_warehouse: Path) -> str:
    """2026Q3 when the warehouse has it, else its latest quarter with listings."""
    con = duckdb.connect(str(report_warehouse / "analyst.duckdb"), read_only=True)
    try:
        quarters = [
            r[0]
            for r in con.execute(
                "select distinct quarter from mart_market_quarterly where listings_active > 0 order by 1"
            ).fetchall()
        ]
    finally:
        con.close()
    return "2026Q3" if "2026Q3" in quarters else quarters[-1]


@pytest.fixture(scope="session")
def internal_report(report_warehouse: Path, report_quarter: str, tmp_path_factory: pytest.TempPathFactory):
    return build_report(report_quarter, report_warehouse, tmp_path_factory.mktemp("report_internal"))


@pytest.fixture(scope="session")
def public_report(report_warehouse: Path, report_quarter: str, tmp_path_factory: pytest.TempPathFactory):
    return build_report(
        report_quarter,
        report_warehouse,
        tmp_path_factory.mktemp("report_public"),
        public=True,
        min_count=MIN_COUNT,
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} lacks the UTF-8 byte-order mark"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def pixel_variance(image) -> float:
    return float(np.asarray(image.convert("L"), dtype=float).var())


def manifest(report) -> dict:
    return json.loads((report.csv_dir / "manifest.json").read_text(encoding="utf-8"))


# ---- files --------------------------------------------------------------------------------------


def test_outputs_are_named_by_quarter(internal_report, report_quarter: str) -> None:
    assert internal_report.html.name == f"waybill-watch-{report_quarter}.html"
    assert internal_report.pdf.name == f"waybill-watch-{report_quarter}.pdf"
    assert internal_report.html.parent == internal_report.pdf.parent == internal_report.csv_dir.parent
    text = str(internal_report)
    assert "HTML" in text and "PDF" in text and str(internal_report.csv_dir) in text
    assert str(internal_report.__rich__()) == text  # what `waybill-watch report` prints


def test_every_table_has_a_csv_with_bom(internal_report) -> None:
    listed = {t["file"] for t in manifest(internal_report)["tables"]}
    written = {p.name for p in internal_report.csv_dir.glob("*.csv")}
    assert listed == written
    assert {
        "headline.csv",
        "listings_by_province.csv",
        "cases_by_province_agency.csv",
        "incidents_by_carrier_stage.csv",
        "movers.csv",
        "ingest_audit.csv",
    } <= written
    for path in internal_report.csv_dir.glob("*.csv"):
        read_csv(path)


def test_html_is_self_contained(internal_report) -> None:
    text = internal_report.html.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "http://" not in text and "https://" not in text  # no CDN, no web fonts
    assert text.count('<img src="data:image/png;base64,') >= 8
    assert '"Noto Sans CJK SC", "Noto Sans SC", sans-serif' in text


# ---- in a real browser ----------------------------------------------------------------------------


def test_html_in_headless_chromium(internal_report, tmp_path: Path) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    console_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))

            def record(route):
                requests.append(route.request.url)
                route.continue_()

            page.route("**/*", record)
            page.goto(internal_report.html.as_uri(), wait_until="load")
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
            shot = page.screenshot(full_page=False)
            page.screenshot(path=str(tmp_path / "screenshot.png"), full_page=True)
            title = page.title()
        finally:
            browser.close()
    assert console_errors == []
    assert requests, "the route handler saw no request at all"
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert images and all(done and width > 0 for done, width in images)
    assert "waybill-watch" in title
    assert pixel_variance(Image.open(BytesIO(shot))) > 200, "the screenshot is (nearly) blank"


# ---- the PDF --------------------------------------------------------------------------------------


def test_pdf_pages_render_with_chinese_text(internal_report, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(internal_report.pdf), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 10 <= len(pages) <= 40
    text = subprocess.run(
        ["pdftotext", str(internal_report.pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    provinces = read_csv(internal_report.csv_dir / "listings_by_province.csv")
    top = provinces[0]["province"]  # ranked: the province with most listings
    assert top and top in text
    for phrase in ("快递运单信息非法交易季度趋势报告", "主要指标", "数据质量", "方法与定义", "广东"):
        assert phrase in text, phrase
    from PIL import Image

    assert pixel_variance(Image.open(pages[0])) > 50


# ---- the figures are the database's -----------------------------------------------------------------


def test_headline_equals_the_analyst_database(
    internal_report, report_warehouse: Path, report_quarter: str
) -> None:
    rows = {r["measure"]: r for r in read_csv(internal_report.csv_dir / "headline.csv")}
    year, number = int(report_quarter[:4]), int(report_quarter[-1])
    prev = f"{year}Q{number - 1}" if number > 1 else f"{year - 1}Q4"
    year_ago = f"{year - 1}Q{number}"
    con = duckdb.connect(str(report_warehouse / "analyst.duckdb"), read_only=True)

    def one(sql: str, *params):
        row = con.execute(sql, list(params)).fetchone()
        return None if row is None else row[0]

    def market(column: str, quarter: str):
        return one(
            f"select {column} from mart_market_quarterly where quarter = ? and region_code = 'all' "
            "and channel = 'all'",
            quarter,
        )

    def close(published: str, expected) -> bool:
        if expected is None:
            return published == ""
        return published != "" and abs(float(published) - float(expected)) <= 1e-6 * max(1, abs(expected))

    try:
        for measure in ("listings_active", "listings_new", "sellers_active", "price_median_cny"):
            for column, quarter in (("current", report_quarter), ("previous", prev), ("year_ago", year_ago)):
                assert close(rows[measure][column], market(measure, quarter)), (measure, column)
        for measure, pct in (("listings_active", "listings_active"), ("price_median_cny", "price_median")):
            assert close(rows[measure]["qoq_pct"], market(f"{pct}_qoq_pct", report_quarter))
            assert close(rows[measure]["yoy_pct"], market(f"{pct}_yoy_pct", report_quarter))
        for measure, table in (
            ("cases_opened", "mart_enforcement_quarterly"),
            ("incidents", "mart_incidents_quarterly"),
        ):
            now = one(f"select sum({measure}) from {table} where quarter = ?", report_quarter)
            before = one(f"select sum({measure}) from {table} where quarter = ?", prev)
            assert int(rows[measure]["current"]) == now
            assert rows[measure]["previous"] == ("" if before is None else str(before))
            if now is not None and before is not None and now >= 30 and before >= 30:
                assert close(rows[measure]["qoq_pct"], round(100 * (now - before) / before, 2))
            else:
                assert rows[measure]["qoq_pct"] == ""
        # new listings: the thin-base and coverage rule applied by the report itself
        n, b = market("listings_new", report_quarter), market("listings_new", prev)
        low = market("is_low_coverage", report_quarter) or market("is_low_coverage", prev)
        if n is not None and b is not None and min(n, b) >= 30 and not low:
            assert close(rows["listings_new"]["qoq_pct"], round(100 * (n - b) / b, 2))
        else:
            assert rows["listings_new"]["qoq_pct"] == ""
    finally:
        con.close()


def test_province_table_adds_up_to_the_national_figures(internal_report) -> None:
    rows = read_csv(internal_report.csv_dir / "listings_by_province.csv")
    headline = {r["measure"]: r for r in read_csv(internal_report.csv_dir / "headline.csv")}
    total = rows[-1]
    assert total["region_code"] == "all"
    for column, measure in (
        ("listings_active", "listings_active"),
        ("cases_opened", "cases_opened"),
        ("incidents", "incidents"),
    ):
        assert (
            sum(int(r[column]) for r in rows[:-1]) == int(total[column]) == int(headline[measure]["current"])
        )


def test_movers_never_rest_on_a_thin_base(internal_report) -> None:
    for row in read_csv(internal_report.csv_dir / "movers.csv"):
        assert int(row["base_before"]) >= 30 and int(row["base_now"]) >= 30
        assert (float(row["change_pct"]) > 0) == row["direction"].startswith("上升")


# ---- --public ---------------------------------------------------------------------------------------


def _cell_lines(table: dict, rows: list[dict[str, str]]) -> list[list[tuple[int, str]]]:
    """The additive lines a reader sees: columns summing to the total row, rows summing to the total "
    "column."""
    lines = []
    total_row = table["total_row"]
    if total_row is not None:
        for column in table["additive_columns"]:
            lines.append([(total_row, column)] + [(i, column) for i in range(len(rows)) if i != total_row])
    if table["total_column"]:
        for i in range(len(rows)):
            lines.append([(i, table["total_column"])] + [(i, c) for c in table["part_columns"]])
    return lines


def _solve_by_lines(rows: list[dict[str, str]], lines: list[list[tuple[int, str]]], mark: str) -> int:
    """An attacker's elimination: any line with one unknown gives it away; repeat. Returns cells recovered."""
    hidden = {cell for line in lines for cell in line if rows[cell[0]][cell[1]] == mark}
    recovered = 0
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [cell for cell in line if cell in hidden]
            if len(unknown) == 1:
                hidden.discard(unknown[0])
                recovered += 1
                progress = True
    return recovered


def test_public_report_publishes_no_small_count(public_report) -> None:
    meta = manifest(public_report)
    assert meta["public"] is True and meta["min_count"] == MIN_COUNT
    checked = 0
    for table in meta["tables"]:
        if not table["disclosure_controlled"]:
            continue
        rows = read_csv(public_report.csv_dir / table["file"])
        kinds = {c["key"]: c["kind"] for c in table["columns"]}
        for row in rows:
            for key, kind in kinds.items():
                if kind == "mixed":
                    kind = row["kind"]
                if kind != "count" or row[key] in ("", meta["suppressed_mark"]):
                    continue
                checked += 1
                assert not 1 <= float(row[key]) < MIN_COUNT, (table["file"], key, row)
    assert checked > 100


def test_public_report_hides_small_counts_and_keeps_zeros(public_report, internal_report) -> None:
    assert public_report.suppressed_cells > 0
    public_rows = read_csv(public_report.csv_dir / "cases_by_province_agency.csv")
    internal_rows = read_csv(internal_report.csv_dir / "cases_by_province_agency.csv")
    pairs = [(p[k], i[k]) for p, i in zip(public_rows, internal_rows, strict=True) for k in p]
    small = [(pub, inner) for pub, inner in pairs if inner.isdigit() and 1 <= int(inner) < MIN_COUNT]
    assert small, "the enforcement matrix should hold small counts to suppress"
    assert all(pub == "[c]" for pub, _ in small)
    assert any(pub == "0" == inner for pub, inner in pairs), "true zeros are published"
    shown = [(pub, inner) for pub, inner in pairs if pub != "[c]"]
    assert all(pub == inner for pub, inner in shown), "a published value differs from the internal one"


def test_no_suppressed_cell_can_be_recovered_from_totals(public_report) -> None:
    meta = manifest(public_report)
    mark = meta["suppressed_mark"]
    lines_checked = 0
    for table in meta["tables"]:
        rows = read_csv(public_report.csv_dir / table["file"])
        lines = _cell_lines(table, rows)
        for line in lines:
            hidden = sum(rows[i][c] == mark for i, c in line)
            assert hidden != 1, (table["file"], line)
            lines_checked += 1
            if hidden == 0 and len(line) > 1:  # the structure is honest: parts add up to the total shown
                values = [float(rows[i][c] or 0) for i, c in line]
                assert abs(values[0] - sum(values[1:])) < 1e-6, (table["file"], line)
        assert _solve_by_lines(rows, lines, mark) == 0, table["file"]
    assert lines_checked > 20


def test_public_mode_is_stated_in_the_report(public_report, internal_report) -> None:
    public_html = public_report.html.read_text(encoding="utf-8")
    assert "公开版 PUBLIC" in public_html and "complementary" in public_html and "[c]" in public_html
    assert "内部版 INTERNAL" in internal_report.html.read_text(encoding="utf-8")
    # file names and raw-value validation details stay internal
    assert not (public_report.csv_dir / "ingest_issues.csv").exists()
    assert (internal_report.csv_dir / "ingest_issues.csv").exists()
    assert "data_docs" not in public_html


# ---- failures the user can act on ----------------------------------------------------------------------


def test_quarter_without_data_names_the_available_ones(report_warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(WaybillWatchError, match=r"no data for quarter 2027Q1 in .*available quarters are 20"):
        build_report("2027Q1", report_warehouse, tmp_path)


def test_missing_database_says_to_run_first(tmp_path: Path) -> None:
    with pytest.raises(WaybillWatchError, match="waybill-watch run"):
        build_report("2026Q3", tmp_path / "nowhere", tmp_path / "out")


@pytest.mark.parametrize("text", ["2026-3", "Q3 2026", "2026Q5", ""])
def test_bad_quarter_text_is_explained(text: str, tmp_path: Path) -> None:
    with pytest.raises(WaybillWatchError, match="like 2026Q3"):
        build_report(text, tmp_path, tmp_path / "out")


def test_first_quarter_has_nothing_to_compare_with(report_warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(report_warehouse / "analyst.duckdb"), read_only=True)
    try:
        first = con.execute("select min(quarter) from mart_market_quarterly").fetchone()[0]
    finally:
        con.close()
    paths = build_report(first, report_warehouse, tmp_path)
    headline = read_csv(paths.csv_dir / "headline.csv")
    assert all(r["previous"] == r["qoq_pct"] == r["year_ago"] == r["yoy_pct"] == "" for r in headline[:4])
    assert read_csv(paths.csv_dir / "movers.csv") == []
    assert "No breakdown has a base of at least 30" in paths.html.read_text(encoding="utf-8")


def test_cli_reports_a_bad_quarter_in_one_line(report_warehouse: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from waybill_watch.cli import app

    result = CliRunner().invoke(
        app,
        ["report", "--quarter", "2026Q7", "--warehouse-dir", str(report_warehouse), "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "like 2026Q3" in result.output
