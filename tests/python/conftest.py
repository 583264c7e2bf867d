"""Session fixtures shared by the test modules: one tiny generated landing zone and one
warehouse built from it by the real pipeline (ingest → dbt build → publish).

`make test` runs the test files in two pytest-xdist workers; each worker builds its own session
fixtures in its own temporary directory (nothing is shared between the two processes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never use a real key; a fixed test key (not the demo key) keeps --strict paths testable.
os.environ.setdefault("WAYBILL_WATCH_PSEUDONYM_KEY", "test-key-for-pytest-only")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

TINY_SEED = 7


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RAW directory of the `tiny` scale, generated once per test session."""
    from waybill_watch.generate import generate_raw

    raw = tmp_path_factory.mktemp("tiny") / "raw"
    generate_raw(raw, scale="tiny", seed=TINY_SEED)
    return raw


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Warehouse directory after one full `waybill-watch run` on the tiny data."""
    from waybill_watch.pipeline import run_pipeline

    warehouse = tmp_path_factory.mktemp("tiny_warehouse")
    run_pipeline(tiny_raw, warehouse)
    return warehouse


@pytest.fixture(scope="session")
def hand_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Warehouse built by `dbt build` on the hand-written bronze of hand_scenario.py (no ingest)."""
    from hand_scenario import write_hand_bronze
    from waybill_watch.dbt_runner import run_dbt

    warehouse = tmp_path_factory.mktemp("hand_warehouse")
    write_hand_bronze(warehouse / "bronze")
    run_dbt(["build"], warehouse)
    return warehouse
