"""A week of daily runs on a warehouse `make bench` left (issue 7's daily target, its weekly vacuum day).

`make bench` measures three days after a full build; a daily build's closing checkpoint also
vacuums, on every VACUUM_EVERY-th day (src/waybill_watch/pipeline.py), and that day is the dearest of
a week. This adds `--days` days one after another, each fetching again the last crawl day's
listings as (b) does, measures each run as the bench does, and prints one JSON line a day (wall, CPU,
steps, whether it vacuumed), then a summary:

    .venv/bin/python bench/daily_week.py --raw bench/cache/large/raw --work bench/work/large [--days 8]
    [--full]    # first a full run into WORK/warehouse (when the bench left none)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from daily_delivery import REFETCH_LAST_DAY
from run import run_added_day, run_pipeline
from waybill_watch.pipeline import VACUUM_EVERY, vacuums_at_close


def one_day(raw: Path, work: Path, number: int) -> dict:
    vacuums = vacuums_at_close(work / "warehouse", daily=True)
    added, result = run_added_day(raw, work, f"week_day_{number}", REFETCH_LAST_DAY)
    return {
        "day": number,
        "crawl_day": added["day"],
        "vacuumed": vacuums,
        "exit_code": result["exit_code"],
        "wall_s": result["wall_s"],
        "cpu_s": result["cpu_s"],
        "steps": (result.get("profile") or {}).get("steps"),
    }


def summarize(days: list[dict]) -> dict:
    """The week's plain days and vacuum days apart, and how many days reached the 20 s target."""
    return {
        "days": len(days),
        "plain_days_s": [day["wall_s"] for day in days if not day["vacuumed"]],
        "vacuum_days_s": [day["wall_s"] for day in days if day["vacuumed"]],
        "days_at_or_over_20_s": sum(day["wall_s"] >= 20 for day in days),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--days", type=int, default=VACUUM_EVERY + 1)
    parser.add_argument("--full", action="store_true", help="a full run first")
    args = parser.parse_args()
    if args.full:
        full = run_pipeline(args.raw, args.work / "warehouse", args.work / "week_full_run.log")
        print(json.dumps({"full_run_wall_s": full["wall_s"], "exit_code": full["exit_code"]}), flush=True)
        if full["exit_code"] != 0:
            return 1
    days = []
    for number in range(1, args.days + 1):
        days.append(one_day(args.raw, args.work, number))
        print(json.dumps(days[-1]), flush=True)
        if days[-1]["exit_code"] != 0:
            return 1
    print(json.dumps(summarize(days)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
