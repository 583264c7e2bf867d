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


@contextmanager
def _warehouse_env(warehouse_dir: Path) -> Iterator[None]:
    previous = os.environ.get(WAREHOUSE_ENV)
    os.environ[WAREHOUSE_ENV] = str(warehouse_dir)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WAREHOUSE_ENV, None)
        else:
            os.environ[WAREHOUSE_ENV] = previous


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
    with _warehouse_env(warehouse_dir):
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
