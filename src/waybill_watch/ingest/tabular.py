"""CSV feeds (SPEC §3.2–3.4): incidents, cases and sites.csv → landing rows + quarantine.

Read with Python's csv module: these files are small next to the crawl, and it lets a row
with the wrong number of fields be quarantined exactly instead of failing the file.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from waybill_watch.ingest.crawl import count_nonblank_lines
from waybill_watch.ingest.dates import EARLIEST_PLAUSIBLE, latest_plausible, parse_local_datetime
from waybill_watch.ingest.decode import FileRejected, decode_bytes
from waybill_watch.ingest.discover import LandedFile
from waybill_watch.ingest.parsed import QUARANTINE_ROWS_SCHEMA, ParsedFile, blank, first_failed_rule
from waybill_watch.ingest.schemas import (
    CASE_FIELDS,
    CASE_REQUIRED,
    INCIDENT_FIELDS,
    INCIDENT_REQUIRED,
    SITE_FIELDS,
    SITE_REQUIRED,
)

FEED_FIELDS = {
    "incidents": (INCIDENT_FIELDS, INCIDENT_REQUIRED),
    "cases": (CASE_FIELDS, CASE_REQUIRED),
    "sites": (SITE_FIELDS, SITE_REQUIRED),
}


def _header_name(raw: str) -> str:
    return raw.strip().strip('"').strip().lower()


def _rows(text: str, n_fields: int) -> tuple[list[list[str]], list[int], list[tuple]]:
    """Data rows with the header's field count, their row numbers, and the malformed ones."""
    good: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple] = []
    row_no = 0
    for row in csv.reader(io.StringIO(text, newline="")):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line is not a row
        row_no += 1
        if len(row) != n_fields:
            reason = f"row has {len(row)} fields, the header has {n_fields}"
            raw = ",".join(row)
            bad.append((row_no, "malformed_row", reason, raw))
            continue
        good.append(row)
        numbers.append(row_no)
    return good, numbers, bad


def _checks(feed: str) -> list[tuple[pl.Expr, str, str]]:
    if feed == "incidents":
        return [
            (blank(pl.col("incident_id")), "missing_id", "incident_id is empty"),
            (blank(pl.col("reported_at")), "missing_date", "reported_at is empty"),
            (pl.col("_date").is_null(), "bad_date", "reported_at is not a recognised date or timestamp"),
            *_implausible_date("reported_at"),
        ]
    if feed == "cases":
        return [
            (blank(pl.col("case_id")), "missing_id", "case_id is empty"),
            (blank(pl.col("opened_on")), "missing_date", "opened_on is empty"),
            (pl.col("_date").is_null(), "bad_date", "opened_on is not a recognised date"),
            *_implausible_date("opened_on"),
        ]
    return [(blank(pl.col("site")), "missing_required", "site is empty")]


def _implausible_date(name: str) -> list[tuple[pl.Expr, str, str]]:
    # issue 8: a date before 2000 or in the future is quarantined with its reason (dates.py)
    return [
        (pl.col("_date") < EARLIEST_PLAUSIBLE, "bad_date", f"{name} is before 2000"),
        (pl.col("_date") > latest_plausible(), "bad_date", f"{name} is in the future"),
    ]


def _date_field(feed: str) -> str | None:
    return {"incidents": "reported_at", "cases": "opened_on"}.get(feed)


def read_csv_feed(landed: LandedFile) -> ParsedFile:
    fields, required = FEED_FIELDS[landed.feed]
    data = landed.path.read_bytes()
    try:
        decoded = decode_bytes(data)
    except FileRejected as exc:
        exc.rows_read = max(count_nonblank_lines(data) - 1, 0)  # the header is not a row
        raise
    text = decoded.text
    try:
        header_row = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise FileRejected("unreadable", f"CSV header cannot be read ({exc})") from exc
    header = [_header_name(h) for h in header_row]
    try:
        rows, row_nos, bad = _rows(text, len(header))
    except csv.Error as exc:
        raise FileRejected("unreadable", f"not readable as CSV ({exc})") from exc
    # The header is the first row read: data rows are numbered from the one after it.
    rows, row_nos = rows[1:], [n - 1 for n in row_nos[1:]]
    bad = [(n - 1, *rest) for n, *rest in bad]
    rows_read = len(rows) + len(bad)
    missing = [c for c in required if c not in header]
    if missing:
        raise FileRejected(
            "missing_column",
            f"required column missing: {', '.join(missing)}",
            rows_read=rows_read,
            encoding=decoded.encoding,
        )
    unknown = sorted({h for h in header if h not in fields and h})
    positions = {name: header.index(name) for name in fields if name in header}
    data = {name: [row[pos] for row in rows] for name, pos in positions.items()}
    frame = pl.DataFrame(
        {"line_no": pl.Series(row_nos, dtype=pl.Int64)}
        | {name: pl.Series(data.get(name, [None] * len(rows)), dtype=pl.String) for name in fields}
    ).with_columns(
        # Trimmed text as given; an empty cell is null.
        pl.col(name).str.strip_chars().replace("", None)
        for name in fields
    )
    date_field = _date_field(landed.feed)
    frame = frame.with_columns(_date=parse_local_datetime(pl.col(date_field)) if date_field else pl.lit(True))
    rule, reason = first_failed_rule(_checks(landed.feed))
    checked = frame.with_columns(_rule=rule, _reason=reason).with_row_index("_pos")
    failed = checked.filter(pl.col("_rule").is_not_null())
    raw_lines = [",".join(rows[pos]) for pos in failed["_pos"].to_list()]
    entries = bad + [
        (line_no, rule_name, why, raw)
        for (line_no, rule_name, why), raw in zip(
            failed.select("line_no", "_rule", "_reason").iter_rows(), raw_lines, strict=True
        )
    ]
    passed = checked.filter(pl.col("_rule").is_null()).drop("_pos", "_rule", "_reason", "_date")
    return ParsedFile(
        rows=passed,
        quarantined=pl.DataFrame(entries, schema=QUARANTINE_ROWS_SCHEMA, orient="row").sort("line_no"),
        rows_read=rows_read,
        encoding=decoded.encoding,
        unknown_columns=unknown,
    )
