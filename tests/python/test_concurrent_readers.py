"""Concurrent readers (issue 8, SPEC §7): while a run publishes a new analyst database, another
process keeps opening the published one read-only and reading every table's row count in one
connection. No read fails, and each read sees the old version or the new one, never a mix.

The two versions differ by one crawl day added to the landing zone (more listings, one more
audited file, more coverage rows), so a mixed read would show a count tuple that is neither.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fault_tools import add_crawl_day, copy_warehouse, link_tree, published_counts, start_reader
from waybill_watch.config import analyst_db_path
from waybill_watch.pipeline import run_pipeline

MIN_READS_BEFORE_RUN = 3


@pytest.fixture(scope="module")
def reads(tiny_raw: Path, tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("readers")
    raw = link_tree(tiny_raw, root / "raw")
    add_crawl_day(raw)
    warehouse = copy_warehouse(tiny_warehouse, root / "warehouse")
    db = analyst_db_path(warehouse)
    old = published_counts(db)
    stop, out = root / "stop", root / "reads.jsonl"
    reader = start_reader(db, stop, out)
    _wait_for_lines(out, MIN_READS_BEFORE_RUN, reader)
    run_pipeline(raw, warehouse)
    # keep reading the new version for a moment after the swap
    time.sleep(1.0)
    stop.touch()
    reader.wait(timeout=120)
    new = published_counts(db)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return old, new, records, reader.returncode


def _wait_for_lines(out: Path, n: int, reader) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and len(out.read_text().splitlines()) >= n:
            return
        assert reader.poll() is None, "the reader process ended early"
        time.sleep(0.05)
    raise AssertionError("the reader process produced no reads")


def test_the_two_versions_differ(reads) -> None:
    old, new, _records, _rc = reads
    assert new["fct_listings"] > old["fct_listings"]
    assert new["audit_ingest_files"] == old["audit_ingest_files"] + 1


def test_no_reader_error_and_no_mixed_version(reads) -> None:
    old, new, records, returncode = reads
    assert returncode == 0
    errors = [r["error"] for r in records if "error" in r]
    assert errors == []
    seen = [r["counts"] for r in records]
    mixed = [counts for counts in seen if counts not in (old, new)]
    assert mixed == []


def test_readers_saw_old_then_new(reads) -> None:
    old, new, records, _rc = reads
    assert records[-1]["counts"] == new
    versions = ["old" if r["counts"] == old else "new" for r in records]
    assert versions[0] == "old" and versions[-1] == "new"
    # a reader never goes back to the old version once the new one is in place
    first_new = versions.index("new")
    assert set(versions[first_new:]) == {"new"}
    assert len(versions) > MIN_READS_BEFORE_RUN
