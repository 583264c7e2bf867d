"""Great Expectations checkpoints on bronze frames (post-boundary, so Data Docs can show
unexpected values without showing personal data).

One suite per feed. An export may hold several versions of one incident or case (differing
`updated_at`), so id uniqueness within a file is checked together with `updated_at_text`.
GX costs ≈15 µs per row and suite plus ≈0.5 s per checkpoint run, more than all the rest of
ingest when it sees every row. So each feed is validated once per run, on a uniform sample of
at most `SAMPLE_ROWS` of the bronze rows written in the run: the rows with the smallest
`row_hash` (a keyed md5, so effectively random; a bottom-k sample of the stream, bounded
memory, reproducible). Required fields and duplicate rows are enforced exactly by ingest
before this point; the suites check the result on the sample.
GX runs in an ephemeral context (no project files, analytics off, nothing fetched); Data
Docs are written as static HTML under WAREHOUSE/data_docs/, then made self-contained
(docs_offline.py: no CDN scripts or stylesheets).

Where GX runs: a run that reads its files in threads (a daily delivery) validates in a process of
its own, started as the run begins reading, so that importing GX (~3 s of Python, holding the GIL)
neither competes with the reading threads nor precedes dbt; `waybill-watch run` collects the result
before publish (100M daily run: ingest 7.9-8.8 -> 6.7 s). A run that reads in worker processes (a
full load) validates in this process, as a process more would add ~250 MB to the run's peak memory.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import io
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from waybill_watch.ingest.docs_offline import make_offline
from waybill_watch.preload import defer_imports, import_in_background

SAMPLE_ROWS = 20_000
# Modules great_expectations imports for expectations this project does not use (the KL divergence
# expectation, with its altair charts, and the KS test metrics): scipy.stats and altair were ~1.2 s
# of the ~3 s of GX's import in a daily run's validation process. There they are deferred
# (preload.defer_imports): an expectation that did use them would import them when it runs.
GX_UNUSED_IMPORTS = ("scipy.stats", "altair")
DOCS_SITE = "bronze"
CHANNELS = [
    "ecommerce_platform",
    "trading_site",
    "im_group",
    "forum",
    "darknet_market",
    "paste_site",
]


@dataclass
class ValidationOutcome:
    feed: str
    batch: str
    rows: int
    files: int
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        state = "passed" if self.success else f"FAILED: {', '.join(self.failed)}"
        scope = f"{self.evaluated} expectations on {self.rows} rows ({self.files} files)"
        return f"{self.feed} {self.batch}: {scope} {state}"


def _expectations(feed: str) -> list[Any]:
    import great_expectations as gx

    e = gx.expectations
    year_2000 = dt.datetime(2000, 1, 1)
    year_2100 = dt.datetime(2100, 1, 1)
    common = [
        e.ExpectColumnValuesToNotBeNull(column=c) for c in ("file_hash", "file_path", "line_no", "row_hash")
    ] + [e.ExpectColumnValuesToBeUnique(column="row_hash")]
    if feed == "crawl":
        return [
            *common,
            *(
                e.ExpectColumnValuesToNotBeNull(column=c)
                for c in ("run_id", "site", "url", "fetched_at_utc", "crawl_folder_date")
            ),
            e.ExpectColumnValuesToBeBetween(
                column="fetched_at_utc", min_value=year_2000, max_value=year_2100
            ),
            e.ExpectColumnValuesToMatchRegex(column="site", regex=r"^[^\s/?#@]+$"),
            e.ExpectColumnValuesToBeInSet(column="status", value_set=["active", "sold_out", "removed"]),
            e.ExpectColumnValuesToBeBetween(column="http_status", min_value=100, max_value=599),
            e.ExpectColumnValuesToBeInSet(column="price_currency", value_set=["CNY", "USD", "USDT", "BTC"]),
            e.ExpectColumnValuesToBeBetween(column="sample_record_count", min_value=0),
            e.ExpectColumnValuesToBeInTypeList(column="price_amount", type_list=["float64", "Float64"]),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["file_hash", "site", "listing_id", "url", "crawler", "fetched_at_utc"],
                ignore_row_if="any_value_is_missing",
            ),
        ]
    if feed == "incidents":
        return [
            *common,
            *(e.ExpectColumnValuesToNotBeNull(column=c) for c in ("incident_id", "reported_at")),
            e.ExpectColumnValuesToBeBetween(column="reported_at", min_value=year_2000, max_value=year_2100),
            # Text as given (dbt normalizes case and synonyms): most, not all, in the set.
            e.ExpectColumnValuesToBeInSet(
                column="status", value_set=["open", "verified", "unfounded", "closed"], mostly=0.7
            ),
            e.ExpectCompoundColumnsToBeUnique(column_list=["file_hash", "incident_id", "updated_at_text"]),
        ]
    if feed == "cases":
        return [
            *common,
            *(e.ExpectColumnValuesToNotBeNull(column=c) for c in ("case_id", "opened_on")),
            e.ExpectColumnValuesToBeInSet(column="case_type", value_set=["criminal", "administrative"]),
            e.ExpectColumnValuesToBeInSet(
                column="outcome", value_set=["pending", "prosecuted", "convicted", "penalized", "dropped"]
            ),
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="closed_on",
                column_B="opened_on",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            e.ExpectCompoundColumnsToBeUnique(column_list=["file_hash", "case_id", "updated_at_text"]),
        ]
    return [
        *common,
        e.ExpectColumnValuesToNotBeNull(column="site"),
        e.ExpectColumnValuesToBeInSet(column="channel", value_set=CHANNELS),
        e.ExpectCompoundColumnsToBeUnique(column_list=["file_hash", "site"]),
    ]


def compacted(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` in buffers of its own. A frame filtered out of a larger one shares that frame's
    string data (polars string views), so a few sampled rows kept for the run would keep every
    frame they came from alive; an IPC round trip copies only what the rows reference."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    buffer.seek(0)
    return pl.read_ipc(buffer)


def gx_sample(frame: pl.DataFrame) -> pl.DataFrame:
    """What of `frame` can enter the run's sample (a worker sends only this): the bottom k of a
    union is the bottom k of its parts' bottom k."""
    return _bottom_k([frame])


def _bottom_k(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The `SAMPLE_ROWS` rows with the smallest row hash among `frames`."""
    frame = pl.concat(frames, how="vertical")
    if frame.height <= SAMPLE_ROWS:
        return frame
    return compacted(frame.bottom_k(SAMPLE_ROWS, by="row_hash"))


def _import_gx_in_background() -> None:
    """Importing great_expectations takes seconds; it overlaps with reading the files."""
    # Before the import: GX reads these at import time.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import_in_background("great_expectations")


class BronzeValidator:
    """Collects bronze frames per feed and validates them in batches with GX checkpoints."""

    def __init__(self, warehouse: Path, run_id: str) -> None:
        # absolute: GX refuses a relative base directory for its Data Docs site
        self.docs_dir = warehouse.resolve() / "data_docs"
        self.run_id = run_id
        self.pending: dict[str, list[pl.DataFrame]] = {}
        self.outcomes: list[ValidationOutcome] = []
        self._context: Any = None
        self._checkpoints: dict[str, Any] = {}
        self._batches = 0
        self.files: dict[str, int] = {}
        self.pending_rows: dict[str, int] = {}
        self.threshold: dict[str, Any] = {}
        self._in_own_process = False

    def prepare(self, in_own_process: bool = False) -> None:
        """There is something to validate: start importing GX (seconds) in the background, in a
        process of its own or in a thread of this one. A run with nothing new never imports it."""
        self._in_own_process = in_own_process
        if in_own_process:
            _submit(_import_gx)
        else:
            _import_gx_in_background()

    def add(self, feed: str, frame: pl.DataFrame, files: int = 1) -> None:
        """Bronze rows of `files` files written in the run, for the feed's sample."""
        if frame.is_empty():
            return
        self.files[feed] = self.files.get(feed, 0) + files
        if feed in self.threshold:
            # Once the sample is full, only a row below its largest hash can still enter it.
            frame = frame.filter(pl.col("row_hash") < self.threshold[feed])
            if frame.is_empty():
                return
            frame = compacted(frame)
        pending = self.pending.setdefault(feed, [])
        pending.append(frame)
        self.pending_rows[feed] = self.pending_rows.get(feed, 0) + frame.height
        if self.pending_rows[feed] > 2 * SAMPLE_ROWS:
            sample = _bottom_k(pending)
            self.pending[feed] = [sample]
            self.pending_rows[feed] = sample.height
            self.threshold[feed] = sample.get_column("row_hash").max()

    def finish(self) -> Future:
        """Validate what is pending and write Data Docs, in the validation process if `prepare` chose
        it: a future of (the index page, or None if nothing ran; the outcomes)."""
        if self._in_own_process:
            samples = {feed: _bottom_k(frames) for feed, frames in self.pending.items() if frames}
            self.pending.clear()
            return _submit(validate_samples, self.docs_dir.parent, self.run_id, samples, dict(self.files))
        done: Future = Future()
        try:
            done.set_result((self.finish_here(), self.outcomes))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def finish_here(self) -> Path | None:
        """Validate what is pending and write Data Docs; the index page, or None if nothing ran."""
        for feed in list(self.pending):
            self._flush(feed)
        if self._context is None:
            return None
        started = time.time()
        # Only our site: the ephemeral context also has a default one, in a new temporary folder.
        self._context.build_data_docs(site_names=[DOCS_SITE])
        make_offline(self.docs_dir, written_since=started - 1)
        index = self.docs_dir / "index.html"
        return index if index.exists() else None

    def _gx(self) -> Any:
        if self._context is None:
            # Before the import: GX reads these at import time.
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            context.add_data_docs_site(
                site_name=DOCS_SITE,
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            self._context = context
            self._source = context.data_sources.add_pandas("bronze")
        return self._context

    def _checkpoint(self, feed: str) -> Any:
        if feed not in self._checkpoints:
            import great_expectations as gx

            context = self._gx()
            asset = self._source.add_dataframe_asset(feed)
            batch = asset.add_batch_definition_whole_dataframe(f"{feed}_batch")
            suite = context.suites.add(gx.ExpectationSuite(name=f"bronze_{feed}"))
            for expectation in _expectations(feed):
                suite.add_expectation(expectation)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"bronze_{feed}", data=batch, suite=suite)
            )
            self._checkpoints[feed] = context.checkpoints.add(
                gx.Checkpoint(
                    name=f"bronze_{feed}", validation_definitions=[definition], result_format="SUMMARY"
                )
            )
        return self._checkpoints[feed]

    def _flush(self, feed: str) -> None:
        frames = self.pending.pop(feed, [])
        self.pending_rows.pop(feed, None)
        self.threshold.pop(feed, None)
        if not frames:
            return
        import great_expectations as gx

        checkpoint = self._checkpoint(feed)
        frame = _bottom_k(frames).sort("file_path", "line_no")
        self._batches += 1
        batch_name = f"{self.run_id}-{self._batches:03d}"
        result = checkpoint.run(
            batch_parameters={"dataframe": frame.to_pandas()},
            run_id=gx.RunIdentifier(run_name=batch_name),
        )
        for validation in result.run_results.values():
            failed = [
                f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column') or ''})"
                for r in validation.results
                if not r.success
            ]
            self.outcomes.append(
                ValidationOutcome(
                    feed=feed,
                    batch=batch_name,
                    rows=frame.height,
                    files=self.files.pop(feed, 0),
                    success=bool(validation.success),
                    evaluated=len(validation.results),
                    failed=failed,
                )
            )


def validate_samples(
    warehouse: Path, run_id: str, samples: dict[str, pl.DataFrame], files: dict[str, int]
) -> tuple[Path | None, list[ValidationOutcome]]:
    """What `BronzeValidator.finish_here` returns, for samples sent to the validation process."""
    validator = BronzeValidator(warehouse, run_id)
    validator.pending = {feed: [sample] for feed, sample in samples.items()}
    validator.files = files
    return validator.finish_here(), validator.outcomes


# The validation process runs at a lower CPU priority: its work (GX's import, the sample's validation,
# Data Docs: ~3.5 CPU s in a 100M daily run) gates only the publish at the end, while the ingest it
# overlaps keeps both cores busy. Niced, it takes the cycles ingest and dbt leave: in alternating 100M
# daily runs ingest took 5.5-5.8 s against 6.1-6.4 s, and publish still found it done (session 32).
VALIDATION_NICENESS = 10


def start_validation_process() -> None:
    """The validation process's initializer."""
    skip_collection_at_exit()
    defer_imports(*GX_UNUSED_IMPORTS)
    os.nice(VALIDATION_NICENESS)


def skip_collection_at_exit() -> None:
    """Leave the objects alive at exit to the operating system: the garbage collection of a process
    that has imported GX (or dbt) at its exit took ~0.8 s, and the run waits for this process to end."""
    # atexit's functions run before the interpreter's final collection, which skips frozen objects
    atexit.register(gc.freeze)


def _import_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401


_process: ProcessPoolExecutor | None = None


def _submit(function: Callable[..., Any], *args: Any) -> Future:
    """`function(*args)` in the validation process: one for the validations of this process's
    runs, so GX is imported there once; started anew if an earlier one died."""
    global _process
    for attempt in (1, 2):
        if _process is None:
            # spawn: fork is unsafe with polars' thread pool
            _process = ProcessPoolExecutor(
                max_workers=1, mp_context=mp.get_context("spawn"), initializer=start_validation_process
            )
            atexit.register(_process.shutdown)
        try:
            return _process.submit(function, *args)
        except BrokenProcessPool:
            _process = None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
