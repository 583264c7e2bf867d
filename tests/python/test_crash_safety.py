"""Crash safety (issue 8, SPEC §7): `waybill-watch run` killed with SIGKILL during ingest, during
`dbt build` and during publish leaves the previously published analyst database in place,
byte for byte, readable and complete; the next run completes and publishes the new data.

The kills are deterministic: WAYBILL_WATCH_TEST_PAUSE_AT (src/waybill_watch/faultpoints.py)
makes the run sleep at the chosen point, the test waits for its marker file and kills it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pytest

from fault_tools import (
    NEW_DAY,
    add_crawl_day,
    copy_warehouse,
    dbt_processes_of,
    file_digest,
    link_tree,
    published_counts,
    start_run,
    still_running,
    wait_for_pause,
)
from waybill_watch.config import analyst_db_path, bronze_dir
from waybill_watch.publish import REQUIRED_TABLES

NEW_LISTINGS = 6
KILL_POINTS = ("ingest", "dbt", "publish")


@dataclass
class Crash:
    digest_after: str
    counts_after: dict[str, int]
    evidence: dict[str, object] = field(default_factory=dict)


@dataclass
class CrashStory:
    digest_before: str
    counts_before: dict[str, int]
    crashes: dict[str, Crash]
    final_returncode: int
    final_log: str
    counts_final: dict[str, int]
    leftovers_final: list[str]


def _kill_at(point: str, raw: Path, warehouse: Path, logs: Path) -> dict[str, object]:
    log = logs / f"killed-at-{point}.log"
    proc = start_run(raw, warehouse, log, pause_at=point)
    marker = wait_for_pause(proc, warehouse, point, log)
    evidence = _evidence(point, warehouse, proc.pid)
    dbt_processes = dbt_processes_of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    evidence["returncode"] = proc.returncode
    evidence["dbt_processes"] = len(dbt_processes)
    evidence["dbt_processes_left"] = len(still_running(dbt_processes, wait_seconds=10))
    marker.unlink()
    return evidence


def _evidence(point: str, warehouse: Path, pid: int) -> dict[str, object]:
    """What the killed run was doing: proof that the kill really fell inside the phase."""
    new_day_rows = pl.read_parquet(bronze_dir(warehouse) / "crawl_observations" / "*.parquet").filter(
        pl.col("file_path").str.starts_with(f"crawl/{NEW_DAY}/")
    )
    audited = pl.read_parquet(bronze_dir(warehouse) / "ingest_files" / "*.parquet").filter(
        pl.col("file_path").str.starts_with(f"crawl/{NEW_DAY}/")
    )
    return {
        "new_day_bronze_rows": new_day_rows.height,
        "new_day_audited": audited.height,
        "half_written_analyst_db": (warehouse / f"analyst.duckdb.new-{pid}").exists(),
        # without it the next build is a --full-refresh (pipeline.build_args)
        "fingerprint_recorded": (warehouse / "build" / "project_fingerprint.txt").exists(),
    }


@pytest.fixture(scope="module")
def story(tiny_raw: Path, tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> CrashStory:
    root = tmp_path_factory.mktemp("crash")
    raw = link_tree(tiny_raw, root / "raw")
    add_crawl_day(raw, NEW_LISTINGS)  # new data: each killed run has real work to lose
    warehouse = copy_warehouse(tiny_warehouse, root / "warehouse")
    db = analyst_db_path(warehouse)
    digest_before, counts_before = file_digest(db), published_counts(db)
    crashes: dict[str, Crash] = {}
    for point in KILL_POINTS:
        evidence = _kill_at(point, raw, warehouse, root)
        crashes[point] = Crash(file_digest(db), published_counts(db), evidence)
    final_log = root / "final.log"
    final = start_run(raw, warehouse, final_log)
    try:
        final.wait(timeout=600)
    except subprocess.TimeoutExpired:
        final.kill()
        raise
    leftovers = sorted(p.name for p in warehouse.iterdir() if ".new-" in p.name or ".old-" in p.name)
    return CrashStory(
        digest_before,
        counts_before,
        crashes,
        final.returncode,
        final_log.read_text(),
        published_counts(db),
        leftovers,
    )


def test_each_kill_fell_inside_its_phase(story: CrashStory) -> None:
    ingest = story.crashes["ingest"].evidence
    # bronze of the new day written, audit not yet: the window the orphan clean-up exists for
    assert ingest["new_day_bronze_rows"] == NEW_LISTINGS
    assert ingest["new_day_audited"] == 0
    dbt = story.crashes["dbt"].evidence
    assert dbt["new_day_audited"] == 1  # this run's ingest completed before dbt started
    # a build stopped half-way leaves no fingerprint: the next run rebuilds the incremental state
    assert dbt["fingerprint_recorded"] is False
    assert story.crashes["publish"].evidence["fingerprint_recorded"] is True
    assert story.crashes["publish"].evidence["half_written_analyst_db"] is True
    assert {c.evidence["returncode"] for c in story.crashes.values()} == {-signal.SIGKILL}
    # dbt's process (dbt_process.py) runs from the start of the run to the end of the build, and
    # dies with the run: the next run finds the build database unlocked
    assert {p: c.evidence["dbt_processes"] for p, c in story.crashes.items()} == {
        "ingest": 1,
        "dbt": 1,
        "publish": 0,
    }
    assert {c.evidence["dbt_processes_left"] for c in story.crashes.values()} == {0}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_run_leaves_the_previous_database(story: CrashStory, point: str) -> None:
    crash = story.crashes[point]
    assert crash.digest_after == story.digest_before
    assert crash.counts_after == story.counts_before
    assert set(REQUIRED_TABLES) <= set(crash.counts_after)
    assert crash.counts_after["fct_listings"] > 0


def test_next_run_completes_and_publishes_the_new_day(story: CrashStory) -> None:
    assert story.final_returncode == 0, story.final_log[-3000:]
    before, after = story.counts_before, story.counts_final
    assert set(after) == set(before)
    assert after["fct_listings"] == before["fct_listings"] + NEW_LISTINGS
    # the new crawl file is audited once, although two killed runs had read it before
    assert after["audit_ingest_files"] == before["audit_ingest_files"] + 1
    assert story.leftovers_final == []


def test_previous_database_stays_openable_by_readers(story: CrashStory, tiny_warehouse: Path) -> None:
    # the session warehouse the copies came from is untouched by all of this
    with duckdb.connect(str(analyst_db_path(tiny_warehouse)), read_only=True) as con:
        rows = con.execute("select count(*) from fct_listings").fetchone()[0]
    assert rows == story.counts_before["fct_listings"]
