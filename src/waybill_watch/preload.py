"""Import slow modules in a background thread while this process does other work.

great_expectations takes seconds to import and dbt about two: a daily run is ~20 s, so both are
imported while ingest reads files (polars and gzip release the GIL while they work)."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading


def _import_quietly(name: str) -> None:
    # a failed import is retried, and its error raised, where the module is used
    with contextlib.suppress(Exception):
        importlib.import_module(name)


def import_in_background(*names: str) -> None:
    """Start importing each module not imported yet, one daemon thread per module."""
    for name in names:
        if name not in sys.modules:
            threading.Thread(target=_import_quietly, args=(name,), daemon=True).start()
