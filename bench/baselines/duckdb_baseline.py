"""Run the hand-written DuckDB SQL baseline (duckdb_baseline.sql) on a landing zone; see the SQL for
what it simplifies. Writes OUT/<table>.parquet for the ten required tables and prints one JSON line
{"tables": {name: rows}}.

    python bench/baselines/duckdb_baseline.py --raw RAW --out OUT [--threads 2] [--memory-limit 3GB]
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
from _common import SEEDS, TABLES, parse_args, report, sites_csvs, utf8_csvs

SQL = Path(__file__).with_name("duckdb_baseline.sql")


def sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def main() -> int:
    args = parse_args(__doc__ or "")
    script = SQL.read_text(encoding="utf-8")
    for name, value in {
        "{raw}": str(args.raw.resolve()),
        "{seeds}": str(SEEDS),
        "{sites_files}": sql_list(sites_csvs(args.raw)),
        "{incident_files}": sql_list(utf8_csvs(args.raw, "incidents", args.out)),
        "{case_files}": sql_list(utf8_csvs(args.raw, "cases", args.out)),
    }.items():
        script = script.replace(name, value)
    db = args.out / "_baseline.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(f"SET threads = {int(args.threads)}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(f"SET temp_directory = '{args.out / '_tmp'}'")
    con.execute("SET enable_progress_bar = false")
    con.execute(script)
    counts: dict[str, int] = {}
    for table in TABLES:
        con.execute(f"COPY {table} TO '{args.out / (table + '.parquet')}' (FORMAT parquet)")
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    con.close()
    db.unlink()
    report(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
