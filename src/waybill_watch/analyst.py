"""Analyst access to the published database: open it read-only, check a quarter, run dbt analyses.

Every failure an analyst can meet here (no database yet, a quarter without data, a file locked by
another program) is a `WaybillWatchError` whose one-line message says what to do next.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from waybill_watch.config import analyst_db_path, warehouse_dir
from waybill_watch.errors import WaybillWatchError

QUARTER_ENV = "WAYBILL_WATCH_QUARTER"
NOTEBOOK_RESULTS_ENV = "WAYBILL_WATCH_NOTEBOOK_RESULTS"

# The analyst contract (SPEC §6) plus the dimensions; publish may add more tables.
CONTRACT_TABLES: tuple[str, ...] = (
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
)
DIMENSION_TABLES: tuple[str, ...] = (
    "dim_regions",
    "dim_channels",
    "dim_carriers",
    "dim_sites",
    "dim_agencies",
)
ANALYST_TABLES: tuple[str, ...] = CONTRACT_TABLES + DIMENSION_TABLES

# dbt builds the marts into this catalog (the build file's stem) and schema; compiled analyses name them so.
DBT_CATALOG = "waybill_watch"
DBT_MARTS_SCHEMA = "marts"

_QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")


def open_analyst_db(warehouse: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to WAREHOUSE/analyst.duckdb (default: $WAYBILL_WATCH_WAREHOUSE_DIR)."""
    path = analyst_db_path(warehouse_dir(Path(warehouse) if warehouse is not None else None))
    if not path.is_file():
        raise WaybillWatchError(
            f"no analyst database at {path}; run `waybill-watch run --raw-dir RAW "
            f"--warehouse-dir {path.parent}` (or `make demo`) first, or point WAYBILL_WATCH_WAREHOUSE_DIR "
            "at a warehouse that has one"
        )
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _explain_open_failure(path, exc) from exc


def _explain_open_failure(path: Path, exc: duckdb.Error) -> WaybillWatchError:
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    message = first_line.lower()
    if "lock" in message:
        holder = re.search(r"PID (\d+)", str(exc))
        who = f" (process {holder.group(1)})" if holder else ""
        return WaybillWatchError(
            f"analyst database {path} is locked by another program{who} that opened it for writing; "
            "close that program (open the file read-only, e.g. `duckdb -readonly`) and try again"
        )
    if "different configuration" in message:
        return WaybillWatchError(
            f"analyst database {path} is already open for writing in this Python process; "
            "close that connection (con.close()) and try again"
        )
    return WaybillWatchError(
        f"cannot open analyst database {path} ({first_line}); rebuild it with `waybill-watch run`"
    )


def parse_quarter(quarter: str) -> tuple[int, int]:
    """(year, quarter number) of a label like '2026Q3'; a one-line error otherwise."""
    match = _QUARTER_PATTERN.match(quarter.strip().upper())
    if match is None:
        raise WaybillWatchError(
            f"quarter {quarter!r} is not a quarter label; write it like 2026Q3 (year, Q, 1-4)"
        )
    return int(match.group(1)), int(match.group(2))


def quarters_with_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Quarters that have at least one active listing, case or incident, oldest first."""
    rows = con.execute(
        """
        select quarter from mart_market_quarterly where listings_active > 0
        union select quarter from mart_enforcement_quarterly where cases_opened > 0
        union select quarter from mart_incidents_quarterly where incidents > 0
        order by 1
        """
    ).fetchall()
    return [row[0] for row in rows]


def latest_quarter(con: duckdb.DuckDBPyConnection) -> str:
    """The most recent quarter with data (the notebooks' default)."""
    quarters = quarters_with_data(con)
    if not quarters:
        raise WaybillWatchError(
            "the analyst database holds no listings, cases or incidents yet; "
            "land raw files and run `waybill-watch run --raw-dir RAW` first"
        )
    return quarters[-1]


def check_quarter(con: duckdb.DuckDBPyConnection, quarter: str) -> str:
    """The normalized label of `quarter` if the database has data for it; a one-line error otherwise."""
    year, number = parse_quarter(quarter)
    label = f"{year}Q{number}"
    quarters = quarters_with_data(con)
    if label not in quarters:
        available = f"{quarters[0]} to {quarters[-1]}" if quarters else "none"
        raise WaybillWatchError(
            f"no data for quarter {label} in the analyst database (quarters with data: {available}); "
            f"pick one of those (e.g. {QUARTER_ENV}={quarters[-1] if quarters else '2026Q3'}) "
            "or run `waybill-watch run` with raw data for that quarter"
        )
    return label


def notebook_parameters(quarter: str | None, warehouse: str | None) -> tuple[str | None, Path]:
    """QUARTER and WAREHOUSE_DIR for a notebook: the env vars override the parameters cell."""
    env_quarter = os.environ.get(QUARTER_ENV) or quarter
    env_warehouse = os.environ.get("WAYBILL_WATCH_WAREHOUSE_DIR") or warehouse
    return env_quarter, warehouse_dir(Path(env_warehouse) if env_warehouse else None)


def analysis_connection(warehouse: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection where dbt-compiled analyses run unchanged against the analyst database.

    Compiled analyses name relations as dbt built them ("waybill_watch"."marts"."fct_listings"). The
    analyst database holds the same tables in its main schema, so this attaches it read-only and puts
    one view per table into an in-memory catalog named like the build database. Nothing is written to
    the analyst database and the build database is not needed.
    """
    read_only = open_analyst_db(warehouse)
    path = read_only.execute("select path from duckdb_databases() where database_name = current_database()")
    db_file = path.fetchall()[0][0]
    read_only.close()
    con = duckdb.connect()
    con.execute(f"attach '{_sql_literal(db_file)}' as analyst (read_only)")
    con.execute(f"attach ':memory:' as {DBT_CATALOG}")
    con.execute(f"create schema {DBT_CATALOG}.{DBT_MARTS_SCHEMA}")
    tables = con.execute(
        "select table_name from duckdb_tables() where database_name = 'analyst' and schema_name = 'main'"
    ).fetchall()
    tables += con.execute(
        "select view_name from duckdb_views() where database_name = 'analyst' and schema_name = 'main'"
        " and not internal"
    ).fetchall()
    for (table,) in tables:
        con.execute(
            f'create view {DBT_CATALOG}.{DBT_MARTS_SCHEMA}."{table}" as select * from analyst.main."{table}"'
        )
    con.execute("use analyst")
    return con


def _sql_literal(text: str) -> str:
    return text.replace("'", "''")


def chart_png(chart, scale: float = 1.5) -> bytes:
    """A PNG of an Altair chart, rendered locally by vl-convert (no browser, no CDN), so it shows offline."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)


def show_chart(chart) -> None:
    """Display an Altair chart as a static PNG in a notebook."""
    from IPython.display import Image, display

    display(Image(chart_png(chart)))


def save_notebook_results(results: dict) -> None:
    """Write a notebook's key figures as JSON where $WAYBILL_WATCH_NOTEBOOK_RESULTS points (tests read it)."""
    import json

    target = os.environ.get(NOTEBOOK_RESULTS_ENV)
    if target:
        Path(target).write_text(
            json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )


def compile_analysis(name: str, quarter: str | None = None, compile_dir: Path | None = None) -> str:
    """The SQL of analyses/<name>.sql compiled by dbt (quarter → var analysis_quarter).

    Compiling needs no data, so dbt runs in its own directory (default target/analyses_compile/,
    where the compiled SQL also lands): the live warehouse, and a build that may hold its lock, are
    never touched.
    """
    import json

    from waybill_watch.config import PROJECT_ROOT
    from waybill_watch.dbt_runner import run_dbt

    known = sorted(path.stem for path in (PROJECT_ROOT / "analyses").glob("*.sql"))
    if name not in known:
        raise WaybillWatchError(f"no analysis named {name!r}; pick one of: {', '.join(known)}")
    args = ["compile", "--select", name]
    if quarter:
        year, number = parse_quarter(quarter)
        args += ["--vars", json.dumps({"analysis_quarter": f"{year}Q{number}"})]
    result = run_dbt(args, compile_dir or PROJECT_ROOT / "target" / "analyses_compile")
    return result.result.results[0].node.compiled_code


def run_sql(sql: str, warehouse: Path | str | None = None):
    """Run SQL on the analyst database (dbt-compiled analyses included) and return a polars DataFrame."""
    con = analysis_connection(warehouse)
    try:
        return con.sql(sql).pl()
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise WaybillWatchError(f"query failed: {first_line}; check table and column names in docs") from exc
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m waybill_watch.analyst "select …"` or `--analysis NAME [--quarter Q]`: print the result."""
    import argparse
    import sys

    import polars as pl

    parser = argparse.ArgumentParser(
        prog="python -m waybill_watch.analyst",
        description="Query the published analyst database read-only, or run one of the dbt analyses.",
    )
    parser.add_argument(
        "sql", nargs="?", help="SQL to run, e.g. 'select * from mart_region_quarterly limit 5'"
    )
    parser.add_argument("--analysis", help="name of an analysis in analyses/ (compiled by dbt, then run)")
    parser.add_argument("--quarter", help="quarter for --analysis, e.g. 2026Q3 (default: latest with data)")
    parser.add_argument(
        "--warehouse-dir", type=Path, default=None, help="default: $WAYBILL_WATCH_WAREHOUSE_DIR"
    )
    parser.add_argument("--csv", type=Path, help="also write the result as CSV (UTF-8 with BOM) here")
    args = parser.parse_args(argv)
    if bool(args.sql) == bool(args.analysis):
        parser.error("give either SQL or --analysis NAME")
    warehouse = warehouse_dir(args.warehouse_dir)
    try:
        open_analyst_db(warehouse).close()  # the clear error when there is no database, before dbt runs
        sql = compile_analysis(args.analysis, args.quarter) if args.analysis else args.sql
        frame = run_sql(sql, warehouse)
    except WaybillWatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with pl.Config(tbl_rows=50, tbl_cols=20, fmt_str_lengths=60, tbl_width_chars=200):
        print(frame)
    if args.csv:
        args.csv.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
