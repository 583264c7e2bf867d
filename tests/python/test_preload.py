"""preload.defer_imports: a deferred module runs none of its code until an attribute is read, then
is the real module (the validation process defers what GX imports and never uses: validate.py)."""

from __future__ import annotations

import subprocess
import sys

# colorsys: a standard-library module nothing imports at start-up; its code runs once, on first use
DEFERRED_THEN_USED = """
import sys
from waybill_watch.preload import defer_imports, is_deferred
assert 'colorsys' not in sys.modules
defer_imports('colorsys')
import colorsys
from colorsys import rgb_to_hsv as early  # binds the stand-in's attribute: imports for real
assert not is_deferred('colorsys')
real = sys.modules['colorsys']
assert real is not colorsys and real.__file__.endswith('colorsys.py')
assert colorsys.hls_to_rgb(0.0, 0.5, 1.0) == (1.0, 0.0, 0.0)  # the stand-in reads from the real module
assert early is real.rgb_to_hsv
print('ok')
"""

NEVER_USED = """
import sys
from waybill_watch.preload import defer_imports, is_deferred
defer_imports('colorsys', 'os')  # os is imported at start-up already: left alone
import colorsys
assert is_deferred('colorsys') and not is_deferred('os')
print('ok')
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_deferred_module_is_imported_on_first_use() -> None:
    finished = _run(DEFERRED_THEN_USED)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "ok"


def test_a_deferred_module_never_used_is_never_imported() -> None:
    finished = _run(NEVER_USED)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "ok"
