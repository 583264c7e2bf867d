"""Incremental runs (issue #7): `waybill-watch run` on a warehouse that already holds the history
reads only the new bronze files, and must publish exactly what a full run on the same landing zone
publishes; re-delivering a day changes no analyst table.

On the shared tiny landing zone (seed 7): the landing zone is hard-linked (`cp -al`) into a
scratch directory, so the files keep their bytes and modification times.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from waybill_watch.config import analyst_db_path, build_db_path
from waybill_watch.pipeline import (
    VACUUM_EVERY,
    build_and_publish,
    build_args,
    feed_bronze_digest,
    project_fingerprint,
    run_pipeline,
    vacuums_at_close,
)

# Columns of the audit table that name the run, not the data: an incremental history has other
# run ids and ingest times than a single full run.
RUN_COLUMNS = {"audit_ingest_files": ("ingest_run_id", "ingested_at")}


def link_copy(source: Path, target: Path) -> Path:
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)
    return target


def last_crawl_day(raw: Path) -> Path:
    return sorted(p for p in (raw / "crawl").iterdir() if p.is_dir())[-1]


def table_names(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [row[0] for row in con.sql("select table_name from duckdb_tables() order by 1").fetchall()]


def table_differences(first: Path, second: Path, ignore_audit: bool = False) -> dict[str, tuple[int, int]]:
    """Per analyst table: rows only in first, rows only in second (multisets, `except all`)."""
    tables = table_names(first)
    assert tables == table_names(second)
    differences: dict[str, tuple[int, int]] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as first_db (read_only)")
        con.execute(f"attach '{second}' as second_db (read_only)")
        for table in tables:
            if ignore_audit and table in RUN_COLUMNS:
                continue
            excluded = RUN_COLUMNS.get(table, ())
            columns = ", ".join(
                f'"{c}"'
                for c in con.sql(f"select * from first_db.{table} limit 0").columns
                if c not in excluded
            )

            def only_in(left: str, right: str, table: str = table, columns: str = columns) -> int:
                sql = f"select {columns} from {left}.{table} except all select {columns} from {right}.{table}"
                return con.execute(f"select count(*) from ({sql})").fetchone()[0]

            counts = (only_in("first_db", "second_db"), only_in("second_db", "first_db"))
            if counts != (0, 0):
                differences[table] = counts
    return differences


# Enough days for a listing last fetched before them to reach `inferred_removal_days` (3) crawl
# days without it in a run that brings none of its observations. The first is put back alone (a
# daily run), the other three in one run.
HELD_OUT_DAYS = 4
RUNS_OF_HELD_OUT_DAYS = (1, 3)
LIVE_AFTER_FIRST_RUN = "live_after_first_run.json"


@pytest.fixture(scope="module")
def incremental_warehouse(tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny landing zone without its last HELD_OUT_DAYS crawl days, run; then the days put back
    in RUNS_OF_HELD_OUT_DAYS runs. The listings live after the first run are written beside the
    warehouse."""
    scratch = tmp_path_factory.mktemp("incremental")
    raw = link_copy(tiny_raw, scratch / "raw")
    days = sorted(p for p in (raw / "crawl").iterdir() if p.is_dir())[-HELD_OUT_DAYS:]
    for day in days:
        day.rename(scratch / day.name)
    warehouse = scratch / "warehouse"
    run_pipeline(raw, warehouse)
    with duckdb.connect(str(build_db_path(warehouse)), read_only=True) as con:
        sql = "select listing_num from intermediate.int_listings_aggregated where removed_at is null"
        live = [key for (key,) in con.execute(sql).fetchall()]
    (scratch / LIVE_AFTER_FIRST_RUN).write_text(json.dumps(live), encoding="utf-8")
    assert sum(RUNS_OF_HELD_OUT_DAYS) == HELD_OUT_DAYS
    first = 0
    for count in RUNS_OF_HELD_OUT_DAYS:
        for day in days[first : first + count]:
            (scratch / day.name).rename(day)
        first += count
        run_pipeline(raw, warehouse)
    return warehouse


def test_incremental_run_equals_full_run(incremental_warehouse: Path, tiny_warehouse: Path) -> None:
    # the later runs were incremental: the build database and its incremental state were kept
    with duckdb.connect(str(build_db_path(incremental_warehouse)), read_only=True) as con:
        sql = "select count(distinct loaded_at) from intermediate.int_bronze_files_loaded"
        assert con.execute(sql).fetchone()[0] == 1 + len(RUNS_OF_HELD_OUT_DAYS)
    differences = table_differences(analyst_db_path(incremental_warehouse), analyst_db_path(tiny_warehouse))
    assert differences == {}


def test_removals_inferred_from_days_without_the_listing(incremental_warehouse: Path) -> None:
    """A daily run recomputes the listings whose inferred removal its crawl days can move, not only
    those it observed (int_listings_aggregated): some listings live after the first run were
    never fetched again, and the later days' crawls of their sites inferred their removal. Together
    with the equality to the full build, this shows those removals were made, and made right."""
    live = json.loads((incremental_warehouse.parent / LIVE_AFTER_FIRST_RUN).read_text(encoding="utf-8"))
    with duckdb.connect(str(build_db_path(incremental_warehouse)), read_only=True) as con:
        con.execute("create temp table live_after_first_run (listing_num bigint)")
        con.executemany("insert into live_after_first_run values (?)", [(key,) for key in live])
        inferred_without_new_fetches = con.execute(
            """
            select count(*)
            from intermediate.int_listings_aggregated as listings
            inner join live_after_first_run using (listing_num)
            where listings.is_removal_inferred
                and (
                    select count(distinct months.loaded_at)
                    from intermediate.int_listing_months_aggregated as months
                    where months.listing_num = listings.listing_num
                ) = 1
            """
        ).fetchone()[0]
    assert inferred_without_new_fetches > 0


def test_daily_run_leaves_seeds_as_loaded(incremental_warehouse: Path) -> None:
    # the last run's dbt build: models and data tests; no seed reloaded, no unit test run, and the
    # dimensions built from seeds alone (tag seed_only) left as the full build made them
    results = json.loads(
        (incremental_warehouse / "dbt_target" / "run_results.json").read_text(encoding="utf-8")
    )
    manifest_file = incremental_warehouse / "dbt_target" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    # a daily build leaves manifest.json as the full build wrote it (pipeline.build_args), and
    # writes its own run results
    assert manifest["metadata"]["invocation_id"] != results["metadata"]["invocation_id"]
    ran = {result["unique_id"] for result in results["results"]}
    kinds = Counter(unique_id.split(".")[0] for unique_id in ran)
    assert kinds["seed"] == 0 and kinds["unit_test"] == 0
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    seed_only = {uid for uid, node in models.items() if "seed_only" in node["tags"]}
    assert len(seed_only) == 6  # the reference dimensions (test_conventions.py checks the tag)
    # the held-out days bring crawl files only: the models of cases and incidents were left as the
    # first run made them (test_conventions.py checks the tag; test_new_cases_on_a_daily_run_... the
    # other way)
    enforcement = {uid for uid, node in models.items() if "enforcement_feeds" in node["tags"]}
    assert len(enforcement) == 12
    # nor a new version of sites.csv: the register's models too
    sites = {uid for uid, node in models.items() if "sites_feed" in node["tags"]}
    assert len(sites) == 2
    assert {uid for uid in ran if uid.startswith("model.")} == set(models) - seed_only - enforcement - sites
    tests = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    # a test is left out only when everything it reads is: the dimensions' own tests, and those of
    # the models of cases and incidents and of the register of sites (with the relationships tests
    # between them and the dimensions)
    left_out = {uid for uid, node in tests.items() if "crawl_batch" not in node["tags"]} - ran
    unchanged = seed_only | seeds_of(manifest) | enforcement | sites
    assert left_out == {uid for uid, node in tests.items() if set(node["depends_on"]["nodes"]) <= unchanged}
    assert any("relationships_fct_cases_region_code" in uid for uid in left_out)
    # the relationships tests from the data models to the dimensions still run
    assert any("relationships_fct_listings_region_code" in uid for uid in ran)
    # the load batch's rows are tested in the staging view (left out of a full build); the enriched
    # view's key test is left out too, implied by staging's and the joined relations' key tests
    assert batch_view_tests(incremental_warehouse) == {"pass": 2}
    implied = {uid for uid, node in tests.items() if "implied_by_key_tests" in node["tags"]}
    assert len(implied) == 1 and not implied & ran


def seeds_of(manifest: dict) -> set[str]:
    return {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "seed"}


BATCH_VIEWS = ("stg_crawl__observations", "int_observations_enriched")


def batch_view_tests(warehouse: Path) -> dict[str, int]:
    results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    return dict(
        Counter(
            result["status"]
            for result in results["results"]
            if result["unique_id"].startswith("test.")
            and any(name in result["unique_id"] for name in BATCH_VIEWS)
            and "accepted_values" not in result["unique_id"]
        )
    )


def test_full_build_leaves_out_the_batch_view_tests(tiny_warehouse: Path) -> None:
    # the run results are the full build's (its data tests ran), not another command's
    results = json.loads((tiny_warehouse / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    assert sum(result["unique_id"].startswith("test.") for result in results["results"]) > 100
    assert batch_view_tests(tiny_warehouse) == {}


def test_daily_builds_vacuum_once_in_a_while(incremental_warehouse: Path, tmp_path: Path) -> None:
    # the full build vacuumed as it closed; the two daily builds after it did not (the equality with
    # the full run above holds with their deleted rows left in place)
    since_vacuum = incremental_warehouse / "build" / "daily_builds_since_vacuum.txt"
    assert since_vacuum.read_text() == "2\n"
    warehouse = tmp_path / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    assert vacuums_at_close(warehouse, daily=False)
    assert not vacuums_at_close(warehouse, daily=True)
    for count, vacuums in ((VACUUM_EVERY - 2, False), (VACUUM_EVERY - 1, True), (VACUUM_EVERY + 3, True)):
        (warehouse / "build" / "daily_builds_since_vacuum.txt").write_text(f"{count}\n")
        assert vacuums_at_close(warehouse, daily=True) == vacuums


def test_build_args_follow_the_fingerprint(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    common = ["build", "--exclude-resource-type", "unit_test"]
    full_build = [*common, "--full-refresh", "--exclude", "tag:crawl_batch"]
    daily = [
        *common,
        *("--exclude", "resource_type:seed", "tag:seed_only", "tag:implied_by_key_tests"),
        *("--indirect-selection", "cautious", "--no-write-json"),
    ]
    # no build database yet: a full build (seeds loaded, the batch views' tests left out)
    assert build_args(warehouse) == full_build
    build_db_path(warehouse).parent.mkdir(parents=True)
    build_db_path(warehouse).touch()
    # a build database without the fingerprint of its code: rebuilt from scratch
    assert build_args(warehouse) == full_build
    (warehouse / "build" / "project_fingerprint.txt").write_text(project_fingerprint())
    assert build_args(warehouse) == daily
    # the bronze of cases and incidents as the last successful build saw it: their models left out
    leaving_out_enforcement = [*daily[:6], "tag:enforcement_feeds", *daily[6:]]

    def record(tag: str) -> None:
        (warehouse / "build" / f"{tag}_bronze.txt").write_text(feed_bronze_digest(warehouse, tag))

    cases = warehouse / "bronze" / "cases"
    cases.mkdir(parents=True)
    (cases / "_empty.parquet").write_bytes(b"schema")
    record("enforcement_feeds")
    assert build_args(warehouse) == leaving_out_enforcement
    # a crawl file changes nothing of theirs
    (warehouse / "bronze" / "crawl_observations").mkdir(parents=True)
    (warehouse / "bronze" / "crawl_observations" / "0123456789abcdef.parquet").write_bytes(b"rows")
    assert build_args(warehouse) == leaving_out_enforcement
    # a new bronze file of cases (or of incidents, or one rewritten) brings them back
    (cases / "0123456789abcdef.parquet").write_bytes(b"rows")
    assert build_args(warehouse) == daily
    record("enforcement_feeds")
    assert build_args(warehouse) == leaving_out_enforcement
    (cases / "_empty.parquet").write_bytes(b"another schema")
    assert build_args(warehouse) == daily
    record("enforcement_feeds")
    (warehouse / "bronze" / "incidents").mkdir(parents=True)
    (warehouse / "bronze" / "incidents" / "fedcba9876543210.parquet").write_bytes(b"rows")
    assert build_args(warehouse) == daily
    record("enforcement_feeds")
    assert build_args(warehouse) == leaving_out_enforcement
    # the register of sites likewise, on its own: a new version of sites.csv brings its models back
    leaving_out_both = [*daily[:6], "tag:enforcement_feeds", "tag:sites_feed", *daily[6:]]
    (warehouse / "bronze" / "sites").mkdir(parents=True)
    (warehouse / "bronze" / "sites" / "00aa00aa00aa00aa.parquet").write_bytes(b"rows")
    record("sites_feed")
    assert build_args(warehouse) == leaving_out_both
    (warehouse / "bronze" / "sites" / "11bb11bb11bb11bb.parquet").write_bytes(b"rows")
    assert build_args(warehouse) == leaving_out_enforcement
    (cases / "fedcba9876543210.parquet").write_bytes(b"rows")
    assert build_args(warehouse) == daily
    record("enforcement_feeds")
    record("sites_feed")
    assert build_args(warehouse) == leaving_out_both
    (warehouse / "build" / "project_fingerprint.txt").write_text("an older project")
    assert build_args(warehouse) == full_build


# Incremental models and the tables rebuilt from their state, compared without their load batch stamps.
STATE_TABLES = (
    "intermediate.int_bronze_files_loaded",
    "intermediate.int_observations_deduplicated",
    "intermediate.int_price_texts_parsed",
    "intermediate.int_location_texts_normalized",
    "intermediate.int_site_crawl_runs_aggregated",
    "intermediate.int_site_crawl_days_aggregated",
    "intermediate.int_listing_months_aggregated",
    "intermediate.int_listings_aggregated",
    "intermediate.int_listing_months_summarized",
    "intermediate.int_listing_quarters_summarized",
    "intermediate.int_site_days_spined",
)
# removed_at_before_run: the removal a listing had before the run that last recomputed it (run history).
STAMP_COLUMNS = ("loaded_at", "first_loaded_at", "removed_at_before_run")


def state_differences(first: Path, second: Path) -> dict[str, tuple[int, int]]:
    """Per state table of two build databases: rows only in first, rows only in second (stamps aside)."""
    differences: dict[str, tuple[int, int]] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{build_db_path(first)}' as first_db (read_only)")
        con.execute(f"attach '{build_db_path(second)}' as second_db (read_only)")
        for table in STATE_TABLES:
            names = con.sql(f"select * from first_db.{table} limit 0").columns
            columns = ", ".join(f'"{c}"' for c in names if c not in STAMP_COLUMNS)
            counts = tuple(
                con.execute(
                    f"select count(*) from (select {columns} from {left}.{table}"
                    f" except all select {columns} from {right}.{table})"
                ).fetchone()[0]
                for left, right in (("first_db", "second_db"), ("second_db", "first_db"))
            )
            if counts != (0, 0):
                differences[table] = counts
    return differences


def test_incremental_state_equals_full_build(incremental_warehouse: Path, tiny_warehouse: Path) -> None:
    """The incremental models themselves (every crawl row loaded once, the same copy kept of every
    observation, the same copies counted; the site-day and listing-month states merged where the new
    day touched them), apart from the load batch stamps, and the tables rebuilt from the states."""
    assert state_differences(incremental_warehouse, tiny_warehouse) == {}


def snapshot(warehouse: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(analyst_db_path(warehouse), target)
    return target


@pytest.fixture(scope="module")
def redelivery_warehouse(incremental_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    scratch = tmp_path_factory.mktemp("redelivery")
    warehouse = scratch / "warehouse"
    shutil.copytree(incremental_warehouse, warehouse)
    return warehouse


def test_redelivered_day_changes_no_analyst_table(
    redelivery_warehouse: Path, tiny_raw: Path, tmp_path: Path
) -> None:
    raw = link_copy(tiny_raw, tmp_path / "raw")
    day = last_crawl_day(raw)
    before = snapshot(redelivery_warehouse, tmp_path / "before.duckdb")

    # 1. the day's files again, byte for byte, under new names
    originals = sorted(p for p in day.iterdir() if p.is_file())
    for path in originals:
        shutil.copy2(path, day / f"redelivered_{path.name}")
    run_pipeline(raw, redelivery_warehouse)
    assert table_differences(before, analyst_db_path(redelivery_warehouse), ignore_audit=True) == {}

    # 2. the same rows in other bytes: re-compressed, and decompressed
    gzipped = [p for p in originals if p.name.endswith(".jsonl.gz")]
    assert gzipped, "the tiny day has a .jsonl.gz file"
    for path in gzipped:
        content = gzip.decompress(path.read_bytes())
        (day / f"regzipped_{path.name}").write_bytes(gzip.compress(content, compresslevel=1, mtime=0))
        (day / f"plain_{path.name.removesuffix('.gz')}").write_bytes(content)
    run_pipeline(raw, redelivery_warehouse)
    assert table_differences(before, analyst_db_path(redelivery_warehouse), ignore_audit=True) == {}

    # the audit records the re-deliveries, and nothing else changed in it
    with duckdb.connect() as con:
        con.execute(f"attach '{before}' as before_db (read_only)")
        con.execute(f"attach '{analyst_db_path(redelivery_warehouse)}' as after_db (read_only)")
        new_paths = {
            row[0]
            for row in con.sql(
                "select file_path from after_db.audit_ingest_files"
                " except select file_path from before_db.audit_ingest_files"
            ).fetchall()
        }
        assert {Path(p).name.split("_", 1)[0] for p in new_paths} == {"redelivered", "regzipped", "plain"}
        loaded = con.execute(
            "select coalesce(sum(rows_loaded), 0) from after_db.audit_ingest_files"
            " where file_path in (select unnest(?))",
            [sorted(new_paths)],
        ).fetchone()[0]
    assert loaded == 0


def land_a_case_and_a_site(raw: Path) -> None:
    (raw / "cases" / "late_case.csv").write_text(
        "case_id,agency,province,city,opened_on,case_type,outcome\n"
        "WW-TEST-0001,公安部,广东省,深圳市,2026-03-05,criminal,pending\n",
        encoding="utf-8",
    )
    sites = (raw / "sites.csv").read_text(encoding="utf-8")
    (raw / "sites.csv").unlink()  # a hard link to tiny_raw's file: a new file, not a write through it
    (raw / "sites.csv").write_text(sites + "waybill-test.example,forum,测试论坛\n", encoding="utf-8")


def largest_crawl_bronze_file(warehouse: Path) -> Path:
    bronze = warehouse / "bronze" / "crawl_observations"
    return max(
        (p for p in bronze.glob("*.parquet") if p.name != "_empty.parquet"), key=lambda p: p.stat().st_size
    )


def redeliver_bronze_rows(rows: pl.DataFrame, warehouse: Path, name: str, mtime: datetime) -> None:
    """`rows` again, in a bronze file of their own (below ingest's duplicate check), as landed at
    `mtime` from a file named after `name`."""
    copy = rows.with_columns(
        pl.lit(f"{name}{'0' * 60}"[:64]).alias("file_hash"),
        (pl.lit(f"crawl/redelivered/{name}_") + pl.col("file_path").str.split("/").list.last()).alias(
            "file_path"
        ),
        pl.lit(mtime).cast(rows.schema["file_mtime"]).alias("file_mtime"),
    )
    copy.write_parquet(warehouse / "bronze" / "crawl_observations" / f"{name}0000000000000.parquet")


@pytest.fixture(scope="module")
def later_deliveries(incremental_warehouse: Path, tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory):
    """On a copy of the incremental warehouse, one after the other: (1) a daily run that brings a
    cases file and a new version of sites.csv; (2) bronze re-delivering rows already loaded, once as
    a later copy and once as an earlier one (which then wins the copy ranking), each built and
    published; then a full rebuild of the result (without the fingerprint, a --full-refresh) to
    compare it with. One rebuild serves the two tests below."""
    scratch = tmp_path_factory.mktemp("later_deliveries")
    warehouse = scratch / "warehouse"
    shutil.copytree(incremental_warehouse, warehouse)
    raw = link_copy(tiny_raw, scratch / "raw")
    land_a_case_and_a_site(raw)
    run_pipeline(raw, warehouse)
    results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    ran_with_case_and_site = {result["unique_id"] for result in results["results"]}
    before = snapshot(warehouse, scratch / "before_redelivery.duckdb")
    rows = pl.read_parquet(largest_crawl_bronze_file(warehouse))
    assert rows.height > 0
    differences_after_redelivery = {}
    for name, mtime in (("late", datetime(2030, 1, 1)), ("early", datetime(2000, 1, 1))):
        redeliver_bronze_rows(rows, warehouse, name, mtime)
        build_and_publish(warehouse)
        differences_after_redelivery[name] = table_differences(
            before, analyst_db_path(warehouse), ignore_audit=True
        )
    rebuilt = scratch / "rebuilt"
    shutil.copytree(warehouse, rebuilt)
    (rebuilt / "build" / "project_fingerprint.txt").unlink()
    build_and_publish(rebuilt)
    return {
        "warehouse": warehouse,
        "rebuilt": rebuilt,
        "ran_with_case_and_site": ran_with_case_and_site,
        "differences_after_redelivery": differences_after_redelivery,
    }


def test_new_cases_and_sites_on_a_daily_run_rebuild_their_models(later_deliveries: dict) -> None:
    """A daily run that brings a cases file and a new version of sites.csv builds the models of their
    feed tags again (`enforcement_feeds`, `sites_feed`; a day of crawl files leaves them out:
    test_daily_run_leaves_seeds_as_loaded), and publishes what a full build of the same bronze
    publishes."""
    ran = later_deliveries["ran_with_case_and_site"]
    assert {"model.waybill_watch.fct_cases", "model.waybill_watch.fct_incidents"} <= ran
    assert "model.waybill_watch.int_sites_registered" in ran
    warehouse = later_deliveries["warehouse"]
    with duckdb.connect(str(analyst_db_path(warehouse)), read_only=True) as con:
        sql = "select region_code, agency_code from fct_cases where case_id = 'WW-TEST-0001'"
        assert con.execute(sql).fetchall() == [("440000", "MPS")]
        sql = "select channel, registered_in from dim_sites where site = 'waybill-test.example'"
        assert con.execute(sql).fetchall() == [("forum", "raw_sites")]
    rebuilt = later_deliveries["rebuilt"]
    assert table_differences(analyst_db_path(warehouse), analyst_db_path(rebuilt)) == {}


def test_redelivered_bronze_rows_are_merged_not_added(later_deliveries: dict) -> None:
    """Below ingest's duplicate check: a bronze file re-delivering rows already loaded, once as a
    later copy and once as an earlier one (which then wins the copy ranking), changes no analyst
    table; the de-duplicated observations count the extra copies."""
    assert later_deliveries["differences_after_redelivery"] == {"late": {}, "early": {}}
    warehouse = later_deliveries["warehouse"]
    with duckdb.connect(str(build_db_path(warehouse)), read_only=True) as con:
        winners = con.sql(
            "select file_path like 'crawl/redelivered/early_%' as early,"
            " file_path like 'crawl/redelivered/late_%' as late,"
            " min(delivered_copies) as copies, count(*) as keys"
            " from intermediate.int_observations_deduplicated where file_path like 'crawl/redelivered/%'"
            " group by all"
        ).fetchall()
    # the early copy won every key of the file; each key now counts (at least) three copies
    assert [(early, late) for early, late, _, _ in winners] == [(True, False)]
    assert winners[0][2] >= 3
    # the state tables recomputed the periods of the re-chosen keys exactly as a full build does
    assert state_differences(warehouse, later_deliveries["rebuilt"]) == {}


def test_full_build_in_slices_equals_one_statement(
    tiny_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full build of more rows than one statement should hold writes the de-duplicated observations
    and the listing-month state a slice of months at a time (post-hooks): at 20k rows per slice, the
    tiny history (~145k crawl rows) is several slices, and every state and analyst table equals the
    one-statement build."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(tiny_warehouse, warehouse)
    (warehouse / "build" / "project_fingerprint.txt").unlink()  # a --full-refresh
    (warehouse / "logs" / "dbt.log").unlink(missing_ok=True)
    monkeypatch.setenv("WAYBILL_WATCH_FULL_BUILD_SLICE_ROWS", "20000")
    build_and_publish(warehouse)
    log = (warehouse / "logs" / "dbt.log").read_text(encoding="utf-8")
    for table in ("int_observations_deduplicated", "int_listing_months_aggregated"):
        assert log.count(f'insert into "waybill_watch"."intermediate"."{table}"\n') >= 3, table
    assert state_differences(tiny_warehouse, warehouse) == {}
    assert table_differences(analyst_db_path(tiny_warehouse), analyst_db_path(warehouse)) == {}
