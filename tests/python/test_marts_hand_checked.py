"""Every required measure of every mart, on the hand-written warehouse of hand_scenario.py, with
the answer worked out by hand in the comments (read hand_scenario.py's docstring first).

Local days of the crawls (Asia/Shanghai):
  taobao.com (ecommerce_platform): 06-29, 07-01, 07-02, 07-03, 07-04, 07-05 (not 06-30)
  shujuyi.cn (trading_site):       06-29 .. 07-05, every day
  heishi.example (unknown):        07-02
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

import bronze_fixtures as bf
from waybill_watch.config import build_db_path
from waybill_watch.dbt_runner import run_dbt

MART_TABLES = (
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
)

JULY = date(2026, 7, 1)
JUNE = date(2026, 6, 1)


def load_tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    """The marts plus listing ids (fct_listings carries only the hashed key), read once and closed."""
    with duckdb.connect(str(build_db_path(warehouse)), read_only=True) as con:
        tables = {name: con.sql(f"select * from marts.{name}").pl() for name in MART_TABLES}
        ids = con.sql(bf.kept_listing_ids_sql(warehouse)).pl()
        tables["observations"] = con.sql("select * from intermediate.int_observations_deduplicated").pl()
    listings, observations = tables["fct_listings"], tables["observations"]
    tables["fct_listings"] = listings.join(ids.drop("listing_num"), on="listing_key", how="left")
    tables["observations"] = observations.join(ids.drop("listing_key"), on="listing_num", how="left")
    return tables


@pytest.fixture(scope="module")
def marts(hand_warehouse: Path) -> dict[str, pl.DataFrame]:
    return load_tables(hand_warehouse)


def one(frame: pl.DataFrame, **keys) -> dict:
    """The single row matching every key = value."""
    matched = frame.filter(pl.all_horizontal([pl.col(k) == v for k, v in keys.items()]))
    assert matched.height == 1, f"expected one row for {keys}, found {matched.height}"
    return matched.row(0, named=True)


def listing(marts: dict[str, pl.DataFrame], listing_id: str) -> dict:
    return one(marts["fct_listings"], listing_id=listing_id)


# ---------------------------------------------------------------------------------------------
# fct_listings


def test_listing_key_is_the_identity_hash_in_hex(marts):
    # SPEC §5, docs/dbt/listings.md: "4" and the first 15 hex digits of md5("<site>|id|<listing_id>")
    t1 = listing(marts, "T1")
    assert t1["listing_key"] == "4" + hashlib.md5(f"{t1['site']}|id|T1".encode()).hexdigest()[:15]
    assert marts["fct_listings"]["listing_key"].str.len_chars().unique().to_list() == [16]


def test_period_boundary_is_shanghai_time(marts):
    # T1 was first fetched at 2026-06-30T16:30Z = 2026-07-01 00:30 in Shanghai: July, 2026Q3
    t1 = listing(marts, "T1")
    assert t1["first_seen_at"] == datetime(2026, 7, 1, 0, 30)
    assert t1["month_start"] == JULY
    assert t1["quarter"] == "2026Q3"
    assert t1["quarter_start"] == JULY


def test_inferred_removal(marts):
    # T1: last fetched 07-02; taobao crawled on 3 later days (07-03, 07-04, 07-05) without it →
    # removed at taobao's earliest fetch on 07-03: T3 at 08:00 (before T5 08:30 and T2 10:00)
    t1 = listing(marts, "T1")
    assert t1["removed_at"] == datetime(2026, 7, 3, 8, 0)
    assert t1["is_removal_inferred"] is True
    assert t1["last_seen_at"] == datetime(2026, 7, 2, 10, 0)
    # T5: fetched 07-03, only 2 later crawl days (07-04, 07-05) → still live
    t5 = listing(marts, "T5")
    assert t5["removed_at"] is None
    assert t5["is_removal_inferred"] is False
    # T3 is seen on taobao's last crawl day → live
    assert listing(marts, "T3")["removed_at"] is None


def test_explicit_removal_by_404(marts):
    # T2: 06-29 live, 07-01 live (999 元), 07-03 HTTP 404 with status "active" → removed at that fetch
    t2 = listing(marts, "T2")
    assert t2["removed_at"] == datetime(2026, 7, 3, 10, 0)
    assert t2["is_removal_inferred"] is False
    assert t2["last_seen_at"] == datetime(2026, 7, 1, 10, 0)  # the 404 fetch is not "seen live"
    assert t2["observation_count"] == 3  # the removal fetch counts as an observation
    # the latest parsable price is the placeholder 999, flagged as an outlier
    assert t2["unit_price_cny"] == pytest.approx(999.0)
    assert t2["is_price_outlier"] is True
    assert t2["region_code"] == "330000"
    assert t2["quarter"] == "2026Q2"


def test_duplicates_from_two_crawlers_count_once(marts):
    # T1's two fetches were delivered by crawler A (file a) and crawler B (file b): 2 observations
    t1 = listing(marts, "T1")
    assert t1["observation_count"] == 2
    t1_obs = marts["observations"].filter(pl.col("listing_id") == "T1")
    assert t1_obs.height == 2
    assert t1_obs["delivered_copies"].to_list() == [2, 2]
    # the copy from the file landed first (a) wins
    assert set(t1_obs["file_path"].to_list()) == {"crawl/2026-07-05/taobao-a.jsonl"}


def test_listing_attributes_from_latest_observation(marts):
    t1 = listing(marts, "T1")
    assert t1["unit_price_cny"] == pytest.approx(0.05)  # latest price (07-02), not 0.04
    assert t1["is_price_outlier"] is False
    assert t1["records_offered"] == 20000  # 20000条 on 07-02
    assert t1["region_code"] == "440000"  # 广东省
    assert t1["channel"] == "ecommerce_platform"
    assert t1["seller_key"] == "s1"
    t3 = listing(marts, "T3")
    assert t3["records_offered"] == 5000  # only the 07-01 fetch carried a quantity
    assert t3["observation_count"] == 4
    t5 = listing(marts, "T5")
    assert t5["unit_price_cny"] is None  # 面议
    assert t5["region_code"] == "unknown"
    h1 = listing(marts, "H1")
    assert h1["channel"] == "unknown"  # heishi.example is in no register
    assert h1["region_code"] == "national"  # 全国
    # 40 + 10 trading listings + T1 T2 T3 T5 + H1
    assert marts["fct_listings"].height == 55
    assert listing(marts, "S001")["observation_count"] == 7
    assert listing(marts, "S041")["observation_count"] == 5


# ---------------------------------------------------------------------------------------------
# mart_market_monthly


def test_monthly_ecommerce_july(marts):
    # July, ecommerce (taobao), all regions:
    #   active: T1 (07-01, 07-02), T2 (07-01 live), T3, T5 = 4
    #   new: T1 (first 07-01 00:30), T3, T5 = 3 (T2 first seen in June)
    #   removed: T1 (inferred 07-03), T2 (404 07-03) = 2
    #   sellers: s1 (T1, T3), s2 (T5) = 2;  records: T1 20000 + T3 5000 = 25000
    #   prices: T1 last July price 0.05, T3 0.2; T2's only July price is the 999 outlier → 2 priced
    #   quartiles of [0.05, 0.2]: p25 = 0.05 + 0.25 × 0.15 = 0.0875, median 0.125, p75 0.1625
    #   coverage: taobao expected 07-01..07-05, all crawled → 5 / 5 = 1.0
    row = one(marts["mart_market_monthly"], month_start=JULY, region_code="all", channel="ecommerce_platform")
    assert row["quarter"] == "2026Q3"
    assert row["quarter_start"] == JULY
    assert row["listings_active"] == 4
    assert row["listings_new"] == 3
    assert row["listings_removed"] == 2
    assert row["sellers_active"] == 2
    assert row["records_offered"] == 25000
    assert row["priced_listings"] == 2
    assert row["price_p25_cny"] == pytest.approx(0.0875)
    assert row["price_median_cny"] == pytest.approx(0.125)
    assert row["price_p75_cny"] == pytest.approx(0.1625)
    assert row["coverage_ratio"] == pytest.approx(1.0)
    assert row["is_low_coverage"] is False


def test_monthly_ecommerce_june_low_coverage(marts):
    # June, ecommerce: T2 only (06-29, 0.10 元); taobao expected 06-29 and 06-30, crawled only 06-29
    row = one(marts["mart_market_monthly"], month_start=JUNE, region_code="all", channel="ecommerce_platform")
    assert (row["listings_active"], row["listings_new"], row["listings_removed"]) == (1, 1, 0)
    assert (row["sellers_active"], row["records_offered"], row["priced_listings"]) == (0, 0, 1)
    assert row["price_median_cny"] == pytest.approx(0.10)
    assert row["coverage_ratio"] == pytest.approx(0.5)
    assert row["is_low_coverage"] is True


def test_monthly_region_rows(marts):
    # Guangdong × ecommerce in July: T1, T3; both new; T1 removed; seller s1; 25000 records
    gd = one(
        marts["mart_market_monthly"], month_start=JULY, region_code="440000", channel="ecommerce_platform"
    )
    assert (gd["listings_active"], gd["listings_new"], gd["listings_removed"]) == (2, 2, 1)
    assert (gd["sellers_active"], gd["records_offered"], gd["priced_listings"]) == (1, 25000, 2)
    assert gd["price_median_cny"] == pytest.approx(0.125)
    assert gd["coverage_ratio"] == pytest.approx(1.0)  # coverage is the channel's, whatever the region
    # Zhejiang × ecommerce in July: T2, active on 07-01 and removed 07-03, no non-outlier price
    zj = one(
        marts["mart_market_monthly"], month_start=JULY, region_code="330000", channel="ecommerce_platform"
    )
    assert (zj["listings_active"], zj["listings_new"], zj["listings_removed"]) == (1, 0, 1)
    assert zj["priced_listings"] == 0
    assert zj["price_median_cny"] is None


def test_monthly_rollup_all_all(marts):
    # July, every region and channel: ecommerce 4 + trading 50 + H1 = 55 active
    #   new: T1 T3 T5 + S041..S050 + H1 = 14; removed: T1, T2 = 2; sellers s1 s2 s3 = 3
    #   priced: 2 + 50 + 1 = 53: [0.05, 0.12 × 50, 0.2, 1.0]; positions 13, 26, 39 of 0..52 are 0.12
    #   coverage: taobao 5/5 + shujuyi 5/5 + heishi 1/1 = 11/11
    row = one(marts["mart_market_monthly"], month_start=JULY, region_code="all", channel="all")
    assert (row["listings_active"], row["listings_new"], row["listings_removed"]) == (55, 14, 2)
    assert (row["sellers_active"], row["records_offered"], row["priced_listings"]) == (3, 25000, 53)
    assert row["price_p25_cny"] == pytest.approx(0.12)
    assert row["price_median_cny"] == pytest.approx(0.12)
    assert row["price_p75_cny"] == pytest.approx(0.12)
    assert row["coverage_ratio"] == pytest.approx(1.0)
    # June pools taobao (1 of 2 days) and shujuyi (2 of 2): 3 / 4 = 0.75 < 0.8 → low coverage
    june = one(marts["mart_market_monthly"], month_start=JUNE, region_code="all", channel="all")
    assert june["listings_active"] == 41
    assert june["coverage_ratio"] == pytest.approx(0.75)
    assert june["is_low_coverage"] is True


def test_every_channel_seen_has_rows(marts):
    # channel unknown (heishi) has no listing in June, but the national row exists, zero-filled;
    # no site of the channel was expected in June: no coverage → low coverage
    row = one(marts["mart_market_monthly"], month_start=JUNE, region_code="all", channel="unknown")
    assert row["listings_active"] == 0
    assert row["priced_listings"] == 0
    assert row["coverage_ratio"] is None
    assert row["is_low_coverage"] is True
    channels = set(marts["mart_market_monthly"]["channel"].to_list())
    assert channels == {"all", "ecommerce_platform", "trading_site", "unknown"}


# ---------------------------------------------------------------------------------------------
# mart_market_quarterly: thin base and low coverage


def test_quarterly_changes_published_on_a_thick_base(marts):
    # trading Q2: S001..S040 active at 0.10; Q3: S001..S050 at 0.12; coverage 2/2 and 5/5
    #   listings qoq = 100 × (50 − 40) / 40 = 25.0; price qoq = 100 × (0.12 − 0.10) / 0.10 = 20.0
    #   no 2025Q3 row → yoy null
    q3 = one(marts["mart_market_quarterly"], quarter="2026Q3", region_code="all", channel="trading_site")
    assert (q3["listings_active"], q3["listings_new"], q3["priced_listings"]) == (50, 10, 50)
    assert q3["quarter_start"] == JULY
    assert q3["listings_active_qoq_pct"] == pytest.approx(25.0)
    assert q3["price_median_qoq_pct"] == pytest.approx(20.0)
    assert q3["listings_active_yoy_pct"] is None
    assert q3["price_median_yoy_pct"] is None
    q2 = one(marts["mart_market_quarterly"], quarter="2026Q2", region_code="all", channel="trading_site")
    assert (q2["listings_active"], q2["priced_listings"]) == (40, 40)
    assert q2["price_median_cny"] == pytest.approx(0.10)
    assert q2["quarter_start"] == date(2026, 4, 1)
    assert q2["coverage_ratio"] == pytest.approx(1.0)
    # all trading listings are in Zhejiang: the regional row has the same change
    zj = one(marts["mart_market_quarterly"], quarter="2026Q3", region_code="330000", channel="trading_site")
    assert zj["listings_active_qoq_pct"] == pytest.approx(25.0)


def test_quarterly_changes_null_on_thin_base(marts):
    # ecommerce Q3: 4 active (< 30), Q2: 1 → not published
    row = one(
        marts["mart_market_quarterly"], quarter="2026Q3", region_code="all", channel="ecommerce_platform"
    )
    assert row["listings_active"] == 4
    assert row["price_median_cny"] == pytest.approx(0.125)
    assert row["listings_active_qoq_pct"] is None
    assert row["price_median_qoq_pct"] is None


def test_quarterly_changes_null_on_low_coverage(marts):
    # all channels: Q3 55 active, Q2 41 — both ≥ 30 — but Q2 coverage is 3/4 = 0.75 → not published
    q3 = one(marts["mart_market_quarterly"], quarter="2026Q3", region_code="all", channel="all")
    q2 = one(marts["mart_market_quarterly"], quarter="2026Q2", region_code="all", channel="all")
    assert (q3["listings_active"], q2["listings_active"]) == (55, 41)
    assert q2["is_low_coverage"] is True
    assert q2["coverage_ratio"] == pytest.approx(0.75)
    assert q3["is_low_coverage"] is False
    assert q3["listings_active_qoq_pct"] is None
    assert q3["price_median_qoq_pct"] is None


# ---------------------------------------------------------------------------------------------
# mart_price_index_quarterly


def test_price_index(marts):
    index = marts["mart_price_index_quarterly"]
    # base = each channel's first quarter with a median
    trading = one(index, quarter="2026Q3", channel="trading_site")
    assert trading["price_index"] == pytest.approx(120.0)  # 100 × 0.12 / 0.10
    assert trading["qoq_pct"] == pytest.approx(20.0)
    assert trading["base_quarter"] == "2026Q2"
    assert one(index, quarter="2026Q2", channel="trading_site")["price_index"] == pytest.approx(100.0)
    ecommerce = one(index, quarter="2026Q3", channel="ecommerce_platform")
    assert ecommerce["price_index"] == pytest.approx(125.0)  # 100 × 0.125 / 0.10 (T2 in June)
    assert ecommerce["priced_listings"] == 2
    assert ecommerce["qoq_pct"] is None  # thin base
    every = one(index, quarter="2026Q3", channel="all")
    assert every["price_index"] == pytest.approx(120.0)  # Q2 median of 41 × 0.10 is 0.10
    assert every["qoq_pct"] is None  # Q2 is low-coverage
    # unknown: no price in Q2 (row present, no index); its base is Q3
    assert one(index, quarter="2026Q2", channel="unknown")["price_index"] is None
    assert one(index, quarter="2026Q3", channel="unknown")["price_index"] == pytest.approx(100.0)
    assert index.height == 2 * 4  # 2 quarters × (ecommerce, trading, unknown, all)


# ---------------------------------------------------------------------------------------------
# mart_crawl_coverage_daily


def test_crawl_coverage_daily(marts):
    coverage = marts["mart_crawl_coverage_daily"]
    taobao = coverage.filter(pl.col("site") == "taobao.com")
    assert taobao.height == 7  # 06-29 .. 07-05
    gap = one(coverage, site="taobao.com", crawl_date=date(2026, 6, 30))
    assert (gap["is_crawled"], gap["observations"], gap["listings_seen"]) == (False, 0, 0)
    # 07-03: T2 (the 404 fetch counts), T3, T5
    day = one(coverage, site="taobao.com", crawl_date=date(2026, 7, 3))
    assert (day["is_crawled"], day["observations"], day["listings_seen"]) == (True, 3, 3)
    assert day["channel"] == "ecommerce_platform"
    assert day["quarter"] == "2026Q3"
    # 07-01: T1 at 00:30 local (06-30 16:30Z), T2, T3
    assert one(coverage, site="taobao.com", crawl_date=JULY)["observations"] == 3
    # 07-02: T1 once although two crawlers delivered it
    assert one(coverage, site="taobao.com", crawl_date=date(2026, 7, 2))["observations"] == 1
    assert one(coverage, site="shujuyi.cn", crawl_date=JULY)["listings_seen"] == 50
    assert coverage.filter(pl.col("site") == "heishi.example").height == 1
    assert coverage.height == 7 + 7 + 1


# ---------------------------------------------------------------------------------------------
# cases and incidents


def test_latest_case_version_wins(marts):
    # C1: a.csv (updated 06-20, pending), b.csv (updated 07-10, convicted), c.csv landed last but
    # without updated_at (oldest) → b.csv's version
    c1 = one(marts["fct_cases"], case_id="C1")
    assert c1["outcome"] == "convicted"
    assert c1["suspects"] == 3
    assert c1["closed_date"] == date(2026, 7, 10)
    assert c1["agency_code"] == "MPS"  # 广州市公安局: a city public security bureau
    assert c1["region_code"] == "440000"
    assert c1["sites_shut_count"] == 2  # a.com;b.com;a.com
    assert (c1["records_involved"], c1["illegal_gain_cny"], c1["fine_cny"]) == (20000, 5000.0, 10000.0)
    assert c1["quarter"] == "2026Q2"  # opened 06-15
    c2 = one(marts["fct_cases"], case_id="C2")
    assert (c2["agency_code"], c2["region_code"], c2["suspects"]) == ("SPB", "330000", 1)
    assert marts["fct_cases"].height == 2  # C2 delivered twice counts once


def test_enforcement_quarterly(marts):
    enforcement = marts["mart_enforcement_quarterly"]
    # C1 counts in Q2 (opened) with its suspects, records, gains, fines and sites; closed in Q3
    q2 = one(enforcement, quarter="2026Q2", region_code="440000", agency_code="MPS")
    assert (q2["cases_opened"], q2["cases_closed"], q2["suspects"]) == (1, 0, 3)
    assert (q2["records_involved"], q2["sites_shut"]) == (20000, 2)
    assert (q2["illegal_gain_cny"], q2["fines_cny"]) == (5000.0, 10000.0)
    q3 = one(enforcement, quarter="2026Q3", region_code="440000", agency_code="MPS")
    assert (q3["cases_opened"], q3["cases_closed"], q3["suspects"], q3["sites_shut"]) == (0, 1, 0, 0)
    zj = one(enforcement, quarter="2026Q3", region_code="330000", agency_code="SPB")
    assert (zj["cases_opened"], zj["cases_closed"], zj["suspects"]) == (1, 0, 1)
    assert enforcement.height == 3


def test_incidents_unfounded_excluded(marts):
    incidents = marts["fct_incidents"]
    assert incidents.height == 3
    # I2: open, then unfounded (later updated_at) → unfounded, not counted
    assert one(incidents, incident_id="I2")["status"] == "unfounded"
    # I3: open (updated 07-02) beats a later-landed unfounded copy without updated_at
    assert one(incidents, incident_id="I3")["status"] == "open"
    # I1 reported 06-30 23:30 local → Q2
    assert one(incidents, incident_id="I1")["quarter"] == "2026Q2"
    quarterly = marts["mart_incidents_quarterly"]
    assert quarterly.height == 2
    q2 = one(quarterly, quarter="2026Q2", region_code="440000", carrier_code="ZTO", leak_stage="outlet")
    assert (q2["incidents"], q2["records_affected"]) == (1, 100)
    q3 = one(quarterly, quarter="2026Q3", region_code="440000", carrier_code="SF", leak_stage="outlet")
    assert (q3["incidents"], q3["records_affected"]) == (1, 50)


# ---------------------------------------------------------------------------------------------
# mart_region_quarterly


def test_region_quarterly(marts):
    regions = marts["mart_region_quarterly"]
    # 31 mainland divisions in each of 2026Q2 and 2026Q3; HK, MO, TW have no data
    assert regions.height == 62
    assert regions.filter(pl.col("quarter") == "2026Q3").height == 31
    assert not regions.filter(pl.col("region_code").is_in(["810000", "820000", "710000"])).height
    population_gd = one(marts["dim_regions"], region_code="440000")["population_2020"]
    gd = one(regions, quarter="2026Q3", region_code="440000")
    # Q3 Guangdong: T1, T3 active; median of [0.05, 0.2]; C1 was opened in Q2; I3 counts, I2 is unfounded
    assert gd["listings_active"] == 2
    assert gd["listings_per_10m_population"] == pytest.approx(2 * 1e7 / population_gd)
    assert gd["price_median_cny"] == pytest.approx(0.125)
    assert (gd["cases_opened"], gd["incidents"]) == (0, 1)
    gd_q2 = one(regions, quarter="2026Q2", region_code="440000")
    assert (gd_q2["listings_active"], gd_q2["cases_opened"], gd_q2["incidents"]) == (0, 1, 1)
    assert gd_q2["price_median_cny"] is None
    # Q3 Zhejiang: T2 + 50 trading listings; only the trading prices (T2's is an outlier); C2
    zj = one(regions, quarter="2026Q3", region_code="330000")
    assert (zj["listings_active"], zj["cases_opened"], zj["incidents"]) == (51, 1, 0)
    assert zj["price_median_cny"] == pytest.approx(0.12)
    beijing = one(regions, quarter="2026Q3", region_code="110000")
    assert (beijing["listings_active"], beijing["cases_opened"], beijing["incidents"]) == (0, 0, 0)


# ---------------------------------------------------------------------------------------------
# audit_ingest_files


def test_audit_ingest_files(marts):
    audit = marts["audit_ingest_files"]
    assert audit.height == 4 + 3 + 2 + 1
    broken = one(audit, file_path="cases/broken.csv")
    assert broken["status"] == "rejected"
    assert "opened_on" in broken["reason"]
    assert one(audit, file_path="crawl/2026-07-05/shujuyi.jsonl")["rows_loaded"] == 330


# ---------------------------------------------------------------------------------------------
# incremental: re-delivery is idempotent, late files are picked up


@pytest.fixture(scope="module")
def rebuilt(hand_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """The built warehouse again, after landing (1) taobao-a's rows once more under another name and
    (2) a late file with a T2 fetch of 2026-06-20, long before the look-back window."""
    warehouse = tmp_path_factory.mktemp("hand_rebuilt") / "warehouse"
    shutil.copytree(hand_warehouse, warehouse)
    import hand_scenario

    taobao, _ = hand_scenario.taobao_rows()
    bronze = warehouse / "bronze"
    bf.write_feed_file(
        bronze, "crawl_observations", "crawl/2026-07-06/taobao-again.jsonl", taobao, datetime(2026, 10, 5)
    )
    late = [
        bf.crawl_row(
            "taobao.com",
            "T2",
            "2026-06-20T10:00:00+08:00",
            price_amount=0.09,
            price_currency="CNY",
            price_per_records=1.0,
            location_text="浙江省",
        )
    ]
    bf.write_feed_file(
        bronze, "crawl_observations", "crawl/2026-06-20/late.jsonl", late, datetime(2026, 10, 6)
    )
    run_dbt(hand_scenario.LATER_BUILD, warehouse)
    return load_tables(warehouse)


def test_redelivery_is_idempotent(marts, rebuilt):
    # every (listing, instant) still once; T1, T3, T5 unchanged
    before = marts["observations"]
    after = rebuilt["observations"]
    assert after.height == before.height + 1  # only the late T2 fetch is new
    assert after.select("listing_num", "fetched_at_utc").n_unique() == after.height
    for listing_id in ("T1", "T3", "T5"):
        assert (
            listing(rebuilt, listing_id)["observation_count"]
            == listing(marts, listing_id)["observation_count"]
        )
    # the first-landed copy still wins; T1 has now been delivered three times
    t1 = after.filter(pl.col("listing_id") == "T1")
    assert set(t1["file_path"].to_list()) == {"crawl/2026-07-05/taobao-a.jsonl"}
    assert t1["delivered_copies"].to_list() == [3, 3]


def test_late_file_is_picked_up(rebuilt):
    # T2 now starts on 06-20: 4 observations; taobao is expected from 06-20, crawled 06-20 and 06-29
    # in June → June coverage (06-20..06-30: 11 days, 2 crawled) = 2/11
    t2 = listing(rebuilt, "T2")
    assert t2["first_seen_at"] == datetime(2026, 6, 20, 10, 0)
    assert t2["observation_count"] == 4
    june = one(
        rebuilt["mart_market_monthly"], month_start=JUNE, region_code="all", channel="ecommerce_platform"
    )
    assert june["coverage_ratio"] == pytest.approx(2 / 11)
    # June price of T2 is its last June price (06-29: 0.10), not the late 0.09
    assert june["price_median_cny"] == pytest.approx(0.10)
