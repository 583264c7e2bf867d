"""Ingest throughput (rows/s) and peak memory on crawl JSON Lines.

Uses the project's generator (`waybill_watch.generate.generate_raw`, scale `medium`) when
it is available; otherwise writes a synthetic landing zone of realistic crawl rows (one
file per crawl day). The ingest runs in a fresh child process so that its peak RSS is
measured alone. Results go to bench/results_ingest.json.

    .venv/bin/python bench/bench_ingest.py [--rows 1000000] [--synthetic] [--raw RAW] [--label NAME]

Each measurement is kept under its label in results["runs"] (before/after comparisons).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results_ingest.json"
SITES = ["xianyu.com", "taobao.com", "pinduoduo.com", "t.me", "tieba.baidu.com", "pastebin.com"]
TITLES = ["快递单号出售 当天新单", "圆通韵达 新鲜单号 批发", "全网快递数据 实时更新", "三通一达 历史单 低价"]
PRICES = ["0.04元/条", "400元/万条", "4分一条", "面议", "0.5元/条起", "1.2元/单"]


def _synthetic_row(rng: random.Random, day: dt.date, i: int) -> dict:
    site = rng.choice(SITES)
    listing = rng.randrange(200_000)
    at = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randrange(86_400))
    samples = [f"张** 138****{rng.randrange(10_000):04d} 广东省深圳市***"] * rng.randrange(4)
    if rng.random() < 0.02:
        samples.append(f"李* 1{rng.randrange(3, 10)}{rng.randrange(10**9):09d} 杭州市")
    return {
        "run_id": f"{site}-{day:%Y%m%d}-{i % 7}",
        "fetched_at": at.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "site": site,
        "listing_id": listing if rng.random() < 0.5 else f"L{listing}",
        "url": f"https://{site}/item/{listing}",
        "crawler": rng.choice(["alpha", "beta"]),
        "title": rng.choice(TITLES),
        "seller": f"seller_{rng.randrange(20_000)}",
        "seller_contact": f"wx_{rng.randrange(20_000)}",
        "price_text": rng.choice(PRICES),
        "quantity_text": rng.choice(["库存10万条", "2w条", "不限量"]),
        "location_text": rng.choice(["广东省深圳市", "江浙沪", "全国"]),
        "carrier_text": rng.choice(["中通", "三通一达", "全网"]),
        "freshness_text": rng.choice(["当天", "3天内", "历史单"]),
        "sample_records": samples,
        "status": "active",
        "http_status": 200,
    }


def write_synthetic(raw: Path, rows: int, days: int = 10, seed: int = 7) -> int:
    rng = random.Random(seed)
    per_day = rows // days
    for d in range(days):
        day = dt.date(2026, 3, 1) + dt.timedelta(days=d)
        folder = raw / "crawl" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "crawl.jsonl").open("w", encoding="utf-8") as handle:
            for i in range(per_day):
                handle.write(json.dumps(_synthetic_row(rng, day, i), ensure_ascii=False) + "\n")
    return per_day * days


def write_generated(raw: Path) -> bool:
    try:
        from waybill_watch.generate import generate_raw
    except ImportError:
        return False
    generate_raw(raw, scale="medium", seed=7)
    return True


def _ingest_child(raw: str, warehouse: str, queue: mp.Queue) -> None:
    from waybill_watch.ingest import ingest_raw

    began = time.perf_counter()
    summary = ingest_raw(Path(raw), Path(warehouse))
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # Reader worker processes (run.read_in_order) have ended with their pool: counted here.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    crawl = [r for r in summary.audit_rows if r["feed"] == "crawl"]
    queue.put(
        {
            "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime + workers.ru_utime + workers.ru_stime,
            "cpu_seconds_main": usage.ru_utime + usage.ru_stime,
            "crawl_rows_read": sum(r["rows_read"] for r in crawl),
            "crawl_rows_loaded": sum(r["rows_loaded"] for r in crawl),
            "rows_read_all_feeds": sum(r["rows_read"] for r in summary.audit_rows),
            "files": len(summary.audit_rows),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "peak_rss_worker_mib": round(workers.ru_maxrss / 1024, 1),
            "validation_batches": len(summary.validations),
        }
    )


def run_ingest(raw: Path, warehouse: Path) -> dict:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    child = mp.get_context("spawn").Process(target=_ingest_child, args=(str(raw), str(warehouse), queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def merged_results(result: dict) -> dict:
    """The results file keeps one measurement per label (e.g. before / after a change)."""
    try:
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    runs = previous.get("runs", {}) if isinstance(previous.get("runs"), dict) else {}
    return {"runs": runs | {result["label"]: result}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic crawl rows")
    parser.add_argument("--synthetic", action="store_true", help="skip the generator")
    parser.add_argument("--raw", type=Path, help="use this existing landing zone (e.g. generated medium)")
    parser.add_argument("--label", default="latest", help="key of this measurement in the results file")
    args = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("WAYBILL_WATCH_PSEUDONYM_KEY", "bench-key-not-secret")
    work = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        raw = work / "raw"
        if args.raw is not None:
            raw, source = args.raw, f"existing landing zone {args.raw.name}"
        elif not args.synthetic and write_generated(raw):
            source = "generator medium (seed 7)"
        else:
            source = "synthetic"
            write_synthetic(raw, args.rows)
        raw_bytes = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
        load_before = os.getloadavg()[0]
        first = run_ingest(raw, work / "warehouse")
        load_after = os.getloadavg()[0]
        rerun = run_ingest(raw, work / "warehouse")
        result = {
            "label": args.label,
            "data": source,
            "raw_mib": round(raw_bytes / 2**20, 1),
            "cores": os.cpu_count(),
            "first_run": first,
            "crawl_rows_per_s": round(first["crawl_rows_read"] / first["seconds"]),
            # The machine is shared: rows per CPU-second is the figure that contention does not skew.
            "crawl_rows_per_cpu_s": round(first["crawl_rows_read"] / first["cpu_seconds"]),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(load_after, 2),
            "workers_env": os.environ.get("WAYBILL_WATCH_INGEST_WORKERS"),
            "rerun_seconds": round(rerun["seconds"], 2),
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        RESULTS.write_text(json.dumps(merged_results(result), indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
