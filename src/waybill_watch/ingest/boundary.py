"""The privacy boundary (SPEC §8): landing rows → bronze rows with no raw personal data.

Every personal-data rule comes from `waybill_watch.privacy`. The exact checks are Python
regexes, so each is applied once per *distinct* value, and only to values that a cheap
polars pre-filter (a superset of the patterns) flags; pseudonyms are cached for the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable

import duckdb
import polars as pl

from waybill_watch import privacy
from waybill_watch.ingest.dates import parse_local_datetime
from waybill_watch.ingest.discover import LandedFile
from waybill_watch.ingest.schemas import CASES_SCHEMA, CRAWL_SCHEMA, INCIDENTS_SCHEMA, SITES_SCHEMA

TEXT_PREFILTER = privacy.PERSONAL_DATA_PREFILTER
FREE_TEXT_PREFILTER = f"{privacy.PERSONAL_DATA_PREFILTER}|{privacy.LONG_DIGIT_RUN_PREFILTER}"
FIELD_SEP = "\x1f"
LIST_SEP = "\x1e"
NULL_MARK = "\x00"
SMALL_HASH_ROWS = 20_000


class Pseudonymizer:
    """HMAC pseudonyms, each distinct value hashed once per run."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        # Every value pseudonymized so far and its pseudonym, as a frame a column joins: ~0.2 µs a
        # row, where a dict lookup per distinct value and `replace_strict` cost ~0.7 (a 180k-row
        # group of crawl rows holds ~87k distinct sellers and as many contacts).
        self._known = pl.DataFrame(schema=_KNOWN_SCHEMA)
        # A run with few files reads them in threads sharing this object: `_known` is replaced,
        # never changed in place, and only under the lock, without a value twice.
        self._adding = threading.Lock()
        # Row hashes are keyed too: they are hashes of raw rows that hold personal data.
        self.row_hash_salt = hashlib.sha256(b"row-hash\x00" + key).hexdigest()

    def key_column(self, values: pl.Series) -> pl.Series:
        """`privacy.pseudonymize` of each value of a text column (null for null), each distinct
        value hashed once per process."""
        frame = values.cast(pl.String).rename("value").to_frame()
        known = self._known
        looked_up = frame.join(known, on="value", how="left", maintain_order="left")
        unseen = looked_up.filter(pl.col("_seen").is_null()).get_column("value").drop_nulls().unique()
        if unseen.is_empty():
            return looked_up.get_column("key")
        texts = unseen.to_list()
        new = pl.DataFrame(
            {"value": texts, "key": privacy.pseudonymize_all(texts, self.key), "_seen": True},
            schema=_KNOWN_SCHEMA,
        )
        self._remember(new, known)
        # the new values' keys from `new` alone: joining the column to the whole cache again was
        # half of a worker's pseudonym time (the cache holds ~275k values after 5M crawl rows)
        filled = frame.join(new, on="value", how="left", maintain_order="left").get_column("key")
        return looked_up.select(pl.coalesce(pl.col("key"), filled)).to_series().rename("key")

    def _remember(self, new: pl.DataFrame, looked_in: pl.DataFrame) -> None:
        """Adds `new` (values not in `looked_in`) to the cache. When another thread added values
        since `looked_in` was read, only those of `new` still missing are added: a value twice in
        the cache would give its rows two keys each."""
        with self._adding:
            if self._known is not looked_in:
                new = new.join(self._known, on="value", how="anti")
            self._known = pl.concat([self._known, new])


_KNOWN_SCHEMA = pl.Schema({"value": pl.String(), "key": pl.String(), "_seen": pl.Boolean()})


def _replace_distinct(frame: pl.DataFrame, column: str, prefilter: str, fn: Callable) -> pl.Expr:
    """`column` with `fn` applied to each distinct value the pre-filter flags."""
    flagged = frame.get_column(column).filter(frame.get_column(column).str.contains(prefilter)).unique()
    if flagged.is_empty():
        return pl.col(column)
    old = flagged.to_list()
    return pl.col(column).replace(old, [fn(v) for v in old])


def _masked(frame: pl.DataFrame, column: str) -> pl.Expr:
    return _replace_distinct(frame, column, TEXT_PREFILTER, privacy.mask_personal_data).alias(column)


def _free_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    return _replace_distinct(frame, column, FREE_TEXT_PREFILTER, privacy.mask_long_digit_runs).alias(column)


def _has_text(column: str) -> pl.Expr:
    """Whether a non-blank text was given. Used for free text that must not pass at all
    (SPEC §8: an incident description can name people, which no pattern can catch)."""
    return pl.col(column).str.strip_chars().str.len_chars().fill_null(0) > 0


def _protected_id(frame: pl.DataFrame, column: str, pseudo: Pseudonymizer) -> pl.Expr:
    """An id that happens to look like personal data (e.g. a 12-digit number starting 73–78)
    is replaced by its pseudonym: identity is kept, and no such number passes the boundary."""

    def protect(value: str) -> str:
        if privacy.has_personal_data(value):
            return pseudo.key_column(pl.Series([value], dtype=pl.String)).item() or value
        return value

    return _replace_distinct(frame, column, TEXT_PREFILTER, protect).alias(column)


def _pseudonym(frame: pl.DataFrame, source: str, target: str, pseudo: Pseudonymizer) -> pl.Expr:
    return pl.lit(pseudo.key_column(frame.get_column(source))).alias(target)


def _unmasked_sample_flags(frame: pl.DataFrame) -> pl.Expr:
    samples = (
        frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), "sample_records")
        .explode("sample_records")
        .filter(pl.col("sample_records").str.contains(TEXT_PREFILTER))
    )
    hits = [
        v for v in samples.get_column("sample_records").unique().to_list() if privacy.has_personal_data(v)
    ]
    rows = samples.filter(pl.col("sample_records").is_in(hits)).get_column("_row").unique()
    return pl.int_range(pl.len(), dtype=pl.Int64).is_in(rows.implode()).alias("has_unmasked_samples")


def row_hashes(frame: pl.DataFrame, fields: tuple[str, ...], salt: str) -> pl.Series:
    """Hash of a row's canonical content (its landing fields, trimmed; null marked)."""
    parts: list[pl.Expr] = [pl.lit(salt)]
    for name in fields:
        col = pl.col(name)
        dtype = frame.schema[name]
        if isinstance(dtype, pl.List):
            text = col.list.eval(pl.element().fill_null(NULL_MARK)).list.join(LIST_SEP)
        elif dtype == pl.String:
            text = col.str.strip_chars()
        else:
            text = col.cast(pl.String)
        parts.append(text.fill_null(NULL_MARK))
    canonical = frame.select(pl.concat_str(parts, separator=FIELD_SEP).alias("c"))
    if canonical.is_empty():
        return pl.Series("row_hash", [], dtype=pl.String)
    if canonical.height < SMALL_HASH_ROWS:
        # A DuckDB query costs ≈4 ms: for one small file hashlib is ≈10× faster (same md5 hex).
        texts = canonical.get_column("c").to_list()
        return pl.Series("row_hash", [hashlib.md5(t.encode()).hexdigest() for t in texts], dtype=pl.String)
    # md5 in DuckDB: vectorized, and (unlike polars' hash) stable across versions.
    hashed = _duckdb().sql("select md5(c) as row_hash from canonical").pl()
    return hashed.get_column("row_hash")


_THREAD_STATE = threading.local()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB connection: a connection runs one query at a time and
    refuses a second caller, and the ingest of a few files hashes in two threads at once."""
    connection = getattr(_THREAD_STATE, "duckdb", None)
    if connection is None:
        connection = _THREAD_STATE.duckdb = duckdb.connect()
    return connection


# Rows of several landed files are transformed together (a batch): the file's columns and
# `_file` (its position in the batch, to split the result per file) ride along.
FILE_COLUMNS = ("_file", "file_hash", "file_path", "file_mtime", "line_no", "row_hash")


def _common() -> list[pl.Expr]:
    return [pl.col(c) for c in FILE_COLUMNS]


def with_file_columns(rows: pl.DataFrame, landed: LandedFile, position: int) -> pl.DataFrame:
    return rows.with_columns(
        pl.lit(position, dtype=pl.Int32).alias("_file"),
        pl.lit(landed.content_hash).alias("file_hash"),
        pl.lit(landed.rel_path).alias("file_path"),
        pl.lit(landed.mtime, dtype=pl.Datetime("us")).alias("file_mtime"),
        pl.lit(landed.crawl_folder_date, dtype=pl.Date).alias("crawl_folder_date"),
    )


def _finish(bronze: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return bronze.cast(dict(schema)).select("_file", *schema.names())


def _trimmed_lower(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.to_lowercase().replace("", None)


def crawl_to_bronze(rows: pl.DataFrame, pseudo: Pseudonymizer) -> pl.DataFrame:
    rows = rows.with_columns(
        pl.col(c).str.strip_chars().replace("", None)
        for c in ("run_id", "listing_id", "url", "crawler", "seller", "seller_contact", "price_currency")
    ).with_columns(status=_trimmed_lower("status"), site=_trimmed_lower("site"))
    masked_text = ("price_text", "quantity_text", "location_text", "carrier_text", "freshness_text")
    bronze = rows.select(
        *_common(),
        pl.col("crawl_folder_date"),
        _masked(rows, "run_id"),
        pl.col("fetched_at").alias("fetched_at_text"),
        pl.col("_fetched_at_utc").alias("fetched_at_utc"),
        _masked(rows, "site"),
        _protected_id(rows, "listing_id", pseudo),
        _masked(rows, "url"),
        _masked(rows, "crawler"),
        _free_text(rows, "title"),
        _pseudonym(rows, "seller", "seller_key", pseudo),
        _pseudonym(rows, "seller_contact", "contact_key", pseudo),
        _masked(rows, "price_text"),
        pl.col("price_amount"),
        _replace_distinct(rows, "price_currency", TEXT_PREFILTER, privacy.mask_personal_data)
        .str.to_uppercase()
        .alias("price_currency"),
        pl.col("price_per_records"),
        *(_masked(rows, c) for c in masked_text[1:]),
        pl.col("sample_records").list.drop_nulls().list.len().fill_null(0).alias("sample_record_count"),
        _unmasked_sample_flags(rows),
        _masked(rows, "status"),
        pl.col("http_status"),
    )
    return _finish(bronze, CRAWL_SCHEMA)


def incidents_to_bronze(rows: pl.DataFrame, pseudo: Pseudonymizer) -> pl.DataFrame:
    plain = ("province", "city", "source", "carrier", "leak_stage", "status", "records_affected")
    bronze = rows.select(
        *_common(),
        _protected_id(rows, "incident_id", pseudo),
        _masked(rows, "reported_at").alias("reported_at_text"),
        parse_local_datetime(pl.col("reported_at")).alias("reported_at"),
        _masked(rows, "updated_at").alias("updated_at_text"),
        parse_local_datetime(pl.col("updated_at")).alias("updated_at"),
        *(_masked(rows, c) for c in plain),
        _has_text("description").alias("has_description"),
    )
    return _finish(bronze, INCIDENTS_SCHEMA)


def cases_to_bronze(rows: pl.DataFrame, pseudo: Pseudonymizer) -> pl.DataFrame:
    plain = ("agency", "province", "city", "case_type", "outcome")
    amounts = ("suspects", "records_involved", "illegal_gain_cny", "fine_cny", "sites_shut")
    bronze = rows.select(
        *_common(),
        _protected_id(rows, "case_id", pseudo),
        *(_masked(rows, c) for c in plain),
        _masked(rows, "opened_on").alias("opened_on_text"),
        parse_local_datetime(pl.col("opened_on")).dt.date().alias("opened_on"),
        _masked(rows, "updated_at").alias("updated_at_text"),
        parse_local_datetime(pl.col("updated_at")).alias("updated_at"),
        _masked(rows, "closed_on").alias("closed_on_text"),
        parse_local_datetime(pl.col("closed_on")).dt.date().alias("closed_on"),
        *(_masked(rows, c) for c in amounts),
    )
    return _finish(bronze, CASES_SCHEMA)


def sites_to_bronze(rows: pl.DataFrame, pseudo: Pseudonymizer) -> pl.DataFrame:
    rows = rows.with_columns(site=_trimmed_lower("site"))
    bronze = rows.select(*_common(), _masked(rows, "site"), _masked(rows, "channel"), _masked(rows, "name"))
    return _finish(bronze, SITES_SCHEMA)


TO_BRONZE = {
    "crawl": crawl_to_bronze,
    "incidents": incidents_to_bronze,
    "cases": cases_to_bronze,
    "sites": sites_to_bronze,
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
