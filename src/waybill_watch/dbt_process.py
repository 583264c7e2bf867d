"""`dbt build` in a process of its own, started before ingest: dbt's import and its parse of the
project happen while ingest reads files, and hold no lock the ingest needs.

In a thread of the run's process, dbt's import held the GIL that ingest's reading threads need
(~1.3 CPU s alone, 3.6 s of samples under contention in a 100M daily run), and dbt's start (its
parse, ~1 s) waited for ingest to end. Here the process imports dbt and parses the project at once
(the parse reads the project, not the data), then waits for the build's arguments, decided after
ingest (pipeline.build_args reads the bronze ingest wrote), and builds with the parsed manifest.

The run talks to it over two pipes. The run writes one JSON line to the process's stdin,
`{"args": [...], "vacuum": bool}`, or closes it (nothing to build: the process ends). The process
writes JSON lines to its events pipe: `{"event": "node_finished"}` per dbt node, and last
`{"event": "done", "success": bool, "failure": str}`. dbt's own log goes to the run's stdout and
stderr, as when dbt ran in the run's process. The process dies with the run (Linux's parent-death
signal): a killed run leaves no build going on that holds the build database.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from waybill_watch.dbt_runner import dbt_failed

NODE_FINISHED = "node_finished"
DONE = "done"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class DbtProcess:
    """The run's side of a started dbt process (`started_dbt`)."""

    def __init__(self, process: subprocess.Popen, events: IO[str]) -> None:
        self._process = process
        self._events = events

    @property
    def pid(self) -> int:
        return self._process.pid

    def build(self, args: list[str], vacuum: bool, on_node_finished: Callable[[], None]) -> None:
        """Run `dbt <args>` with the parsed project; calls `on_node_finished` as each node ends.
        Raises WaybillWatchError naming the failing nodes (or why the process ended)."""
        request = json.dumps({"args": args, "vacuum": vacuum}) + "\n"
        try:
            self._process.stdin.write(request)
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # the process ended early: its events (or their absence) say why
        for line in self._events:
            message = json.loads(line)
            if message["event"] == NODE_FINISHED:
                on_node_finished()
            elif message["event"] == DONE:
                self._process.wait()
                if not message["success"]:
                    raise dbt_failed(args, message["failure"])
                return
        code = self._process.wait()
        raise dbt_failed(args, f"the dbt process ended with exit code {code}")


@contextmanager
def started_dbt(warehouse_dir: Path) -> Iterator[DbtProcess]:
    """Start the dbt process for `warehouse_dir`; it imports dbt and parses the project meanwhile.
    Leaving the block ends the process if `build` was not called or did not finish."""
    read_end, write_end = os.pipe()
    try:
        command = [sys.executable, "-m", "waybill_watch.dbt_process", str(warehouse_dir)]
        process = subprocess.Popen(
            [*command, str(write_end), str(os.getpid())],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            text=True,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as events:
        try:
            yield DbtProcess(process, events)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()


def _die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when the run's process ends (a killed run must not leave a build
    holding the build database's lock)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the run ended before the signal was set
        os._exit(1)


class _Events:
    """The events pipe, written from dbt's threads one whole line at a time."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: str, **fields: object) -> None:
        with self._lock:
            self._stream.write(json.dumps({"event": event, **fields}) + "\n")
            self._stream.flush()


def _parse(warehouse_dir: Path):
    """The parsed project (dbt's Manifest), or the failed result."""
    from waybill_watch.dbt_runner import NO_WRITE_JSON, run_dbt

    # manifest.json is written by the build of a full refresh, after its run (pipeline.build_args);
    # quiet: the parse's log lines would fall in the middle of ingest's progress (errors still show)
    return run_dbt(["parse", NO_WRITE_JSON, "--quiet"], warehouse_dir, raise_on_failure=False)


def _serve(warehouse_dir: Path, events: _Events) -> None:
    from waybill_watch.dbt_runner import describe_failure, run_dbt
    from waybill_watch.faultpoints import hold_if_requested

    parsed = _parse(warehouse_dir)
    # dbt's modules and the parsed project live to the end: later collections need not walk them
    gc.freeze()
    line = sys.stdin.readline()
    if not line:
        return  # the run ended before its build: nothing to do
    if not parsed.success:
        events.send(DONE, success=False, failure=f"parse: {describe_failure(parsed)}")
        return
    request = json.loads(line)

    def on_event(event) -> None:
        if event.info.name == "NodeFinished":
            events.send(NODE_FINISHED)
            hold_if_requested("dbt")  # test hook (faultpoints.py): no-op unless set

    result = run_dbt(
        request["args"],
        warehouse_dir,
        callbacks=[on_event],
        raise_on_failure=False,
        vacuum=request["vacuum"],
        manifest=parsed.result,
    )
    failure = "" if result.success else describe_failure(result)
    events.send(DONE, success=bool(result.success), failure=failure)


def main(argv: list[str]) -> int:
    warehouse, events_fd, parent_pid = Path(argv[0]), int(argv[1]), int(argv[2])
    _die_with_parent(parent_pid)
    try:
        with os.fdopen(events_fd, "w", encoding="utf-8") as stream:
            events = _Events(stream)
            try:
                _serve(warehouse, events)
            except Exception as exc:  # the run raises it as a one-line error
                events.send(DONE, success=False, failure=f"{type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        # the interpreter's final collection would walk all of dbt's objects while the run waits for
        # this process to end (cli.main does the same)
        gc.freeze()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
