"""The warehouse built from generated data reproduces what the generator planted (issue 4).

The generator writes a truth manifest beside the landing zone (`RAW/_truth/`, docs/generator.md):
per-listing facts, per-listing-quarter state and the quarterly roll-ups `mart_market_quarterly`
should show. Ingest never reads it, so comparing it with the published analyst database checks
the whole pipeline (ingest → dbt → publish) end to end:

1. the planted trends (policy notice, Guangdong campaign) are visible in the published marts;
2. every listing, removal, per-quarter price and roll-up matches the truth;
3. a second `run_pipeline` on the same RAW changes no published number.

Truth instants are naive UTC; `fct_listings` holds Asia/Shanghai wall time (UTC+8, no DST).
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from bronze_fixtures import listing_key_sql
from waybill_watch.config import analyst_db_path, build_db_config, build_db_path
from waybill_watch.pipeline import run_pipeline

SHANGHAI_OFFSET = timedelta(hours=8)
REL_TOLERANCE = 1e-6

# The effects the generator plants (docs/generator.md, "The planted story"), with slack: e-commerce
# births x0.45 plus ~55% take-downs, chat-group births x2.2, prices x1.25 and more from 2025Q4,
# Guangdong births x0.25 plus ~60% removed. A ratio past these bounds is the trend, not noise.
ECOMMERCE_FALLS_TO_AT_MOST = 0.75
IM_GROUP_RISES_TO_AT_LEAST = 1.4
PRICE_INDEX_RISES_TO_AT_LEAST = 1.15
CAMPAIGN_REGION_FALLS_TO_AT_MOST = 0.75


# ---------------------------------------------------------------------------------------------
# reading


def query(db: Path, sql: str, config: dict[str, str] | None = None) -> pl.DataFrame:
    """One read-only query, connection closed at once (other modules share the session warehouse)."""
    with duckdb.connect(str(db), read_only=True, config=config or {}) as con:
        return con.sql(sql).pl()


@pytest.fixture(scope="module")
def summary(tiny_raw: Path) -> dict:
    return json.loads((tiny_raw / "_truth" / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def identity_keys(tiny_warehouse: Path) -> pl.DataFrame:
    """The warehouse's own map from a listing's identity (site plus listing id, or normalized url
    when the id is null: SPEC §3.1, §5) to its listing_key, taken from every enriched crawl row
    (the rows staging read, with the listing key derived from the normalized url; listing_key is
    fct_listings' hex form of listing_num)."""
    return (
        query(
            build_db_path(tiny_warehouse),
            f"""
        select distinct
            site, listing_id, url_normalized as identity_url, {listing_key_sql("listing_num")} as listing_key
        from intermediate.int_observations_enriched
        """,
            build_db_config(tiny_warehouse),
        )
        .with_columns(
            identity=pl.when(pl.col("listing_id").is_not_null())
            .then(pl.lit("id|") + pl.col("listing_id"))
            .otherwise(pl.lit("url|") + pl.col("identity_url"))
        )
        .select("site", "identity", "listing_key")
        .unique()
    )


def with_listing_key(truth: pl.DataFrame, identity_keys: pl.DataFrame) -> pl.DataFrame:
    """Truth rows keyed by the warehouse's listing_key; a truth identity the warehouse never keyed
    keeps a null key (and fails the comparisons)."""
    identity = (
        pl.when(pl.col("listing_id").is_not_null())
        .then(pl.lit("id|") + pl.col("listing_id"))
        .otherwise(pl.lit("url|") + pl.col("url_normalized"))
    )
    return truth.with_columns(identity=identity).join(identity_keys, on=["site", "identity"], how="left")


@pytest.fixture(scope="module")
def truth_listings(tiny_raw: Path, identity_keys: pl.DataFrame) -> pl.DataFrame:
    return with_listing_key(pl.read_parquet(tiny_raw / "_truth" / "listings.parquet"), identity_keys)


@pytest.fixture(scope="module")
def truth_listing_quarters(tiny_raw: Path, identity_keys: pl.DataFrame) -> pl.DataFrame:
    truth = pl.read_parquet(tiny_raw / "_truth" / "listing_quarters.parquet")
    return with_listing_key(truth, identity_keys)


@pytest.fixture(scope="module")
def truth_rollup(tiny_raw: Path) -> pl.DataFrame:
    """quarterly_rollup.parquet with its `region_440000` rows turned into the mart's key
    (region_code '440000', channel 'all'); the other rows are region 'all'."""
    rollup = pl.read_parquet(tiny_raw / "_truth" / "quarterly_rollup.parquet")
    region_row = pl.col("channel").str.starts_with("region_")
    return rollup.with_columns(
        region_code=pl.when(region_row)
        .then(pl.col("channel").str.strip_prefix("region_"))
        .otherwise(pl.lit("all")),
        channel=pl.when(region_row).then(pl.lit("all")).otherwise(pl.col("channel")),
    )


@pytest.fixture(scope="module")
def market_quarterly(tiny_warehouse: Path) -> pl.DataFrame:
    return query(analyst_db_path(tiny_warehouse), "select * from mart_market_quarterly")


@pytest.fixture(scope="module")
def price_index(tiny_warehouse: Path) -> pl.DataFrame:
    return query(analyst_db_path(tiny_warehouse), "select * from mart_price_index_quarterly")


@pytest.fixture(scope="module")
def fct_listings(tiny_warehouse: Path) -> pl.DataFrame:
    return query(analyst_db_path(tiny_warehouse), "select * from fct_listings")


# ---------------------------------------------------------------------------------------------
# quarters


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def shift_quarter(quarter: str, by: int) -> str:
    year, number = int(quarter[:4]), int(quarter[5:])
    index = year * 4 + number - 1 + by
    return f"{index // 4}Q{index % 4 + 1}"


def quarters_around(event_date: str) -> tuple[str, str]:
    """The full quarter before the event's quarter and the first full quarter after it: the
    event's own quarter mixes before and after."""
    event_quarter = quarter_of(date.fromisoformat(event_date))
    return shift_quarter(event_quarter, -1), shift_quarter(event_quarter, 1)


def planted_event(summary: dict, kind: str) -> dict:
    events = [event for event in summary["planted_events"] if event["kind"] == kind]
    assert len(events) == 1, f"truth summary should plant one {kind}: {summary['planted_events']}"
    return events[0]


def cell(frame: pl.DataFrame, column: str, **keys: str) -> float:
    rows = frame.filter(**keys)
    assert rows.height == 1, f"expected one row for {keys}, found {rows.height}"
    value = rows.item(0, column)
    assert value is not None, f"{column} is null for {keys}"
    return value


# ---------------------------------------------------------------------------------------------
# 1. planted trends, read back from the published analyst database


def test_quarter_arithmetic():
    assert quarters_around("2025-11-01") == ("2025Q3", "2026Q1")
    assert quarters_around("2026-03-01") == ("2025Q4", "2026Q2")
    assert shift_quarter("2026Q1", -1) == "2025Q4"


def test_policy_notice_displaces_ecommerce_to_chat_groups(summary: dict, market_quarterly: pl.DataFrame):
    before, after = quarters_around(planted_event(summary, "policy_notice")["date"])

    def active(channel: str, quarter: str) -> float:
        return cell(market_quarterly, "listings_active", quarter=quarter, region_code="all", channel=channel)

    ecommerce = active("ecommerce_platform", after) / active("ecommerce_platform", before)
    im_group = active("im_group", after) / active("im_group", before)
    assert ecommerce <= ECOMMERCE_FALLS_TO_AT_MOST, f"e-commerce {before}→{after}: x{ecommerce:.2f}"
    assert im_group >= IM_GROUP_RISES_TO_AT_LEAST, f"chat groups {before}→{after}: x{im_group:.2f}"


def test_policy_notice_raises_the_price_index(summary: dict, price_index: pl.DataFrame):
    before, after = quarters_around(planted_event(summary, "policy_notice")["date"])
    ratio = cell(price_index, "price_index", quarter=after, channel="all") / cell(
        price_index, "price_index", quarter=before, channel="all"
    )
    assert ratio >= PRICE_INDEX_RISES_TO_AT_LEAST, f"price index {before}→{after}: x{ratio:.2f}"


def test_campaign_shrinks_listings_in_its_province(summary: dict, market_quarterly: pl.DataFrame):
    campaign = planted_event(summary, "enforcement_campaign")
    before, after = quarters_around(campaign["date"])
    region = campaign["region_code"]

    def active(quarter: str) -> float:
        return cell(market_quarterly, "listings_active", quarter=quarter, region_code=region, channel="all")

    ratio = active(after) / active(before)
    assert ratio <= CAMPAIGN_REGION_FALLS_TO_AT_MOST, f"{region} listings {before}→{after}: x{ratio:.2f}"


def test_compared_quarters_are_fully_crawled(summary: dict, market_quarterly: pl.DataFrame):
    # the trend comparisons above are only fair between complete, well-covered quarters
    quarters = {
        quarter
        for kind in ("policy_notice", "enforcement_campaign")
        for quarter in quarters_around(planted_event(summary, kind)["date"])
    }
    rows = market_quarterly.filter(pl.col("quarter").is_in(quarters), region_code="all", channel="all")
    assert rows.height == len(quarters)
    assert not rows["is_partial_period"].any()
    assert not rows["is_low_coverage"].any()


# ---------------------------------------------------------------------------------------------
# 2. the truth manifest matches the warehouse


def test_listing_identity_is_one_to_one(identity_keys: pl.DataFrame):
    # every id / url spelling of one listing (utm_ parameters, fragments, case, numbers vs text)
    # maps to one key, and no key is shared by two identities
    assert identity_keys["identity"].null_count() == 0
    assert identity_keys.select("site", "identity").is_unique().all()
    assert identity_keys["listing_key"].is_unique().all()


def test_every_truth_listing_is_one_warehouse_listing(
    summary: dict, truth_listings: pl.DataFrame, fct_listings: pl.DataFrame
):
    # Truth lists every listing with a valid row; rows quarantined at ingest (empty id, bad date)
    # repeat no listing of their own, so the counts match exactly (1,858 at tiny scale, seed 7).
    assert truth_listings.height == summary["counts"]["listings"]
    unkeyed = truth_listings.filter(pl.col("listing_key").is_null())
    assert unkeyed.is_empty(), f"truth listings the warehouse never staged: {unkeyed.head(5).rows()}"
    assert fct_listings["listing_key"].is_unique().all()
    only_warehouse = set(fct_listings["listing_key"]) - set(truth_listings["listing_key"])
    only_truth = set(truth_listings["listing_key"]) - set(fct_listings["listing_key"])
    assert not only_warehouse, f"{len(only_warehouse)} warehouse listings not in truth"
    assert not only_truth, f"{len(only_truth)} truth listings missing from fct_listings"


def compare(
    joined: pl.DataFrame, truth_column: str, warehouse_column: str, relative: bool = False
) -> pl.DataFrame:
    """Rows where the truth and the warehouse disagree; nulls must agree too."""
    truth, warehouse = pl.col(truth_column), pl.col(warehouse_column)
    if relative:
        differs = (truth - warehouse).abs() > REL_TOLERANCE * truth.abs()
        null_differs = truth.is_null() != warehouse.is_null()
        mismatch = differs.fill_null(False) | null_differs
    else:
        mismatch = truth.ne_missing(warehouse)
    return joined.filter(mismatch).select("listing_key", truth_column, warehouse_column)


LISTING_ATTRIBUTES = (
    "site",
    "channel",
    "region_code",
    "city_code",
    "carrier_codes",
    "freshness",
    "records_offered",
    "observation_count",
    "sample_record_count",
    "has_unmasked_samples",
    "is_price_outlier",
    "is_removal_inferred",
)


@pytest.mark.parametrize("column", LISTING_ATTRIBUTES)
def test_listing_attributes_match_truth(
    column: str, truth_listings: pl.DataFrame, fct_listings: pl.DataFrame
):
    joined = truth_listings.join(fct_listings, on="listing_key", how="inner", suffix="_warehouse")
    assert joined.height == truth_listings.height
    wrong = compare(joined, column, f"{column}_warehouse")
    assert wrong.is_empty(), f"{wrong.height} listings differ in {column}: {wrong.head(5).rows()}"


def test_listing_price_matches_truth(truth_listings: pl.DataFrame, fct_listings: pl.DataFrame):
    joined = truth_listings.join(fct_listings, on="listing_key", how="inner", suffix="_warehouse")
    wrong = compare(joined, "unit_price_cny", "unit_price_cny_warehouse", relative=True)
    assert wrong.is_empty(), f"{wrong.height} listing prices differ: {wrong.head(5).rows()}"
    assert joined["unit_price_cny"].is_not_null().sum() > 1000  # the comparison has substance


@pytest.mark.parametrize(
    ("truth_column", "warehouse_column"),
    [("first_fetch_at", "first_seen_at"), ("last_seen_at", "last_seen_at"), ("removed_at", "removed_at")],
)
def test_listing_times_match_truth_in_shanghai_time(
    truth_column: str,
    warehouse_column: str,
    truth_listings: pl.DataFrame,
    fct_listings: pl.DataFrame,
):
    truth = truth_listings.select(
        "listing_key", (pl.col(truth_column) + SHANGHAI_OFFSET).alias(f"{truth_column}_shanghai")
    )
    warehouse = fct_listings.select("listing_key", pl.col(warehouse_column).alias("warehouse"))
    joined = truth.join(warehouse, on="listing_key", how="inner")
    wrong = compare(joined, f"{truth_column}_shanghai", "warehouse")
    assert wrong.is_empty(), f"{wrong.height} listings differ in {warehouse_column}: {wrong.head(5).rows()}"


def test_removal_kinds_match_truth(truth_listings: pl.DataFrame, fct_listings: pl.DataFrame):
    # explicit and HTTP removals are observed, silent ones inferred, `none` still live
    joined = truth_listings.join(fct_listings, on="listing_key", how="inner", suffix="_warehouse")
    kinds = (
        joined.group_by(
            "removal_kind",
            pl.col("removed_at_warehouse").is_not_null().alias("removed"),
            pl.col("is_removal_inferred_warehouse").alias("inferred"),
        )
        .len()
        .sort("removal_kind")
    )
    expected_flags = {
        "explicit": (True, False),
        "http": (True, False),
        "silent": (True, True),
        "none": (False, False),
    }
    for kind, removed, inferred, count in kinds.iter_rows():
        assert (removed, inferred) == expected_flags[kind], f"{count} {kind} removals: {removed=} {inferred=}"
    # every kind is planted, so each must be present for this test to mean anything
    assert set(kinds["removal_kind"]) == set(expected_flags)


def test_listing_quarters_match_truth(truth_listing_quarters: pl.DataFrame, tiny_warehouse: Path):
    """Per listing and quarter: active or not, region, channel, and the last non-outlier price."""
    warehouse = query(
        build_db_path(tiny_warehouse),
        f"""
        select
            {listing_key_sql("listing_num")} as listing_key,
            quarter, channel, region_code, is_active, unit_price_cny
        from intermediate.int_listing_quarters_summarized
        where is_active or unit_price_cny is not null
        """,
    )
    # truth holds the listing-quarters that were active or priced: the same rows
    keys = ["listing_key", "quarter"]
    missing = truth_listing_quarters.join(warehouse, on=keys, how="anti")
    extra = warehouse.join(truth_listing_quarters, on=keys, how="anti")
    assert missing.is_empty(), f"{missing.height} truth listing-quarters missing: {missing.head(5).rows()}"
    assert extra.is_empty(), f"{extra.height} listing-quarters not in truth: {extra.head(5).rows()}"

    joined = truth_listing_quarters.join(warehouse, on=keys, how="inner", suffix="_warehouse")
    for column in ("channel", "region_code", "is_active"):
        wrong = compare(joined, column, f"{column}_warehouse")
        assert wrong.is_empty(), f"{wrong.height} listing-quarters differ in {column}: {wrong.head(5).rows()}"
    wrong = compare(joined, "unit_price_cny", "unit_price_cny_warehouse", relative=True)
    assert wrong.is_empty(), f"{wrong.height} listing-quarter prices differ: {wrong.head(5).rows()}"


def test_quarterly_rollups_match_truth(truth_rollup: pl.DataFrame, market_quarterly: pl.DataFrame):
    keys = ["quarter", "region_code", "channel"]
    joined = truth_rollup.join(market_quarterly, on=keys, how="left", suffix="_mart")
    absent = joined.filter(pl.col("listings_active_mart").is_null())
    assert absent.is_empty(), f"truth rows without a mart row: {absent.select(keys).rows()}"
    problems = []
    for column in ("listings_active", "priced_listings"):
        wrong = joined.filter(pl.col(column).cast(pl.Int64) != pl.col(f"{column}_mart"))
        problems += [f"{column} {row}" for row in wrong.select(*keys, column, f"{column}_mart").rows()]
    truth_median, mart_median = pl.col("price_median_cny"), pl.col("price_median_cny_mart")
    wrong = joined.filter(
        ((truth_median - mart_median).abs() > REL_TOLERANCE * truth_median.abs()).fill_null(False)
        | (truth_median.is_null() != mart_median.is_null())
    )
    problems += [f"median {row}" for row in wrong.select(*keys, truth_median, mart_median).rows()]
    assert not problems, "\n".join(problems)


def test_rollup_rows_beyond_truth_are_empty(truth_rollup: pl.DataFrame, market_quarterly: pl.DataFrame):
    # the mart zero-fills region 'all' for every channel seen in every quarter; truth has rows only
    # where a channel had listings (kuaidi-leak.top, channel unknown, appears in 2026)
    extra = market_quarterly.filter(region_code="all").join(
        truth_rollup, on=["quarter", "region_code", "channel"], how="anti"
    )
    assert (extra["listings_active"] == 0).all() and (extra["priced_listings"] == 0).all()


def test_price_index_medians_match_truth(truth_rollup: pl.DataFrame, price_index: pl.DataFrame):
    joined = truth_rollup.filter(region_code="all").join(
        price_index, on=["quarter", "channel"], how="inner", suffix="_index"
    )
    assert joined.height == truth_rollup.filter(region_code="all").height
    assert (joined["priced_listings"].cast(pl.Int64) == joined["priced_listings_index"]).all()
    truth_median, index_median = pl.col("price_median_cny"), pl.col("price_median_cny_index")
    close = ((truth_median - index_median).abs() <= REL_TOLERANCE * truth_median.abs()) | (
        truth_median.is_null() & index_median.is_null()
    )
    wrong = joined.filter(~close.fill_null(False)).select("quarter", "channel", truth_median, index_median)
    assert wrong.is_empty(), f"price index medians differ from truth: {wrong.rows()}"


# ---------------------------------------------------------------------------------------------
# 3. a second run on the same RAW changes no published number


def published_tables(db: Path) -> list[str]:
    return query(db, "select table_name from duckdb_tables() order by table_name")["table_name"].to_list()


def differing_rows(first: Path, second: Path, table: str) -> tuple[int, int]:
    """Rows of `table` in first and not in second, and the other way round (as multisets)."""

    def only_in(left: str, right: str) -> int:
        sql = f"select * from {left}.{table} except all select * from {right}.{table}"
        return con.execute(f"select count(*) from ({sql})").fetchone()[0]

    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as first_db (read_only)")
        con.execute(f"attach '{second}' as second_db (read_only)")
        return only_in("first_db", "second_db"), only_in("second_db", "first_db")


def audit_rows(warehouse: Path) -> int:
    """Rows of the ingest audit in bronze (one Parquet file per ingest run)."""
    files = warehouse / "bronze" / "ingest_files" / "*.parquet"
    return pl.scan_parquet(files).select(pl.len()).collect().item()


def test_second_run_changes_no_published_number(tiny_raw: Path, tiny_warehouse: Path, tmp_path: Path):
    rerun = tmp_path / "warehouse"
    shutil.copytree(tiny_warehouse, rerun)
    audit_before = audit_rows(rerun)

    summary = run_pipeline(tiny_raw, rerun)

    assert summary.ingest.audit_rows == [], "the second ingest found new files"
    assert summary.ingest.files_already_ingested == summary.ingest.files_found
    assert audit_rows(rerun) == audit_before

    first, second = analyst_db_path(tiny_warehouse), analyst_db_path(rerun)
    tables = published_tables(first)
    assert tables == published_tables(second)
    assert "fct_listings" in tables and "audit_ingest_files" in tables
    problems = []
    for table in tables:
        count_first = query(first, f"select count(*) as n from {table}").item()
        count_second = query(second, f"select count(*) as n from {table}").item()
        only_first, only_second = differing_rows(first, second, table)
        if (count_first, only_first, only_second) != (count_second, 0, 0):
            problems.append(
                f"{table}: rows {count_first} → {count_second}, "
                f"{only_first} only before, {only_second} only after"
            )
    assert not problems, "\n".join(problems)
