"""`make demo`: generate the small demo data, run the pipeline, write the latest quarter's report.

Everything lands under `demo/` in the repository (raw files, warehouse, report), so the demo
never touches a real warehouse.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console

from waybill_watch.config import PROJECT_ROOT, analyst_db_path
from waybill_watch.errors import WaybillWatchError

console = Console()
DEMO_DIR = PROJECT_ROOT / "demo"
RAW_DIR = DEMO_DIR / "raw"
WAREHOUSE_DIR = DEMO_DIR / "warehouse"
REPORT_DIR = DEMO_DIR / "report"


def latest_full_quarter(warehouse: Path) -> str:
    """The last quarter whose final day the crawl data reaches (a partial quarter is not reported)."""
    import duckdb

    with duckdb.connect(str(analyst_db_path(warehouse)), read_only=True) as con:
        last_day = con.execute("select max(crawl_date) from mart_crawl_coverage_daily").fetchone()[0]
    if last_day is None:
        raise WaybillWatchError("the demo warehouse has no crawl data: generation or ingest went wrong")
    quarter_index = (last_day.month - 1) // 3
    year = last_day.year
    quarter_end_month = quarter_index * 3 + 3
    is_last_day_of_quarter = (last_day.month, last_day.day) in {(3, 31), (6, 30), (9, 30), (12, 31)}
    if last_day.month == quarter_end_month and is_last_day_of_quarter:
        return f"{year}Q{quarter_index + 1}"
    if quarter_index == 0:
        return f"{year - 1}Q4"
    return f"{year}Q{quarter_index}"


def main() -> int:
    from waybill_watch.generate import generate_raw
    from waybill_watch.pipeline import run_pipeline
    from waybill_watch.report import build_report

    started = time.monotonic()
    try:
        console.rule("1/3 generate (scale small)")
        console.print(generate_raw(RAW_DIR, scale="small", seed=7))
        console.rule("2/3 run: ingest → dbt build → publish")
        console.print(run_pipeline(RAW_DIR, WAREHOUSE_DIR))
        quarter = latest_full_quarter(WAREHOUSE_DIR)
        console.rule(f"3/3 report {quarter}")
        paths = build_report(quarter, WAREHOUSE_DIR, REPORT_DIR)
    except WaybillWatchError as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        return 1
    console.rule("done")
    console.print(f"raw data:          {RAW_DIR}")
    console.print(f"analyst database:  {analyst_db_path(WAREHOUSE_DIR)}")
    console.print(f"report:            {paths}")
    console.print(f"took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
