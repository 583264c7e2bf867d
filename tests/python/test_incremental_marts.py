"""Incremental market marts (issue #7; macros/marts/market_periods.sql): a daily build recomputes
only the periods whose measures can have changed, and gives the marts a full rebuild gives.

On the hand-written warehouse of hand_scenario.py (read its docstring first), two more builds:
1. taobao crawled every day 07-06..08-05 (T3 fetched each morning), and a listing T9 fetched once,
   on 06-29 at 12:00: taobao was crawled on later days without it, so its removal is inferred at
   taobao's earliest fetch on 07-01 (T1 at 00:30): T9 has a July row holding nothing but that removal;
2. T9 fetched again on 08-05 at 08:30: its last fetch is now taobao's last crawl day, so the removal
   is taken back. July loses T9's removal row and nothing else in July changes (its coverage and
   partial-period flag stay): only int_listings_aggregated.removed_at_before_run tells the mart.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

import bronze_fixtures as bf
from hand_scenario import LATER_BUILD, TAOBAO, cny
from waybill_watch.config import build_db_path
from waybill_watch.dbt_runner import run_dbt

JULY, AUGUST = date(2026, 7, 1), date(2026, 8, 1)
Q3 = date(2026, 7, 1)
MARTS = ("mart_market_monthly", "mart_market_quarterly")
REBUILT = re.compile(r"market periods to rebuild \((month|quarter)\): \[([^\]]*)\]")


def taobao_month() -> list[dict]:
    days = [
        date(2026, 7, 6) + timedelta(days=n) for n in range((date(2026, 8, 5) - date(2026, 7, 6)).days + 1)
    ]
    rows = [
        bf.crawl_row(
            TAOBAO,
            "T3",
            f"{day.isoformat()}T08:00:00+08:00",
            **cny(0.2),
            location_text="广东省",
            seller_key="s1",
        )
        for day in days
    ]
    rows.append(
        bf.crawl_row(
            TAOBAO, "T9", "2026-06-29T12:00:00+08:00", **cny(0.3), location_text="广东省", seller_key="s9"
        )
    )
    return rows


def t9_again() -> list[dict]:
    return [
        bf.crawl_row(
            TAOBAO, "T9", "2026-08-05T08:30:00+08:00", **cny(0.3), location_text="广东省", seller_key="s9"
        )
    ]


def read_state(warehouse: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(build_db_path(warehouse)), read_only=True) as con:
        tables = {name: con.sql(f"select * from marts.{name}").pl() for name in MARTS}
        tables["t9_months"] = con.sql(
            f"""
            select months.*
            from intermediate.int_listing_months_summarized as months
            inner join ({bf.kept_listing_ids_sql(warehouse)}) as ids using (listing_num)
            where ids.listing_id = 'T9'
            order by month_start
            """
        ).pl()
    return tables


def last_rebuilt_periods(warehouse: Path) -> dict[str, list[str]]:
    """The periods the last build's market marts recomputed, from the dbt debug log."""
    found: dict[str, list[str]] = {}
    for grain, periods in REBUILT.findall((warehouse / "logs" / "dbt.log").read_text(encoding="utf-8")):
        found[grain] = [p.strip() for p in periods.split(",") if p.strip()]
    return found


@pytest.fixture(scope="module")
def came_back(hand_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    scratch = tmp_path_factory.mktemp("came_back")
    warehouse = scratch / "warehouse"
    shutil.copytree(hand_warehouse, warehouse)
    bronze = warehouse / "bronze"
    bf.write_feed_file(
        bronze,
        "crawl_observations",
        "crawl/2026-08-05/taobao-month.jsonl",
        taobao_month(),
        datetime(2026, 10, 7),
    )
    run_dbt(LATER_BUILD, warehouse)
    before = read_state(warehouse)
    bf.write_feed_file(
        bronze, "crawl_observations", "crawl/2026-08-05/taobao-t9.jsonl", t9_again(), datetime(2026, 10, 8)
    )
    run_dbt(LATER_BUILD, warehouse)
    rebuilt = last_rebuilt_periods(warehouse)
    after = read_state(warehouse)
    full = scratch / "full"
    shutil.copytree(warehouse, full)
    run_dbt([*LATER_BUILD, "--full-refresh"], full)
    return {"before": before, "after": after, "rebuilt": rebuilt, "warehouse": warehouse, "full": full}


def national_ecommerce(mart: pl.DataFrame, month: date) -> dict:
    rows = mart.filter(
        (pl.col("month_start") == month)
        & (pl.col("region_code") == "all")
        & (pl.col("channel") == "ecommerce_platform")
    )
    assert rows.height == 1
    return rows.row(0, named=True)


def test_removal_taken_back_leaves_its_month(came_back):
    before, after = came_back["before"], came_back["after"]
    # T9: June (observed) and July (the inferred removal only), then June and August
    assert before["t9_months"]["month_start"].to_list() == [date(2026, 6, 1), JULY]
    assert before["t9_months"].filter(pl.col("month_start") == JULY)["is_removed"].to_list() == [True]
    assert after["t9_months"]["month_start"].to_list() == [date(2026, 6, 1), AUGUST]
    july_before = national_ecommerce(before["mart_market_monthly"], JULY)
    july_after = national_ecommerce(after["mart_market_monthly"], JULY)
    # July's removals on taobao: T1 (inferred, 07-03), T2 (404, 07-03), T5 (inferred, 07-04), T9
    assert (july_before["listings_removed"], july_after["listings_removed"]) == (4, 3)
    # nothing else in July moved
    for column in (
        "listings_active",
        "listings_new",
        "crawled_site_days",
        "expected_site_days",
        "is_partial_period",
    ):
        assert july_before[column] == july_after[column], column


def test_daily_build_recomputes_only_the_changed_periods(came_back):
    # July: the vanished removal row; August: T9's new row. June's T9 row did not change.
    assert came_back["rebuilt"]["month"] == ["2026-07-01", "2026-08-01"]
    # Q3 changed (T9's quarter row); Q4 and Q3 of 2027 compare with it (no rows yet)
    assert came_back["rebuilt"]["quarter"] == ["2026-07-01", "2026-10-01", "2027-07-01"]


def test_incremental_marts_equal_a_full_rebuild(came_back):
    with duckdb.connect() as con:
        con.execute(f"attach '{build_db_path(came_back['warehouse'])}' as incremental (read_only)")
        con.execute(f"attach '{build_db_path(came_back['full'])}' as rebuilt (read_only)")
        for mart in MARTS:
            counts = [
                con.execute(
                    f"select count(*) from (select * from {left}.marts.{mart}"
                    f" except all select * from {right}.marts.{mart})"
                ).fetchone()[0]
                for left, right in (("incremental", "rebuilt"), ("rebuilt", "incremental"))
            ]
            assert counts == [0, 0], mart
        assert con.execute("select count(*) from rebuilt.marts.mart_market_monthly").fetchone()[0] > 0
