"""Test-only pause points for the crash-safety tests (issue 8, docs/faults.md).

With `WAYBILL_WATCH_TEST_PAUSE_AT=<point>` in the environment, a run that reaches that point
writes `WAREHOUSE/.paused-<point>` (holding its pid) and sleeps, so that a test can SIGKILL it
at a known phase instead of racing it. Points:

- `ingest`:  bronze files written, the audit not yet (ingest/run.py)
- `dbt`:     `dbt build` under way, after its first node finished (pipeline.py; the dbt process,
             dbt_process.py, holds still meanwhile: `hold_if_requested`)
- `publish`: the new analyst file half-written, before the swap (pipeline.py)

Unset (always, outside tests) this does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "WAYBILL_WATCH_TEST_PAUSE_AT"
PAUSE_SECONDS_ENV = "WAYBILL_WATCH_TEST_PAUSE_SECONDS"
POINTS = ("ingest", "dbt", "publish")


def pause_if_requested(point: str, warehouse_dir: Path) -> None:
    """Sleep at `point` when the test hook asks for it (once per process and point)."""
    if os.environ.get(PAUSE_ENV) != point:
        return
    marker = Path(warehouse_dir) / f".paused-{point}"
    if marker.exists() and marker.read_text() == str(os.getpid()):
        return  # a callback that fires again in the same run: pause only once
    marker.write_text(str(os.getpid()))
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "600")))


# the points this process has held at (hold_if_requested holds once per process and point)
_HELD: set[str] = set()


def hold_if_requested(point: str) -> None:
    """Sleep at `point`, without a marker, once per process: a helper process (the dbt process)
    stands still while the run it belongs to pauses there."""
    if os.environ.get(PAUSE_ENV) != point or point in _HELD:
        return
    _HELD.add(point)
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "600")))
