"""Publication (SPEC §7): the analyst database holds only facts, dimensions, marts and the ingest
audit; it is swapped in atomically; a failed build or check leaves the previous one untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import bronze_fixtures as bf
from waybill_watch.cli import app
from waybill_watch.config import analyst_db_path, build_db_path
from waybill_watch.errors import WaybillWatchError
from waybill_watch.pipeline import build_and_publish
from waybill_watch.publish import REQUIRED_TABLES, _ExportsBeside, publish, published_table_names


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(warehouse: Path) -> list[str]:
    return sorted(p.name for p in warehouse.iterdir() if ".new-" in p.name or ".old-" in p.name)


@pytest.fixture(scope="module")
def published(hand_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("published") / "warehouse"
    shutil.copytree(hand_warehouse, warehouse)
    publish(warehouse)
    return warehouse


def build_tables(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(build_db_path(warehouse)), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {name: con.execute(f"select count(*) from marts.{name}").fetchone()[0] for name in names}


def test_published_db_holds_only_analyst_tables(published: Path):
    with duckdb.connect(str(analyst_db_path(published)), read_only=True) as con:
        tables = {
            (schema, name)
            for schema, name in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        }
        schemas = {
            name
            for (name,) in con.execute(
                "select schema_name from duckdb_schemas() where database_name = current_database()"
                " and schema_name not in ('information_schema', 'pg_catalog')"
            ).fetchall()
        }
        views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0]
    assert schemas == {"main"}  # no staging, intermediate or reference schema
    assert views == 0
    names = {name for _, name in tables}
    assert set(REQUIRED_TABLES) <= names
    assert all(name.startswith(("fct_", "dim_", "mart_", "audit_")) for name in names)
    assert not [name for name in names if "quarantine" in name or name.startswith(("stg_", "int_"))]


def test_row_counts_equal_the_build(published: Path):
    expected = {name: rows for name, rows in build_tables(published).items() if name in REQUIRED_TABLES}
    with duckdb.connect(str(analyst_db_path(published)), read_only=True) as con:
        for name, rows in expected.items():
            assert con.execute(f"select count(*) from {name}").fetchone()[0] == rows, name
    assert expected["fct_listings"] == 55  # the hand scenario's listings: not an empty copy


def columns_of(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns()"
        f" where database_name = {database} and table_name = '{table}' order by column_index"
    ).fetchall()


def test_tables_are_copied_whole_with_key_texts_uncompressed(published: Path):
    with duckdb.connect(str(analyst_db_path(published)), read_only=True) as con:
        con.execute(f"attach '{build_db_path(published)}' as build_db (read_only)")
        for name in ("fct_listings", "audit_ingest_files", "mart_market_quarterly"):
            # the build's columns and types, in its order, and its rows (the counts: the test above)
            assert columns_of(con, "current_database()", name) == columns_of(con, "'build_db'", name)
            extra = f"select count(*) from (from main.{name} except all from build_db.marts.{name})"
            assert con.execute(extra).fetchone()[0] == 0
        compression = dict(
            con.execute(
                "select column_name, string_agg(distinct compression, ',')"
                " from pragma_storage_info('fct_listings') where segment_type = 'VARCHAR'"
                " group by column_name"
            ).fetchall()
        )
    # pseudonyms and hashes: nothing to share, written as they are; other texts compressed
    assert compression["seller_key"] == compression["listing_key"] == "Uncompressed"
    assert compression["region_code"] != "Uncompressed"


def test_definitions_travel_as_comments(published: Path):
    with duckdb.connect(str(analyst_db_path(published)), read_only=True) as con:
        (column_comment,) = con.execute(
            "select comment from duckdb_columns()"
            " where table_name = 'mart_market_quarterly' and column_name = 'coverage_ratio'"
        ).fetchone()
        (table_comment,) = con.execute(
            "select comment from duckdb_tables() where table_name = 'fct_listings'"
        ).fetchone()
    assert "crawled site-days" in column_comment.lower()  # the doc block, rendered
    assert "listing" in table_comment.lower()


def test_exports_parquet_and_csv_with_bom(published: Path):
    exports = published / "exports"
    for name in REQUIRED_TABLES:
        parquet = pl.read_parquet(exports / f"{name}.parquet")
        csv_bytes = (exports / f"{name}.csv").read_bytes()
        assert csv_bytes.startswith(b"\xef\xbb\xbf"), name
        csv = pl.read_csv(exports / f"{name}.csv", infer_schema=False)
        assert csv.height == parquet.height, name
        assert csv.columns == parquet.columns, name
    regions = pl.read_csv(exports / "mart_region_quarterly.csv", infer_schema=False)
    assert "广东省" in regions["name_zh"].to_list()  # Chinese survives the round trip
    assert not leftovers(published)


def test_copy_and_exports_hold_the_builds_rows(published: Path):
    """The copy and the exports are written without keeping row order (publish.UNORDERED): each holds
    exactly the build's rows, as a multiset, for every published table."""
    exports = published / "exports"
    with duckdb.connect(str(analyst_db_path(published)), read_only=True) as con:
        con.execute(f"attach '{build_db_path(published)}' as build_db (read_only)")
        for name in published_table_names(con, "build_db"):
            build = f"build_db.marts.{name}"
            copies = {
                "copy": f"main.{name}",
                "parquet": f"read_parquet('{exports / f'{name}.parquet'}')",
                # the CSV compared as text: every column of the build cast to varchar
                "csv": f"read_csv('{exports / f'{name}.csv'}', all_varchar = true, header = true)",
            }
            for kind, rows in copies.items():
                source = f"(select * from {build})"
                if kind == "csv":
                    columns = [
                        c for (c,) in con.execute(f"select name from pragma_table_info('{build}')").fetchall()
                    ]
                    source = (
                        "(select " + ", ".join(f'cast("{c}" as varchar)' for c in columns) + f" from {build})"
                    )
                differing = con.execute(
                    f"select count(*) from ((select * from {source} except all select * from {rows})"
                    f" union all (select * from {rows} except all select * from {source}))"
                ).fetchone()[0]
                assert differing == 0, (name, kind)


def test_readers_keep_reading_during_publish(published: Path):
    analyst = analyst_db_path(published)
    reader = duckdb.connect(str(analyst), read_only=True)
    try:
        before = reader.execute("select count(*) from fct_listings").fetchone()[0]
        inode_before = analyst.stat().st_ino
        publish(published)  # no lock error although a reader holds the file
        assert analyst.stat().st_ino != inode_before  # a new file was renamed into place
        assert reader.execute("select count(*) from fct_listings").fetchone()[0] == before
    finally:
        reader.close()
    with duckdb.connect(str(analyst), read_only=True) as fresh:
        assert fresh.execute("select count(*) from fct_listings").fetchone()[0] == before


def test_an_export_error_reaches_the_publishing_thread(published: Path, tmp_path: Path):
    """The exports run in a thread beside the copy (publish._ExportsBeside): an error there is raised
    again by wait(), in the publishing thread, whose error handling then discards the new files."""
    with duckdb.connect(str(tmp_path / "scratch.duckdb")) as con:
        con.execute(f"attach '{build_db_path(published)}' as build_db (read_only)")
        exports = _ExportsBeside(con.cursor(), tmp_path / "exports", ["fct_listings", "no_such_table"])
        with pytest.raises(duckdb.CatalogException, match="no_such_table"):
            exports.wait()
    assert (tmp_path / "exports" / "fct_listings.csv").stat().st_size > 0  # the one before it written


@pytest.fixture()
def failing_warehouse(published: Path, tmp_path: Path) -> Path:
    """A copy of the published warehouse whose next build fails a dbt test: an audit row with a
    status outside the accepted values."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    bad = bf.audit_row("crawl/2026-07-07/x.jsonl", "crawl", 1, status="exploded")
    bf.write_ingest_audit(warehouse / "bronze", [bad], run_id="run-bad")
    return warehouse


def test_failed_build_leaves_previous_database(failing_warehouse: Path):
    analyst = analyst_db_path(failing_warehouse)
    digest = sha256(analyst)
    exports_digest = sha256(failing_warehouse / "exports" / "fct_listings.parquet")
    with pytest.raises(WaybillWatchError) as failure:
        build_and_publish(failing_warehouse)
    message = str(failure.value)
    assert "\n" not in message
    assert "accepted_values" in message and "audit_ingest_files" in message
    assert sha256(analyst) == digest
    assert sha256(failing_warehouse / "exports" / "fct_listings.parquet") == exports_digest
    assert not leftovers(failing_warehouse)


def test_publish_refuses_an_incomplete_build(published: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    with duckdb.connect(str(build_db_path(warehouse))) as con:
        con.execute("drop table marts.fct_cases")
    digest = sha256(analyst_db_path(warehouse))
    with pytest.raises(WaybillWatchError, match="fct_cases"):
        publish(warehouse)
    assert sha256(analyst_db_path(warehouse)) == digest
    assert not leftovers(warehouse)


def test_cli_run_fails_with_one_line(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["run", "--raw-dir", str(tmp_path / "missing"), "--warehouse-dir", str(tmp_path / "wh")]
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "does not exist" in lines[0]
    assert not analyst_db_path(tmp_path / "wh").exists()
