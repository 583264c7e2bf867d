"""Wall time, CPU time and peak memory of one command, measured from outside.

Peak memory is the largest sum of resident set sizes over the command's whole process tree
(reader workers included), sampled every 50 ms; CPU time is user + system time of every
descendant process, from the kernel's accounting of waited-for children.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measurement:
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    exit_code: int
    timed_out: bool
    log: str

    def as_dict(self) -> dict:
        return asdict(self)


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    args: list[str], log: Path, env: dict[str, str] | None = None, timeout_s: float | None = None
) -> Measurement:
    """Run `args` to completion (or until `timeout_s`, then kill its process group), its output
    to `log`; raises nothing: the exit code is kept (-9 and `timed_out` when killed)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    done = threading.Event()
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        watched = psutil.Process(child.pid)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    peak = max(peak, _tree_rss(watched))
                except psutil.NoSuchProcess:
                    return
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timed_out = False
        try:
            code = child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(child.pid, signal.SIGKILL)
            code = child.wait()
        done.set()
        sampler.join()
    wall = time.perf_counter() - started
    return Measurement(
        wall_s=round(wall, 2),
        cpu_s=round(_children_cpu() - cpu_before, 2),
        peak_rss_mib=round(peak / 2**20, 1),
        exit_code=code,
        timed_out=timed_out,
        log=str(log),
    )
