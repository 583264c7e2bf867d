"""Date and timestamp parsing at ingest: SPEC vectors (dates.csv) plus spreadsheet forms."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from waybill_watch.ingest.dates import (
    parse_local_date,
    parse_local_datetime,
    parse_utc_datetime,
    parse_utc_series,
)

# SPEC vectors/dates.csv, copied so the test runs from a clean clone; the shared file,
# when present, is read too and must agree.
SPEC_DATE_VECTORS = [
    ("2026-03-05", "2026-03-05"),
    ("2026/3/5", "2026-03-05"),
    ("2026年3月5日", "2026-03-05"),
    ("20260305", "2026-03-05"),
    ("2026-03-05 14:22:00", "2026-03-05"),
    ("2026/03/05 08:00", "2026-03-05"),
]
SHARED_VECTORS = Path("/work/shared/vectors/dates.csv")


def _vector_rows() -> list[tuple[str, str]]:
    rows = list(SPEC_DATE_VECTORS)
    if SHARED_VECTORS.exists():
        with SHARED_VECTORS.open(encoding="utf-8") as handle:
            rows += [(r["date_text"], r["date"]) for r in csv.DictReader(handle)]
    return rows


def test_spec_date_vectors() -> None:
    rows = _vector_rows()
    frame = pl.DataFrame({"text": [r[0] for r in rows]}).with_columns(date=parse_local_date(pl.col("text")))
    got = [d.isoformat() if d else "" for d in frame.get_column("date").to_list()]
    assert got == [r[1] for r in rows]


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2026-03-05T14:22:00+08:00", dt.datetime(2026, 3, 5, 14, 22)),
        ("2026-03-05T06:22:00Z", dt.datetime(2026, 3, 5, 14, 22)),
        ("2026-03-05T00:22:00-06:00", dt.datetime(2026, 3, 5, 14, 22)),
        ("2026-03-05T14:22:00+0800", dt.datetime(2026, 3, 5, 14, 22)),
        ("2026-03-05T14:22:00.250", dt.datetime(2026, 3, 5, 14, 22, 0, 250000)),
        ("2026.3.5", dt.datetime(2026, 3, 5)),
        ("2026-3-5 8:00", dt.datetime(2026, 3, 5, 8, 0)),
        ("2026年3月5日 14时22分", dt.datetime(2026, 3, 5, 14, 22)),
        ("20260305 1422", dt.datetime(2026, 3, 5, 14, 22)),
        ("46086", dt.datetime(2026, 3, 5)),  # Excel serial day
        ("46086.75", dt.datetime(2026, 3, 5, 18, 0)),
        (" 2026/03/05 ", dt.datetime(2026, 3, 5)),
        ("2026-02-30", None),  # no such day: null, never a guess
        ("12", None),  # too small for a serial date
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_timestamp_forms(text: str | None, local: dt.datetime | None) -> None:
    frame = pl.DataFrame({"t": [text]}, schema={"t": pl.String}).select(
        local=parse_local_datetime(pl.col("t")), utc=parse_utc_datetime(pl.col("t"))
    )
    assert frame.get_column("local").item() == local
    expected_utc = local - dt.timedelta(hours=8) if local else None
    assert frame.get_column("utc").item() == expected_utc


def test_column_parser_agrees_with_the_general_rules() -> None:
    """parse_utc_series (native fast forms first) gives what the general rules give."""
    texts = [
        "2026-03-05T14:22:00+08:00",
        "2026-03-05T06:22:00Z",
        "2026-03-05T06:22:00.5Z",
        "2026-03-05 14:22:00",
        "2026-03-05T14:22:00",
        "2026-03-05T00:22:00-06:00",
        "2026/3/5 8:00",
        "2026年3月5日",
        "46086.5",
        "2026-02-30 10:00:00",
        "yesterday",
        None,
    ]
    series = pl.Series("t", texts, dtype=pl.String)
    general = pl.DataFrame({"t": series}).select(parse_utc_datetime(pl.col("t"))).to_series()
    assert parse_utc_series(series).to_list() == general.to_list()
    assert general.null_count() == 3
