"""A run with a few landed files (a daily delivery) reads its groups in threads
(ingest/run.py `process_in_order`): the result is the sequential one, and the threads share
no DuckDB connection (one runs a query at a time and refuses a second caller). A run with many
files reads them in worker processes, which write each file's bronze Parquet file for the
ingest process to move into bronze: the same rows, and no file left behind."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from landing import crawl_record, json_line, jsonl_bytes, land
from waybill_watch.ingest import boundary, run, validate
from waybill_watch.ingest.discover import discover_files
from waybill_watch.ingest.validate import BronzeValidator

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


def _bronze(
    groups: list[list], workers: int, spill_dir: Path, staged: list[Path] | None = None
) -> list[pl.DataFrame]:
    frames = []
    for result in run.process_in_order(groups, KEY, workers, spill_dir):
        assert result.outcomes[0][0] == "parsed"
        if staged is not None:
            assert result.bronze is None and result.staged is not None and result.keys is not None
            staged += result.staged.values()
        frames.append(run.bronze_rows(result))
    return frames


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
    staged: list[Path] = []
    in_processes = _bronze(four_groups, workers=2, spill_dir=spill_dir, staged=staged)
    assert len(staged) == 4 and all(path.parent == spill_dir for path in staged)
    for one, other in zip(sequential, in_processes, strict=True):
        assert one.height == 20_000
        assert_frame_equal(one, other)
    assert not spill_dir.exists()


def test_a_staged_group_with_a_duplicate_loads_the_rest(four_groups: list[list], tmp_path: Path) -> None:
    """A worker's group whose rows are partly in bronze already: its staged files are read back,
    the duplicates dropped and the rest written; the same bronze and audit as without workers."""
    first, second = four_groups[0], [four_groups[0][0], four_groups[1][0]]
    outcomes = {}
    for name, stage in (("in memory", False), ("staged", True)):
        ingest = run._Run(tmp_path / "raw", tmp_path / name, KEY)
        ingest.store.ensure_layout()
        spill_dir = tmp_path / name / "spill"
        spill_dir.mkdir()
        for group in (first, second):
            result = run.process_group("crawl", group, KEY)
            if stage:
                result = run.stage_in_worker(result, spill_dir)
                assert result.staged is not None
            ingest.ingest_group(group, result)
        ingest.store.close()
        written = sorted((tmp_path / name / "bronze" / "crawl_observations").glob("[!_]*.parquet"))
        assert len(written) == 2
        bronze = pl.read_parquet(written)
        audit = [(r["rows_read"], r["rows_loaded"], r["rows_duplicate"]) for r in ingest.audit_rows]
        outcomes[name] = (bronze.sort("file_path", "line_no"), audit)
        assert not list(spill_dir.iterdir())
    expected_audit = [(20_000, 20_000, 0), (20_000, 0, 20_000), (20_000, 20_000, 0)]
    assert outcomes["staged"][1] == outcomes["in memory"][1] == expected_audit
    assert_frame_equal(outcomes["staged"][0], outcomes["in memory"][0])


def test_a_workers_sample_bound_keeps_the_gx_sample_exact(four_groups: list[list], tmp_path: Path) -> None:
    """A worker sends back only the rows below the sample's bound when its group was sent: the
    run's GX sample is the same bottom 20,000 of the 80,000 rows as when every row is offered."""
    every_row = BronzeValidator(tmp_path / "a", "run")
    bounded = BronzeValidator(tmp_path / "b", "run")
    sent = []
    for group in four_groups:
        bronze = run.process_group("crawl", group, KEY).bronze
        assert bronze is not None
        every_row.add("crawl", bronze.drop("_file"))
        staged = run.stage_in_worker(
            run.GroupResult("crawl", [], bronze), tmp_path, bounded.threshold.get("crawl")
        )
        assert staged.sample is not None
        sent.append(staged.sample.height)
        bounded.add("crawl", staged.sample)
    assert sent[:3] == [20_000] * 3 and sent[3] < 20_000 / 2
    final = [validate._bottom_k(v.pending["crawl"]).sort("row_hash") for v in (every_row, bounded)]
    assert final[0].height == validate.SAMPLE_ROWS
    assert_frame_equal(final[0], final[1])
