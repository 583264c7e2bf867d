"""The command-line interface (SPEC §10): generate, run, report, and the stage helpers.

Each command delegates to the module of its stage; this file only parses options and turns
a `WaybillWatchError` into a one-line message and a non-zero exit.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from waybill_watch.errors import WaybillWatchError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="waybill-watch: trend tables and reports on the illegal trade in courier waybill data.",
)
err = Console(stderr=True)
out = Console()

SCALES = ("tiny", "small", "medium", "large")


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="RAW directory to write (landing contract)")],
    scale: Annotated[str, typer.Option(help="tiny | small | medium | large")] = "small",
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives byte-identical files")] = 7,
) -> None:
    """Write realistic, messy raw data with planted trends and a truth manifest."""
    if scale not in SCALES:
        _fail(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    from waybill_watch.generate import generate_raw

    try:
        summary = generate_raw(out_dir, scale=scale, seed=seed)
    except WaybillWatchError as exc:
        _fail(str(exc))
    out.print(summary)


@app.command()
def ingest(
    raw_dir: Annotated[Path, typer.Option("--raw-dir", help="landing zone (SPEC §3)")],
    warehouse_dir: Annotated[Path | None, typer.Option("--warehouse-dir")] = None,
    strict: Annotated[bool, typer.Option(help="refuse to run without a real pseudonym key")] = False,
) -> None:
    """Only the ingest step: landing zone → bronze Parquet, quarantine and audit."""
    from waybill_watch.config import warehouse_dir as resolve_warehouse
    from waybill_watch.ingest import ingest_raw

    try:
        summary = ingest_raw(raw_dir, resolve_warehouse(warehouse_dir), strict=strict)
    except WaybillWatchError as exc:
        _fail(str(exc))
    out.print(summary)


@app.command()
def run(
    raw_dir: Annotated[Path, typer.Option("--raw-dir", help="landing zone (SPEC §3)")],
    warehouse_dir: Annotated[Path | None, typer.Option("--warehouse-dir")] = None,
    strict: Annotated[bool, typer.Option(help="refuse to run without a real pseudonym key")] = False,
) -> None:
    """Ingest, dbt build (models and tests), publish the analyst database atomically."""
    from waybill_watch.config import warehouse_dir as resolve_warehouse
    from waybill_watch.pipeline import run_pipeline

    try:
        summary = run_pipeline(raw_dir, resolve_warehouse(warehouse_dir), strict=strict)
    except WaybillWatchError as exc:
        _fail(str(exc))
    out.print(summary)


@app.command()
def report(
    quarter: Annotated[str, typer.Option(help="e.g. 2026Q3")],
    public: Annotated[bool, typer.Option(help="suppress small counts (complementary suppression)")] = False,
    min_count: Annotated[int, typer.Option(help="--public: counts below this are suppressed")] = 10,
    warehouse_dir: Annotated[Path | None, typer.Option("--warehouse-dir")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="where the HTML, PDF and CSVs go")] = Path("reports"),
) -> None:
    """The quarterly trend report (HTML and PDF) from the published analyst database."""
    from waybill_watch.config import warehouse_dir as resolve_warehouse
    from waybill_watch.report import build_report

    try:
        paths = build_report(
            quarter, resolve_warehouse(warehouse_dir), out_dir, public=public, min_count=min_count
        )
    except WaybillWatchError as exc:
        _fail(str(exc))
    out.print(paths)


def main() -> None:
    """The `waybill-watch` command: `app`, with no garbage collection at exit (see below)."""
    try:
        app()
    finally:
        # The interpreter's final collection walked every object dbt and polars had left (~0.8 s of
        # a ~13 s daily run); the process ends now, so the operating system frees them instead.
        gc.freeze()


if __name__ == "__main__":
    main()
