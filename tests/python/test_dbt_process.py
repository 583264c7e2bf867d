"""The dbt process of a run (src/waybill_watch/dbt_process.py): dbt runs outside the run's process,
its nodes are reported to the run as they finish, a failure reaches the run as one line, and the
process never outlives the run (the crash-safety tests kill a run in the middle of its build)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fault_tools import copy_warehouse, dbt_processes_of, still_running
from waybill_watch.config import build_db_path
from waybill_watch.faultpoints import PAUSE_ENV

# in a process of its own, as `waybill-watch run` is: the test process itself has imported dbt
BUILD_ONE_MODEL = """
import json, sys
from pathlib import Path
from waybill_watch.dbt_process import started_dbt
from waybill_watch.errors import WaybillWatchError

finished = []
failure = None
with started_dbt(Path(sys.argv[1])) as dbt:
    try:
        dbt.build(json.loads(sys.argv[2]), True, lambda: finished.append(1))
    except WaybillWatchError as exc:
        failure = str(exc)
print(json.dumps({"nodes": len(finished), "failure": failure,
                  "dbt_imported": any(name == "dbt" or name.startswith("dbt.") for name in sys.modules)}))
"""

# with the pause hook set, the dbt process holds still after its first node, in the middle of its build
KILLED_DURING_THE_BUILD = """
import sys, time
from pathlib import Path
from waybill_watch.dbt_process import started_dbt

with started_dbt(Path(sys.argv[1])) as dbt:
    def first_node_finished():
        print(dbt.pid, flush=True)
        time.sleep(600)

    dbt.build(["build", "--select", "dim_channels"], True, first_node_finished)
"""


def _build_in_a_run_process(warehouse: Path, args: list[str]) -> dict:
    finished = subprocess.run(
        [sys.executable, "-c", BUILD_ONE_MODEL, str(warehouse), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.fixture()
def warehouse(tiny_warehouse: Path, tmp_path: Path) -> Path:
    return copy_warehouse(tiny_warehouse, tmp_path / "warehouse")


def test_the_build_runs_in_the_dbt_process_and_reports_each_node(warehouse: Path) -> None:
    with duckdb.connect(str(build_db_path(warehouse))) as con:
        con.execute("drop table marts.dim_channels")
    # the model and its data tests (unique and not_null on channel_code, accepted values, …)
    reported = _build_in_a_run_process(warehouse, ["build", "--select", "dim_channels"])
    assert reported["failure"] is None
    assert reported["dbt_imported"] is False
    run_results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text())
    assert reported["nodes"] == len(run_results["results"]) >= 3
    with duckdb.connect(str(build_db_path(warehouse)), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_channels").fetchone()[0] > 0


def test_a_failed_build_reaches_the_run_as_one_line(warehouse: Path) -> None:
    reported = _build_in_a_run_process(warehouse, ["run-operation", "no_such_macro"])
    assert reported["failure"] is not None
    assert reported["failure"].startswith("dbt run-operation no_such_macro failed: ")
    print(reported["failure"])
    assert "\n" not in reported["failure"]
    assert reported["dbt_imported"] is False


def test_the_dbt_process_ends_with_the_run(warehouse: Path) -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_DURING_THE_BUILD, str(warehouse)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {PAUSE_ENV: "dbt"},
    )
    try:
        # dbt's log shares the run's stdout
        dbt_pid = int(next(line for line in run.stdout if line.strip().isdigit()))
        assert dbt_processes_of(run.pid) == [dbt_pid]
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        assert still_running([dbt_pid], wait_seconds=10) == []
    finally:
        run.kill()
