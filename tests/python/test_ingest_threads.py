"""A run with a few landed files (a daily delivery) reads its groups in threads
(ingest/run.py `process_in_order`): the result is the sequential one, and the threads share
no DuckDB connection (one runs a query at a time and refuses a second caller). A run with many
files reads them in worker processes, whose rows come back through files: the same result, and
no file left behind."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from landing import crawl_record, json_line, jsonl_bytes, land
from waybill_watch.ingest import boundary, run
from waybill_watch.ingest.discover import discover_files

KEY = b"test-key-for-threads"


def test_each_thread_hashes_on_its_own_connection() -> None:
    seen: dict[str, object] = {}

    def remember(name: str) -> None:
        seen[name] = boundary._duckdb()
        assert boundary._duckdb() is seen[name]

    threads = [threading.Thread(target=remember, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["a"] is not seen["b"]


@pytest.fixture
def four_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list]:
    """Four crawl files of 20,000 rows, each its own group (so both threads hash at once)."""
    for day in range(4):
        records = [
            crawl_record(
                listing_id=f"L-{day}-{i}",
                fetched_at=f"2026-03-0{day + 1}T10:{i % 60:02d}:{i % 59:02d}+08:00",
                seller=f"seller_{i % 997}",
                price_text=f"{i % 50}元/条",
            )
            for i in range(20_000)
        ]
        path = tmp_path / "crawl" / f"2026-03-0{day + 1}" / "a.jsonl"
        land(path, jsonl_bytes([json_line(r) for r in records]), day)
    monkeypatch.setattr(run, "GROUP_BYTES", 1)
    groups = run.file_groups(discover_files(tmp_path))
    assert len(groups) == 4 and run.PARALLEL_MIN_FILES > 4
    return groups


def _bronze(groups: list[list], workers: int, spill_dir: Path) -> list[pl.DataFrame]:
    results = list(run.process_in_order(groups, KEY, workers, spill_dir))
    assert [r.outcomes[0][0] for r in results] == ["parsed"] * 4
    return [r.bronze for r in results]


def test_a_few_groups_in_threads_give_the_sequential_result(four_groups: list[list], tmp_path: Path) -> None:
    sequential = _bronze(four_groups, workers=1, spill_dir=tmp_path / "spill")
    for _ in range(3):
        threaded = _bronze(four_groups, workers=2, spill_dir=tmp_path / "spill")
        for one, other in zip(sequential, threaded, strict=True):
            assert one.height == 20_000
            assert_frame_equal(one, other)


def test_groups_in_worker_processes_give_the_sequential_result(
    four_groups: list[list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill_dir = tmp_path / "spill"
    sequential = _bronze(four_groups, workers=1, spill_dir=spill_dir)
    monkeypatch.setattr(run, "PARALLEL_MIN_FILES", 2)
    spilled: list[Path] = []
    received = run._received
    monkeypatch.setattr(run, "_received", lambda result: spilled.append(result.spilled) or received(result))
    in_processes = _bronze(four_groups, workers=2, spill_dir=spill_dir)
    assert len(spilled) == 4 and all(path.parent == spill_dir for path in spilled)
    for one, other in zip(sequential, in_processes, strict=True):
        assert one.height == 20_000
        assert_frame_equal(one, other)
    assert not spill_dir.exists()
