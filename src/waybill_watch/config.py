"""Paths and settings shared by every stage, read from the environment once."""

from __future__ import annotations

import os
from pathlib import Path

WAREHOUSE_ENV = "WAYBILL_WATCH_WAREHOUSE_DIR"
PSEUDONYM_KEY_ENV = "WAYBILL_WATCH_PSEUDONYM_KEY"
# Documented in README ("Privacy"): only for demos and tests; `--strict` refuses it.
DEMO_PSEUDONYM_KEY = "waybill-watch-demo-key-not-secret"

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def warehouse_dir(explicit: Path | None = None) -> Path:
    """The warehouse directory: the explicit option, else the env var, else `warehouse/`."""
    if explicit is not None:
        return explicit.resolve()
    return Path(os.environ.get(WAREHOUSE_ENV, "warehouse")).resolve()


def bronze_dir(warehouse: Path) -> Path:
    return warehouse / "bronze"


def analyst_db_path(warehouse: Path) -> Path:
    return warehouse / "analyst.duckdb"


def build_db_path(warehouse: Path) -> Path:
    return warehouse / "build" / "waybill_watch.duckdb"


def build_db_config(warehouse: Path) -> dict[str, str]:
    """DuckDB settings to open the build database outside dbt: its staging views read bronze files
    by paths relative to the warehouse directory (dbt's working directory, profiles.yml)."""
    return {"file_search_path": str(warehouse.resolve())}
