"""One ingest run: discover → read → required rules → de-duplicate → boundary → bronze,
quarantine and audit; GX checkpoints on the bronze frames; Data Docs."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import secrets
import shutil
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from waybill_watch import privacy
from waybill_watch.errors import WaybillWatchError
from waybill_watch.faultpoints import pause_if_requested
from waybill_watch.ingest.boundary import TO_BRONZE, Pseudonymizer, row_hashes, utc_now, with_file_columns
from waybill_watch.ingest.crawl import raw_lines, read_crawl_file, split_required
from waybill_watch.ingest.decode import FileRejected
from waybill_watch.ingest.discover import LandedFile, discover_files
from waybill_watch.ingest.parsed import QUARANTINE_ROWS_SCHEMA, ParsedFile
from waybill_watch.ingest.schemas import (
    AUDIT_SCHEMA,
    AUDIT_TABLE,
    CASE_FIELDS,
    CRAWL_FIELDS,
    INCIDENT_FIELDS,
    QUARANTINE_SCHEMA,
    QUARANTINE_TABLE,
    SITE_FIELDS,
)
from waybill_watch.ingest.store import BronzeStore, digests, write_parquet_atomically
from waybill_watch.ingest.tabular import read_csv_feed
from waybill_watch.ingest.validate import BronzeValidator, ValidationOutcome, gx_sample

HASHED_FIELDS = {
    "crawl": CRAWL_FIELDS,
    "incidents": INCIDENT_FIELDS,
    "cases": CASE_FIELDS,
    "sites": SITE_FIELDS,
}
# sites.csv: the latest landed version wins per site, so a row that re-appears in a later
# version must load again (it may revert an intermediate change): rows dedupe within a file only.
CROSS_FILE_DEDUP = {"crawl": True, "incidents": True, "cases": True, "sites": False}
# Files of one feed are read and crossed over the boundary in groups (landing order) of at most
# this many landed bytes or files: polars' fixed cost per operation is paid once per group.
GROUP_BYTES = 8 * 2**20
GROUP_FILES = 64
# Groups run in worker processes when a run has at least this many files to read.
PARALLEL_MIN_FILES = 32
GROUPS_IN_FLIGHT_PER_WORKER = 2
WORKER_ENVIRONMENT = {
    # One polars thread per worker: the workers are the parallelism.
    "POLARS_MAX_THREADS": "1",
    # Memory freed after a group is kept 10 s for the next groups before it goes back to the
    # system: each group builds its string buffers anew, and every page handed back is faulted
    # in again (the kernel's zeroing was ~20 % of the CPU). 9.8M rows (~55 groups) of the 100M
    # landing zone: 7.6M page faults (~0.5 GB a group), 60.7 s with 1,000 ms; 3.5M, 53.0–54.5 s with
    # 10,000 ms; peak of all processes 2,573 → 3,026–3,100 MiB (never: 3,828 MiB). The 10M
    # landing zone: 85.8 → 78.4 s, 1,425 → 1,553 MiB. (0 ms: 122 s against 91 s at 10M.)
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:10000,muzzy_decay_ms:10000",
    "MALLOC_ARENA_MAX": "2",
}
WORKERS_ENV = "WAYBILL_WATCH_INGEST_WORKERS"


def read_workers() -> int:
    """Reader processes: env WAYBILL_WATCH_INGEST_WORKERS, else one per core (at most 4)."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit():
        return int(configured)
    return min(4, os.cpu_count() or 1)


@dataclass
class IngestSummary:
    run_id: str
    raw_dir: Path
    warehouse_dir: Path
    files_found: int = 0
    files_already_ingested: int = 0
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    quarantine_path: Path | None = None
    restricted_path: Path | None = None
    data_docs: Path | None = None
    validations: list[ValidationOutcome] = field(default_factory=list)
    orphans_removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # the validation of `ingest_raw(..., validate_in_background=True)`, until wait_for_validation()
    pending_validation: Future | None = field(default=None, repr=False)

    def wait_for_validation(self) -> None:
        """Wait for the validation left running by ingest_raw; its Data Docs and outcomes are then
        in the summary, and an error it raised is raised here."""
        if self.pending_validation is not None:
            pending, self.pending_validation = self.pending_validation, None
            self.data_docs, self.validations = pending.result()

    def total(self, column: str, feed: str | None = None) -> int:
        return sum(r[column] for r in self.audit_rows if feed is None or r["feed"] == feed)

    @property
    def status_counts(self) -> Counter:
        return Counter(r["status"] for r in self.audit_rows)

    @property
    def rows_loaded(self) -> int:
        return self.total("rows_loaded")

    def __rich__(self) -> object:
        from rich.text import Text

        return Text(str(self))  # plain text: file names may hold [brackets]

    def __str__(self) -> str:
        counts = self.status_counts
        by_status = ", ".join(f"{k} {counts[k]}" for k in sorted(counts)) or "nothing new"
        lines = [
            f"ingest run {self.run_id} ({self.seconds:.1f} s): {self.files_found} files in {self.raw_dir}, "
            f"{len(self.audit_rows)} new ({by_status}), {self.files_already_ingested} already ingested",
            f"  rows read {self.total('rows_read')}: loaded {self.total('rows_loaded')}, "
            f"quarantined {self.total('rows_quarantined')}, duplicate {self.total('rows_duplicate')}",
        ]
        for feed in ("crawl", "incidents", "cases", "sites"):
            if any(r["feed"] == feed for r in self.audit_rows):
                lines.append(
                    f"    {feed}: loaded {self.total('rows_loaded', feed)}, quarantined "
                    f"{self.total('rows_quarantined', feed)}, duplicate {self.total('rows_duplicate', feed)}"
                )
        for row in self.audit_rows:
            if row["status"] in ("rejected", "partial"):
                lines.append(f"  {row['status']}: {row['file_path']}: {row['reason']}")
        lines += [f"  validation {v}" for v in self.validations]
        if self.data_docs:
            lines.append(f"  data docs: {self.data_docs}")
        if self.quarantine_path:
            lines.append(f"  quarantine: {self.quarantine_path} (raw rows: {self.restricted_path})")
        if self.orphans_removed:
            lines.append(f"  removed {len(self.orphans_removed)} bronze files left by an interrupted run")
        return "\n".join(lines)


def _new_run_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


def _read(landed: LandedFile) -> ParsedFile:
    if landed.feed == "crawl":
        return read_crawl_file(landed)
    return read_csv_feed(landed)


# A read outcome crosses a process boundary, so exceptions travel as values.
ReadOutcome = tuple[str, Any]


def read_outcome(landed: LandedFile) -> ReadOutcome:
    """Read one landed file."""
    try:
        return "parsed", _read(landed)
    except FileRejected as exc:
        return "rejected", (exc.rule, exc.reason, exc.rows_read, exc.encoding)
    except Exception as exc:  # one bad file must not stop the run
        return "error", (type(exc).__name__, str(exc))


@dataclass
class GroupResult:
    """A group of landed files of one feed, read and crossed over the boundary: one outcome per
    file (a parsed file's `rows` are emptied: its rows are in `bronze`), and the bronze rows of
    all of them (`_file` = position in the group, `row_hash`), not yet de-duplicated."""

    feed: str
    outcomes: list[ReadOutcome]
    bronze: pl.DataFrame | None
    # Set by a worker process instead of `bronze` (`stage_in_worker`): each file's bronze rows
    # written as the Parquet file bronze will hold (position in the group → path), the rows'
    # de-duplication keys (`DEDUP_KEY_COLUMNS`, in `bronze`'s order) and their GX sample.
    staged: dict[int, Path] | None = None
    keys: pl.DataFrame | None = None
    sample: pl.DataFrame | None = None


# What `_Run._duplicates` reads of a group's bronze rows.
DEDUP_KEY_COLUMNS = ("_file", "row_hash", "crawl_folder_date")


_PSEUDONYMIZERS: dict[bytes, Pseudonymizer] = {}


def _pseudonymizer(key: bytes) -> Pseudonymizer:
    """One per process and key, so each distinct value is hashed once per process."""
    if key not in _PSEUDONYMIZERS:
        _PSEUDONYMIZERS[key] = Pseudonymizer(key)
    return _PSEUDONYMIZERS[key]


def process_group(feed: str, files: list[LandedFile], key: bytes) -> GroupResult:
    """Read a group of files of one feed; required rules, row hashes and the boundary on all of
    their rows at once (runs in a worker process when there are many files). Row-wise work
    only: de-duplication against bronze is left to the ingest process, and since the boundary
    is row-wise, crossing it before de-duplicating gives the same bronze rows."""
    pseudo = _pseudonymizer(key)
    outcomes = [read_outcome(landed) for landed in files]
    parsed = [(i, value) for i, (kind, value) in enumerate(outcomes) if kind == "parsed"]
    if not parsed:
        return GroupResult(feed, outcomes, None)
    try:
        bronze = _group_to_bronze(feed, files, parsed, pseudo)
    except Exception:
        if len(files) == 1:
            raise
        # Something in one file breaks the group's batch: each file alone, so only it fails.
        return _group_file_by_file(feed, files, key)
    for _, value in parsed:
        value.rows = value.rows.clear()
    return GroupResult(feed, outcomes, bronze)


def process_group_in_worker(
    feed: str, files: list[LandedFile], key: bytes, spill_dir: Path, sample_below: str | None = None
) -> GroupResult:
    """`process_group` in a worker process, which also writes each file's bronze Parquet file
    (into `spill_dir`): the ingest process renames it into bronze when none of the group's rows
    is a duplicate, which is almost always, and so never holds the rows. Sending them back (an
    Arrow IPC file, read there) and writing them in the ingest process made it a quarter of the
    ingest's CPU (10M rows: 38 of 160 CPU seconds), on a critical path of its own.
    `sample_below`: the GX sample's bound when the group was sent (`BronzeValidator.threshold`):
    only rows below it can still enter the sample, so only those travel back."""
    return stage_in_worker(process_group(feed, files, key), spill_dir, sample_below)


def stage_in_worker(result: GroupResult, spill_dir: Path, sample_below: str | None = None) -> GroupResult:
    """A group's result with its bronze rows written per file into `spill_dir` (`staged`), their
    de-duplication keys and GX sample, and no rows (the worker's part of the function above)."""
    bronze = result.bronze
    if bronze is None:
        return result
    result.keys = bronze.select(c for c in DEDUP_KEY_COLUMNS if c in bronze.columns)
    candidates = bronze if sample_below is None else bronze.filter(pl.col("row_hash") < sample_below)
    result.sample = gx_sample(candidates.drop("_file"))
    result.staged = {}
    for (i,), part in bronze.partition_by("_file", as_dict=True, include_key=False).items():
        path = spill_dir / f"{uuid.uuid4().hex}.parquet"
        write_parquet_atomically(part, path)
        result.staged[i] = path
    result.bronze = None
    return result


def bronze_rows(result: GroupResult) -> pl.DataFrame | None:
    """A group's bronze rows (`_file` first), read back from the files a worker staged."""
    if result.staged is None:
        return result.bronze
    frames = [
        pl.read_parquet(path).select(pl.lit(i, dtype=pl.Int32).alias("_file"), pl.all())
        for i, path in sorted(result.staged.items())
    ]
    return pl.concat(frames, how="vertical") if frames else None


def _in_memory(result: GroupResult) -> GroupResult:
    """A staged result as the rows themselves (the staged files are removed)."""
    bronze = bronze_rows(result)
    for path in (result.staged or {}).values():
        path.unlink()
    return GroupResult(result.feed, result.outcomes, bronze)


def _group_file_by_file(feed: str, files: list[LandedFile], key: bytes) -> GroupResult:
    outcomes: list[ReadOutcome] = []
    frames: list[pl.DataFrame] = []
    for i, landed in enumerate(files):
        try:
            alone = process_group(feed, [landed], key)
        except Exception as exc:
            outcomes.append(("error", (type(exc).__name__, str(exc))))
            continue
        outcomes += alone.outcomes
        if alone.bronze is not None:
            frames.append(alone.bronze.with_columns(pl.lit(i, dtype=pl.Int32).alias("_file")))
    return GroupResult(feed, outcomes, pl.concat(frames) if frames else None)


def _group_to_bronze(
    feed: str, files: list[LandedFile], parsed: list[tuple[int, ParsedFile]], pseudo: Pseudonymizer
) -> pl.DataFrame:
    rows = pl.concat(
        [with_file_columns(value.rows, files[i], i) for i, value in parsed], how="diagonal_relaxed"
    )
    if any(value.rules_pending for _, value in parsed):
        rows, failed = split_required(rows)
        by_position = dict(parsed)
        for (i,), part in failed.partition_by("_file", as_dict=True).items():
            value = by_position[i]
            raw = raw_lines(files[i], part.get_column("line_no").to_list())
            entries = [
                (n, rule, why, raw[n]) for n, rule, why in part.select("line_no", "_rule", "_reason").rows()
            ]
            value.quarantined = pl.concat(
                [value.quarantined, pl.DataFrame(entries, schema=QUARANTINE_ROWS_SCHEMA, orient="row")]
            ).sort("line_no")
    rows = rows.with_columns(row_hash=row_hashes(rows, HASHED_FIELDS[feed], pseudo.row_hash_salt))
    return TO_BRONZE[feed](rows, pseudo)


def file_groups(files: list[LandedFile]) -> list[list[LandedFile]]:
    """Consecutive files of one feed (in landing order), at most GROUP_BYTES / GROUP_FILES each."""
    groups: list[list[LandedFile]] = []
    open_group: dict[str, tuple[list[LandedFile], int]] = {}
    for landed in files:
        group, size = open_group.get(landed.feed, ([], 0))
        if group and (size + landed.size > GROUP_BYTES or len(group) >= GROUP_FILES):
            group, size = [], 0
        if not group:
            groups.append(group)
        group.append(landed)
        open_group[landed.feed] = (group, size + landed.size)
    return groups


def reads_in_processes(groups: list[list[LandedFile]], workers: int) -> bool:
    """Whether `process_in_order` reads in worker processes (many files), not in this one."""
    return workers >= 2 and len(groups) >= 2 and sum(map(len, groups)) >= PARALLEL_MIN_FILES


def process_in_order(
    groups: list[list[LandedFile]],
    key: bytes,
    workers: int,
    spill_dir: Path,
    sample_bound: Callable[[str], str | None] | None = None,
) -> Iterator[GroupResult]:
    """Results of `groups`, in order. With many files, `workers` processes work ahead while
    this process de-duplicates (they write the bronze files into `spill_dir`, removed when done;
    `sample_bound(feed)`, asked as a group is sent: `process_group_in_worker`'s `sample_below`);
    with a few (a daily delivery), threads; at most
    GROUPS_IN_FLIGHT_PER_WORKER groups per worker are in flight, so memory stays bounded."""
    if workers < 2 or len(groups) < 2:
        yield from (process_group(g[0].feed, g, key) for g in groups)
        return
    if not reads_in_processes(groups, workers):
        # A worker process costs its start and imports (~1 s) before its first file; a thread
        # does not, and gunzip, parsing and hashing release the GIL (ISA-L, zlib, polars, numpy).
        with ThreadPoolExecutor(max_workers=workers) as threads:
            yield from _process_ahead(groups, workers, threads, process_group, key)
        return
    context = mp.get_context("spawn")  # fork is unsafe with polars' thread pool
    # A spawned worker copies the environment as it starts (this process's polars pool and
    # allocators are already set up, so the variables only affect the workers).
    previous = {name: os.environ.get(name) for name in WORKER_ENVIRONMENT}
    os.environ.update(WORKER_ENVIRONMENT)
    spill_dir.mkdir(parents=True, exist_ok=True)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as processes:
            yield from _process_ahead(
                groups, workers, processes, process_group_in_worker, key, spill_dir, per_feed=sample_bound
            )
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _process_ahead(
    groups: list[list[LandedFile]],
    workers: int,
    pool: Executor,
    task: Callable[..., GroupResult],
    *args: Any,
    per_feed: Callable[[str], Any] | None = None,
) -> Iterator[GroupResult]:
    """`task(feed, group, *args)` of each group, in order; with `per_feed`, one more argument,
    `per_feed(feed)`, asked as the group is sent."""
    in_flight: deque[Future[GroupResult]] = deque()
    for group in groups:
        feed = group[0].feed
        extra = () if per_feed is None else (per_feed(feed),)
        in_flight.append(pool.submit(task, feed, group, *args, *extra))
        while len(in_flight) >= workers * GROUPS_IN_FLIGHT_PER_WORKER:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


def _reason(parsed: ParsedFile, quarantined: pl.DataFrame, duplicates: int) -> str | None:
    parts = []
    if parsed.partial_reason:
        parts.append(parsed.partial_reason)
    if parsed.unknown_columns:
        parts.append(f"unknown columns ignored: {', '.join(parsed.unknown_columns)}")
    if quarantined.height:
        rules = Counter(quarantined.get_column("rule").to_list())
        parts.append("quarantined rows: " + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))
    if duplicates:
        parts.append(f"{duplicates} rows already in bronze or repeated in the file")
    return "; ".join(parts) or None


class _Run:
    def __init__(self, raw_dir: Path, warehouse: Path, key: bytes) -> None:
        self.raw_dir = raw_dir
        self.store = BronzeStore(warehouse)
        self.pseudo = Pseudonymizer(key)
        self.run_id = _new_run_id()
        self.started = utc_now()
        self.validator = BronzeValidator(warehouse, self.run_id)
        self.audit_rows: list[dict[str, Any]] = []
        self.quarantine_rows: list[dict[str, Any]] = []
        self.restricted: list[dict[str, Any]] = []

    def _audit(self, landed: LandedFile, **values: Any) -> dict[str, Any]:
        row = {
            "file_path": landed.rel_path,
            "feed": landed.feed,
            "content_hash": landed.content_hash,
            "file_size": landed.size,
            "file_mtime": landed.mtime,
            "encoding": None,
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
            "rows_duplicate": 0,
            "status": "loaded",
            "reason": None,
            "unknown_columns": None,
            "ingest_run_id": self.run_id,
            "ingested_at": self.started,
        } | values
        assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"] + row["rows_duplicate"]
        self.audit_rows.append(row)
        return row

    def _quarantine(
        self, landed: LandedFile, line_no: int | None, rule: str, reason: str, raw: str | None
    ) -> None:
        meta = {
            "file_path": landed.rel_path,
            "feed": landed.feed,
            "content_hash": landed.content_hash,
            "line_no": line_no,
            "rule": rule,
            "reason": reason,
            "ingest_run_id": self.run_id,
        }
        self.quarantine_rows.append(meta)
        self.restricted.append(meta | {"raw": raw})

    def skip_duplicate_file(self, landed: LandedFile, first: dict[str, Any]) -> None:
        self._audit(
            landed,
            encoding=first["encoding"],
            rows_read=first["rows_read"],
            rows_duplicate=first["rows_read"],
            status="skipped_duplicate_file",
            reason=f"same content as {first['file_path']}, landed earlier",
        )

    def reject(
        self, landed: LandedFile, rule: str, reason: str, rows_read: int, encoding: str | None
    ) -> None:
        self._quarantine(landed, None, rule, reason, None)
        self._audit(
            landed,
            encoding=encoding,
            rows_read=rows_read,
            rows_quarantined=rows_read,
            status="rejected",
            reason=reason,
        )

    def ingest_group(self, files: list[LandedFile], result: GroupResult) -> list[dict[str, Any]]:
        """De-duplicate a processed group against bronze (and itself) and place one bronze file
        per landed file (a worker's staged file is renamed into bronze when none of the group's
        rows is a duplicate, else the rows are read back and written without them); per file,
        what a later copy needs to know."""
        feed = result.feed
        if result.staged is not None and self._duplicates(feed, result.keys).any():
            result = _in_memory(result)
        loaded_hashes: dict[int, pl.Series] = {}
        duplicates: dict[int, int] = {}
        if result.staged is not None:
            assert result.keys is not None and result.sample is not None
            loaded_hashes = {
                i: part.get_column("row_hash")
                for (i,), part in result.keys.partition_by("_file", as_dict=True).items()
            }
            self.validator.add(feed, result.sample, files=len(result.staged))
            staged = result.staged

            def place(i: int) -> Path:
                return self.store.adopt_feed_file(feed, files[i].content_hash, staged[i])
        else:
            parts = self._without_duplicates(feed, result.bronze, duplicates)
            loaded_hashes = {i: part.get_column("row_hash") for i, part in parts.items()}

            def place(i: int) -> Path:
                return self.store.write_feed_file(feed, files[i].content_hash, parts[i])

        firsts = []
        for i, (landed, (kind, value)) in enumerate(zip(files, result.outcomes, strict=True)):
            if kind == "rejected":
                self.reject(landed, *value)
                firsts.append(self.audit_rows[-1])
                continue
            if kind == "error":
                name, message = value
                warnings.warn(f"{landed.rel_path}: unexpected {name}: {message}", stacklevel=2)
                self.reject(landed, "unreadable", f"unexpected error while reading ({name})", 0, None)
                firsts.append(self.audit_rows[-1])
                continue
            parsed: ParsedFile = value
            hashes = loaded_hashes.get(i)
            if hashes is not None:
                path = place(i)
                if CROSS_FILE_DEDUP[feed]:
                    self.store.register_feed_file(feed, landed.crawl_folder_date, path, hashes)
            loaded_rows = 0 if hashes is None else hashes.len()
            quarantined = parsed.quarantined
            for line_no, rule, reason, raw in quarantined.iter_rows():
                self._quarantine(landed, line_no, rule, reason, raw)
            n_duplicate = int(duplicates.get(i, 0))
            self._audit(
                landed,
                encoding=parsed.encoding,
                rows_read=parsed.rows_read,
                rows_loaded=loaded_rows,
                rows_quarantined=quarantined.height,
                rows_duplicate=n_duplicate,
                status="partial" if parsed.partial_reason else "loaded",
                reason=_reason(parsed, quarantined, n_duplicate),
                unknown_columns=", ".join(parsed.unknown_columns) or None,
            )
            firsts.append(
                {"file_path": landed.rel_path, "rows_read": parsed.rows_read, "encoding": parsed.encoding}
            )
        return firsts

    def _without_duplicates(
        self, feed: str, bronze: pl.DataFrame | None, duplicates: dict[int, int]
    ) -> dict[int, pl.DataFrame]:
        """A group's bronze rows that load, per file (position in the group); the duplicates
        dropped per file are counted into `duplicates`. The loaded rows go to the GX sample."""
        if bronze is None or not bronze.height:
            return {}
        duplicate = self._duplicates(feed, bronze)
        duplicates.update(
            bronze.select("_file", duplicate.alias("_dup"))
            .group_by("_file")
            .agg(pl.col("_dup").sum())
            .iter_rows()
        )
        loaded = bronze.filter(~duplicate)
        if not loaded.height:
            return {}
        parts = loaded.partition_by("_file", as_dict=True, include_key=False)
        self.validator.add(feed, loaded.drop("_file"), files=len(parts))
        return {i: part for (i,), part in parts.items()}

    def _duplicates(self, feed: str, rows: pl.DataFrame) -> pl.Series:
        """True for a row already in bronze (same feed; crawl: same folder date) or seen earlier
        in the batch (sites.csv: earlier in the same file only)."""
        if not CROSS_FILE_DEDUP[feed]:
            return rows.select(~pl.struct("_file", "row_hash").is_first_distinct()).to_series()
        scope = ["crawl_folder_date"] if feed == "crawl" else []
        repeated = rows.select(~pl.struct(*scope, "row_hash").is_first_distinct()).to_series()
        dates = rows.get_column("crawl_folder_date").unique().to_list() if feed == "crawl" else [None]
        known = [
            pl.DataFrame({"row_hash": hashes}).with_columns(
                pl.lit(d, dtype=pl.Date).alias("crawl_folder_date")
            )
            for d in dates
            if (hashes := self.store.known_row_hashes(feed, d)).len()
        ]
        if not known:
            return repeated
        on = [*scope, "row_hash"]
        known_rows = pl.concat(known, how="vertical").select(*on).unique().with_columns(_known=pl.lit(True))
        in_bronze = (
            rows.select(*scope, digests(rows.get_column("row_hash")))
            .join(known_rows, on=on, how="left", maintain_order="left")
            .get_column("_known")
            .fill_null(False)
        )
        return repeated | in_bronze


def ingest_raw(
    raw_dir: Path, warehouse_dir: Path, strict: bool = False, validate_in_background: bool = False
) -> IngestSummary:
    """Ingest every file landed under RAW not yet in bronze (SPEC §3, docs/bronze.md).

    The GX validation of the run's bronze rows gates nothing (its outcomes are reported): with
    `validate_in_background` it may still be running when this returns (in the validation process,
    validate.py), and the caller collects it with `summary.wait_for_validation()`."""
    key = privacy.pseudonym_key(strict)
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise WaybillWatchError(
            f"raw directory {raw_dir} does not exist: pass --raw-dir with the landing zone"
        )
    began = time.perf_counter()
    run = _Run(raw_dir, Path(warehouse_dir), key)
    store = run.store
    store.ensure_layout()
    audit = store.audit()
    first_of_hash: dict[str, dict[str, Any]] = {}
    for row in audit.sort("ingested_at").iter_rows(named=True):
        first_of_hash.setdefault(row["content_hash"], row)
    recorded = set(zip(audit.get_column("content_hash"), audit.get_column("file_path"), strict=True))
    summary = IngestSummary(run_id=run.run_id, raw_dir=raw_dir, warehouse_dir=Path(warehouse_dir))
    summary.orphans_removed = store.remove_orphans(set(first_of_hash))
    store.index_bronze_files(audit)
    known = {
        (path, size, mtime): content_hash
        for path, size, mtime, content_hash in audit.select(
            "file_path", "file_size", "file_mtime", "content_hash"
        ).iter_rows()
    }
    landed_files = discover_files(raw_dir, known)
    summary.files_found = len(landed_files)
    # Which files to read is known up front (content hashes): the first new copy of each content.
    to_read: list[LandedFile] = []
    hashes_to_read: set[str] = set()
    for landed in landed_files:
        if (landed.content_hash, landed.rel_path) in recorded or landed.content_hash in first_of_hash:
            continue
        if landed.content_hash not in hashes_to_read:
            hashes_to_read.add(landed.content_hash)
            to_read.append(landed)
    groups = file_groups(to_read)
    workers = read_workers()
    if to_read:
        run.validator.prepare(in_own_process=not reads_in_processes(groups, workers))
    spill_dir = Path(warehouse_dir) / "tmp" / f"ingest-{run.run_id}"
    for group, result in zip(
        groups,
        process_in_order(groups, key, workers, spill_dir, run.validator.threshold.get),
        strict=True,
    ):
        for landed, first in zip(group, run.ingest_group(group, result), strict=True):
            first_of_hash[landed.content_hash] = first
    read_now = {landed.rel_path for landed in to_read}
    for landed in landed_files:
        if (landed.content_hash, landed.rel_path) in recorded:
            summary.files_already_ingested += 1
        elif landed.rel_path not in read_now:
            # a copy of content ingested before, or of a file read in this run that landed earlier
            run.skip_duplicate_file(landed, first_of_hash[landed.content_hash])
    store.close()  # every bronze file is on disk before the audit names it (crash safety)
    run.audit_rows.sort(key=lambda r: (r["file_mtime"], r["file_path"]))
    # test hook (faultpoints.py, issue 8): the crash window between bronze and the audit
    pause_if_requested("ingest", Path(warehouse_dir))
    store.write_run_table(AUDIT_TABLE, run.run_id, pl.DataFrame(run.audit_rows, schema=AUDIT_SCHEMA))
    summary.quarantine_path = store.write_run_table(
        QUARANTINE_TABLE, run.run_id, pl.DataFrame(run.quarantine_rows, schema=QUARANTINE_SCHEMA)
    )
    summary.restricted_path = store.keep_restricted(run.run_id, run.restricted)
    summary.pending_validation = run.validator.finish()
    if not validate_in_background:
        summary.wait_for_validation()
    summary.audit_rows = run.audit_rows
    summary.seconds = time.perf_counter() - began
    return summary
