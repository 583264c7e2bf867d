"""The ingest boundary: landing zone (RAW) → typed bronze Parquet, quarantine and audit.

See docs/ingest.md (how it works) and docs/bronze.md (the contract with dbt).
"""

from waybill_watch.ingest.run import IngestSummary, ingest_raw

__all__ = ["IngestSummary", "ingest_raw"]
