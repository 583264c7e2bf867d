"""A run's processes end without the interpreter's final garbage collection (cli.main and the
validation process, validate.skip_collection_at_exit): a 1M daily run spent ~1.6 s of ~14 s in it.

The marker: an unreachable reference cycle whose finalizer writes a file. The final collection
finds the cycle and runs the finalizer; with the collection skipped, the file never appears. Each
test also runs the same process the old way and sees the file, so the marker does show a collection.
"""

from __future__ import annotations

import importlib.metadata
import multiprocessing as mp
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from waybill_watch.ingest import validate


def _garbage_cycle_code(marker: Path) -> str:
    """Python source that leaves a cycle whose finalizer appends to `marker` when collected.
    Automatic collections are turned off, so only the final one can find the cycle; the finalizer
    keeps its own `open`, as the final collection may come after builtins are torn down."""
    return (
        "import gc\n"
        "gc.disable()\n"
        "class Finalized:\n"
        "    def __del__(self, _open=open):\n"
        f"        _open({str(marker)!r}, 'a').write('collected\\n')\n"
        "cycle = Finalized()\n"
        "cycle.itself = cycle\n"
        "del cycle\n"
    )


def _cli_process(marker: Path, entry: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"exec({_garbage_cycle_code(marker)!r}, {{}})\n"
        f"from waybill_watch.cli import {entry}\n"
        "sys.argv = ['waybill-watch', '--help']\n"
        f"{entry}()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_command_is_cli_main() -> None:
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="waybill-watch")
    assert script.value == "waybill_watch.cli:main"


def test_the_cli_process_leaves_its_objects_to_the_operating_system(tmp_path: Path) -> None:
    with_main, with_app = tmp_path / "main.txt", tmp_path / "app.txt"
    main_run = _cli_process(with_main, "main")
    app_run = _cli_process(with_app, "app")
    for finished in (main_run, app_run):
        assert finished.returncode == 0, finished.stderr
        assert "waybill-watch" in finished.stdout  # the help was printed in full
    assert not with_main.exists()
    assert with_app.read_text() == "collected\n"


def test_the_validation_process_leaves_its_objects_to_the_operating_system(tmp_path: Path) -> None:
    in_validation, in_plain = tmp_path / "validation.txt", tmp_path / "plain.txt"
    try:
        validate._submit(exec, _garbage_cycle_code(in_validation), {}).result(timeout=120)
        assert validate._process is not None
        validate._process.shutdown(wait=True)
    finally:
        validate._process = None  # the next validation starts a process anew
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as plain:
        plain.submit(exec, _garbage_cycle_code(in_plain), {}).result(timeout=120)
    assert not in_validation.exists()
    assert in_plain.read_text() == "collected\n"
