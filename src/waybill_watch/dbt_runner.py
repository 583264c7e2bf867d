"""Run dbt programmatically inside a warehouse directory, and release DuckDB afterwards.

dbt-duckdb keeps its connection open after a programmatic run (`keep_open`), which would
hold the build database's lock; every call here closes it before returning.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from waybill_watch.config import PROJECT_ROOT
from waybill_watch.errors import WaybillWatchError

# Every path dbt sees is relative to the warehouse directory, its working directory here
# (profiles.yml): the parse of the project is then the same for every warehouse. dbt parses the whole
# project again when the profile's connection settings or an env var a parsed file reads change,
# and otherwise only the files that changed (docs/marts.md, "Where dbt runs, and its parse").
TEMP_DIR_ENV = "WAYBILL_WATCH_TEMP_DIR"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# The last parse state saved by any warehouse of this checkout: a new warehouse starts from it.
PARSE_STATE_CACHE = PROJECT_ROOT / "target" / PARTIAL_PARSE_FILE
# dbt's flag to write neither manifest.json nor run_results.json: run_dbt writes the latter itself
NO_WRITE_JSON = "--no-write-json"


@contextmanager
def _inside(warehouse_dir: Path) -> Iterator[None]:
    """The warehouse as the working directory (a spill directory given relative stays relative to
    where the command was started)."""
    previous_cwd = Path.cwd()
    previous_temp = os.environ.get(TEMP_DIR_ENV)
    if previous_temp:
        os.environ[TEMP_DIR_ENV] = str(Path(previous_temp).resolve())
    os.chdir(warehouse_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        if previous_temp:
            os.environ[TEMP_DIR_ENV] = previous_temp


def _start_from_saved_parse(target_dir: Path) -> None:
    """A warehouse without dbt's parse state takes the last one saved; dbt re-parses what changed.
    A state saved by another checkout of the project is dropped (`parsed_by_this_checkout`)."""
    state = target_dir / PARTIAL_PARSE_FILE
    if state.exists() and not parsed_by_this_checkout(state):
        state.unlink()
    target_dir.mkdir(parents=True, exist_ok=True)
    if not state.exists() and parsed_by_this_checkout(PARSE_STATE_CACHE):
        shutil.copyfile(PARSE_STATE_CACHE, state)
    # what dbt saves in this run is this checkout's
    _checkout_file(state).write_text(str(PROJECT_ROOT), encoding="utf-8")


def parsed_by_this_checkout(state: Path) -> bool:
    """Whether dbt's parse state `state` was saved by a run of this checkout (PROJECT_ROOT). dbt keeps
    the absolute paths of the checkout that parsed (a seed is loaded from its path) and does not parse
    again when only the checkout differs: a warehouse built by a checkout since removed, then run from
    this one, failed to load every seed ("No files found that match …/seeds/reference/agencies.csv"),
    and its state, saved as the newest, broke the next new warehouses too."""
    checkout = _checkout_file(state)
    if not (state.is_file() and checkout.is_file()):
        return False
    return checkout.read_text(encoding="utf-8") == str(PROJECT_ROOT)


def _checkout_file(state: Path) -> Path:
    return state.with_name(f"{state.name}.checkout")


def _save_parse(target_dir: Path) -> None:
    state = target_dir / PARTIAL_PARSE_FILE
    if not parsed_by_this_checkout(state):
        return
    cached = parsed_by_this_checkout(PARSE_STATE_CACHE)
    if cached and PARSE_STATE_CACHE.stat().st_mtime >= state.stat().st_mtime:
        return
    PARSE_STATE_CACHE.parent.mkdir(parents=True, exist_ok=True)
    # a private name, then an atomic rename: another process may save or read it at the same time
    partial = PARSE_STATE_CACHE.with_name(f"{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp")
    shutil.copyfile(state, partial)
    os.replace(partial, PARSE_STATE_CACHE)
    _checkout_file(PARSE_STATE_CACHE).write_text(str(PROJECT_ROOT), encoding="utf-8")


def run_dbt(
    args: list[str],
    warehouse_dir: Path,
    callbacks: list[Callable] | None = None,
    raise_on_failure: bool = True,
    vacuum: bool = True,
    manifest=None,
):
    """Invoke dbt (e.g. ["build"]) for `warehouse_dir`; returns the dbtRunnerResult.
    vacuum=False: the checkpoint as dbt's connection closes writes the run's changes without
    compacting the tables' row groups (pipeline.vacuums_at_close says when).
    manifest: the project as a `dbt parse` of this process returned it; dbt then does not parse."""
    from dbt.adapters.duckdb import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt.contracts.results import RunExecutionResult

    warehouse_dir = warehouse_dir.resolve()
    target_dir = warehouse_dir / "dbt_target"
    (warehouse_dir / "build").mkdir(parents=True, exist_ok=True)
    (warehouse_dir / "tmp").mkdir(parents=True, exist_ok=True)
    full_args = [
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(warehouse_dir / "logs"),
    ]
    # parsed with other vars, dbt parses everything again: such a parse is not saved for the others
    shares_parse = "--vars" not in args
    if shares_parse:
        _start_from_saved_parse(target_dir)
    with _inside(warehouse_dir):
        try:
            result = dbtRunner(manifest=manifest, callbacks=callbacks or []).invoke(full_args)
        finally:
            if not vacuum:
                _skip_vacuum_at_close(DuckDBConnectionManager)
            DuckDBConnectionManager.close_all_connections()
    if NO_WRITE_JSON in args and isinstance(result.result, RunExecutionResult):
        # dbt then writes neither manifest.json nor run_results.json: the results of the run are
        # what the tests, the bench and a person looking into a failure read
        result.result.write(str(target_dir / "run_results.json"))
    if shares_parse and result.success:
        _save_parse(target_dir)
    if raise_on_failure and not result.success:
        raise dbt_failed(args, describe_failure(result))
    return result


def _skip_vacuum_at_close(connection_manager: type) -> None:
    """No vacuum tasks in the checkpoint DuckDB makes as the build database closes.

    That checkpoint is mostly vacuum: a day deletes and re-inserts ~146k of the 1.28M listings in
    int_listings_aggregated and fct_listings, spread over every row group, and the vacuum rewrites
    and compresses nearly all of both tables (100M daily run: close 0.9-1.6 s, 0.2-0.3 s without it).
    The deleted rows stay marked until a later checkpoint vacuums them. dbt-duckdb keeps the
    database in its connection manager's environment (`_ENV`), the one `close_all_connections`
    closes; the setting is global to that database. Should the setting fail (a connection a failed
    run left unusable), the checkpoint vacuums as usual."""
    environment = connection_manager._ENV
    if environment is not None and getattr(environment, "conn", None) is not None:
        with contextlib.suppress(duckdb.Error):
            environment.conn.execute("set global max_vacuum_tasks = 0")


def dbt_failed(args: list[str], reason: str) -> WaybillWatchError:
    """The one-line error of a failed dbt command, wherever dbt ran (here or in dbt_process.py)."""
    return WaybillWatchError(f"dbt {' '.join(args)} failed: {reason}")


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
