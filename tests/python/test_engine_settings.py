"""The DuckDB settings profiles.yml gives every dbt connection, read back from a real one."""

from __future__ import annotations

import pytest

from waybill_watch.dbt_runner import run_dbt

SETTINGS = ("disabled_optimizers", "TimeZone", "memory_limit")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each setting as a dbt connection reports it, from one `dbt show` in a warehouse of its own
    (the settings need no data; dbt opens the build database read-write and writes its target
    files, which the session's shared warehouses must not see)."""
    warehouse = tmp_path_factory.mktemp("settings_warehouse")
    columns = ", ".join(f"current_setting('{name}') as {name}" for name in SETTINGS)
    result = run_dbt(["show", "--inline", f"select {columns}"], warehouse)
    row = result.result.results[0].agate_table.rows[0]
    return {name: str(row[index]) for index, name in enumerate(SETTINGS)}


def test_dbt_connections_run_without_partitioned_execution(settings: dict[str, str]) -> None:
    # DuckDB 2.0's partitioned_execution re-scanned whole month slices of the de-duplicated
    # observations once per split (profiles.yml): 19.7 s instead of 6.0 s for one 100M slice.
    assert "partitioned_execution" in settings["disabled_optimizers"].split(",")


def test_dbt_connections_have_the_memory_limit_and_utc(settings: dict[str, str]) -> None:
    assert settings["TimeZone"] == "UTC"
    assert settings["memory_limit"] == "2.2 GiB"  # 2.4GB, as DuckDB prints it
