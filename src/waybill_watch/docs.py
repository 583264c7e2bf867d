"""`make docs`: the dbt docs as one static page that opens offline (file://), under WAREHOUSE/docs_site/.

`dbt docs generate --static` writes target/static_index.html with the manifest and catalog inlined.
The catalog (column types) needs a built warehouse: the existing one is used when it has a build
database, otherwise the pipeline runs once on generated tiny data in a scratch directory.

Usage: python -m waybill_watch.docs [--warehouse-dir DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from waybill_watch.config import build_db_path, warehouse_dir
from waybill_watch.errors import WaybillWatchError

SITE_DIR_NAME = "docs_site"
SCRATCH_SEED = 7

# dbt-docs loads a Snowplow tracker from a CDN when the manifest says tracking is on; the project turns
# usage stats off, and the loader is disabled here too so the page never reaches the network.
_TRACKER_HOOK = "turn_on_tracking:function(){"
# Angular templates that put "{{ … }}" straight into a URL attribute make the browser fetch the literal
# text before Angular fills it in; under file:// Chromium logs each try as a console error. ng-attr-href
# sets the (SVG 2) href only once it is interpolated.
# The favicon link is an unbuilt webpack placeholder: point it at an empty data: URL instead.
_TEMPLATE_FIXES: tuple[tuple[str, str], ...] = (
    ('xlink:href="{{ getIcon(', 'ng-attr-href="{{ getIcon('),
    ("href=\"${require('./assets/favicons/favicon.ico')}\"", 'href="data:,"'),
)
# Anything the page would fetch from another host: <script src>, <link href>, CSS url(), @import.
_REMOTE_REFERENCE = re.compile(
    r"""<script[^>]+src=["'](?:https?:)?//|<link[^>]+href=["'](?:https?:)?//|"""
    r"""url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:url\()?\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def default_site_dir(warehouse: Path) -> Path:
    return warehouse / SITE_DIR_NAME


def build_docs_site(warehouse: Path, out_dir: Path | None = None) -> Path:
    """Write the static docs page for `warehouse` (building a scratch one if needed); returns index.html."""
    out_dir = out_dir or default_site_dir(warehouse)
    if build_db_path(warehouse).is_file():
        static_page = _generate_static_page(warehouse)
        return _publish_page(static_page, out_dir)
    print(
        f"no built warehouse at {warehouse}; building one from generated tiny data for the catalog",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="waybill-watch-docs-") as scratch:
        scratch_warehouse = _build_scratch_warehouse(Path(scratch))
        static_page = _generate_static_page(scratch_warehouse)
        return _publish_page(static_page, out_dir)


def _build_scratch_warehouse(scratch: Path) -> Path:
    from waybill_watch.generate import generate_raw
    from waybill_watch.pipeline import run_pipeline

    raw, warehouse = scratch / "raw", scratch / "warehouse"
    generate_raw(raw, scale="tiny", seed=SCRATCH_SEED)
    run_pipeline(raw, warehouse)
    return warehouse


def _generate_static_page(warehouse: Path) -> str:
    from waybill_watch.dbt_runner import run_dbt

    run_dbt(["docs", "generate", "--static"], warehouse)
    page = warehouse / "dbt_target" / "static_index.html"
    if not page.is_file():
        raise WaybillWatchError(f"dbt docs generate wrote no {page}; check dbt's log in {warehouse / 'logs'}")
    return page.read_text(encoding="utf-8")


def make_offline(page: str) -> str:
    """The page with the CDN tracker loader disabled; a one-line error if anything else is remote."""
    page = page.replace(_TRACKER_HOOK, _TRACKER_HOOK + "return;", 1)
    for template, fixed in _TEMPLATE_FIXES:
        page = page.replace(template, fixed)
    remote = _REMOTE_REFERENCE.search(page)
    if remote is not None:
        context = page[remote.start() : remote.start() + 80].replace("\n", " ")
        raise WaybillWatchError(
            f"the dbt docs page loads a remote resource ({context!r}); "
            "inline or strip it in waybill_watch/docs.py"
        )
    return page


def _publish_page(page: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    tmp = index.with_suffix(".html.tmp")
    tmp.write_text(make_offline(page), encoding="utf-8")
    tmp.replace(index)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m waybill_watch.docs", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse-dir", type=Path, default=None, help="default: $WAYBILL_WATCH_WAREHOUSE_DIR"
    )
    parser.add_argument("--out", type=Path, default=None, help="default: WAREHOUSE/docs_site")
    args = parser.parse_args(argv)
    warehouse = warehouse_dir(args.warehouse_dir)
    try:
        index = build_docs_site(warehouse, args.out.resolve() if args.out else None)
    except WaybillWatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dbt docs: {index.as_uri()} (one static file, opens offline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
