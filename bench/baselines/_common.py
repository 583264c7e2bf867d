"""Shared plumbing of the three hand-written baselines (issue #7): CLI, input file lists, reference seeds.

Only plumbing lives here (argument parsing, finding the landed files, transcoding the rare
GB18030 CSV export to UTF-8, reading the seed CSVs, printing the result line). The table logic
is written out in each baseline in its own engine's idiom, with the same simplifications.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
REFERENCE = SEEDS / "reference"

TABLES = (
    "fct_listings",
    "mart_market_monthly",
    "mart_market_quarterly",
    "mart_price_index_quarterly",
    "mart_crawl_coverage_daily",
    "fct_cases",
    "fct_incidents",
    "mart_enforcement_quarterly",
    "mart_incidents_quarterly",
    "mart_region_quarterly",
)

# Patterns shared verbatim by the three baselines (RE2, Rust regex and Python re all accept them).
PRICE_RE = (
    r"(?P<cur>[¥￥$]|usdt|usd|rmb|cny|btc)?\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*"
    r"(?P<money>usdt|usd|u|btc|rmb|cny|元|块|毛|角|分|\$)?\s*(?:/|每|\s*per\s+)?(?P<cnt>[0-9]*)(?P<mult>百|千|k|万|w)?"
)
QUANTITY_RE = r"(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<mult>百|千|k|万|w)?"
AMOUNT_RE = r"(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<mult>亿|万|千|k|w)?"
DATE_RE = (
    r"(?P<y>[0-9]{4})[^0-9]?(?P<m>[0-9]{1,2})[^0-9]?(?P<d>[0-9]{1,2})"
    r"(?:[^0-9]+(?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2}))?"
)
UNMASKED_RE = (
    r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}|[0-9]{17}[0-9Xx]|(?:SF|YT|JT)[0-9]{12,13}"
    r"|7[3-8][0-9]{10,13}|[A-Z]{2}[0-9]{9}CN"
)
FRESH_REALTIME_RE = r"当天|当日|今天|今日|实时|24小时|24h|realtime"
FRESH_RECENT_RE = r"[0-9一二三四五六七]天|一周|1周|近期|本周|最近|recent"
FRESH_HISTORICAL_RE = r"历史|老单|旧|半年|月前|年前|historical"
CN_DIGITS_FROM = "一二三四五六七八九两"
CN_DIGITS_TO = "1234567892"
MULTIPLIERS = {"百": 100, "千": 1000, "k": 1000, "万": 10000, "w": 10000, "亿": 100000000}
MONEY_FACTOR = {"毛": 0.1, "角": 0.1, "分": 0.01}
PRICE_MIN, PRICE_MAX = 0.001, 50.0
THIN_BASE = 30
LOW_COVERAGE = 0.8
MAINLAND_AND_SAR = 34


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--raw", type=Path, required=True, help="landing zone RAW")
    parser.add_argument("--out", type=Path, required=True, help="output directory (one Parquet per table)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")  # as the pipeline's dbt build (profiles.yml)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def utf8_csvs(raw: Path, feed: str, out: Path) -> list[Path]:
    """The feed's CSV files, with any non-UTF-8 (GB18030/GBK) export transcoded to a UTF-8 copy under OUT."""
    files: list[Path] = []
    for path in sorted((raw / feed).glob("*.csv")):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            files.append(path)
        except UnicodeDecodeError:
            copy = out / "_utf8" / feed / path.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(data.decode("gb18030"), encoding="utf-8")
            files.append(copy)
    return files


def sites_csvs(raw: Path) -> list[Path]:
    """The project's site seed, then RAW/sites.csv (which extends and overrides it) when landed."""
    extra = raw / "sites.csv"
    return [SEEDS / "sites.csv", *([extra] if extra.exists() else [])]


def report(counts: dict[str, int]) -> None:
    missing = [t for t in TABLES if t not in counts]
    if missing:
        raise SystemExit(f"baseline did not produce {missing}")
    print(json.dumps({"tables": counts}))
