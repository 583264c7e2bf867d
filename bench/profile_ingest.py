"""Where ingest's time goes per crawl row: the profile behind bench/results_notes.md's ingest table.

Reads groups of a landing zone's crawl files one after another in this process, as an ingest worker
process does (one polars thread, `process_group_in_worker`), and sums the time of each part over the
groups after the first `--skip` ones (so that the pseudonym cache is as warm as in a long run):

    .venv/bin/python bench/profile_ingest.py --raw bench/cache/large/raw --skip 30 --groups 30 [--json]

Nothing is written to a warehouse: the staged bronze files go to a temporary folder and are removed.
"""

from __future__ import annotations

import os

# as in a worker process (ingest.run.WORKER_ENVIRONMENT); set before polars is imported
os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import functools
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from waybill_watch.ingest import boundary
from waybill_watch.ingest import run as ingest_run
from waybill_watch.ingest.discover import discover_files

KEY = b"profile-key-not-secret"
# (module or class, function name, part): the functions `process_group_in_worker` calls, looked up
# by name at call time, so wrapping them here times them inside the real code path
PARTS = (
    (ingest_run, "read_outcome", "reading the files (gunzip, JSON or Parquet, landing types)"),
    (ingest_run, "split_required", "required rules (timestamps, checks)"),
    (ingest_run, "row_hashes", "row hashes (canonical text, md5)"),
    (boundary.Pseudonymizer, "key_column", "pseudonyms of seller and contact"),
    (boundary, "_replace_distinct", "masking (pre-filter, exact check)"),
    (boundary, "_unmasked_sample_flags", "sample flags"),
    (ingest_run, "gx_sample", "GX sample"),
    (ingest_run, "write_parquet_atomically", "bronze Parquet write (LZ4)"),
)


def _timed(owner: Any, name: str, part: str, seconds: Counter[str]) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[part] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def profile(raw: Path, skip: int, groups: int) -> dict[str, Any]:
    """Seconds per part over groups skip .. skip + groups - 1 of RAW's crawl files."""
    seconds: Counter[str] = Counter()
    for owner, name, part in PARTS:
        _timed(owner, name, part, seconds)
    crawl_files = [f for f in discover_files(raw) if f.feed == "crawl"]
    all_groups = ingest_run.file_groups(crawl_files)[: skip + groups]
    rows, total = 0, 0.0
    with tempfile.TemporaryDirectory() as spill:
        for index, group in enumerate(all_groups):
            if index == skip:
                seconds.clear()
                rows, total = 0, 0.0
            started = time.perf_counter()
            result = ingest_run.process_group_in_worker("crawl", group, KEY, Path(spill))
            total += time.perf_counter() - started
            rows += 0 if result.keys is None else result.keys.height
            for path in (result.staged or {}).values():
                path.unlink()
    parts = dict(seconds.most_common())
    parts["other (the group's concatenation, file columns, partitioning)"] = total - sum(parts.values())
    return {"groups": len(all_groups) - skip, "rows": rows, "seconds": total, "parts": parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--skip", type=int, default=30, help="groups read first, not counted")
    parser.add_argument("--groups", type=int, default=30, help="groups counted")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = profile(args.raw, args.skip, args.groups)
    if args.json:
        print(json.dumps(result))
        return
    rows, total = result["rows"], result["seconds"]
    per_row = total / rows * 1e6
    print(f"{result['groups']} groups, {rows:,} crawl rows in {total:.1f} s = {per_row:.2f} µs a row")
    for part, secs in result["parts"].items():
        print(f"  {part:65s} {secs / rows * 1e6:5.2f} µs a row  {secs / total:6.1%}")


if __name__ == "__main__":
    main()
