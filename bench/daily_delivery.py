"""One more day of crawl data on top of a landing zone, for the incremental benchmark (issue 7).

The new landing zone is a hard-link copy of the base one (same relative paths, same bytes,
same modification times, so ingest sees every old file as already ingested) plus one crawl
folder for the day after the last one. That day re-fetches the listings of the base's last
crawl day with JSON Lines files, each several times at distinct instants, until it holds
`rows` observations: a national programme's ~400k fetches a day.

    .venv/bin/python bench/daily_delivery.py --raw RAW --out RAW_PLUS_ONE_DAY [--rows 400000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import math
import shutil
import subprocess
from pathlib import Path

import polars as pl

DAY_ROWS = 400_000
SECONDS_PER_DAY = 86_400


def last_crawl_day(raw: Path) -> dt.date:
    return max(dt.date.fromisoformat(p.name) for p in (raw / "crawl").iterdir() if p.is_dir())


def last_jsonl_day(raw: Path) -> Path:
    """The latest crawl folder holding JSON Lines files (some days of a landing zone are delivered
    only as Parquet exports): the listings the added day re-fetches."""
    folders = sorted((p for p in (raw / "crawl").iterdir() if p.is_dir()), reverse=True)
    return next(f for f in folders if any(x.name.endswith((".jsonl", ".jsonl.gz")) for x in f.iterdir()))


def _read_day(folder: Path) -> pl.DataFrame:
    frames = [
        pl.read_ndjson(path, infer_schema_length=None)
        for path in sorted(folder.iterdir())
        if path.name.endswith((".jsonl", ".jsonl.gz"))
    ]
    rows = pl.concat(frames, how="diagonal_relaxed")
    # Field order as the crawlers write it; every landing field kept as delivered.
    return rows.filter(pl.col("fetched_at").is_not_null() & pl.col("site").is_not_null())


def day_rows(base_rows: pl.DataFrame, day: dt.date, rows: int) -> pl.DataFrame:
    """`rows` fetches on `day`: copy k of base row i is fetched at (i's slot) + k × (day / copies)."""
    copies = math.ceil(rows / base_rows.height)
    spacing = SECONDS_PER_DAY // copies
    n = base_rows.height
    start = dt.datetime.combine(day, dt.time())
    repeated = pl.concat([base_rows.with_columns(_copy=pl.lit(k)) for k in range(copies)]).head(rows)
    slot = (pl.int_range(pl.len()) % n) * spacing // n + pl.col("_copy") * spacing
    fetched = (pl.lit(start) + pl.duration(seconds=slot)).dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return repeated.with_columns(
        fetched_at=fetched,
        run_id=pl.format("{}-{}-{}", pl.col("crawler"), pl.lit(f"{day:%Y%m%d}"), pl.col("site")),
    ).drop("_copy")


def write_day(rows: pl.DataFrame, folder: Path, day: dt.date) -> list[Path]:
    """One gzip JSON Lines file per crawler, named as the crawlers name theirs."""
    folder.mkdir(parents=True)
    written = []
    for (crawler,), part in rows.partition_by("crawler", as_dict=True).items():
        path = folder / f"{crawler or 'crawler'}_{day:%Y%m%d}.jsonl.gz"
        with gzip.open(path, "wb", compresslevel=6) as handle:
            part.write_ndjson(handle)
        written.append(path)
    return written


def deliver_one_day(raw: Path, out: Path, rows: int = DAY_ROWS, after: dt.date | None = None) -> dict:
    """Hard-link copy of `raw` at `out`, plus the crawl folder of the day after `raw`'s last crawl
    day (or after `after`, when later: a warehouse that already holds an added day); what was added."""
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(raw), str(out)], check=True)
    last = max(last_crawl_day(raw), after or dt.date.min)
    day = last + dt.timedelta(days=1)
    new_rows = day_rows(_read_day(last_jsonl_day(raw)), day, rows)
    files = write_day(new_rows, out / "crawl" / day.isoformat(), day)
    return {
        "day": day.isoformat(),
        "rows": new_rows.height,
        "files": [str(f.relative_to(out)) for f in files],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=DAY_ROWS)
    args = parser.parse_args()
    print(deliver_one_day(args.raw, args.out, args.rows))


if __name__ == "__main__":
    main()
