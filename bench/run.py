"""`make bench`: issue 7's benchmark, side by side at 1M, 10M and 100M observations.

For each size, in one go (so that ratios compare figures measured minutes apart on the same
machine, never across runs):
  (a) full `waybill-watch run` from raw into a fresh warehouse,
  (b) the daily incremental run: one more day of ~400k observations on top of (a),
  (c) the hand-written DuckDB SQL baseline on the same raw files,
  (d) the polars baseline, (e) the pandas baseline (1M and 10M only),
each as its own process tree: wall time, CPU time, peak RSS of the tree, and wall ratios to (c).
Landing zones are generated once into bench/cache/<scale>/raw (deterministic for the seed) and
reused; bench/work/ holds the warehouses. Results merge into bench/results.json per size and
are rendered to bench/results.md.

    .venv/bin/python bench/run.py                   # every size
    WAYBILL_WATCH_BENCH_SIZES=1M,10M .venv/bin/python bench/run.py
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from daily_delivery import DAY_ROWS, REFETCH_LAST_DAY, REFETCH_LAST_JSONL_DAY, deliver_one_day  # noqa: E402
from measure import Measurement, measure  # noqa: E402
from report_md import completed, write_markdown  # noqa: E402

CACHE = BENCH / "cache"
WORK = BENCH / "work"
RESULTS = BENCH / "results.json"
SIZES = {"1M": "small", "10M": "medium", "100M": "large"}
PANDAS_SIZES = {"1M", "10M"}
BASELINES = ("duckdb", "polars", "pandas")
BASELINE_KEYS = tuple(f"{name}_baseline" for name in BASELINES)
# Which baselines to run (WAYBILL_WATCH_BENCH_BASELINES, default all; pandas only at 1M and 10M).
WANTED_BASELINES = os.environ.get("WAYBILL_WATCH_BENCH_BASELINES", ",".join(BASELINES)).split(",")
# The DuckDB baseline's memory_limit (3GB; the pipeline's is 2.4GB, profiles.yml). At 100M with 3GB its
# DISTINCT ON sort spilled more than the 56 GB of free disk this machine had, so the 100M tier
# gives it more memory (WAYBILL_WATCH_BENCH_BASELINE_MEMORY); results.json records the limit.
BASELINE_MEMORY = os.environ.get("WAYBILL_WATCH_BENCH_BASELINE_MEMORY", "3GB")
# What one bench run measures per size (WAYBILL_WATCH_BENCH_PARTS, default both): the pipeline's
# full and incremental runs, and the baselines. Measuring them in one go is the rule (ratios of
# figures minutes apart); a part alone is for re-measuring one side, and results.md says so.
PARTS = ("pipeline", "baselines", "build")
DEFAULT_PARTS = ("pipeline", "baselines")
PART_KEYS = {
    "pipeline": (
        "full_run",
        "added_day",
        "incremental_run",
        "next_added_day",
        "next_incremental_run",
        "late_added_day",
        "late_incremental_run",
        "pipeline_measured_at",
    ),
    # `build` (never by default): the pipeline again on the bronze a `pipeline` part ingested, with
    # the build and analyst databases removed: (a') dbt build + publish alone, then (b).
    "build": (
        "full_run_build",
        "added_day",
        "incremental_run",
        "next_added_day",
        "next_incremental_run",
        "late_added_day",
        "late_incremental_run",
        "build_measured_at",
    ),
    "baselines": (*BASELINE_KEYS, "baselines_measured_at"),
}
# Figures no part writes, kept across runs: earlier attempts and a separately measured ingest of
# the whole landing zone (`ingest_alone`, at 100M: the pipeline part does not fit beside the rest).
KEPT_KEYS = ("attempts", "ingest_alone")
# A baseline that runs longer than this is stopped; its ratio is then a lower bound.
BASELINE_TIMEOUT_S = float(os.environ.get("WAYBILL_WATCH_BENCH_TIMEOUT", 3 * 3600))
BENCH_ENV = {
    "WAYBILL_WATCH_PSEUDONYM_KEY": os.environ.get("WAYBILL_WATCH_PSEUDONYM_KEY", "bench-key-not-secret"),
    "PYTHONUNBUFFERED": "1",
}
BIN = Path(sys.executable).parent
# Free disk a size needs, in GB: the pipeline's warehouse (10M: 2.5 GB, 100M: 26 GB) plus DuckDB's
# spill, or a baseline's spill. At 100M a DuckDB baseline stopped with "No space left on device"
# beside 12.5 GB of other files (session 15), and pipeline and baseline ran with ~37 GB free.
DISK_NEEDED_GB = {"1M": 1, "10M": 5, "100M": 35}


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def landing_zone(scale: str) -> Path:
    raw = CACHE / scale / "raw"
    if not (raw / "_truth" / "summary.json").exists():
        say(f"generating {scale} into {raw} (cached for later runs)")
        subprocess.run(
            [sys.executable, str(BENCH / "bench_generate.py"), scale, "--out", str(raw), "--keep"], check=True
        )
    return raw


def crawl_rows(raw: Path) -> int:
    summary = json.loads((raw / "_truth" / "summary.json").read_text(encoding="utf-8"))
    return int(summary["counts"]["crawl_rows"])


def pipeline_profile(log: Path, warehouse: Path) -> dict:
    """Where a pipeline run spent its time: the step timings it prints and its slowest dbt nodes."""
    text = log.read_text(encoding="utf-8", errors="replace")
    steps = {m[0]: float(m[1]) for m in re.findall(r"(ingest|dbt build|publish) ([\d.]+)s", text)}
    nodes: list[dict] = []
    results = warehouse / "dbt_target" / "run_results.json"
    if results.exists():
        run = json.loads(results.read_text(encoding="utf-8"))
        timed = sorted(run["results"], key=lambda r: r.get("execution_time") or 0, reverse=True)
        nodes = [
            {"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2)}
            for r in timed[:8]
        ]
        steps["dbt nodes"] = len(run["results"])
    ingest = re.search(r"ingest run \S+ \(([\d.]+) s\)", text)
    if ingest:
        steps["ingest (inside)"] = float(ingest.group(1))
    return {"steps": steps, "slowest_dbt_nodes": nodes}


def settle_disk() -> None:
    """Write out what earlier steps left in the page cache before a measured command starts, so
    that a command does not pay for the writes of the one before. After the 100M full run wrote
    ~20 GB, the next daily run (b) spent ~20 s between its ingest and dbt's first log line on a
    machine with a slow disk (session 25; ~3 s in the daily runs after it): probably that writing."""
    os.sync()


def run_pipeline(raw: Path, warehouse: Path, log: Path) -> dict:
    settle_disk()
    result = measure(
        [str(BIN / "waybill-watch"), "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse)],
        log,
        BENCH_ENV,
    )
    profile = pipeline_profile(log, warehouse)
    keep_run_results(warehouse, log)
    return result.as_dict() | {"profile": profile, "memory_limit": pipeline_memory_limit()}


def keep_run_results(warehouse: Path, log: Path) -> None:
    """dbt's run_results.json of the run, beside its log (full_run_run_results.json, …): the next
    run overwrites the warehouse's, and the node timelines of (a), (b) and (b2) are what tells why
    the first daily run after a full build is the slowest."""
    results = warehouse / "dbt_target" / "run_results.json"
    if results.exists():
        shutil.copyfile(results, log.with_name(f"{log.stem}_run_results.json"))


def pipeline_memory_limit() -> str:
    """The DuckDB memory_limit of the pipeline's dbt build: WAYBILL_WATCH_MEMORY_LIMIT, else the
    default profiles.yml gives it."""
    if os.environ.get("WAYBILL_WATCH_MEMORY_LIMIT"):
        return os.environ["WAYBILL_WATCH_MEMORY_LIMIT"]
    profiles = (ROOT / "profiles.yml").read_text(encoding="utf-8")
    default = re.search(r"env_var\('WAYBILL_WATCH_MEMORY_LIMIT', '([^']+)'\)", profiles)
    return default.group(1) if default else "unknown"


def run_baseline(name: str, raw: Path, out: Path, log: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    script = BENCH / "baselines" / f"{name}_baseline.py"
    settle_disk()
    result: Measurement = measure(
        [
            sys.executable,
            str(script),
            "--raw",
            str(raw),
            "--out",
            str(out),
            "--memory-limit",
            BASELINE_MEMORY,
        ],
        log,
        BENCH_ENV,
        BASELINE_TIMEOUT_S,
    )
    tables: dict = {}
    if result.exit_code == 0:
        last = log.read_text(encoding="utf-8").strip().splitlines()[-1]
        tables = json.loads(last).get("tables", {})
    return result.as_dict() | {"tables": tables, "memory_limit": BASELINE_MEMORY}


def disk_shortfall_gb(label: str, work: Path, parts: set[str]) -> float:
    """GB of disk missing before `label` runs: what it needs against the free disk, plus the
    earlier warehouse of this size when the `pipeline` part will remove it (bench_size removes it
    first); 0 when there is enough."""
    existing = next(p for p in (work, *work.parents) if p.exists())
    warehouse = work / "warehouse"
    reclaimed = 0
    if "pipeline" in parts and warehouse.exists():
        reclaimed = sum(f.stat().st_size for f in warehouse.rglob("*") if f.is_file())
    available = (shutil.disk_usage(existing).free + reclaimed) / 1e9
    return round(max(0.0, DISK_NEEDED_GB[label] - available), 1)


def figures_kept(earlier: dict, parts: set[str]) -> dict:
    """What a size's new figures start from: the KEPT_KEYS, and, when only some parts run, the
    earlier figures of the others (a default run drops them: they are of another commit)."""
    kept = {key: earlier[key] for key in KEPT_KEYS if key in earlier}
    if parts == set(DEFAULT_PARTS):
        return kept
    return kept | {
        key: earlier[key] for part in PARTS if part not in parts for key in PART_KEYS[part] if key in earlier
    }


def bench_size(label: str, scale: str, parts: set[str], earlier: dict) -> dict:
    """The figures of one size. With only some `parts`, the other parts' figures are kept from the
    `earlier` results of this size (and say when they were measured)."""
    raw = landing_zone(scale)
    work = WORK / scale
    rows = crawl_rows(raw)
    figures = figures_kept(earlier, parts)
    figures |= {
        "scale": scale,
        "crawl_rows": rows,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    # Baselines first: their spill files are gone before the pipeline's warehouse (tens of GB at
    # 100M) takes the disk, and the earlier warehouse the pipeline part replaces is gone before them.
    if "pipeline" in parts:
        shutil.rmtree(work / "warehouse", ignore_errors=True)
    if "baselines" in parts:
        _bench_baselines(label, raw, work, figures)
    if "pipeline" in parts:
        _bench_pipeline(label, raw, work, rows, figures)
    if "build" in parts:
        _bench_build_on_bronze(label, raw, work, figures)
        if "pipeline" not in parts:
            compose_full_run(figures)
    add_ratios_to_duckdb(figures)
    figures["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return figures


def add_ratios_to_duckdb(figures: dict) -> None:
    """Each run's wall time ÷ the DuckDB baseline's; none when the baseline failed (out of disk,
    say: a failed run is no measure to compare with)."""
    baseline = figures.get("duckdb_baseline")
    base = baseline["wall_s"] if completed(baseline) else None
    for value in figures.values():
        if isinstance(value, dict) and "wall_s" in value:
            value["ratio_to_duckdb"] = round(value["wall_s"] / base, 2) if base else None


def _bench_pipeline(label: str, raw: Path, work: Path, rows: int, figures: dict) -> None:
    warehouse = work / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    say(f"{label}: (a) full run on {rows:,} crawl rows")
    figures["full_run"] = run_pipeline(raw, warehouse, work / "full_run.log")
    figures["pipeline_measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if figures["full_run"]["exit_code"] != 0:
        say(f"{label}: the full run failed (see {work / 'full_run.log'}); no incremental run")
        figures.pop("incremental_run", None)
        return
    _bench_added_day(label, raw, work, figures)


# (b) and (b2): the first daily run after the full run, then the next day's, each fetching again the
# listings of the landing zone's last crawl day, as a daily programme fetches what it fetched the day
# before. The first days read a build database the full run has just written (tens of GB at 100M)
# and were slower than later ones: at 100M (session 18) the first took 36.1 / 37.9 s, the next day's
# 33.5 s, the days after 32.3-33.6 s (the close of dbt's connection, a checkpoint, took 3-4 s in
# each); a daily schedule runs the later kind, and (b2) is the nearer measure of it.
# (b3): a day of late data on top of (b2): it fetches again the listings of the landing zone's last
# JSON Lines day. At 100M that is 2026-09-23, three weeks before the last day (the later days are
# Parquet exports), so the day withdraws removals the build had inferred since
# (bench/daily_delivery.py); up to session 34, (b) and (b2) at 100M were such days. At 1M and 10M
# the last day has JSON Lines files: (b3) fetches again (b)'s listings, without the Parquet export's.
ADDED_DAYS = (
    ("(b)", "incremental_run", "added_day", REFETCH_LAST_DAY),
    ("(b2)", "next_incremental_run", "next_added_day", REFETCH_LAST_DAY),
    ("(b3)", "late_incremental_run", "late_added_day", REFETCH_LAST_JSONL_DAY),
)


def _bench_added_day(label: str, raw: Path, work: Path, figures: dict) -> None:
    """(b): one more day of observations on top of the warehouse the full run left; (b2): the day
    after that, on top of (b); (b3): a day of late data after that."""
    for step, run_key, day_key, refetch in ADDED_DAYS:
        say(f"{label}: {step} incremental run adding one day of {DAY_ROWS:,} observations ({refetch})")
        figures[day_key], figures[run_key] = run_added_day(raw, work, run_key, refetch)
        if figures[run_key]["exit_code"] != 0:
            return  # the next day would stand on a failed one


def run_added_day(raw: Path, work: Path, log_name: str, refetch: str) -> tuple[dict, dict]:
    """Deliver the day after WORK/warehouse's last crawl day on top of `raw`, and measure the daily
    run that ingests it: (what was added, the run's figures)."""
    plus_one = work / "raw_plus_one_day"
    # A `build` part re-uses bronze that may hold the days an earlier part added: the same day
    # again would be all duplicates at ingest (a run with nothing new), so the day after is added.
    after = last_bronze_crawl_day(work / "warehouse")
    added = deliver_one_day(raw, plus_one, DAY_ROWS, after=after, refetch=refetch)
    result = run_pipeline(plus_one, work / "warehouse", work / f"{log_name}.log")
    # The extra day is large and rebuilt next time.
    shutil.rmtree(plus_one, ignore_errors=True)
    return added, result


def last_bronze_crawl_day(warehouse: Path) -> date | None:
    """The latest crawl folder date of the crawl files ingested into `warehouse` (its ingest audit)."""
    audit = warehouse / "bronze" / "ingest_files"
    if not audit.is_dir():
        return None
    days = [
        date.fromisoformat(match.group(1))
        for path in pl.read_parquet(audit / "*.parquet").get_column("file_path").to_list()
        if (match := re.match(r"crawl/(\d{4}-\d{2}-\d{2})/", path))
    ]
    return max(days, default=None)


def _bench_build_on_bronze(label: str, raw: Path, work: Path, figures: dict) -> None:
    warehouse = work / "warehouse"
    if not (warehouse / "bronze").is_dir():
        raise SystemExit(f"{label}: no ingested bronze in {warehouse}: run the pipeline part first")
    for derived in ("build", "analyst.duckdb", "exports", "dbt_target", "tmp"):
        path = warehouse / derived
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    say(f"{label}: (a') dbt build + publish on the ingested bronze of {warehouse}")
    figures["full_run_build"] = run_pipeline(raw, warehouse, work / "full_run_build.log")
    figures["build_measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if figures["full_run_build"]["exit_code"] != 0:
        figures.pop("incremental_run", None)
        return
    _bench_added_day(label, raw, work, figures)


def compose_full_run(figures: dict) -> None:
    """(a) as the sum of `ingest_alone` and (a'), when both were measured and (a) was not run as one
    process (100M here): said in `composed_of` and `note`, and in bench/results_history.md."""
    ingest, build = figures.get("ingest_alone"), figures.get("full_run_build")
    if not ingest or not build or ingest.get("exit_code") != 0 or build.get("exit_code") != 0:
        return
    figures["full_run"] = {
        "wall_s": round(ingest["wall_s"] + build["wall_s"], 1),
        "cpu_s": round(ingest["cpu_s"] + build["cpu_s"], 1),
        "peak_rss_mib": max(ingest["peak_rss_mib"], build["peak_rss_mib"]),
        "exit_code": 0,
        "composed_of": ["ingest_alone", "full_run_build"],
        "note": (
            "the sum of two measured processes, not one run: `waybill-watch ingest` of the whole"
            f" landing zone ({ingest['wall_s']:,.0f} s, {ingest.get('measured_at', '?')},"
            f" {ingest.get('commit', '?')}) and (a′) ({build['wall_s']:,.0f} s,"
            f" {figures.get('build_measured_at', '?')}); the peak is"
            " the larger of the two main processes (ingest's two reader processes add ~2.2 GiB:"
            " bench/results_ingest.json)"
        ),
    }


def _bench_baselines(label: str, raw: Path, work: Path, figures: dict) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for name in BASELINES:
        if (name == "pandas" and label not in PANDAS_SIZES) or name not in WANTED_BASELINES:
            continue
        say(f"{label}: ({'cde'[BASELINES.index(name)]}) {name} baseline")
        figures[f"{name}_baseline"] = run_baseline(name, raw, work / name, work / f"{name}_baseline.log")
    figures["baselines_measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "commit": commit.stdout.strip() or None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "speed": machine_speed(),
    }


def machine_speed() -> dict:
    """Seconds this machine takes for fixed work, a hint for setting figures of different runs side
    by side (the ratios to the baselines do not carry the absolute targets, such as the daily run's
    20 s): a pure-Python loop (dbt's own work between queries, ingest's pseudonyms) and a DuckDB
    aggregate on two threads. Only a hint: bench/results_history.md (sessions 19, 20) has machines
    it did not tell apart."""
    import duckdb

    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    python_s = time.perf_counter() - started
    with duckdb.connect() as con:
        con.execute("set threads = 2")
        con.execute("set enable_progress_bar = false")  # it would print into the bench's log
        started = time.perf_counter()
        con.execute("select sum(hash(i)) from range(200000000) as numbers(i)").fetchone()
        duckdb_s = time.perf_counter() - started
    return {"python_loop_10M_s": round(python_s, 2), "duckdb_hash_sum_200M_s": round(duckdb_s, 2)}


def main() -> int:
    wanted = [
        s.strip()
        for s in os.environ.get("WAYBILL_WATCH_BENCH_SIZES", ",".join(SIZES)).split(",")
        if s.strip()
    ]
    unknown = [s for s in wanted if s not in SIZES]
    if unknown:
        print(f"unknown size(s) {', '.join(unknown)}: use {', '.join(SIZES)}", file=sys.stderr)
        return 2
    parts = {
        p.strip()
        for p in os.environ.get("WAYBILL_WATCH_BENCH_PARTS", ",".join(DEFAULT_PARTS)).split(",")
        if p.strip()
    }
    if not parts or parts - set(PARTS):
        print(f"WAYBILL_WATCH_BENCH_PARTS: use {', '.join(PARTS)}", file=sys.stderr)
        return 2
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results.setdefault("sizes", {})
    for label in wanted:
        missing = disk_shortfall_gb(label, WORK / SIZES[label], parts)
        if missing:
            print(
                f"{label} needs ~{DISK_NEEDED_GB[label]} GB of free disk for its warehouse and spill "
                f"files; {missing} GB more must be freed first",
                file=sys.stderr,
            )
            return 2
        started = time.perf_counter()
        host = machine()
        figures = bench_size(label, SIZES[label], parts, results["sizes"].get(label, {}))
        figures["machine"] = host
        figures["bench_seconds"] = round(time.perf_counter() - started, 1)
        results["sizes"][label] = figures
        results["written_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        say(f"{label} done in {figures['bench_seconds']:.0f} s; results in {RESULTS}")
    if "10M" in wanted:
        say("ingest alone on 10M (issue 3's throughput figure)")
        subprocess.run(
            [sys.executable, str(BENCH / "bench_ingest.py"), "--raw", str(landing_zone("medium"))], check=True
        )
    say(f"wrote {write_markdown(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
