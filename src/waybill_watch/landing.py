"""The landing contract (SPEC §3): the fields of each raw feed and which of them are required.

One definition for the generator (which writes them), ingest (which rejects a file missing a
required column and reports unknown ones) and the tests.
"""

# Required fields must exist as columns, else the file is rejected (SPEC §3).
CRAWL_REQUIRED = ("run_id", "fetched_at", "site", "url")
CRAWL_FIELDS = (
    "run_id",
    "fetched_at",
    "site",
    "listing_id",
    "url",
    "crawler",
    "title",
    "seller",
    "seller_contact",
    "price_text",
    "price_amount",
    "price_currency",
    "price_per_records",
    "quantity_text",
    "location_text",
    "carrier_text",
    "freshness_text",
    "sample_records",
    "status",
    "http_status",
)
INCIDENT_REQUIRED = ("incident_id", "reported_at", "province")
INCIDENT_FIELDS = (
    "incident_id",
    "reported_at",
    "updated_at",
    "source",
    "province",
    "city",
    "carrier",
    "leak_stage",
    "records_affected",
    "description",
    "reporter_phone",
    "status",
)
CASE_REQUIRED = ("case_id", "agency", "province", "opened_on")
CASE_FIELDS = (
    "case_id",
    "agency",
    "province",
    "opened_on",
    "updated_at",
    "city",
    "closed_on",
    "case_type",
    "suspects",
    "suspect_names",
    "records_involved",
    "illegal_gain_cny",
    "fine_cny",
    "sites_shut",
    "outcome",
)
SITE_REQUIRED = ("site", "channel")
SITE_FIELDS = ("site", "channel", "name")
