"""Bounded memory in ingest: the row-hash cache gives the same answers after eviction, and the
frames kept for the run (GX sample) are copies, equal to what they were cut from."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from waybill_watch.ingest import store
from waybill_watch.ingest.store import BronzeStore, digests
from waybill_watch.ingest.validate import compacted


def _hashes(day: dt.date, n: int, start: int = 0) -> list[str]:
    return [hashlib.md5(f"{day}-{i}".encode()).hexdigest() for i in range(start, start + n)]


def test_row_hashes_are_the_same_after_eviction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "ROW_HASH_CACHE", 1)
    bronze = BronzeStore(tmp_path)
    bronze.ensure_layout()
    days = [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)]
    written: dict[dt.date, list[str]] = {}
    for n, day in enumerate(days):
        for part in range(2):  # two files per date: the second one joins a cached date
            assert set(bronze.known_row_hashes("crawl", day).to_list()) == set(
                digests(pl.Series(written.get(day, []), dtype=pl.String)).to_list()
            )
            hashes = _hashes(day, 5, start=5 * part)
            frame = pl.DataFrame({"row_hash": hashes, "crawl_folder_date": [day] * len(hashes)})
            path = bronze.write_feed_file("crawl", f"{n}{part}".ljust(64, "0"), frame)
            bronze.register_feed_file("crawl", day, path, frame.get_column("row_hash"))
            written.setdefault(day, []).extend(hashes)
    for day in [*days, *reversed(days)]:  # every look-up but one misses the one-date cache
        known = bronze.known_row_hashes("crawl", day)
        assert known.dtype == pl.Binary
        assert sorted(known.to_list()) == sorted(bytes.fromhex(h) for h in written[day])
    bronze.close()


def test_compacted_frame_equals_its_source() -> None:
    frame = pl.DataFrame(
        {
            "row_hash": _hashes(dt.date(2025, 1, 1), 1000),
            "url": [f"https://example.com/listing/{i}/" + "x" * 40 for i in range(1000)],
            "line_no": list(range(1000)),
            "when": [dt.date(2025, 1, 1)] * 1000,
        }
    )
    picked = frame.filter(pl.col("row_hash") < "1")
    assert picked.height
    assert_frame_equal(compacted(picked), picked)


def test_a_staged_file_on_another_file_system_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's staged bronze file is renamed into bronze; across file systems (EXDEV) it is
    copied (and the staged one removed); any other failure of the rename is raised."""
    bronze = BronzeStore(tmp_path / "warehouse")
    bronze.ensure_layout()
    frame = pl.DataFrame({"row_hash": _hashes(dt.date(2025, 1, 1), 3)})
    rename = os.replace
    failure = {"errno": errno.EXDEV}

    def rename_failing_for_staged(source: Path, target: Path) -> None:
        if Path(source).name.startswith("staged"):
            raise OSError(failure["errno"], "simulated")
        rename(source, target)

    monkeypatch.setattr(store.os, "replace", rename_failing_for_staged)
    staged = tmp_path / "staged-1.parquet"
    frame.write_parquet(staged)
    path = bronze.adopt_feed_file("crawl", "a" * 64, staged)
    assert path == bronze.feed_file_path("crawl", "a" * 64) and not staged.exists()
    assert_frame_equal(pl.read_parquet(path), frame)
    failure["errno"] = errno.EACCES
    staged = tmp_path / "staged-2.parquet"
    frame.write_parquet(staged)
    with pytest.raises(PermissionError):
        bronze.adopt_feed_file("crawl", "b" * 64, staged)
    assert staged.exists() and not bronze.feed_file_path("crawl", "b" * 64).exists()
