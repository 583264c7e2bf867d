"""Bronze table schemas (docs/bronze.md) and the landing fields each feed knows."""

from __future__ import annotations

import polars as pl

# Landing fields (SPEC §3), re-exported for the ingest modules.
from waybill_watch.landing import (
    CASE_FIELDS,
    CASE_REQUIRED,
    CRAWL_FIELDS,
    CRAWL_REQUIRED,
    INCIDENT_FIELDS,
    INCIDENT_REQUIRED,
    SITE_FIELDS,
    SITE_REQUIRED,
)

COMMON: dict[str, pl.DataType] = {
    "file_hash": pl.String(),
    "file_path": pl.String(),
    "file_mtime": pl.Datetime("us"),
    "line_no": pl.Int64(),
    "row_hash": pl.String(),
}

CRAWL_SCHEMA = pl.Schema(
    {
        **COMMON,
        "crawl_folder_date": pl.Date(),
        "run_id": pl.String(),
        "fetched_at_text": pl.String(),
        "fetched_at_utc": pl.Datetime("us"),
        "site": pl.String(),
        "listing_id": pl.String(),
        "url": pl.String(),
        "crawler": pl.String(),
        "title": pl.String(),
        "seller_key": pl.String(),
        "contact_key": pl.String(),
        "price_text": pl.String(),
        "price_amount": pl.Float64(),
        "price_currency": pl.String(),
        "price_per_records": pl.Float64(),
        "quantity_text": pl.String(),
        "location_text": pl.String(),
        "carrier_text": pl.String(),
        "freshness_text": pl.String(),
        "sample_record_count": pl.Int32(),
        "has_unmasked_samples": pl.Boolean(),
        "status": pl.String(),
        "http_status": pl.Int32(),
    }
)

INCIDENTS_SCHEMA = pl.Schema(
    {
        **COMMON,
        "incident_id": pl.String(),
        "reported_at_text": pl.String(),
        "reported_at": pl.Datetime("us"),
        "updated_at_text": pl.String(),
        "updated_at": pl.Datetime("us"),
        "province": pl.String(),
        "city": pl.String(),
        "source": pl.String(),
        "carrier": pl.String(),
        "leak_stage": pl.String(),
        "status": pl.String(),
        "records_affected": pl.String(),
        "has_description": pl.Boolean(),
    }
)

CASES_SCHEMA = pl.Schema(
    {
        **COMMON,
        "case_id": pl.String(),
        "agency": pl.String(),
        "province": pl.String(),
        "city": pl.String(),
        "case_type": pl.String(),
        "outcome": pl.String(),
        "opened_on_text": pl.String(),
        "opened_on": pl.Date(),
        "updated_at_text": pl.String(),
        "updated_at": pl.Datetime("us"),
        "closed_on_text": pl.String(),
        "closed_on": pl.Date(),
        "suspects": pl.String(),
        "records_involved": pl.String(),
        "illegal_gain_cny": pl.String(),
        "fine_cny": pl.String(),
        "sites_shut": pl.String(),
    }
)

SITES_SCHEMA = pl.Schema({**COMMON, "site": pl.String(), "channel": pl.String(), "name": pl.String()})

AUDIT_SCHEMA = pl.Schema(
    {
        "file_path": pl.String(),
        "feed": pl.String(),
        "content_hash": pl.String(),
        "file_size": pl.Int64(),
        "file_mtime": pl.Datetime("us"),
        "encoding": pl.String(),
        "rows_read": pl.Int64(),
        "rows_loaded": pl.Int64(),
        "rows_quarantined": pl.Int64(),
        "rows_duplicate": pl.Int64(),
        "status": pl.String(),
        "reason": pl.String(),
        "unknown_columns": pl.String(),
        "ingest_run_id": pl.String(),
        "ingested_at": pl.Datetime("us"),
    }
)

QUARANTINE_SCHEMA = pl.Schema(
    {
        "file_path": pl.String(),
        "feed": pl.String(),
        "content_hash": pl.String(),
        "line_no": pl.Int64(),
        "rule": pl.String(),
        "reason": pl.String(),
        "ingest_run_id": pl.String(),
    }
)

# feed → bronze table folder and schema
FEED_TABLES: dict[str, tuple[str, pl.Schema]] = {
    "crawl": ("crawl_observations", CRAWL_SCHEMA),
    "incidents": ("incidents", INCIDENTS_SCHEMA),
    "cases": ("cases", CASES_SCHEMA),
    "sites": ("sites", SITES_SCHEMA),
}
AUDIT_TABLE = "ingest_files"
QUARANTINE_TABLE = "quarantine"


__all__ = [
    "CASE_FIELDS",
    "CASE_REQUIRED",
    "CRAWL_FIELDS",
    "CRAWL_REQUIRED",
    "INCIDENT_FIELDS",
    "INCIDENT_REQUIRED",
    "SITE_FIELDS",
    "SITE_REQUIRED",
]


def empty_frame(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)
