"""The DuckDB settings profiles.yml gives every dbt connection, read back from a real one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from waybill_watch.config import build_db_path
from waybill_watch.dbt_runner import run_dbt

SETTINGS = ("disabled_optimizers", "TimeZone", "memory_limit", "block_allocator_memory")


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


def test_dbt_connections_keep_their_block_buffers(settings: dict[str, str]) -> None:
    # up to 1GB of the buffer pool's blocks are kept for reuse instead of being handed back to the
    # system and faulted in again (profiles.yml says why, with its measured page faults)
    assert settings["block_allocator_memory"] == "953.6 MiB"  # 1GB, as DuckDB prints it


def row_groups_after_a_dbt_command(warehouse: Path, vacuum: bool) -> int:
    """A build database whose write-ahead log deletes 90 % of a 6-row-group table, opened and
    closed by a dbt command (the closing checkpoint writes the deletes), then its row groups."""
    database = build_db_path(warehouse)
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as con:
        rows = "select range as id, md5(range::varchar) as v from range(600000)"
        con.execute(f"create table rows_kept as {rows}")
        con.execute("checkpoint")
        con.execute("pragma disable_checkpoint_on_shutdown")
        con.execute("delete from rows_kept where id % 10 <> 0")
    run_dbt(["show", "--inline", "select count(*) as n from rows_kept"], warehouse, vacuum=vacuum)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from rows_kept").fetchone()[0] == 60_000
        sql = "select count(distinct row_group_id) from pragma_storage_info('rows_kept')"
        return con.execute(sql).fetchone()[0]


def test_the_closing_checkpoint_vacuums_unless_told_not_to(tmp_path: Path) -> None:
    # pipeline.vacuums_at_close: most daily builds leave the deleted rows' row groups as they are
    assert row_groups_after_a_dbt_command(tmp_path / "vacuumed", vacuum=True) == 1
    assert row_groups_after_a_dbt_command(tmp_path / "not_vacuumed", vacuum=False) == 5
