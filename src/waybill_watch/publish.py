"""Publish the analyst database (SPEC §7): copy the facts, dimensions, marts and ingest audit out of
the dbt build database into a NEW DuckDB file beside the live one, export each table as Parquet and
CSV, check the copy, then swap it in with an atomic rename.

The new file starts as a byte copy of the live one when that is the file the last publish wrote
(its record, `build/published_state.json`): fct_listings then gets only the rows of the load
batches not yet published, the other tables are copied whole (docs/marts.md "Publication").

Why a new file and a rename: readers that hold the old `analyst.duckdb` open keep reading the old
inode (no lock error, no torn read), and a failure anywhere before the rename leaves the previous
database exactly as it was. The build never opens `analyst.duckdb` for writing.
"""

from __future__ import annotations

import contextlib
import json
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

# Columns of the build's analyst tables that stay in the build: `loaded_at`, the load batch that last
# rewrote a row, would differ between a history of daily runs and a full rebuild of the same data.
BUILD_ONLY_COLUMNS = ("loaded_at",)

# Tables published by load batch into a copy of the previous analyst file, with the key their dbt
# model rewrites rows by (delete+insert): a 100M daily run rewrites 146k of fct_listings' 1.28M rows,
# and copying them alone took ~0.6 s against the whole table's 1.3 s (bench/results_notes.md).
PUBLISHED_BY_BATCH = {"fct_listings": "listing_key"}
# Rows a table's deletes leave stay in the file until a whole copy: one every this many publishes.
WHOLE_COPY_EVERY = 7
# Above this share of new rows (a full rebuild: all of them) a whole copy is as cheap and compact.
MAX_SHARE_BY_BATCH = 0.5


@dataclass
class PublishSummary:
    analyst_db: Path
    exports_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    # tables published by load batch (PUBLISHED_BY_BATCH) → the rows copied; absent: copied whole
    by_batch: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        rows = sum(self.row_counts.values())
        batches = "".join(f"; {name}: {n} rows of new load batches" for name, n in self.by_batch.items())
        return (
            f"published {len(self.row_counts)} tables ({rows} rows) to {self.analyst_db}; "
            f"exports in {self.exports_dir}{batches}"
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
    previous = _previous_publish(warehouse_dir)
    try:
        copy = _copy_published_tables(build_db, new_db, new_exports, on_table, previous)
        _check_copy(build_db, new_db, copy.row_counts)
        _published_state_file(warehouse_dir).unlink(missing_ok=True)
        _swap_in(new_db, new_exports, warehouse_dir)
        _record_publish(warehouse_dir, copy, previous)
    except WaybillWatchError:
        _discard(new_db, new_exports)
        raise
    except (duckdb.Error, OSError) as exc:
        _discard(new_db, new_exports)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WaybillWatchError(f"publish failed, previous analyst database left in place: {reason}") from exc
    return PublishSummary(
        analyst_db_path(warehouse_dir), warehouse_dir / EXPORTS_DIRNAME, copy.row_counts, copy.by_batch
    )


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


@dataclass
class _PreviousPublish:
    """The live analyst file as the last publish left it: its load batches per PUBLISHED_BY_BATCH
    table, and how many publishes since the last whole copy."""

    analyst_db: Path
    batches: dict[str, list[str]]
    by_batch_publishes: int


@dataclass
class _Copy:
    row_counts: dict[str, int]
    by_batch: dict[str, int]
    batches: dict[str, list[str]]


def _copy_published_tables(
    build_db: Path,
    new_db: Path,
    new_exports: Path,
    on_table: Callable[[str], None] | None,
    previous: _PreviousPublish | None,
) -> _Copy:
    """The copy into the new file and, beside it in a thread, the exports from the build."""
    new_db.unlink(missing_ok=True)
    if previous is not None:
        shutil.copyfile(previous.analyst_db, new_db)
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
            copy = _copy_tables(con, names, on_table, previous)
        finally:
            exports.wait()
        con.execute("detach " + BUILD_CATALOG)
        con.execute("checkpoint")
    return copy


def _copy_tables(
    con: duckdb.DuckDBPyConnection,
    names: list[str],
    on_table: Callable[[str], None] | None,
    previous: _PreviousPublish | None,
) -> _Copy:
    _drop_tables_not_in(con, names)
    copy = _Copy({}, {}, {})
    for name in names:
        copy.row_counts[name] = con.execute(
            f'select count(*) from {BUILD_CATALOG}.{BUILD_MARTS_SCHEMA}."{name}"'
        ).fetchone()[0]
        if name in PUBLISHED_BY_BATCH:
            copy.batches[name] = _load_batches(con, name)
        rows = None
        if previous is not None and name in previous.batches:
            rows = _copy_new_batches(con, name, previous.batches[name], copy.row_counts[name])
        if rows is None:
            _copy_whole(con, name)
        else:
            copy.by_batch[name] = rows
        if on_table is not None:
            on_table(name)
    _copy_comments(con, names)
    return copy


def _copy_whole(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f'drop table if exists main."{name}"')
    con.execute(f'create table main."{name}" ({_column_definitions(con, name)})')
    con.execute(f'insert into main."{name}" select {_published_columns(con, name)} from {_build_table(name)}')


def _copy_new_batches(
    con: duckdb.DuckDBPyConnection, name: str, published_batches: list[str], build_rows: int
) -> int | None:
    """Replace, in the copy of the previous analyst file, the rows of load batches not published yet;
    None when the table must be copied whole instead (other columns, mostly new rows, or a count that
    does not come out at the build's)."""
    if _column_types(con, "current_database()", "main", name) != _column_types(
        con, f"'{BUILD_CATALOG}'", BUILD_MARTS_SCHEMA, name, published_only=True
    ):
        return None
    key = PUBLISHED_BY_BATCH[name]
    con.execute("create or replace temp table published_batches (loaded_at timestamp)")
    con.executemany("insert into published_batches values (?)", [[batch] for batch in published_batches])
    # loaded_at is never null (the model's contract): `not in` is the anti-join
    con.execute(
        f"create or replace temp table new_rows as select {_published_columns(con, name)}"
        f" from {_build_table(name)} where loaded_at not in (select loaded_at from published_batches)"
    )
    rows = con.execute("select count(*) from new_rows").fetchone()[0]
    if rows > MAX_SHARE_BY_BATCH * build_rows:
        return None
    con.execute(f'delete from main."{name}" where "{key}" in (select "{key}" from new_rows)')
    con.execute(f'insert into main."{name}" select * from new_rows')
    con.execute("drop table new_rows")
    if con.execute(f'select count(*) from main."{name}"').fetchone()[0] != build_rows:
        return None  # a key the build no longer has: only a whole copy leaves it out
    return rows


def _load_batches(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    sql = f"select distinct cast(loaded_at as varchar) from {_build_table(name)} order by 1"
    return [batch for (batch,) in con.execute(sql).fetchall()]


def _drop_tables_not_in(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """A copy of the previous file may hold a table the build no longer publishes."""
    for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()"
    ).fetchall():
        if name not in names:
            con.execute(f'drop table main."{name}"')


def _build_table(name: str) -> str:
    return f'{BUILD_CATALOG}.{BUILD_MARTS_SCHEMA}."{name}"'


def _column_types(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str, published_only: bool = False
) -> list[tuple[str, str]]:
    columns = con.execute(
        "select column_name, data_type from duckdb_columns()"
        f" where database_name = {database} and schema_name = ? and table_name = ? order by column_index",
        [schema, name],
    ).fetchall()
    return [(c, t) for c, t in columns if not (published_only and c in BUILD_ONLY_COLUMNS)]


def _published_columns(con: duckdb.DuckDBPyConnection, name: str) -> str:
    columns = _column_types(con, f"'{BUILD_CATALOG}'", BUILD_MARTS_SCHEMA, name, published_only=True)
    return ", ".join(_quoted(column) for column, _ in columns)


def _column_definitions(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The build table's published columns and types, key and hash texts stored uncompressed."""
    columns = _column_types(con, f"'{BUILD_CATALOG}'", BUILD_MARTS_SCHEMA, name, published_only=True)
    return ", ".join(
        f"{_quoted(column)} {data_type}"
        + (" using compression uncompressed" if _stored_uncompressed(column, data_type) else "")
        for column, data_type in columns
    )


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
        if table in published and column not in BUILD_ONLY_COLUMNS:
            con.execute(f'comment on column main."{table}"."{column}" is \'{_sql_literal(comment)}\'')


def _published_state_file(warehouse_dir: Path) -> Path:
    return warehouse_dir / "build" / "published_state.json"


def _file_identity(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _previous_publish(warehouse_dir: Path) -> _PreviousPublish | None:
    """The live analyst file with its load batches, when it is the file the last publish wrote and a
    whole copy is not due; else None (a whole copy of every table)."""
    analyst = analyst_db_path(warehouse_dir)
    record = _published_state_file(warehouse_dir)
    try:
        state = json.loads(record.read_text(encoding="utf-8"))
        if state["analyst_db"] != _file_identity(analyst):
            return None
        previous = _PreviousPublish(analyst, dict(state["batches"]), int(state["by_batch_publishes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if previous.by_batch_publishes + 1 >= WHOLE_COPY_EVERY:
        return None
    return previous


def _record_publish(warehouse_dir: Path, copy: _Copy, previous: _PreviousPublish | None) -> None:
    """Written after the swap: a publish that dies before it leaves no record, and the next one
    copies every table whole."""
    by_batch_publishes = previous.by_batch_publishes + 1 if previous is not None and copy.by_batch else 0
    state = {
        "analyst_db": _file_identity(analyst_db_path(warehouse_dir)),
        "batches": copy.batches,
        "by_batch_publishes": by_batch_publishes,
    }
    record = _published_state_file(warehouse_dir)
    partial = record.with_name(record.name + ".new")
    partial.write_text(json.dumps(state, indent=1), encoding="utf-8")
    os.replace(partial, record)


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
    from the build's tables in a thread while the copy is written: the exports of fct_listings are
    the dearer half of a daily publish, and the copy by load batch leaves a core to them
    (docs/marts.md "Publication"). The check of the copy's counts follows; the exports hold the
    same rows (tests/python/test_publish.py)."""

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
                rows = f"select {_published_columns(self._con, name)} from {_build_table(name)}"
                self._con.execute(f"copy ({rows}) to '{_sql_literal(parquet_path)}' (format parquet)")
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
    """A select of the build table's published columns whose first is named with a leading U+FEFF:
    the CSV's header then starts with the UTF-8 BOM, written by DuckDB in one pass (prepending it
    afterwards rewrote fct_listings' 320 MB at 100M observations)."""
    columns = [
        column
        for column, _ in _column_types(
            con, f"'{BUILD_CATALOG}'", BUILD_MARTS_SCHEMA, name, published_only=True
        )
    ]
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
