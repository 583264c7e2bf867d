"""One more day of crawl data on top of a landing zone, for the incremental benchmark (issue 7).

The new landing zone is a hard-link copy of the base one (same relative paths, same bytes,
same modification times, so ingest sees every old file as already ingested) plus one crawl
folder for the day after the last one. That day fetches again the listings of one of the base's
crawl days, with JSON Lines files, each listing several times at distinct instants, until it holds
`rows` observations: a national programme's ~400k fetches a day. Which day's listings (`refetch`):

- `last_day` (the default, and the bench's (b) and (b2) since session 35): the base's last crawl
  day, as a daily programme fetches again what it fetched the day before;
- `last_jsonl_day` (the bench's (b3); (b) and (b2) up to session 34): the latest day delivered as
  JSON Lines, its JSON Lines files only. In the 100M landing zone that is three weeks before the
  last day (the later days are Parquet exports), so the day sees again listings whose removal a
  build had inferred since, and withdraws those removals: a day of late data, dearer than a
  schedule's day. In the 1M and 10M zones it is the last day.

    .venv/bin/python bench/daily_delivery.py --raw RAW --out RAW_PLUS_ONE_DAY [--rows 400000]
        [--refetch last_day|last_jsonl_day]
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
REFETCH_LAST_DAY = "last_day"
REFETCH_LAST_JSONL_DAY = "last_jsonl_day"
CRAWL_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


def last_crawl_day(raw: Path) -> dt.date:
    return max(dt.date.fromisoformat(p.name) for p in (raw / "crawl").iterdir() if p.is_dir())


def refetched_files(raw: Path, refetch: str) -> list[Path]:
    """The crawl files whose listings the added day fetches again (module docstring)."""
    suffixes = {REFETCH_LAST_DAY: CRAWL_SUFFIXES, REFETCH_LAST_JSONL_DAY: JSONL_SUFFIXES}[refetch]
    for folder in sorted((p for p in (raw / "crawl").iterdir() if p.is_dir()), reverse=True):
        files = sorted(path for path in folder.iterdir() if path.name.endswith(suffixes))
        if files:
            return files
    raise ValueError(f"no crawl files ending in {' or '.join(suffixes)} under {raw / 'crawl'}")


def _read_crawl_file(path: Path) -> pl.DataFrame:
    if path.name.endswith(".parquet"):
        return pl.read_parquet(path)
    return pl.read_ndjson(path, infer_schema_length=None)


def _read_day(files: list[Path]) -> pl.DataFrame:
    frames = [_read_crawl_file(path) for path in files]
    # A field can differ in type between crawlers (listing_id a number or a text): ingest reads
    # either as text.
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
        # each crawler's own fields only: the others' are null in its rows after the concat
        part = part.select(column for column in part.columns if part[column].null_count() < part.height)
        path = folder / f"{crawler or 'crawler'}_{day:%Y%m%d}.jsonl.gz"
        with gzip.open(path, "wb", compresslevel=6) as handle:
            part.write_ndjson(handle)
        written.append(path)
    return written


def deliver_one_day(
    raw: Path,
    out: Path,
    rows: int = DAY_ROWS,
    after: dt.date | None = None,
    refetch: str = REFETCH_LAST_DAY,
) -> dict:
    """Hard-link copy of `raw` at `out`, plus the crawl folder of the day after `raw`'s last crawl
    day (or after `after`, when later: a warehouse that already holds an added day), fetching again
    the listings of the day `refetch` names; what was added."""
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(raw), str(out)], check=True)
    last = max(last_crawl_day(raw), after or dt.date.min)
    day = last + dt.timedelta(days=1)
    source = refetched_files(raw, refetch)
    new_rows = day_rows(_read_day(source), day, rows)
    files = write_day(new_rows, out / "crawl" / day.isoformat(), day)
    return {
        "day": day.isoformat(),
        "refetched_day": source[0].parent.name,
        "rows": new_rows.height,
        "files": [str(f.relative_to(out)) for f in files],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=DAY_ROWS)
    parser.add_argument(
        "--refetch", choices=(REFETCH_LAST_DAY, REFETCH_LAST_JSONL_DAY), default=REFETCH_LAST_DAY
    )
    args = parser.parse_args()
    print(deliver_one_day(args.raw, args.out, args.rows, refetch=args.refetch))


if __name__ == "__main__":
    main()
