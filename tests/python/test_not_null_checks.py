"""How the build checks keys and required columns: one `primary_key` data test per model
(macros/tests/test_primary_key.sql: unique and not null, one column or several), one
`not_null_columns` data test per model for the other required columns of the intermediate layer
(macros/tests/test_not_null_columns.sql), and `constraints: not_null` on the contracted analyst
tables, enforced by the database when the table is built. Each must fail on bad rows, not only pass
on good data: a check that cannot fail is a defect."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from waybill_watch.config import build_db_path

DEDUP_CHECK = "not_null_columns_int_observations_deduplicated_"


def compiled_test_sql(warehouse: Path, prefix: str) -> str:
    """The SQL dbt ran for the one data test whose name starts with `prefix`."""
    results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    matches = [r for r in results["results"] if r["unique_id"].split(".")[2].startswith(prefix)]
    assert len(matches) == 1, [r["unique_id"] for r in matches]
    assert matches[0]["status"] == "pass"
    return matches[0]["compiled_code"]


@pytest.fixture()
def build_copy(hand_warehouse: Path, tmp_path: Path) -> Path:
    # same file name: the compiled SQL names the database (waybill_watch.intermediate.…)
    copy = tmp_path / build_db_path(hand_warehouse).name
    shutil.copyfile(build_db_path(hand_warehouse), copy)
    return copy


def test_not_null_columns_names_each_column_with_nulls(hand_warehouse: Path, build_copy: Path):
    sql = compiled_test_sql(hand_warehouse, DEDUP_CHECK)
    with duckdb.connect(str(build_copy)) as con:
        assert con.sql(sql).fetchall() == []
        con.execute(
            """
            update intermediate.int_observations_deduplicated set site = null
            where (listing_num, fetched_at_utc) in (
                select (listing_num, fetched_at_utc) from intermediate.int_observations_deduplicated
                order by listing_num, fetched_at_utc limit 2
            )
            """
        )
        con.execute(
            """
            update intermediate.int_observations_deduplicated set region_code = null
            where (listing_num, fetched_at_utc) = (
                select max((listing_num, fetched_at_utc)) from intermediate.int_observations_deduplicated
            )
            """
        )
        assert sorted(con.sql(sql).fetchall()) == [("region_code", 1), ("site", 2)]


def test_primary_key_finds_duplicated_and_null_keys(hand_warehouse: Path, build_copy: Path):
    composite = compiled_test_sql(hand_warehouse, "primary_key_int_site_days_spined_site__crawl_date")
    single = compiled_test_sql(hand_warehouse, "primary_key_int_listings_aggregated_listing_num")
    with duckdb.connect(str(build_copy)) as con:
        assert con.sql(composite).fetchall() == [] and con.sql(single).fetchall() == []
        site, day = con.execute(
            "select site, crawl_date from intermediate.int_site_days_spined order by site, crawl_date limit 1"
        ).fetchone()
        last_site, last_day = con.execute(
            "select site, max(crawl_date) from intermediate.int_site_days_spined"
            " group by site order by site desc limit 1"
        ).fetchone()
        con.execute(
            "insert into intermediate.int_site_days_spined select * from intermediate.int_site_days_spined"
            " where site = ? and crawl_date = ?",
            [site, day],
        )
        con.execute(
            "update intermediate.int_site_days_spined set crawl_date = null"
            " where site = ? and crawl_date = ?",
            [last_site, last_day],
        )
        assert sorted(con.sql(composite).fetchall(), key=str) == sorted(
            [(site, day, 2), (last_site, None, 1)], key=str
        )
        con.execute(
            "update intermediate.int_listings_aggregated set listing_num = null where listing_num = "
            "(select min(listing_num) from intermediate.int_listings_aggregated)"
        )
        assert con.sql(single).fetchall() == [(None, 1)]


def test_primary_key_of_an_append_only_dictionary_checks_the_new_keys_against_every_row(
    hand_warehouse: Path, build_copy: Path
):
    sql = compiled_test_sql(hand_warehouse, "primary_key_int_url_texts_normalized_url")
    table = "intermediate.int_url_texts_normalized"
    with duckdb.connect(str(build_copy)) as con:
        assert con.sql(sql).fetchall() == []
        batch, earliest, urls = con.execute(
            f"select max(loaded_at), min(loaded_at), list(url order by url) from {table}"
        ).fetchone()
        assert batch == earliest and len(urls) >= 3  # one build: every url is this run's
        # all but the last url become earlier runs' rows
        con.execute(f"update {table} set loaded_at = loaded_at - interval 1 day where url <> ?", [urls[-1]])
        assert con.sql(sql).fetchall() == []
        # a key repeated among earlier rows was the finding of the run that appended it: this run
        # reads only its own keys
        con.execute(f"insert into {table} select * from {table} where url = ?", [urls[0]])
        assert con.sql(sql).fetchall() == []
        # this run's rows: one repeats an earlier run's key, one has none
        con.execute(
            f"insert into {table} select url, url_normalized, ? from {table} where url = ?", [batch, urls[1]]
        )
        con.execute(f"insert into {table} values (null, null, ?)", [batch])
        assert sorted(con.sql(sql).fetchall(), key=str) == sorted([(urls[1], 2), (None, 1)], key=str)


def test_contracted_analyst_tables_refuse_nulls(build_copy: Path):
    with duckdb.connect(str(build_copy)) as con:
        not_null = {
            (table, column)
            for table, column in con.sql(
                """
                select table_name, unnest(constraint_column_names)
                from duckdb_constraints()
                where schema_name = 'marts' and constraint_type = 'NOT NULL'
                """
            ).fetchall()
        }
        for required in [
            ("fct_listings", "site"),
            ("fct_listings", "first_seen_at"),
            ("mart_market_quarterly", "listings_active"),
        ]:
            assert required in not_null
        with pytest.raises(duckdb.ConstraintException):
            con.execute("update marts.fct_listings set site = null")


def test_a_key_repeated_where_the_enriched_view_joins_fails_that_relations_key_test(
    hand_warehouse: Path, build_copy: Path, monkeypatch: pytest.MonkeyPatch
):
    # Daily builds leave out the enriched view's key test (pipeline.IMPLIED_BY_KEY_TESTS): a repeated
    # key in a relation it joins is found by that relation's own key test, which daily builds run
    monkeypatch.chdir(hand_warehouse)  # the views read bronze by paths relative to the warehouse
    enriched = compiled_test_sql(hand_warehouse, "primary_key_int_observations_enriched_observation_id")
    prices = compiled_test_sql(hand_warehouse, "primary_key_int_price_texts_parsed_price_text")
    rates = compiled_test_sql(hand_warehouse, "primary_key_exchange_rates_monthly_month_start__currency")
    with duckdb.connect(str(build_copy)) as con:
        assert [con.sql(sql).fetchall() for sql in (enriched, prices, rates)] == [[], [], []]
        text, rows = con.execute(
            "select price_text, count(*) from staging.stg_crawl__observations"
            " where price_text is not null group by price_text order by price_text limit 1"
        ).fetchone()
        con.execute(
            "insert into intermediate.int_price_texts_parsed"
            " select * from intermediate.int_price_texts_parsed where price_text = ?",
            [text],
        )
        # the dictionary's test names the text; the view would repeat each crawl row carrying it
        assert con.sql(prices).fetchall() == [(text, 2)]
        assert len(con.sql(enriched).fetchall()) == rows
        month, currency = con.execute(
            "select month_start, currency from reference.exchange_rates_monthly order by all limit 1"
        ).fetchone()
        con.execute(
            "insert into reference.exchange_rates_monthly select * from reference.exchange_rates_monthly"
            " where month_start = ? and currency = ?",
            [month, currency],
        )
        assert con.sql(rates).fetchall() == [(month, currency, 2)]
