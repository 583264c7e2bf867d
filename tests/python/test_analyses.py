"""The dbt analyses compile, run unchanged against the published analyst database (via
`analysis_connection`) on the tiny warehouse, return rows, and agree with the marts where they overlap."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from analyst_fixture import busiest_quarter
from waybill_watch.analyst import analysis_connection
from waybill_watch.config import PROJECT_ROOT
from waybill_watch.dbt_runner import run_dbt

ANALYSES_DIR = PROJECT_ROOT / "analyses"
ANALYSES = sorted(path.stem for path in ANALYSES_DIR.glob("*.sql"))


def compile_analyses(compile_dir: Path, dbt_vars: dict | None = None) -> dict[str, str]:
    """name → compiled SQL, from `dbt compile --select resource_type:analysis`.

    Compiling needs no data: dbt runs in its own directory so the shared tiny warehouse's
    dbt_target (manifest, run_results) stays as the pipeline left it."""
    args = ["compile", "--select", "resource_type:analysis"]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    result = run_dbt(args, compile_dir)
    return {node_result.node.name: node_result.node.compiled_code for node_result in result.result.results}


@pytest.fixture(scope="module")
def quarter(tiny_warehouse: Path) -> str:
    return busiest_quarter(tiny_warehouse)


@pytest.fixture(scope="module")
def compile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analyses_compile")


@pytest.fixture(scope="module")
def compiled(compile_dir: Path, quarter: str) -> dict[str, str]:
    return compile_analyses(compile_dir, {"analysis_quarter": quarter})


@pytest.fixture(scope="module")
def con(tiny_warehouse: Path):
    connection = analysis_connection(tiny_warehouse)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def answers(compiled: dict[str, str], con) -> dict[str, pl.DataFrame]:
    return {name: con.sql(sql).pl() for name, sql in compiled.items()}


def test_at_least_six_analyses_each_with_a_description() -> None:
    documented = yaml.safe_load((ANALYSES_DIR / "_analyses.yml").read_text(encoding="utf-8"))["analyses"]
    descriptions = {entry["name"]: entry.get("description", "") for entry in documented}
    assert len(ANALYSES) >= 6
    assert sorted(descriptions) == ANALYSES
    assert all(len(text.split()) >= 15 for text in descriptions.values())


def test_analyses_use_ref_and_the_quarter_var_only() -> None:
    for name in ANALYSES:
        sql = (ANALYSES_DIR / f"{name}.sql").read_text(encoding="utf-8")
        # the quarter comes from the var, directly or through macros/analyses/selected_quarter.sql
        picks_quarter = "var('analysis_quarter', none)" in sql or "{{ selected_quarter(" in sql
        assert "{{ ref(" in sql and picks_quarter, name
        assert "source(" not in sql and "waybill_watch." not in sql, name


@pytest.mark.slow
def test_every_analysis_compiles_against_the_marts_schema(compiled: dict[str, str], quarter: str) -> None:
    assert sorted(compiled) == ANALYSES
    for name, sql in compiled.items():
        assert '"waybill_watch"."marts".' in sql, name
        assert f"'{quarter}'" in sql, name


@pytest.mark.slow
@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_returns_rows_for_the_quarter(
    answers: dict[str, pl.DataFrame], name: str, quarter: str
) -> None:
    frame = answers[name]
    assert frame.height > 0, f"{name} returned no rows for {quarter}"
    assert frame["quarter"].unique().to_list() == [quarter]


@pytest.mark.slow
def test_top_movers_agree_with_mart_region_quarterly(
    answers: dict[str, pl.DataFrame], con, quarter: str
) -> None:
    movers = answers["top_movers_by_province"]
    regional = dict(
        con.execute(
            "select region_code, listings_active from mart_region_quarterly "
            "where quarter = ? and listings_active > 0",
            [quarter],
        ).fetchall()
    )
    assert dict(zip(movers["region_code"], movers["listings_active"], strict=True)) == regional
    changes = movers["listings_active_change"].abs().to_list()
    assert changes == sorted(changes, reverse=True)


@pytest.mark.slow
def test_removals_by_channel_equal_the_mart(answers: dict[str, pl.DataFrame], con, quarter: str) -> None:
    removed = answers["time_to_removal_by_channel"]
    mart = dict(
        con.execute(
            "select channel, listings_removed from mart_market_quarterly "
            "where quarter = ? and region_code = 'all' and channel <> 'all' and listings_removed > 0",
            [quarter],
        ).fetchall()
    )
    assert dict(zip(removed["channel"], removed["listings_removed"], strict=True)) == mart
    assert (removed["days_to_removal_median"] >= 0).all()
    assert (removed["removals_inferred"] <= removed["listings_removed"]).all()


@pytest.mark.slow
def test_case_closures_equal_the_enforcement_mart(
    answers: dict[str, pl.DataFrame], con, quarter: str
) -> None:
    closures = answers["case_closure_by_agency"]
    mart = dict(
        con.execute(
            "select agency_code, sum(cases_closed) from mart_enforcement_quarterly where quarter = ? "
            "group by agency_code having sum(cases_closed) > 0",
            [quarter],
        ).fetchall()
    )
    assert dict(zip(closures["agency_code"], closures["cases_closed"], strict=True)) == mart
    assert (closures["days_to_close_median"] >= 0).all()


@pytest.mark.slow
def test_incidents_per_carrier_equal_the_incident_mart(
    answers: dict[str, pl.DataFrame], con, quarter: str
) -> None:
    carriers = answers["carriers_named_vs_incidents"]
    total = con.execute(
        "select sum(incidents) from mart_incidents_quarterly where quarter = ?", [quarter]
    ).fetchall()[0]
    assert carriers["incidents"].sum() == total[0] > 0
    assert carriers["carrier_code"].is_unique().all()


@pytest.mark.slow
def test_sellers_on_several_sites_match_a_polars_recount(
    answers: dict[str, pl.DataFrame], con, quarter: str
) -> None:
    year, number = int(quarter[:4]), int(quarter[-1])
    start = pl.date(year, 3 * number - 2, 1)
    end = pl.date(year + (number == 4), (3 * number) % 12 + 1, 1)
    listings = con.sql("select seller_key, site, first_seen_at, last_seen_at from fct_listings").pl()
    expected = (
        listings.filter(
            pl.col("seller_key").is_not_null()
            & (pl.col("first_seen_at").dt.date() < end)
            & (pl.coalesce("last_seen_at", "first_seen_at").dt.date() >= start)
        )
        .group_by("seller_key")
        .agg(pl.col("site").n_unique().alias("sites_count"))
        .filter(pl.col("sites_count") >= 2)
    )
    sellers = answers["sellers_on_several_sites"]
    assert dict(zip(sellers["seller_key"], sellers["sites_count"], strict=True)) == dict(
        zip(expected["seller_key"], expected["sites_count"], strict=True)
    )
    first = sellers.row(0, named=True)
    assert len(first["sites"].split(", ")) == first["sites_count"]


@pytest.mark.slow
def test_price_quartiles_are_ordered_and_count_every_priced_listing(answers: dict[str, pl.DataFrame]) -> None:
    prices = answers["price_by_freshness_and_lot_size"]
    assert (prices["price_p25_cny"] <= prices["price_median_cny"]).all()
    assert (prices["price_median_cny"] <= prices["price_p75_cny"]).all()
    assert prices.select(pl.struct("freshness", "lot_size_band").is_unique().all()).item()


@pytest.mark.slow
def test_coverage_gaps_agree_with_the_daily_coverage_mart(answers: dict[str, pl.DataFrame]) -> None:
    gaps = answers["coverage_gaps_by_site"]
    assert (gaps["days_crawled"] <= gaps["days_expected"]).all()
    assert gaps["site_coverage_ratio"].is_between(0, 1).all()


@pytest.mark.slow
def test_without_the_var_analyses_use_the_latest_quarter(compile_dir: Path, con) -> None:
    compiled = compile_analyses(compile_dir)
    latest = con.execute(
        "select max(quarter) from mart_market_quarterly where listings_active > 0"
    ).fetchall()[0][0]
    movers = con.sql(compiled["top_movers_by_province"]).pl()
    assert movers["quarter"].unique().to_list() == [latest]
    for sql in compiled.values():
        con.sql(sql).fetchall()  # every analysis runs with its default quarter


@pytest.mark.slow
def test_query_runner_runs_an_analysis_and_saves_csv(
    tiny_warehouse: Path, quarter: str, answers: dict[str, pl.DataFrame], tmp_path: Path, capsys
) -> None:
    from waybill_watch.analyst import main

    out = tmp_path / "closures.csv"
    argv = [
        "--warehouse-dir",
        str(tiny_warehouse),
        "--analysis",
        "case_closure_by_agency",
        "--quarter",
        quarter,
    ]
    assert main([*argv, "--csv", str(out)]) == 0
    assert quarter in capsys.readouterr().out
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    saved = pl.read_csv(raw[3:])
    assert saved["cases_closed"].to_list() == answers["case_closure_by_agency"]["cases_closed"].to_list()


def test_query_runner_names_the_known_analyses_for_a_typo(tiny_warehouse: Path, capsys) -> None:
    from waybill_watch.analyst import main

    assert main(["--warehouse-dir", str(tiny_warehouse), "--analysis", "top_mover"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: no analysis named 'top_mover'; pick one of: ")
    assert "top_movers_by_province" in error and error.count("\n") == 1
