"""Analyst access: one-line, actionable errors (no database, bad or empty quarter, locked file),
read-only connections, and the Parquet/CSV exports of every analyst table."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from waybill_watch.analyst import (
    ANALYST_TABLES,
    analysis_connection,
    check_quarter,
    latest_quarter,
    open_analyst_db,
    parse_quarter,
)
from waybill_watch.errors import WaybillWatchError

UTF8_BOM = b"\xef\xbb\xbf"


def one_line_error(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_missing_database_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(WaybillWatchError) as failure:
        open_analyst_db(tmp_path)
    message = one_line_error(failure)
    assert message.startswith(f"no analyst database at {tmp_path / 'analyst.duckdb'}")
    assert f"waybill-watch run --raw-dir RAW --warehouse-dir {tmp_path}" in message


def test_locked_database_names_the_holder_and_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "analyst.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WaybillWatchError) as failure:
            open_analyst_db(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    message = one_line_error(failure)
    assert message.startswith(f"analyst database {db} is locked by another program (process {holder.pid})")
    assert "open the file read-only" in message
    open_analyst_db(tmp_path).close()  # free again once the holder is gone


def test_not_a_database_says_to_rebuild(tmp_path: Path) -> None:
    (tmp_path / "analyst.duckdb").write_text("not a database", encoding="utf-8")
    with pytest.raises(WaybillWatchError) as failure:
        open_analyst_db(tmp_path)
    assert "rebuild it with `waybill-watch run`" in one_line_error(failure)


@pytest.mark.parametrize("label", ["2026-3", "2026Q5", "Q3 2026", ""])
def test_malformed_quarter_shows_the_expected_form(label: str) -> None:
    with pytest.raises(WaybillWatchError) as failure:
        parse_quarter(label)
    assert "write it like 2026Q3" in one_line_error(failure)


def test_parse_quarter_accepts_lower_case() -> None:
    assert parse_quarter(" 2026q3 ") == (2026, 3)


def test_quarter_without_data_lists_the_quarters_that_have_some(tiny_warehouse: Path) -> None:
    con = open_analyst_db(tiny_warehouse)
    try:
        first = con.execute(
            "select min(quarter) from mart_market_quarterly where listings_active > 0"
        ).fetchall()[0][0]
        last = latest_quarter(con)
        assert check_quarter(con, last.lower()) == last
        with pytest.raises(WaybillWatchError) as failure:
            check_quarter(con, "1999Q1")
    finally:
        con.close()
    message = one_line_error(failure)
    assert message.startswith("no data for quarter 1999Q1 in the analyst database")
    assert f"quarters with data: {first} to {last}" in message
    assert f"WAYBILL_WATCH_QUARTER={last}" in message


def test_analyst_connection_is_read_only(tiny_warehouse: Path) -> None:
    con = open_analyst_db(tiny_warehouse)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("create table scratch as select 1 as x")
    finally:
        con.close()


def test_analysis_connection_exposes_marts_names_without_touching_the_file(tiny_warehouse: Path) -> None:
    db = tiny_warehouse / "analyst.duckdb"
    before = db.stat().st_mtime_ns
    con = analysis_connection(tiny_warehouse)
    try:
        for table in ANALYST_TABLES:
            via_marts = con.execute(f'select count(*) from "waybill_watch"."marts"."{table}"').fetchall()[0][
                0
            ]
            direct = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            assert via_marts == direct
        with pytest.raises(duckdb.Error):
            con.execute("create table analyst.main.scratch as select 1 as x")
    finally:
        con.close()
    assert db.stat().st_mtime_ns == before


@pytest.fixture(scope="module")
def published_tables(tiny_warehouse: Path) -> dict[str, int]:
    con = open_analyst_db(tiny_warehouse)
    try:
        names = [
            name for (name,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()
        ]
        return {name: con.execute(f'select count(*) from "{name}"').fetchall()[0][0] for name in names}
    finally:
        con.close()


def test_analyst_database_holds_the_contract_and_dimensions(published_tables: dict[str, int]) -> None:
    assert set(ANALYST_TABLES) <= set(published_tables)
    assert not [name for name in published_tables if name.startswith(("stg_", "int_"))]


def test_exports_have_one_parquet_and_one_csv_per_analyst_table(
    tiny_warehouse: Path, published_tables: dict[str, int]
) -> None:
    exports = tiny_warehouse / "exports"
    assert sorted(path.stem for path in exports.glob("*.parquet")) == sorted(published_tables)
    assert sorted(path.stem for path in exports.glob("*.csv")) == sorted(published_tables)
    for name, rows in published_tables.items():
        assert pl.scan_parquet(exports / f"{name}.parquet").select(pl.len()).collect().item() == rows, name
        raw = (exports / f"{name}.csv").read_bytes()
        assert raw.startswith(UTF8_BOM), f"{name}.csv lacks the UTF-8 BOM spreadsheet programs need"
        assert not raw[3:].startswith(UTF8_BOM)
        csv = pl.read_csv(io.StringIO(raw.decode("utf-8-sig")), infer_schema=False)
        assert csv.height == rows, name
        assert csv.columns == pl.read_parquet_schema(exports / f"{name}.parquet").names(), name


def test_csv_exports_keep_chinese_names_readable(tiny_warehouse: Path) -> None:
    con = open_analyst_db(tiny_warehouse)
    try:
        expected = {
            row[0]: row[1] for row in con.execute("select region_code, name_zh from dim_regions").fetchall()
        }
    finally:
        con.close()
    text = (tiny_warehouse / "exports" / "dim_regions.csv").read_bytes().decode("utf-8-sig")
    exported = pl.read_csv(io.StringIO(text), infer_schema=False)
    assert dict(zip(exported["region_code"], exported["name_zh"], strict=True)) == expected
    assert expected.get("110000") == "北京市"


def test_query_runner_prints_a_table_or_a_one_line_error(
    tiny_warehouse: Path, tmp_path: Path, capsys
) -> None:
    from waybill_watch.analyst import main

    assert main(["--warehouse-dir", str(tiny_warehouse), "select region_code, name_zh from dim_regions"]) == 0
    assert "北京市" in capsys.readouterr().out
    assert main(["--warehouse-dir", str(tmp_path), "select 1"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: no analyst database at") and error.count("\n") == 1
    assert main(["--warehouse-dir", str(tiny_warehouse), "select * from no_such_table"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: query failed: Catalog Error") and error.count("\n") == 1
