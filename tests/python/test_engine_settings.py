"""The DuckDB settings profiles.yml gives every dbt connection, read back from a real one."""

from __future__ import annotations

from pathlib import Path

from waybill_watch.dbt_runner import run_dbt


def dbt_setting(warehouse: Path, name: str) -> str:
    result = run_dbt(["show", "--inline", f"select current_setting('{name}') as value"], warehouse)
    return str(result.result.results[0].agate_table.rows[0][0])


def test_dbt_connections_run_without_partitioned_execution(tiny_warehouse: Path) -> None:
    # DuckDB 2.0's partitioned_execution re-scanned whole month slices of the de-duplicated
    # observations once per split (profiles.yml): 19.7 s instead of 6.0 s for one 100M slice.
    assert "partitioned_execution" in dbt_setting(tiny_warehouse, "disabled_optimizers").split(",")


def test_dbt_connections_have_the_memory_limit_and_utc(tiny_warehouse: Path) -> None:
    assert dbt_setting(tiny_warehouse, "TimeZone") == "UTC"
    assert dbt_setting(tiny_warehouse, "memory_limit") == "2.6 GiB"  # 2.8GB, as DuckDB prints it
