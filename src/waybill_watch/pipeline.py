"""`waybill-watch run` (SPEC §2, §10): ingest → dbt build (models and tests) → publish.

Each step raises `WaybillWatchError` with a one-line reason; a failure before publish's final
rename leaves the previously published analyst database as it was.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from waybill_watch.config import PROJECT_ROOT, bronze_dir, build_db_path
from waybill_watch.dbt_process import DbtProcess, started_dbt
from waybill_watch.dbt_runner import NO_WRITE_JSON
from waybill_watch.errors import WaybillWatchError
from waybill_watch.faultpoints import pause_if_requested
from waybill_watch.privacy import pseudonym_key
from waybill_watch.publish import PublishSummary, publish


@dataclass
class RunSummary:
    raw_dir: Path
    warehouse_dir: Path
    ingest: Any
    dbt_nodes: int
    published: PublishSummary
    seconds: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        timings = ", ".join(f"{step} {secs:.1f}s" for step, secs in self.seconds.items())
        return (
            f"ingest: {self.ingest}\n"
            f"dbt build: {self.dbt_nodes} nodes passed\n"
            f"{self.published}\n"
            f"timings: {timings}"
        )

    def __rich__(self) -> str:
        # the CLI prints the summary with Rich, which would otherwise show the dataclass repr
        return str(self)


def run_pipeline(raw_dir: Path, warehouse_dir: Path, strict: bool = False) -> RunSummary:
    """Ingest RAW into WAREHOUSE/bronze, build and test the dbt project, publish the analyst database."""
    raw_dir = Path(raw_dir).resolve()
    warehouse_dir = Path(warehouse_dir).resolve()
    if not raw_dir.is_dir():
        raise WaybillWatchError(
            f"raw directory {raw_dir} does not exist: pass --raw-dir RAW (SPEC §3 layout)"
        )
    from waybill_watch.ingest import ingest_raw

    if strict:
        # refuse the demo key before any progress output or directory: the one-line message stays alone
        pseudonym_key(strict=True)
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    # dbt imports and parses the project in its own process while ingest reads files (dbt_process.py)
    with started_dbt(warehouse_dir) as dbt, _progress() as progress:
        step = progress.add_task("ingest", total=None)
        started = time.perf_counter()
        # the validation of the new bronze may go on beside dbt (it gates nothing); its Data Docs
        # are written before publish
        ingest_summary = ingest_raw(raw_dir, warehouse_dir, strict=strict, validate_in_background=True)
        seconds["ingest"] = time.perf_counter() - started
        progress.update(step, total=1, completed=1)
        nodes, published = _build_and_publish(
            warehouse_dir, dbt, progress, seconds, before_publish=ingest_summary.wait_for_validation
        )
    return RunSummary(raw_dir, warehouse_dir, ingest_summary, nodes, published, seconds)


def build_and_publish(warehouse_dir: Path) -> tuple[int, PublishSummary]:
    """The steps after ingest: `dbt build` on the bronze already in WAREHOUSE, then publish.
    Returns the number of dbt nodes that passed and the publish summary."""
    warehouse_dir = Path(warehouse_dir).resolve()
    with started_dbt(warehouse_dir) as dbt, _progress() as progress:
        return _build_and_publish(warehouse_dir, dbt, progress, {})


def _build_and_publish(
    warehouse_dir: Path,
    dbt: DbtProcess,
    progress: Progress,
    seconds: dict[str, float],
    before_publish: Callable[[], None] | None = None,
) -> tuple[int, PublishSummary]:
    step = progress.add_task("dbt build", total=None)
    started = time.perf_counter()
    nodes = _build(warehouse_dir, dbt, progress, step)
    seconds["dbt build"] = time.perf_counter() - started
    if before_publish is not None:
        started = time.perf_counter()
        before_publish()
        seconds["validation wait"] = time.perf_counter() - started

    step = progress.add_task("publish", total=None)
    started = time.perf_counter()

    def on_table(name: str) -> None:
        progress.advance(step)
        pause_if_requested("publish", warehouse_dir)  # test hook (faultpoints.py): no-op unless set

    published = publish(warehouse_dir, on_table=on_table)
    seconds["publish"] = time.perf_counter() - started
    progress.update(step, total=len(published.row_counts), completed=len(published.row_counts))
    return nodes, published


def _build(warehouse_dir: Path, dbt: DbtProcess, progress: Progress, step: TaskID) -> int:
    finished = 0

    def on_node_finished() -> None:
        nonlocal finished
        finished += 1
        progress.update(step, completed=finished, description=f"dbt build ({finished} nodes)")
        pause_if_requested("dbt", warehouse_dir)  # test hook (faultpoints.py): no-op unless set

    args = build_args(warehouse_dir)
    vacuum = vacuums_at_close(warehouse_dir, daily=FULL_REFRESH not in args)
    feed_digests = {tag: feed_bronze_digest(warehouse_dir, tag) for tag in FEED_TAGS}
    # A build that stops half-way (a failed test, a kill) leaves the incremental state of some models
    # ahead of others: without the fingerprint, the next run rebuilds everything from bronze.
    _fingerprint_file(warehouse_dir).unlink(missing_ok=True)
    for tag in FEED_TAGS:
        _feed_bronze_file(warehouse_dir, tag).unlink(missing_ok=True)
    dbt.build(args, vacuum, on_node_finished)
    _record_build(warehouse_dir, vacuumed=vacuum)
    for tag, digest in feed_digests.items():
        _feed_bronze_file(warehouse_dir, tag).write_text(digest)
    _fingerprint_file(warehouse_dir).write_text(project_fingerprint())
    progress.update(step, total=finished, completed=finished)
    return finished


# A daily build's closing checkpoint vacuums (compacts the row groups its deletes left) on every
# VACUUM_EVERY-th daily build, not each day: the vacuum rewrites the listing tables nearly whole
# whichever share of their rows was deleted, so one vacuum after several days costs about what one
# day's does (100M: 1.28 s after four days without, 0.9-1.6 s after one; a close without it 0.2-0.3 s).
# The deleted rows of up to a week (~0.9M in each listing table, whose live rows are 1.28M) stay on
# disk meanwhile: the 100M build file grew 41-50 MB a day until the first vacuum, then kept its size,
# the days re-using the blocks a vacuum frees (docs/marts.md). A full build always vacuums.
VACUUM_EVERY = 7
FULL_REFRESH = "--full-refresh"


def vacuums_at_close(warehouse_dir: Path, daily: bool) -> bool:
    return not daily or _daily_builds_since_vacuum(warehouse_dir) + 1 >= VACUUM_EVERY


def _daily_builds_since_vacuum(warehouse_dir: Path) -> int:
    recorded = _vacuum_file(warehouse_dir)
    text = recorded.read_text().strip() if recorded.exists() else ""
    return int(text) if text.isdigit() else 0


def _record_build(warehouse_dir: Path, vacuumed: bool) -> None:
    count = 0 if vacuumed else _daily_builds_since_vacuum(warehouse_dir) + 1
    _vacuum_file(warehouse_dir).write_text(f"{count}\n")


def _vacuum_file(warehouse_dir: Path) -> Path:
    return warehouse_dir / "build" / "daily_builds_since_vacuum.txt"


# What the incremental models' state depends on besides bronze: a change here rebuilds everything.
_PROJECT_INPUTS = ("models", "macros", "seeds", "dbt_project.yml")


def project_fingerprint() -> str:
    """SHA-256 over the dbt project's models, macros, seeds and dbt_project.yml (paths and bytes)."""
    digest = hashlib.sha256()
    for name in _PROJECT_INPUTS:
        root = PROJECT_ROOT / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in paths:
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _fingerprint_file(warehouse_dir: Path) -> Path:
    return warehouse_dir / "build" / "project_fingerprint.txt"


# Feeds whose models a daily build leaves out when none of their bronze files changed since the last
# successful build: tag (dbt_project.yml) → the bronze tables its models read. Besides those tables
# the tagged models read only seeds and the append-only text dictionaries, whose rows never change
# once written (tests/python/test_conventions.py checks both tags), so unchanged bronze means
# unchanged output: the cases and incidents (`enforcement_feeds`), and the register of sites
# (`sites_feed`: its staging and int_sites_registered).
FEED_TAGS = {"enforcement_feeds": ("cases", "incidents"), "sites_feed": ("sites",)}


def feed_bronze_digest(warehouse_dir: Path, tag: str) -> str:
    """SHA-256 over the names, sizes and modification times of the bronze files of `tag`'s feeds."""
    digest = hashlib.sha256()
    for table in FEED_TAGS[tag]:
        folder = bronze_dir(warehouse_dir) / table
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            stat = path.stat()
            digest.update(f"{table}/{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _feed_bronze_file(warehouse_dir: Path, tag: str) -> Path:
    return warehouse_dir / "build" / f"{tag}_bronze.txt"


def _feed_bronze_unchanged(warehouse_dir: Path, tag: str) -> bool:
    recorded = _feed_bronze_file(warehouse_dir, tag)
    return recorded.exists() and recorded.read_text() == feed_bronze_digest(warehouse_dir, tag)


# The tag of data tests a daily build leaves out because other tests it runs imply them (build_args).
IMPLIED_BY_KEY_TESTS = "implied_by_key_tests"


def build_args(warehouse_dir: Path) -> list[str]:
    """The daily `dbt build`: models, seeds and data tests, incremental on the build database.

    Unit tests (the normalization vectors on fixed inputs) test code, not data: they run in
    `make test` (tests/python/test_staging_build.py, conftest's hand_warehouse), not every day.
    The incremental models keep state derived by the code that built it: when the project's
    models, macros, seeds or settings changed since the last successful build (or no fingerprint
    was recorded, or there is no build database yet), the build is a `--full-refresh`. Otherwise
    the seeds, and the models built from seeds alone (tag `seed_only`, the reference dimensions),
    are as the last build left them: they and their own tests are left out, as most of a daily
    run is dbt's per-node overhead. Likewise the models of a feed tag (FEED_TAGS: `enforcement_feeds`,
    the cases and incidents: staging, normalization, de-duplication, fct_cases, fct_incidents and
    their marts; `sites_feed`, the register of sites) are left out, with their tests, when no bronze
    file of those feeds changed since the last successful build: a day's crawl cannot change them.
    A full build also leaves out the tests tagged `crawl_batch`: they check the rows of the load
    batch in the views stg_crawl__observations and int_observations_enriched, which on a full build
    is every bronze row, re-derived per test (~8 min at 100M rows); int_observations_deduplicated's
    tests check the same columns on every row kept.
    A daily build leaves out the tests tagged `implied_by_key_tests` (IMPLIED_BY_KEY_TESTS): tests
    whose finding other tests of the same build would already make (int_observations_enriched's
    primary key, implied by staging's and by those of the relations it joins; its docs say why).
    A daily build does not write manifest.json: dbt writes it twice per build (after the parse and
    after the run, ~0.4 s each at 100M observations, session 25), and a daily build runs only when
    the project is the one the last full build parsed (the fingerprint), whose manifest.json stays;
    run_results.json is still written (dbt_runner.run_dbt)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    fingerprint = _fingerprint_file(warehouse_dir)
    current = (
        build_db_path(warehouse_dir).exists()
        and fingerprint.exists()
        and fingerprint.read_text() == project_fingerprint()
    )
    if current:
        # cautious: a test is left out only when all the nodes it reads are (the relationships
        # tests from the data models to the dimensions still run); dbt's default leaves out a test
        # when any of them is
        excluded = ["resource_type:seed", "tag:seed_only"]
        excluded += [f"tag:{tag}" for tag in FEED_TAGS if _feed_bronze_unchanged(warehouse_dir, tag)]
        excluded.append(f"tag:{IMPLIED_BY_KEY_TESTS}")
        args += ["--exclude", *excluded, "--indirect-selection", "cautious", NO_WRITE_JSON]
    else:
        args += [FULL_REFRESH, "--exclude", "tag:crawl_batch"]
    return args


def _progress() -> Progress:
    # progress goes to stderr so that stdout carries only the summary
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
