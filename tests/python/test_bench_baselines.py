"""The three hand-written baselines of issue #7 (bench/baselines): each computes the ten required
analyst tables from the tiny landing zone, they agree with each other exactly (same rules, same
de-duplication tie-break), and their listing counts match the real pipeline's.

The three run once per module, side by side (one thread each), so the module costs one baseline run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

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


@pytest.fixture(scope="module")
def outputs(tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    """Run the three baselines once, side by side, on the tiny landing zone: engine → (output dir, counts)."""
    runs = {}
    for engine in ENGINES:
        out = tmp_path_factory.mktemp(f"baseline_{engine}")
        command = [sys.executable, str(BASELINES / f"{engine}_baseline.py"), "--raw", str(tiny_raw)]
        runs[engine] = (
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
    for engine, (out, proc) in runs.items():
        stdout, stderr = proc.communicate()
        assert proc.returncode == 0, f"{engine} baseline failed:\n{stderr[-3000:]}"
        results[engine] = (out, json.loads(stdout.strip().splitlines()[-1])["tables"])
    return results


def table(outputs: Outputs, engine: str, name: str) -> pl.DataFrame:
    return pl.read_parquet(outputs[engine][0] / f"{name}.parquet")


def test_every_baseline_writes_all_ten_tables(outputs: Outputs) -> None:
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
    assert outputs["duckdb"][1]["fct_listings"] == pytest.approx(pipeline, rel=0.01)
    assert outputs["duckdb"][1]["fct_cases"] == pipeline_cases
    base = table(outputs, "duckdb", "mart_market_quarterly").filter(
        (pl.col("region_code") == "all") & (pl.col("channel") == "all")
    )
    for quarter, listings_active in base.select("quarter", "listings_active").iter_rows():
        assert listings_active == pytest.approx(active[quarter], rel=0.03), quarter
