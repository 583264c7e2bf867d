"""What reading alone costs (issue 7): read every crawl file of a landing zone, every field, as fast
as polars reads them, and do nothing else. A pipeline that reads the raw files with polars, the
fastest reader measured here (DuckDB's read_json was slower, issue 3), cannot take less than this,
whatever it does after reading.

JSON Lines are read with ingest's fixed schema (crawl.FIXED_SCHEMA, the fast path), gzip inflated
first; Parquet files as they are. A file polars cannot read whole (a planted fault: a malformed
line, another encoding) is counted and skipped. Threads: the machine's cores unless --threads.

    .venv/bin/python bench/read_floor.py --raw bench/cache/medium/raw
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from waybill_watch.ingest.crawl import FIXED_SCHEMA


def read_rows(path: Path) -> int | None:
    """Rows of one crawl file; None when polars cannot read it whole."""
    if path.name.endswith(".parquet"):
        return pl.read_parquet(path).height
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        return pl.read_ndjson(data, schema=FIXED_SCHEMA).height
    except pl.exceptions.ComputeError:
        return None


def read_floor(raw: Path, threads: int) -> dict:
    files = sorted(path for path in (raw / "crawl").rglob("*") if path.is_file())
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        counts = list(pool.map(read_rows, files))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = sum(count for count in counts if count is not None)
    return {
        "files": len(files),
        "files_not_read_whole": sum(count is None for count in counts),
        "rows": rows,
        "threads": threads,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_us_per_row": round(cpu / rows * 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(json.dumps(read_floor(args.raw, args.threads)))


if __name__ == "__main__":
    main()
