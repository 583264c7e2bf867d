"""Real dbt build of the normalization layer (staging → distinct-text models → enriched models →
core dimensions, plus the vector unit tests and the warn tests) on hand-made bronze Parquet
(docs/bronze.md), with every expected value worked out by hand.

One dbt invocation for the whole module (session-scoped fixture); assertions read the build DB.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from bronze_fixtures import case_row, crawl_row, incident_row, write_empty_tables, write_feed_file
from waybill_watch.config import build_db_config, build_db_path
from waybill_watch.dbt_runner import run_dbt

SELECTION = (
    "+int_observations_enriched +int_incidents_normalized +int_cases_normalized "
    "+path:models/marts/core path:tests/normalization"
)


def write_bronze(bronze: Path) -> None:
    write_empty_tables(bronze)
    crawl = [
        # 1: text price, quantity, city-level location, a carrier group, same-day freshness
        crawl_row(
            "taobao.com",
            "1",
            "2026-03-05T10:00:00+08:00",
            price_text="400元/万条",
            quantity_text="库存10万条",
            location_text="广东省深圳市",
            carrier_text="三通一达",
            freshness_text="当天",
        ),
        # 2: a site registered only by RAW/sites.csv; no listing_id, so the url identifies it; USDT
        crawl_row(
            "newsite.xyz",
            None,
            "2026-03-05T10:00:00+08:00",
            url="HTTPS://NewSite.XYZ/p/1/?utm_source=x&a=1#frag",
            price_text="6U/千条",
            location_text="江浙沪",
            carrier_text="全网",
            freshness_text="近三天",
        ),
        # 3: structured price wins over 面议; 17:00Z on Mar 31 is Apr 1 local; a removal fetch
        crawl_row(
            "t.me",
            "2",
            "2026-03-31T17:00:00Z",
            price_amount=5.0,
            price_currency="usd",
            price_per_records=1000,
            price_text="面议",
            status="removed",
            http_status=200,
        ),
        # 4: a site in neither register; a placeholder price (outlier); HTTP 404 = removal
        crawl_row(
            "kuaidi-leak.top",
            "9",
            "2026-03-06T12:00:00+08:00",
            price_text="999元/条",
            status=None,
            http_status=404,
            quantity_text="不限量",
            location_text="火星",
            carrier_text="不知道",
            freshness_text="历史单",
        ),
        # 5: a currency without a rate: no CNY price (warn test)
        crawl_row(
            "taobao.com",
            "3",
            "2026-03-06T12:00:00+08:00",
            price_amount=1.0,
            price_currency="EUR",
            price_per_records=10,
        ),
        # 6: a structured amount of 0 means no price, even beside a parsable text
        crawl_row("douban.com", "4", "2026-03-06T12:00:00+08:00", price_amount=0.0, price_text="0.05元/条"),
    ]
    write_feed_file(bronze, "crawl_observations", "crawl/2026-03-05/a.jsonl", crawl)
    # Two versions of RAW/sites.csv: the later one wins per site, and overrides the seed (douban.com).
    write_feed_file(
        bronze,
        "sites",
        "sites.csv",
        [{"site": "newsite.xyz", "channel": "trading_site", "name": "Old"}],
        mtime=datetime(2026, 9, 1),
    )
    write_feed_file(
        bronze,
        "sites",
        "sites.csv",
        [
            {"site": "newsite.xyz", "channel": "forum", "name": "New"},
            {"site": "douban.com", "channel": "trading_site", "name": None},
            {"site": "weird.site", "channel": "nonsense", "name": None},
        ],
        mtime=datetime(2026, 10, 1),
    )
    write_feed_file(
        bronze,
        "incidents",
        "incidents/a.csv",
        [
            incident_row(
                "I1",
                datetime(2026, 3, 5, 9),
                "广东",
                city="深圳",
                carrier="圆通/申通",
                leak_stage="员工倒卖",
                records_affected="约2万",
            ),
            incident_row(
                "I2",
                datetime(2026, 3, 6, 9),
                "",
                carrier=None,
                leak_stage="",
                records_affected="不详",
                status="已核实",
            ),
        ],
    )
    write_feed_file(
        bronze,
        "cases",
        "cases/a.csv",
        [
            case_row(
                "C1",
                "深圳市公安局",
                "广东省",
                date(2026, 3, 1),
                suspects="3",
                records_involved="1.2亿",
                illegal_gain_cny="5.6万元",
                fine_cny="¥12,000",
                sites_shut="a.com; A.com;b.com",
            ),
            case_row("C2", "", "内蒙古", date(2026, 4, 1), case_type="行政", outcome="已判决"),
        ],
    )


@pytest.fixture(scope="session")
def normalization_build(tmp_path_factory: pytest.TempPathFactory):
    warehouse = tmp_path_factory.mktemp("normalization_warehouse")
    write_bronze(warehouse / "bronze")
    result = run_dbt(["build", "--select", SELECTION, "--indirect-selection", "cautious"], warehouse)
    return warehouse, result


@pytest.fixture(scope="session")
def db(normalization_build):
    warehouse, _ = normalization_build
    connection = duckdb.connect(
        str(build_db_path(warehouse)), read_only=True, config=build_db_config(warehouse)
    )
    yield connection
    connection.close()


def rows(db: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    relation = db.sql(sql)
    return [dict(zip(relation.columns, values, strict=True)) for values in relation.fetchall()]


def observation(db: duckdb.DuckDBPyConnection, line_no: int) -> dict:
    (row,) = rows(db, f"select * from intermediate.int_observations_enriched where line_no = {line_no}")
    return row


def test_build_ran_vector_unit_tests_and_warned(normalization_build) -> None:
    _, result = normalization_build
    statuses = {r.node.name: str(r.status).lower() for r in result.result.results}
    unit_tests = [
        name
        for name, status in statuses.items()
        if name.endswith("_vectors") or name.endswith("_vectors_extra")
    ]
    assert len(unit_tests) == 16
    assert all(statuses[name] == "pass" for name in unit_tests)
    assert statuses["test_int_url_texts_normalized_url_rule"] == "pass"
    assert statuses["assert_crawled_sites_are_registered"] == "warn"
    assert statuses["assert_prices_have_exchange_rate"] == "warn"
    assert statuses["assert_registered_site_channels_are_known"] == "warn"


def listing_num(identity: bytes) -> int:
    """listing_num worked out by hand (SPEC §5; docs/dbt/listings.md): 2^62 plus the first 15 hex
    digits of the identity's md5."""
    return 2**62 + int(hashlib.md5(identity).hexdigest()[:15], 16)


def test_text_price_and_dictionary_fields(db) -> None:
    row = observation(db, 1)
    assert row["unit_price"] == pytest.approx(0.04)
    assert row["price_currency"] == "CNY"
    assert row["unit_price_cny"] == pytest.approx(0.04)
    assert row["is_price_outlier"] is False
    assert row["records_offered"] == 100_000
    assert (row["region_code"], row["city_code"]) == ("440000", "440300")
    assert row["carrier_codes"] == "STO|YTO|YUNDA|ZTO"
    assert row["freshness"] == "realtime"
    assert row["channel"] == "ecommerce_platform"
    assert row["listing_num"] == listing_num(b"taobao.com|id|1")
    assert row["observation_id"] == hashlib.md5(f"{row['file_hash']}|1".encode()).hexdigest()


def test_url_identity_raw_site_and_usdt(db) -> None:
    row = observation(db, 2)
    assert row["url_normalized"] == "https://newsite.xyz/p/1?a=1"
    assert row["listing_num"] == listing_num(b"newsite.xyz|url|https://newsite.xyz/p/1?a=1")
    assert row["channel"] == "forum"  # the later RAW/sites.csv version wins
    assert row["price_currency"] == "USDT"
    assert row["unit_price"] == pytest.approx(0.006)
    assert row["unit_price_cny"] == pytest.approx(0.006 * 7.05)  # 2026-03 USDT rate of the seed
    assert (row["region_code"], row["city_code"], row["carrier_codes"]) == ("multi", None, "ALL")
    assert row["freshness"] == "recent"


def test_structured_price_local_month_and_removal(db) -> None:
    row = observation(db, 3)
    assert row["fetched_at_local"] == datetime(2026, 4, 1, 1, 0)
    assert row["fetched_date_local"] == date(2026, 4, 1)
    assert (row["unit_price"], row["price_currency"]) == (pytest.approx(0.005), "USD")
    assert row["unit_price_cny"] == pytest.approx(0.005 * 7.05)
    assert (row["status"], row["is_removal_fetch"]) == ("removed", True)
    assert (row["region_code"], row["carrier_codes"], row["freshness"]) == ("unknown", "UNKNOWN", "unknown")


def test_unknown_site_outlier_and_404(db) -> None:
    row = observation(db, 4)
    assert row["channel"] == "unknown"
    assert (row["unit_price_cny"], row["is_price_outlier"]) == (pytest.approx(999.0), True)
    assert (row["status"], row["is_removal_fetch"]) == ("active", True)
    assert row["records_offered"] is None
    assert (row["region_code"], row["carrier_codes"], row["freshness"]) == (
        "unknown",
        "UNKNOWN",
        "historical",
    )


def test_missing_rate_and_zero_structured_price(db) -> None:
    eur = observation(db, 5)
    assert (eur["unit_price"], eur["price_currency"]) == (pytest.approx(0.1), "EUR")
    assert eur["unit_price_cny"] is None and eur["is_price_outlier"] is None
    zero = observation(db, 6)
    assert zero["unit_price"] is None and zero["price_currency"] is None and zero["unit_price_cny"] is None
    assert zero["channel"] == "trading_site"  # RAW/sites.csv overrides the seed's forum


def test_incidents_normalized(db) -> None:
    by_id = {r["incident_id"]: r for r in rows(db, "select * from intermediate.int_incidents_normalized")}
    first = by_id["I1"]
    assert (first["region_code"], first["city_code"]) == ("440000", "440300")
    assert first["carrier_code"] == "YTO"  # the first carrier named
    assert (first["leak_stage"], first["records_affected"], first["status"]) == (
        "insider",
        20_000,
        "verified",
    )
    second = by_id["I2"]
    assert (second["region_code"], second["carrier_code"], second["leak_stage"]) == (
        "unknown",
        "UNKNOWN",
        "unknown",
    )
    assert (second["records_affected"], second["status"]) == (None, "verified")


def test_cases_normalized(db) -> None:
    by_id = {r["case_id"]: r for r in rows(db, "select * from intermediate.int_cases_normalized")}
    first = by_id["C1"]
    assert (first["agency_code"], first["region_code"]) == ("MPS", "440000")
    assert (first["suspects"], first["records_involved"]) == (3, 120_000_000)
    assert (first["illegal_gain_cny"], first["fine_cny"]) == (56_000.0, 12_000.0)
    assert first["sites_shut_count"] == 2
    second = by_id["C2"]
    assert (second["agency_code"], second["region_code"]) == ("UNKNOWN", "150000")
    assert (second["case_type"], second["outcome"], second["sites_shut_count"]) == (
        "administrative",
        "convicted",
        0,
    )


def test_dimensions(db) -> None:
    sites = {r["site"]: r for r in rows(db, "select * from marts.dim_sites")}
    assert (sites["newsite.xyz"]["channel"], sites["newsite.xyz"]["registered_in"]) == ("forum", "raw_sites")
    assert (sites["kuaidi-leak.top"]["channel"], sites["kuaidi-leak.top"]["registered_in"]) == (
        "unknown",
        "unregistered",
    )
    assert (sites["weird.site"]["channel"], sites["taobao.com"]["registered_in"]) == ("unknown", "seed")
    regions = {r["region_code"]: r for r in rows(db, "select * from marts.dim_regions")}
    assert len([r for r in regions.values() if r["is_mainland"]]) == 31
    assert {"810000", "820000", "710000", "multi", "national", "unknown"} <= set(regions)
    assert regions["440000"]["abbreviation"] == "粤" and regions["440000"]["population_2020"] == 126_012_510
    assert rows(db, "select count(*) as n from marts.dim_carriers")[0]["n"] == 12
    assert rows(db, "select count(*) as n from marts.dim_agencies")[0]["n"] == 8
    assert rows(db, "select count(*) as n from marts.dim_channels")[0]["n"] == 7


def test_cities_and_policy_events(db) -> None:
    (shenzhen,) = rows(db, "select * from marts.dim_cities where city_code = '440300'")
    assert (shenzhen["region_code"], shenzhen["name_zh"]) == ("440000", "深圳市")
    assert shenzhen["short_name_zh"] == "深圳"
    assert rows(db, "select count(*) as n from marts.dim_cities")[0]["n"] == 333
    events = rows(db, "select event_date, region_code, is_synthetic from marts.dim_policy_events")
    assert {"event_date": date(2025, 11, 1), "region_code": "national", "is_synthetic": True} in events
    assert {"event_date": date(2026, 3, 1), "region_code": "440000", "is_synthetic": True} in events
