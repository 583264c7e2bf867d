"""Benchmark `waybill-watch generate` at one scale: wall time, crawl rows per second, peak RSS.

    .venv/bin/python bench/bench_generate.py medium [--seed 7] [--out DIR] [--keep]

Results are merged into bench/results_generate.json (one entry per scale) and printed as a
markdown table row. Peak RSS is the process's high-water mark (getrusage, Linux KiB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from waybill_watch.generate import generate_raw

RESULTS = Path(__file__).resolve().parent / "results_generate.json"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="RAW directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    out = args.out or Path(tempfile.mkdtemp(prefix=f"waybill-bench-{args.scale}-")) / "raw"
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        # One line per simulated month, so a long run shows it is alive.
        if done % 30 == 0 or done == total:
            now = time.perf_counter()
            print(f"  day {done}/{total} (+{now - last[0]:.1f}s, peak {peak_rss_mib():.0f} MiB)", flush=True)
            last[0] = now

    started = time.perf_counter()
    summary = generate_raw(out, scale=args.scale, seed=args.seed, progress=progress)
    seconds = time.perf_counter() - started
    result = {
        "scale": args.scale,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "crawl_rows": summary.crawl_rows,
        "rows_per_second": round(summary.crawl_rows / seconds),
        "listings": summary.listings,
        "files": summary.files,
        "bytes": summary.bytes_written,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        # The machine is shared: a high load average means the timing is pessimistic.
        "load_average_1m_at_end": round(os.getloadavg()[0], 1),
    }
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results[args.scale] = result
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| scale | seconds | crawl rows | rows/s | files | GB | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.scale} | {seconds:.1f} | {summary.crawl_rows:,} | {result['rows_per_second']:,} | "
        f"{summary.files:,} | {summary.bytes_written / 1e9:.2f} | {result['peak_rss_mib']:.0f} |"
    )
    if not args.keep and args.out is None:
        shutil.rmtree(out.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
