"""Helpers shared by the crash-safety and concurrent-reader tests (issue 8): cheap copies of the
session's tiny landing zone and warehouse, one more crawl day, `waybill-watch run` as a real
subprocess, and a database's version as the row counts of its tables."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from landing import crawl_record, json_line, jsonl_bytes, land
from waybill_watch.faultpoints import PAUSE_ENV

CLI = Path(sys.executable).with_name("waybill-watch")
NEW_DAY = "2026-10-16"  # the day after the generated data ends (docs/generator.md)


def link_tree(source: Path, target: Path) -> Path:
    """A copy of a landing zone made of hard links: same bytes and mtimes, no data copied
    (landed files are immutable, SPEC §3, so sharing them is safe)."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)
    return target


def copy_warehouse(source: Path, target: Path) -> Path:
    """A private, writable copy of a built warehouse (the session fixture must stay untouched)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.tmp"))
    return target


def add_crawl_day(raw: Path, listings: int = 6, day: str = NEW_DAY) -> Path:
    """One more crawl day of a registered site: a new version of the published database."""
    records = [
        crawl_record(
            run_id=f"extra-{day}",
            fetched_at=f"{day}T10:{i:02d}:00+08:00",
            listing_id=f"EXTRA-{day}-{i}",
            url=f"https://xianyu.com/item/EXTRA-{day}-{i}",
            seller=f"extra-seller-{i}",
        )
        for i in range(listings)
    ]
    return land(raw / "crawl" / day / "extra.jsonl", jsonl_bytes([json_line(r) for r in records]), 10_000_000)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The version of a published database: every table's row count, read in one connection."""
    names = [n for (n,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
    return {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in names}


def published_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return table_counts(con)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_run(raw: Path, warehouse: Path, log: Path, pause_at: str | None = None) -> subprocess.Popen:
    """`waybill-watch run` in its own process; output to `log` (a pipe could fill and block it)."""
    env = dict(os.environ)
    env.pop(PAUSE_ENV, None)
    if pause_at:
        env[PAUSE_ENV] = pause_at
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(CLI), "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def wait_for_pause(
    proc: subprocess.Popen, warehouse: Path, point: str, log: Path, timeout: float = 300
) -> Path:
    """Block until the run sleeps at `point` (faultpoints.py wrote its marker with the run's pid)."""
    marker = warehouse / f".paused-{point}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text() == str(proc.pid):
            return marker
        if proc.poll() is not None:
            raise AssertionError(
                f"run ended ({proc.returncode}) before pausing at {point}: {log.read_text()[-2000:]}"
            )
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"run did not reach {point} within {timeout}s")


def _process_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a running process from /proc, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1])


def dbt_processes_of(run_pid: int) -> list[int]:
    """The pids of the dbt processes (src/waybill_watch/dbt_process.py) the run `run_pid` started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _process_stat(int(entry.name))
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if stat and stat[1] == run_pid and b"waybill_watch.dbt_process" in command:
            found.append(int(entry.name))
    return found


def still_running(pids: list[int], wait_seconds: float) -> list[int]:
    """Those of `pids` still running (not ended, not a zombie) after waiting up to `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while True:
        running = [pid for pid in pids if (stat := _process_stat(pid)) and stat[0] not in {"Z", "X"}]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


READ_PAUSE_SECONDS = 0.02


def read_versions_until(db: Path, stop: Path, out: Path) -> None:
    """Reader loop run in its own process by the concurrent-reader test: open the analyst
    database read-only, read every table's row count in that one connection, close; one JSON
    line per read (or per error) to `out`, until `stop` exists (then one last read)."""
    import json

    with out.open("w") as sink:
        while True:
            last = stop.exists()
            try:
                with duckdb.connect(str(db), read_only=True) as con:
                    record = {"counts": table_counts(con)}
            except Exception as exc:  # every error counts: the test expects none
                record = {"error": f"{type(exc).__name__}: {exc}"}
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            if last:
                return
            # a read takes a few ms: without a pause the loop took a whole core from the run it watches
            time.sleep(READ_PAUSE_SECONDS)


def start_reader(db: Path, stop: Path, out: Path) -> subprocess.Popen:
    code = (
        "import sys; from pathlib import Path; from fault_tools import read_versions_until as r; "
        "r(*map(Path, sys.argv[1:]))"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-c", code, str(db), str(stop), str(out)], env=env)
