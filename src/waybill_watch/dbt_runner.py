"""Run dbt programmatically against a warehouse directory, and release DuckDB afterwards.

dbt-duckdb keeps its connection open after a programmatic run (`keep_open`), which would
hold the build database's lock; every call here closes it before returning.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from waybill_watch.config import PROJECT_ROOT, WAREHOUSE_ENV
from waybill_watch.errors import WaybillWatchError

# profiles.yml reads the warehouse directory from here when set; run_dbt sets "." and runs dbt from
# inside the warehouse, so every warehouse has the same profile. dbt parses the whole project again
# when the profile's connection settings change, and otherwise only the files that changed or read a
# changed env var (the sources, which name the warehouse's bronze): `dbt parse` in a copy of the
# tiny warehouse took 12.9 s with the warehouse's path in the profile, 9.7 s with ".".
DBT_WAREHOUSE_ENV = "WAYBILL_WATCH_DBT_WAREHOUSE"
TEMP_DIR_ENV = "WAYBILL_WATCH_TEMP_DIR"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _dbt_environment(warehouse_dir: Path) -> Iterator[None]:
    """The warehouse in the environment, as profiles.yml and the sources read it, and as the cwd."""
    values = {WAREHOUSE_ENV: str(warehouse_dir), DBT_WAREHOUSE_ENV: "."}
    if os.environ.get(TEMP_DIR_ENV):
        values[TEMP_DIR_ENV] = str(Path(os.environ[TEMP_DIR_ENV]).resolve())
    previous_cwd = Path.cwd()
    with _environment(values):
        os.chdir(warehouse_dir)
        try:
            yield
        finally:
            os.chdir(previous_cwd)


def run_dbt(
    args: list[str],
    warehouse_dir: Path,
    callbacks: list[Callable] | None = None,
    raise_on_failure: bool = True,
):
    """Invoke dbt (e.g. ["build"]) for `warehouse_dir`; returns the dbtRunnerResult."""
    from dbt.adapters.duckdb import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    warehouse_dir = warehouse_dir.resolve()
    (warehouse_dir / "build").mkdir(parents=True, exist_ok=True)
    (warehouse_dir / "tmp").mkdir(parents=True, exist_ok=True)
    full_args = [
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target-path",
        str(warehouse_dir / "dbt_target"),
        "--log-path",
        str(warehouse_dir / "logs"),
    ]
    with _dbt_environment(warehouse_dir):
        try:
            result = dbtRunner(callbacks=callbacks or []).invoke(full_args)
        finally:
            DuckDBConnectionManager.close_all_connections()
    if raise_on_failure and not result.success:
        raise WaybillWatchError(f"dbt {' '.join(args)} failed: {describe_failure(result)}")
    return result


def describe_failure(result) -> str:
    """One line naming the failing nodes (or the exception), for the CLI's error message."""
    if result.exception is not None:
        return str(result.exception).splitlines()[0]
    failures: list[str] = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result, "status", ""))
        if status.lower() in {"error", "fail"}:
            failures.append(f"{node_result.node.name} ({status.lower()})")
    return ", ".join(failures[:5]) + (" …" if len(failures) > 5 else "") or "unknown failure"
