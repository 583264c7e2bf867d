"""The three hand-written baselines of issue #7 (bench/baselines): each computes the ten required
analyst tables from the tiny landing zone, they agree with each other exactly (same rules, same
de-duplication tie-break), and their listing counts match the real pipeline's.

The engines are compared on the tiny landing zone's crawl days from RECENT_FROM on (two quarters and
a half, 198 of its 653 days, with all its cases and incidents): the pandas baseline took ~2 min on
the whole zone (one thread, a 2-core machine). DuckDB's also runs on the whole zone, for the
pipeline's counts. The four run once per module, side by side (one thread each)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from fault_tools import link_tree

BASELINES = Path(__file__).resolve().parents[2] / "bench" / "baselines"
ENGINES = ("duckdb", "polars", "pandas")
# table → key columns (one row per key in every baseline)
TABLES = {
    "fct_listings": ["listing_key"],
    "mart_market_monthly": ["month_start", "region_code", "channel"],
    "mart_market_quarterly": ["quarter", "region_code", "channel"],
    "mart_price_index_quarterly": ["quarter", "channel"],
    "mart_crawl_coverage_daily": ["site", "crawl_date"],
    "fct_cases": ["case_id"],
    "fct_incidents": ["incident_id"],
    "mart_enforcement_quarterly": ["quarter", "region_code", "agency_code"],
    "mart_incidents_quarterly": ["quarter", "region_code", "carrier_code", "leak_stage"],
    "mart_region_quarterly": ["quarter", "region_code"],
}
Outputs = dict[str, tuple[Path, dict[str, int]]]


RECENT_FROM = "2026-04-01"
WHOLE = "duckdb_whole"  # DuckDB's baseline on the whole tiny landing zone


def recent_landing_zone(raw: Path, target: Path) -> Path:
    """`raw` without its crawl days before RECENT_FROM (hard links; the session's zone is untouched)."""
    recent = link_tree(raw, target)
    for day in (recent / "crawl").iterdir():
        if day.name < RECENT_FROM:
            shutil.rmtree(day)
    return recent


@pytest.fixture(scope="module")
def outputs(tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    """Run the baselines once, side by side: each engine on the recent part of the tiny landing
    zone, and DuckDB's on the whole zone (WHOLE): name → (output dir, counts)."""
    recent = recent_landing_zone(tiny_raw, tmp_path_factory.mktemp("baseline_raw") / "raw")
    plan = {engine: (engine, recent) for engine in ENGINES} | {WHOLE: ("duckdb", tiny_raw)}
    runs = {}
    for name, (engine, raw) in plan.items():
        out = tmp_path_factory.mktemp(f"baseline_{name}")
        command = [sys.executable, str(BASELINES / f"{engine}_baseline.py"), "--raw", str(raw)]
        runs[name] = (
            out,
            subprocess.Popen(
                [*command, "--out", str(out), "--threads", "1"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "POLARS_MAX_THREADS": "1"},
            ),
        )
    results = {}
    for name, (out, proc) in runs.items():
        stdout, stderr = proc.communicate()
        assert proc.returncode == 0, f"{name} baseline failed:\n{stderr[-3000:]}"
        results[name] = (out, json.loads(stdout.strip().splitlines()[-1])["tables"])
    return results


def table(outputs: Outputs, engine: str, name: str) -> pl.DataFrame:
    return pl.read_parquet(outputs[engine][0] / f"{name}.parquet")


def test_every_baseline_writes_all_ten_tables(outputs: Outputs) -> None:
    assert set(outputs) == {*ENGINES, WHOLE}
    assert 0 < outputs["duckdb"][1]["fct_listings"] < outputs[WHOLE][1]["fct_listings"]
    for engine, (out, counts) in outputs.items():
        assert set(counts) == set(TABLES), engine
        assert not (out / "_tmp").exists() or not any((out / "_tmp").iterdir()), engine
        for name, keys in TABLES.items():
            df = pl.read_parquet(out / f"{name}.parquet")
            assert df.height == counts[name] > 0, (engine, name)
            assert df.select(keys).is_duplicated().sum() == 0, (engine, name)


@pytest.mark.parametrize("engine", ENGINES[1:])
@pytest.mark.parametrize("name", list(TABLES))
def test_baselines_agree_exactly(outputs: Outputs, engine: str, name: str) -> None:
    """Same rows, same columns, same values (numbers compared as floats, to 1e-9 relative)."""
    ref, other = table(outputs, "duckdb", name), table(outputs, engine, name)
    assert sorted(ref.columns) == sorted(other.columns)
    keys = TABLES[name]
    joined = ref.join(other, on=keys, how="full", coalesce=True, suffix="_other", nulls_equal=True)
    assert joined.height == ref.height == other.height
    for col in ref.columns:
        if col in keys:
            continue
        a, b = joined[col], joined[f"{col}_other"]
        if a.dtype.is_numeric() or b.dtype.is_numeric():
            a, b = a.cast(pl.Float64), b.cast(pl.Float64)
            differs = ~((a - b).abs() <= 1e-9 * (1 + a.abs())).fill_null(False)
        else:
            differs = (a.cast(pl.String) != b.cast(pl.String)).fill_null(True)
        differs &= ~(a.is_null() & b.is_null())
        assert differs.sum() == 0, (
            col,
            joined.filter(differs).select(*keys, col, f"{col}_other").head(3).rows(),
        )


def test_baseline_listing_count_matches_the_pipeline(outputs: Outputs, tiny_warehouse: Path) -> None:
    with duckdb.connect(str(tiny_warehouse / "analyst.duckdb"), read_only=True) as con:
        pipeline = con.execute("SELECT count(*) FROM fct_listings").fetchone()[0]  # type: ignore[index]
        pipeline_cases = con.execute("SELECT count(*) FROM fct_cases").fetchone()[0]  # type: ignore[index]
        active = dict(
            con.execute(
                "SELECT quarter, listings_active FROM mart_market_quarterly"
                " WHERE region_code = 'all' AND channel = 'all'"
            ).fetchall()
        )
    assert outputs[WHOLE][1]["fct_listings"] == pytest.approx(pipeline, rel=0.01)
    assert outputs[WHOLE][1]["fct_cases"] == pipeline_cases
    base = table(outputs, WHOLE, "mart_market_quarterly").filter(
        (pl.col("region_code") == "all") & (pl.col("channel") == "all")
    )
    for quarter, listings_active in base.select("quarter", "listings_active").iter_rows():
        assert listings_active == pytest.approx(active[quarter], rel=0.03), quarter
