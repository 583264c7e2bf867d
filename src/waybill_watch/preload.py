"""Import slow modules in a background thread while this process does other work, and defer
modules a library imports but this project never uses.

great_expectations takes seconds to import: a daily run is ~20 s, so a full load imports it while
ingest reads files (polars and gzip release the GIL while they work). dbt is imported by a process
of its own (dbt_process.py)."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from types import ModuleType


def _import_quietly(name: str) -> None:
    # a failed import is retried, and its error raised, where the module is used
    with contextlib.suppress(Exception):
        importlib.import_module(name)


def import_in_background(*names: str) -> None:
    """Start importing each module not imported yet, one daemon thread per module."""
    for name in names:
        if name not in sys.modules:
            threading.Thread(target=_import_quietly, args=(name,), daemon=True).start()


class _Deferred(ModuleType):
    """Stands in sys.modules for a module not imported yet: the first attribute read imports the
    real module (which then replaces it there) and reads the attribute from it."""

    def __getattr__(self, attribute: str) -> object:
        return getattr(_imported(self.__name__), attribute)


def _imported(name: str) -> ModuleType:
    if not is_deferred(name):
        return importlib.import_module(name)
    stand_in = sys.modules.pop(name)
    try:
        return importlib.import_module(name)
    except BaseException:
        sys.modules[name] = stand_in  # a failed import is retried on the next attribute read
        raise


def defer_imports(*names: str) -> None:
    """Until one of its attributes is read, `import name` of each module not imported yet gives a
    stand-in and runs none of the module's code. For a process with one importing thread: it
    leaves the import system's module locks alone."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)


def is_deferred(name: str) -> bool:
    """Whether `name` is still a stand-in of defer_imports (never imported for real)."""
    return isinstance(sys.modules.get(name), _Deferred)
