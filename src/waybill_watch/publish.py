"""Publish the analyst database (SPEC §7): copy the facts, dimensions, marts and ingest audit out of
the dbt build database into a NEW DuckDB file beside the live one, export each table as Parquet and
CSV (in a thread, beside the copy), check the copy, then swap it in with an atomic rename.

Why a new file and a rename: readers that hold the old `analyst.duckdb` open keep reading the old
inode (no lock error, no torn read), and a failure anywhere before the rename leaves the previous
database exactly as it was. The build never opens `analyst.duckdb` for writing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from waybill_watch.config import analyst_db_path, build_db_path
from waybill_watch.errors import WaybillWatchError

# dbt builds every fct_/dim_/mart_/audit_ model into this schema (dbt_project.yml, marts/ folder).
BUILD_MARTS_SCHEMA = "marts"
BUILD_CATALOG = "build_db"
PUBLISHED_PREFIXES = ("fct_", "dim_", "mart_", "audit_")

# SPEC §6 analyst contract plus the dimensions: publishing without any of them is a failure.
REQUIRED_TABLES: tuple[str, ...] = (
    "fct_listings",
    "fct_cases",
    "fct_incidents",
    "mart_market_monthly",
    "mart_market_quarterly",
    "mart_price_index_quarterly",
    "mart_enforcement_quarterly",
    "mart_incidents_quarterly",
    "mart_region_quarterly",
    "mart_crawl_coverage_daily",
    "audit_ingest_files",
    "dim_regions",
    "dim_channels",
    "dim_carriers",
    "dim_sites",
    "dim_agencies",
)

# Text columns of random-looking values (pseudonyms, hashes) are written uncompressed: DuckDB 2.0's
# dictionary + FSST compression finds nothing to share in them and its analysis was the dearest part
# of the copy (100M observations: fct_listings' 1.28M rows in 4.3-4.8 s, 2.9 s with seller_key and
# listing_key uncompressed; the file 108 -> 135 MB).
UNCOMPRESSED_TEXT_SUFFIXES = ("_key", "_hash")

# The copy and the exports are written without keeping the rows' order: DuckDB then writes a large
# table's row groups in parallel, not one after another (100M observations: copy, check and exports
# 3.3-3.6 s -> 2.3-2.5 s). No table's row order carries anything: the dbt build writes them without
# it as well (profiles.yml), and readers sort.
UNORDERED = "set preserve_insertion_order = false"

EXPORTS_DIRNAME = "exports"
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class PublishSummary:
    analyst_db: Path
    exports_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        rows = sum(self.row_counts.values())
        return (
            f"published {len(self.row_counts)} tables ({rows} rows) to {self.analyst_db}; "
            f"exports in {self.exports_dir}"
        )

    def __rich__(self) -> str:
        return str(self)


def publish(warehouse_dir: Path, on_table: Callable[[str], None] | None = None) -> PublishSummary:
    """Build, check and atomically swap in WAREHOUSE/analyst.duckdb and WAREHOUSE/exports/."""
    warehouse_dir = warehouse_dir.resolve()
    build_db = build_db_path(warehouse_dir)
    if not build_db.is_file():
        raise WaybillWatchError(f"no build database at {build_db}: run `dbt build` (waybill-watch run) first")
    _remove_stale_leftovers(warehouse_dir)
    new_db = warehouse_dir / f"analyst.duckdb.new-{os.getpid()}"
    new_exports = warehouse_dir / f"{EXPORTS_DIRNAME}.new-{os.getpid()}"
    try:
        row_counts = _copy_published_tables(build_db, new_db, new_exports, on_table)
        _check_copy(build_db, new_db, row_counts)
        _swap_in(new_db, new_exports, warehouse_dir)
    except WaybillWatchError:
        _discard(new_db, new_exports)
        raise
    except (duckdb.Error, OSError) as exc:
        _discard(new_db, new_exports)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WaybillWatchError(f"publish failed, previous analyst database left in place: {reason}") from exc
    return PublishSummary(analyst_db_path(warehouse_dir), warehouse_dir / EXPORTS_DIRNAME, row_counts)


def published_table_names(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The build's analyst tables: every fct_/dim_/mart_/audit_ relation of the marts schema."""
    rows = con.execute(
        """
        select table_name
        from information_schema.tables
        where table_catalog = ? and table_schema = ?
        order by table_name
        """,
        [catalog, BUILD_MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows if name.startswith(PUBLISHED_PREFIXES)]


def _copy_published_tables(
    build_db: Path, new_db: Path, new_exports: Path, on_table: Callable[[str], None] | None
) -> dict[str, int]:
    """The copy into the new file and, beside it in a thread, the exports from the build."""
    new_db.unlink(missing_ok=True)
    with duckdb.connect(str(new_db)) as con:
        con.execute(UNORDERED)
        _attach_build(con, build_db)
        names = published_table_names(con, BUILD_CATALOG)
        missing = sorted(set(REQUIRED_TABLES) - set(names))
        if missing:
            raise WaybillWatchError(
                f"publish refused: the build database lacks {', '.join(missing)}; run a full `dbt build`"
            )
        exports = _ExportsBeside(con.cursor(), new_exports, names)
        try:
            row_counts = _copy_tables(con, names, on_table)
        finally:
            exports.wait()
        con.execute("detach " + BUILD_CATALOG)
        con.execute("checkpoint")
    return row_counts


def _copy_tables(
    con: duckdb.DuckDBPyConnection, names: list[str], on_table: Callable[[str], None] | None
) -> dict[str, int]:
    row_counts: dict[str, int] = {}
    for name in names:
        con.execute(f'create table main."{name}" ({_column_definitions(con, name)})')
        con.execute(f'insert into main."{name}" select * from {_build_table(name)}')
        row_counts[name] = con.execute(f"select count(*) from {_build_table(name)}").fetchone()[0]
        if on_table is not None:
            on_table(name)
    _copy_comments(con, names)
    return row_counts


def _build_table(name: str) -> str:
    return f'{BUILD_CATALOG}.{BUILD_MARTS_SCHEMA}."{name}"'


def _column_definitions(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The build table's columns and types, key and hash texts stored uncompressed."""
    return ", ".join(
        f"{_quoted(column)} {data_type}"
        + (" using compression uncompressed" if _stored_uncompressed(column, data_type) else "")
        for column, data_type in _build_columns(con, name)
    )


def _build_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """The build table's columns and their types, in the table's order."""
    return con.execute(
        "select column_name, data_type from duckdb_columns()"
        " where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [BUILD_CATALOG, BUILD_MARTS_SCHEMA, name],
    ).fetchall()


def _stored_uncompressed(column: str, data_type: str) -> bool:
    return data_type == "VARCHAR" and column.endswith(UNCOMPRESSED_TEXT_SUFFIXES)


def _copy_comments(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Table and column descriptions (dbt persist_docs) travel with the tables, so an analyst can read
    the definitions with `describe` or duckdb_columns() in the published database itself."""
    published = set(names)
    tables = con.execute(
        "select table_name, comment from duckdb_tables()"
        " where database_name = ? and schema_name = ? and comment is not null",
        [BUILD_CATALOG, BUILD_MARTS_SCHEMA],
    ).fetchall()
    for table, comment in tables:
        if table in published:
            con.execute(f"comment on table main.\"{table}\" is '{_sql_literal(comment)}'")
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns()"
        " where database_name = ? and schema_name = ? and comment is not null",
        [BUILD_CATALOG, BUILD_MARTS_SCHEMA],
    ).fetchall()
    for table, column, comment in columns:
        if table in published:
            con.execute(f'comment on column main."{table}"."{column}" is \'{_sql_literal(comment)}\'')


def _attach_build(con: duckdb.DuckDBPyConnection, build_db: Path) -> None:
    try:
        con.execute(f"attach '{_sql_literal(build_db)}' as {BUILD_CATALOG} (read_only)")
    except duckdb.IOException as exc:
        raise WaybillWatchError(
            f"cannot open the build database {build_db} (is a dbt run still holding it?): "
            f"{str(exc).splitlines()[0]}"
        ) from exc


def _check_copy(build_db: Path, new_db: Path, expected: dict[str, int]) -> None:
    """Re-open the new file cold and compare every table's row count with the build's."""
    with duckdb.connect(str(new_db), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        }
        schemas = {
            name
            for (name,) in con.execute(
                "select schema_name from duckdb_schemas() where database_name = current_database()"
                " and schema_name not in ('information_schema', 'pg_catalog')"
            ).fetchall()
        }
        if schemas - {"main"}:
            raise WaybillWatchError(f"publish check failed: unexpected schemas {sorted(schemas - {'main'})}")
        for name, rows in expected.items():
            if name not in present:
                raise WaybillWatchError(f"publish check failed: table {name} missing from {new_db.name}")
            copied = con.execute(f'select count(*) from main."{name}"').fetchone()[0]
            if copied != rows:
                raise WaybillWatchError(
                    f"publish check failed: {name} has {copied} rows, the build has {rows} ({build_db})"
                )


class _ExportsBeside:
    """One Parquet and one CSV (UTF-8 with BOM, so spreadsheet programs read Chinese) per table, read
    from the build's tables in a thread while the copy is written: fct_listings' exports are the
    dearer half of a publish and neither half keeps both cores busy (docs/marts.md "Publication").
    The check of the copy's counts follows; the tests compare the copy and the exports with the
    build, row for row (tests/python/test_publish.py)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, exports_dir: Path, names: list[str]) -> None:
        self._con = con
        self._error: BaseException | None = None
        if exports_dir.exists():
            shutil.rmtree(exports_dir)
        exports_dir.mkdir(parents=True)
        self._thread = threading.Thread(
            target=self._write, args=(exports_dir, names), name="publish-exports", daemon=True
        )
        self._thread.start()

    def _write(self, exports_dir: Path, names: list[str]) -> None:
        try:
            self._con.execute(UNORDERED)
            for name in names:
                parquet_path = exports_dir / f"{name}.parquet"
                self._con.execute(
                    f"copy {_build_table(name)} to '{_sql_literal(parquet_path)}' (format parquet)"
                )
                csv_path = exports_dir / f"{name}.csv"
                rows = _with_bom_in_header(self._con, name)
                self._con.execute(f"copy ({rows}) to '{_sql_literal(csv_path)}' (format csv, header true)")
        except BaseException as exc:  # re-raised in the publishing thread by wait()
            self._error = exc
        finally:
            self._con.close()

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _with_bom_in_header(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A select of the build table's rows whose first column is named with a leading U+FEFF: the
    CSV's header then starts with the UTF-8 BOM, written by DuckDB in one pass (prepending it
    afterwards rewrote fct_listings' 320 MB at 100M observations)."""
    columns = [column for column, _ in _build_columns(con, name)]
    first, *rest = (_quoted(column) for column in columns)
    bom_first = _quoted(UTF8_BOM.decode("utf-8") + columns[0])
    return f"select {', '.join([f'{first} as {bom_first}', *rest])} from {_build_table(name)}"


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _swap_in(new_db: Path, new_exports: Path, warehouse_dir: Path) -> None:
    """Exports first (two renames, a moment without exports), then the database (one atomic rename)."""
    live_exports = warehouse_dir / EXPORTS_DIRNAME
    old_exports = warehouse_dir / f"{EXPORTS_DIRNAME}.old-{os.getpid()}"
    if live_exports.exists():
        os.replace(live_exports, old_exports)
    os.replace(new_exports, live_exports)
    os.replace(new_db, analyst_db_path(warehouse_dir))
    if old_exports.exists():
        shutil.rmtree(old_exports, ignore_errors=True)


def _discard(new_db: Path, new_exports: Path) -> None:
    for path in (new_db, new_db.with_name(new_db.name + ".wal")):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    if new_exports.exists():
        shutil.rmtree(new_exports, ignore_errors=True)


def _remove_stale_leftovers(warehouse_dir: Path) -> None:
    """Files left by a publish that was killed: their process is gone, nobody reads them."""
    for path in [*warehouse_dir.glob("analyst.duckdb.new-*"), *warehouse_dir.glob(f"{EXPORTS_DIRNAME}.*-*")]:
        pid_text = path.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sql_literal(value: Path | str) -> str:
    return str(value).replace("'", "''")
