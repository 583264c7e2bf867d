"""Session fixtures shared by the test modules: one tiny generated landing zone and one
warehouse built from it by the real pipeline (ingest → dbt build → publish), and the warehouse of
the hand-written bronze.

`make test` runs the test files in pytest-xdist workers. Each session fixture is built once per
test run: the first worker to ask builds it in the run's shared temporary directory while the
others wait for it (a file lock). The tests only read them: a test that writes (a run, a build,
dbt's target files) works on a copy."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

# Tests never use a real key; a fixed test key (not the demo key) keeps --strict paths testable.
os.environ.setdefault("WAYBILL_WATCH_PSEUDONYM_KEY", "test-key-for-pytest-only")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

TINY_SEED = 7

# The files that take longest (seconds on a 2-core machine, whole files), run first: a worker
# that starts a long file last would run it alone at the end.
LONGEST_FILES = {
    "test_incremental_runs.py": 600,
    "test_incremental_marts.py": 200,
    "test_generated_truth.py": 190,
    "test_crash_safety.py": 140,
    "test_marts_hand_checked.py": 140,
    "test_generate.py": 100,
    "test_report.py": 80,
    "test_bench_baselines.py": 80,
    "test_privacy_sweep.py": 70,
    "test_concurrent_readers.py": 65,
    "test_publish.py": 60,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -LONGEST_FILES.get(item.path.name, 0))  # stable: file order kept


def built_once(
    name: str, factory: pytest.TempPathFactory, worker_id: str, build: Callable[[Path], None]
) -> Path:
    """The directory `name` after `build(directory)`, built once per test run."""
    if worker_id == "master":  # not under pytest-xdist
        directory = factory.mktemp(name)
        build(directory)
        return directory
    shared = factory.getbasetemp().parent  # the run's directory, above each worker's own
    directory, done = shared / name, shared / f"{name}.built"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(directory, ignore_errors=True)  # a half-built one, if its builder failed
            directory.mkdir()
            build(directory)
            done.touch()
    return directory


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """RAW directory of the `tiny` scale, generated once per test run."""
    from waybill_watch.generate import generate_raw

    tiny = built_once(
        "tiny", tmp_path_factory, worker_id, lambda d: generate_raw(d / "raw", "tiny", TINY_SEED)
    )
    return tiny / "raw"


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Warehouse directory after one full `waybill-watch run` on the tiny data."""
    from waybill_watch.pipeline import run_pipeline

    return built_once("tiny_warehouse", tmp_path_factory, worker_id, lambda d: run_pipeline(tiny_raw, d))


@pytest.fixture(scope="session")
def hand_warehouse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Warehouse built by `dbt build` on the hand-written bronze of hand_scenario.py (no ingest)."""

    def build(warehouse: Path) -> None:
        from hand_scenario import write_hand_bronze
        from waybill_watch.dbt_runner import run_dbt

        write_hand_bronze(warehouse / "bronze")
        run_dbt(["build"], warehouse)

    return built_once("hand_warehouse", tmp_path_factory, worker_id, build)
