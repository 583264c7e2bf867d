"""`make bench`: the benchmarks that exist so far, run in one go, summarized in bench/results.md.

Each benchmark runs in its own process so that its peak memory is its own. Generated landing
zones are cached under bench/cache/ (deterministic for the seed), so a second `make bench`
measures the stages without regenerating. Issue 7 (full and incremental runs against DuckDB,
polars and pandas baselines at 1M/10M/100M) extends this file.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / "cache"
SCALES = os.environ.get("WAYBILL_WATCH_BENCH_SCALES", "small,medium").split(",")


def run(args: list[str]) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run([sys.executable, *args], check=True)


def landing_zone(scale: str) -> Path:
    raw = CACHE / scale / "raw"
    if not (raw / "_truth" / "summary.json").exists():
        run([str(BENCH / "bench_generate.py"), scale, "--out", str(raw), "--keep"])
    return raw


def load(name: str) -> dict:
    path = BENCH / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_markdown() -> Path:
    generate = load("results_generate.json")
    ingest = load("results_ingest.json")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "Figures are from the latest run of each benchmark (see the JSON files for when each was taken).",
        "",
        "## generate",
        "",
        "| scale | crawl rows | seconds | rows/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for scale, row in generate.items():
        lines.append(
            f"| {scale} | {row['crawl_rows']:,} | {row['seconds']:.1f} | "
            f"{row['rows_per_second']:,.0f} | {row['peak_rss_mib']:,.0f} |"
        )
    lines += ["", "## ingest", "", "```json", json.dumps(ingest, indent=2, ensure_ascii=False), "```", ""]
    out = BENCH / "results.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def main() -> int:
    for scale in SCALES:
        landing_zone(scale)
    run([str(BENCH / "bench_ingest.py"), "--raw", str(landing_zone(SCALES[-1]))])
    print(f"wrote {write_markdown()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
