"""Write bronze Parquet by hand (docs/bronze.md), so dbt can be tested on rows whose answers are
worked out by hand, without going through ingest.

Each `write_*` call writes one Parquet file, as ingest would for one landed file: every row gets the
file's hash, path and modification time and its own line number.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

COMMON_FIELDS = [
    ("file_hash", pa.string()),
    ("file_path", pa.string()),
    ("file_mtime", pa.timestamp("us")),
    ("line_no", pa.int64()),
    ("row_hash", pa.string()),
]

CRAWL_FIELDS = [
    ("crawl_folder_date", pa.date32()),
    ("run_id", pa.string()),
    ("fetched_at_text", pa.string()),
    ("fetched_at_utc", pa.timestamp("us")),
    ("site", pa.string()),
    ("listing_id", pa.string()),
    ("url", pa.string()),
    ("crawler", pa.string()),
    ("title", pa.string()),
    ("seller_key", pa.string()),
    ("contact_key", pa.string()),
    ("price_text", pa.string()),
    ("price_amount", pa.float64()),
    ("price_currency", pa.string()),
    ("price_per_records", pa.float64()),
    ("quantity_text", pa.string()),
    ("location_text", pa.string()),
    ("carrier_text", pa.string()),
    ("freshness_text", pa.string()),
    ("sample_record_count", pa.int32()),
    ("has_unmasked_samples", pa.bool_()),
    ("status", pa.string()),
    ("http_status", pa.int32()),
]

INCIDENT_FIELDS = [
    ("incident_id", pa.string()),
    ("reported_at_text", pa.string()),
    ("reported_at", pa.timestamp("us")),
    ("updated_at_text", pa.string()),
    ("updated_at", pa.timestamp("us")),
    ("province", pa.string()),
    ("city", pa.string()),
    ("source", pa.string()),
    ("carrier", pa.string()),
    ("leak_stage", pa.string()),
    ("status", pa.string()),
    ("records_affected", pa.string()),
    ("has_description", pa.bool_()),
]

CASE_FIELDS = [
    ("case_id", pa.string()),
    ("agency", pa.string()),
    ("province", pa.string()),
    ("city", pa.string()),
    ("case_type", pa.string()),
    ("outcome", pa.string()),
    ("opened_on_text", pa.string()),
    ("opened_on", pa.date32()),
    ("updated_at_text", pa.string()),
    ("updated_at", pa.timestamp("us")),
    ("closed_on_text", pa.string()),
    ("closed_on", pa.date32()),
    ("suspects", pa.string()),
    ("records_involved", pa.string()),
    ("illegal_gain_cny", pa.string()),
    ("fine_cny", pa.string()),
    ("sites_shut", pa.string()),
]

SITE_FIELDS = [("site", pa.string()), ("channel", pa.string()), ("name", pa.string())]

INGEST_FILE_FIELDS = [
    ("file_path", pa.string()),
    ("feed", pa.string()),
    ("content_hash", pa.string()),
    ("file_size", pa.int64()),
    ("file_mtime", pa.timestamp("us")),
    ("encoding", pa.string()),
    ("rows_read", pa.int64()),
    ("rows_loaded", pa.int64()),
    ("rows_quarantined", pa.int64()),
    ("rows_duplicate", pa.int64()),
    ("status", pa.string()),
    ("reason", pa.string()),
    ("unknown_columns", pa.string()),
    ("ingest_run_id", pa.string()),
    ("ingested_at", pa.timestamp("us")),
]

QUARANTINE_FIELDS = [
    ("file_path", pa.string()),
    ("feed", pa.string()),
    ("content_hash", pa.string()),
    ("line_no", pa.int64()),
    ("rule", pa.string()),
    ("reason", pa.string()),
    ("ingest_run_id", pa.string()),
]

FEED_TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "crawl_observations": CRAWL_FIELDS,
    "incidents": INCIDENT_FIELDS,
    "cases": CASE_FIELDS,
    "sites": SITE_FIELDS,
}
OTHER_TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "ingest_files": INGEST_FILE_FIELDS,
    "quarantine": QUARANTINE_FIELDS,
}

DEFAULT_MTIME = datetime(2026, 10, 1, 0, 0, 0)


def schema_of(table: str) -> pa.Schema:
    if table in FEED_TABLES:
        return pa.schema(COMMON_FIELDS + FEED_TABLES[table])
    return pa.schema(OTHER_TABLES[table])


def write_empty_tables(bronze_dir: Path) -> None:
    """`<table>/_empty.parquet` with the full schema, so every source glob matches (docs/bronze.md)."""
    for table in [*FEED_TABLES, *OTHER_TABLES]:
        folder = bronze_dir / table
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema_of(table).empty_table(), folder / "_empty.parquet")


def utc(text: str) -> datetime:
    """'2026-06-30T16:30:00Z' or '2026-07-01T00:30:00+08:00' → naive UTC datetime."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"give an offset in fixture times: {text}")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def crawl_row(
    site: str,
    listing_id: str | None,
    fetched_at: str,
    *,
    url: str | None = None,
    run_id: str = "run-1",
    crawler: str | None = "crawler-a",
    status: str | None = "active",
    http_status: int | None = 200,
    price_amount: float | None = None,
    price_currency: str | None = None,
    price_per_records: float | None = None,
    price_text: str | None = None,
    quantity_text: str | None = None,
    location_text: str | None = None,
    carrier_text: str | None = None,
    freshness_text: str | None = None,
    seller_key: str | None = None,
    title: str | None = "出售快递单号数据",
    sample_record_count: int = 0,
    has_unmasked_samples: bool = False,
) -> dict[str, Any]:
    """One crawl row; `fetched_at` is ISO-8601 with an offset (the instant is what counts)."""
    instant = utc(fetched_at)
    return {
        "crawl_folder_date": instant.date(),
        "run_id": run_id,
        "fetched_at_text": fetched_at,
        "fetched_at_utc": instant,
        "site": site,
        "listing_id": listing_id,
        "url": url or f"https://{site}/item/{listing_id}",
        "crawler": crawler,
        "title": title,
        "seller_key": seller_key,
        "contact_key": None,
        "price_text": price_text,
        "price_amount": price_amount,
        "price_currency": price_currency,
        "price_per_records": price_per_records,
        "quantity_text": quantity_text,
        "location_text": location_text,
        "carrier_text": carrier_text,
        "freshness_text": freshness_text,
        "sample_record_count": sample_record_count,
        "has_unmasked_samples": has_unmasked_samples,
        "status": status,
        "http_status": http_status,
    }


def incident_row(
    incident_id: str,
    reported_at: datetime,
    province: str,
    *,
    updated_at: datetime | None = None,
    status: str | None = "verified",
    carrier: str | None = "中通",
    leak_stage: str | None = "outlet",
    records_affected: str | None = None,
    source: str | None = "12305",
    city: str | None = None,
) -> dict[str, Any]:
    """One incident version; times are Asia/Shanghai wall time, as in bronze."""
    return {
        "incident_id": incident_id,
        "reported_at_text": reported_at.isoformat(sep=" "),
        "reported_at": reported_at,
        "updated_at_text": updated_at.isoformat(sep=" ") if updated_at else None,
        "updated_at": updated_at,
        "province": province,
        "city": city,
        "source": source,
        "carrier": carrier,
        "leak_stage": leak_stage,
        "status": status,
        "records_affected": records_affected,
        "has_description": False,
    }


def case_row(
    case_id: str,
    agency: str,
    province: str,
    opened_on: date,
    *,
    updated_at: datetime | None = None,
    closed_on: date | None = None,
    case_type: str | None = "criminal",
    outcome: str | None = "pending",
    suspects: str | None = None,
    records_involved: str | None = None,
    illegal_gain_cny: str | None = None,
    fine_cny: str | None = None,
    sites_shut: str | None = None,
    city: str | None = None,
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "agency": agency,
        "province": province,
        "city": city,
        "case_type": case_type,
        "outcome": outcome,
        "opened_on_text": opened_on.isoformat(),
        "opened_on": opened_on,
        "updated_at_text": updated_at.isoformat(sep=" ") if updated_at else None,
        "updated_at": updated_at,
        "closed_on_text": closed_on.isoformat() if closed_on else None,
        "closed_on": closed_on,
        "suspects": suspects,
        "records_involved": records_involved,
        "illegal_gain_cny": illegal_gain_cny,
        "fine_cny": fine_cny,
        "sites_shut": sites_shut,
    }


def write_feed_file(
    bronze_dir: Path,
    table: str,
    file_path: str,
    rows: list[dict[str, Any]],
    mtime: datetime = DEFAULT_MTIME,
) -> str:
    """Write the rows of one landed file to bronze/<table>/<hash16>.parquet; returns the file hash."""
    content = json.dumps([file_path, rows], default=str, sort_keys=True).encode()
    file_hash = hashlib.sha256(content).hexdigest()
    records = []
    for line_no, row in enumerate(rows, start=1):
        row_hash = hashlib.sha256(json.dumps(row, default=str, sort_keys=True).encode()).hexdigest()
        records.append(
            {
                "file_hash": file_hash,
                "file_path": file_path,
                "file_mtime": mtime,
                "line_no": line_no,
                "row_hash": row_hash,
                **row,
            }
        )
    folder = bronze_dir / table
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist(records, schema=schema_of(table)), folder / f"{file_hash[:16]}.parquet"
    )
    return file_hash


def write_ingest_audit(bronze_dir: Path, rows: list[dict[str, Any]], run_id: str = "run-test") -> None:
    folder = bronze_dir / "ingest_files"
    folder.mkdir(parents=True, exist_ok=True)
    full = [
        {field: row.get(field) for field, _ in INGEST_FILE_FIELDS} | {"ingest_run_id": run_id} for row in rows
    ]
    pq.write_table(pa.Table.from_pylist(full, schema=schema_of("ingest_files")), folder / f"{run_id}.parquet")


def audit_row(file_path: str, feed: str, rows_loaded: int, **extra: Any) -> dict[str, Any]:
    return {
        "file_path": file_path,
        "feed": feed,
        "content_hash": hashlib.sha256(file_path.encode()).hexdigest(),
        "file_size": 100,
        "file_mtime": DEFAULT_MTIME,
        "encoding": "utf-8",
        "rows_read": rows_loaded,
        "rows_loaded": rows_loaded,
        "rows_quarantined": 0,
        "rows_duplicate": 0,
        "status": "loaded",
        "reason": None,
        "unknown_columns": None,
        "ingested_at": datetime(2026, 10, 2, 0, 0, 0),
        **extra,
    }


def listing_key_sql(listing_num: str) -> str:
    """fct_listings' text form of a `listing_num` column (macro `listing_key`: its hex digits), for
    tests that meet the intermediate tables' integer key with the analyst key."""
    return f"lower(hex({listing_num}))"


def kept_listing_ids_sql(warehouse: Path) -> str:
    """(listing_num, listing_key, listing_id) of the kept observations, found the documented way
    back to the evidence: int_observations_deduplicated's file_hash and line_no name the bronze row
    (listing_key: fct_listings' text form of listing_num, its hex digits)."""
    bronze = warehouse / "bronze" / "crawl_observations" / "*.parquet"
    return f"""
        select distinct
            kept.listing_num, {listing_key_sql("kept.listing_num")} as listing_key, bronze.listing_id
        from intermediate.int_observations_deduplicated as kept
        inner join read_parquet('{bronze}', union_by_name = true) as bronze
            on kept.file_hash = bronze.file_hash and kept.line_no = bronze.line_no
    """
