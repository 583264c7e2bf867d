"""Hand-written polars baseline for issue #7: the ten required analyst tables (SPEC §6) from the raw
landing files, as a competent data engineer would write them in polars.

    python bench/baselines/polars_baseline.py --raw RAW --out OUT

SIMPLIFIED exactly as duckdb_baseline.sql (see the comment at its top; the three baselines share the
rules and the regexes in _common.py): no ingest boundary, audit, quarantine, bronze, tests or publication;
plain md5 (not HMAC) for listing_key and seller_key; fixed +08:00 Shanghai wall time; normalization once
per distinct raw text with first-number price/quantity/amount regexes, earliest-alias location/carrier
matching, keyword freshness, lowest-priority-alias agency/leak stage; latest incident/case version by
updated_at then file name; listing-level region/channel/seller in the marts.

Memory: two passes over the crawl. Pass 1 reads one day folder at a time (only the needed columns) and
writes its narrow rows to OUT/_tmp/m=<local month>/<day>.parquet. Pass 2 takes one month at a time:
de-duplicates (every copy of a (listing, instant) is in the same month), normalizes each distinct text
once, and reduces the month to site x day counts and per-listing partials (incl. the listing x month
values). The partials are then merged across months (sums, min/max, latest value by month). Peak memory
is one month of rows plus the partials, so 100M rows fit in a few GiB. A JSON Lines file with a
malformed line (polars' reader stops on it) is re-read line by line, skipping lines that do not parse.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sys
from pathlib import Path

import polars as pl
from _common import (
    AMOUNT_RE,
    CN_DIGITS_FROM,
    CN_DIGITS_TO,
    DATE_RE,
    FRESH_HISTORICAL_RE,
    FRESH_REALTIME_RE,
    FRESH_RECENT_RE,
    LOW_COVERAGE,
    MONEY_FACTOR,
    MULTIPLIERS,
    PRICE_MAX,
    PRICE_MIN,
    PRICE_RE,
    QUANTITY_RE,
    REFERENCE,
    TABLES,
    THIN_BASE,
    UNMASKED_RE,
    parse_args,
    report,
    sites_csvs,
    utf8_csvs,
)

TEXTS = ("price_text", "quantity_text", "location_text", "carrier_text", "freshness_text")
JSON_SCHEMA = {
    "run_id": pl.String,
    "fetched_at": pl.String,
    "site": pl.String,
    "listing_id": pl.String,
    "url": pl.String,
    "seller": pl.String,
    "price_text": pl.String,
    "price_amount": pl.Float64,
    "price_currency": pl.String,
    "price_per_records": pl.Float64,
    "quantity_text": pl.String,
    "location_text": pl.String,
    "carrier_text": pl.String,
    "freshness_text": pl.String,
    "sample_records": pl.List(pl.String),
    "status": pl.String,
    "http_status": pl.Int32,
}


def cn_digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(list(CN_DIGITS_FROM), list(CN_DIGITS_TO))


def mult(expr: pl.Expr) -> pl.Expr:
    return expr.replace_strict(MULTIPLIERS, default=1, return_dtype=pl.Float64)


def md5(expr: pl.Expr) -> pl.Expr:
    return expr.map_elements(lambda s: hashlib.md5(s.encode()).hexdigest(), return_dtype=pl.String)


# ------------------------------------------------------------------ crawl reading and narrowing
def read_json_file(path: Path) -> pl.LazyFrame:
    try:
        return pl.read_ndjson(path, schema=JSON_SCHEMA).lazy()
    except pl.exceptions.PolarsError:
        import gzip

        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        good = []
        for line in data.splitlines():
            try:
                json.loads(line)
                good.append(line)
            except ValueError:
                continue
        return pl.read_ndjson(io.BytesIO(b"\n".join(good)), schema=JSON_SCHEMA).lazy()


def read_parquet_file(path: Path) -> pl.LazyFrame:
    lf = pl.scan_parquet(path)
    have = lf.collect_schema().names()
    return lf.select(
        [pl.col(c).cast(t) if c in have else pl.lit(None, dtype=t).alias(c) for c, t in JSON_SCHEMA.items()]
    )


def narrow(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Raw rows → one narrow row per valid fetch, with its local month and the file it came from."""
    fetched = pl.col("fetched_at").str.strip_chars()
    base = (
        fetched.str.slice(0, 19)
        .str.replace("T", " ")
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    )
    off = fetched.str.extract_groups(r"(?P<sign>[+-])(?P<h>[0-9]{2}):?(?P<m>[0-9]{2})$")
    offset_min = (
        pl.when(fetched.str.ends_with("Z"))
        .then(0)
        .when(off.struct.field("h").is_not_null())
        .then(
            pl.when(off.struct.field("sign") == "-").then(-1).otherwise(1)
            * (off.struct.field("h").cast(pl.Int64) * 60 + off.struct.field("m").cast(pl.Int64))
        )
        .otherwise(480)
    )
    url = pl.col("url").str.strip_chars().str.replace(r"#.*$", "")
    host = url.str.extract(r"^([^/]*//[^/?#]*)", 1).fill_null("").str.to_lowercase()
    norm_url = (
        (host + url.str.replace(r"^[^/]*//[^/?#]*", ""))
        .str.replace_all(r"([?&])utm_[^&#]*", "$1")
        .str.replace_all(r"\?&+", "?")
        .str.replace_all(r"&&+", "&")
        .str.strip_chars_end("?&/")
    )
    listing_id = pl.col("listing_id").str.strip_chars().replace("", None)
    site = pl.col("site").str.strip_chars().str.to_lowercase()
    status = pl.col("status").str.strip_chars().str.to_lowercase()
    return (
        lf.filter(
            pl.col("run_id").str.strip_chars().replace("", None).is_not_null()
            & pl.col("site").str.strip_chars().replace("", None).is_not_null()
            & pl.col("url").str.strip_chars().replace("", None).is_not_null()
        )
        .select(
            (site + "|" + pl.coalesce(listing_id, norm_url)).alias("lkey"),
            site.alias("site"),
            (base + pl.duration(minutes=480 - offset_min)).alias("ts"),
            ~(
                (status == "removed").fill_null(False)
                | pl.col("http_status").is_in([404, 410]).fill_null(False)
            ).alias("live"),
            pl.col("sample_records").list.len().fill_null(0).cast(pl.Int16).alias("sample_n"),
            pl.col("sample_records")
            .list.join(" ")
            .str.contains(UNMASKED_RE)
            .fill_null(False)
            .alias("unmasked"),
            "price_amount",
            pl.col("price_per_records"),
            pl.col("price_currency").str.strip_chars().str.to_uppercase(),
            *TEXTS,
            pl.col("seller").str.strip_chars().str.to_lowercase().replace("", None).alias("seller"),
            "file",
        )
        .filter(pl.col("ts").is_not_null())
        .with_columns(pl.col("ts").dt.truncate("1mo").cast(pl.Date).alias("m"))
    )


def land_crawl(raw: Path, tmp: Path) -> list[Path]:
    """Pass 1: each day folder → its narrow rows, written to TMP/m=<local month>/<day>.parquet.

    Every copy of a (listing, instant) lands in the same month partition, so pass 2 can de-duplicate
    and aggregate one month at a time."""
    for day in sorted((raw / "crawl").iterdir()):
        frames = []
        for path in sorted(day.iterdir()):
            if path.name.endswith((".jsonl", ".jsonl.gz")):
                lf = read_json_file(path)
            elif path.suffix == ".parquet":
                lf = read_parquet_file(path)
            else:
                continue
            frames.append(lf.with_columns(pl.lit(f"{day.name}/{path.name}").alias("file")))
        if not frames:
            continue
        rows = narrow(pl.concat(frames, how="vertical_relaxed")).collect()
        for (month,), part in rows.partition_by("m", as_dict=True).items():
            folder = tmp / f"m={month}"
            folder.mkdir(parents=True, exist_ok=True)
            part.write_parquet(folder / f"{day.name}.parquet")
    return sorted(tmp.glob("m=*"))


# ------------------------------------------------------------------ lookups (one row per distinct text)
def distinct(df: pl.DataFrame, col: str) -> pl.DataFrame:
    return df.select(pl.col(col).cast(pl.String).unique().alias("txt")).filter(pl.col("txt").is_not_null())


def price_lookup(texts: pl.DataFrame) -> pl.DataFrame:
    g = cn_digits(pl.col("txt").str.strip_chars().str.to_lowercase()).str.extract_groups(PRICE_RE)
    return texts.with_columns(g.alias("g")).select(
        "txt",
        (
            pl.col("g").struct.field("num").cast(pl.Float64, strict=False)
            * pl.col("g")
            .struct.field("money")
            .replace_strict(MONEY_FACTOR, default=1.0, return_dtype=pl.Float64)
            / (
                pl.col("g")
                .struct.field("cnt")
                .replace("", None)
                .cast(pl.Float64, strict=False)
                .fill_null(1.0)
                * mult(pl.col("g").struct.field("mult"))
            )
        ).alias("amount"),
        pl.when(
            pl.col("g").struct.field("money").is_in(["u", "usdt"])
            | (pl.col("g").struct.field("money").is_null() & (pl.col("g").struct.field("cur") == "usdt"))
        )
        .then(pl.lit("USDT"))
        .when(
            pl.col("g").struct.field("money").is_in(["usd", "$"])
            | (
                pl.col("g").struct.field("money").is_null()
                & pl.col("g").struct.field("cur").is_in(["usd", "$"])
            )
        )
        .then(pl.lit("USD"))
        .when(
            (pl.col("g").struct.field("money") == "btc")
            | (pl.col("g").struct.field("money").is_null() & (pl.col("g").struct.field("cur") == "btc"))
        )
        .then(pl.lit("BTC"))
        .otherwise(pl.lit("CNY"))
        .alias("currency"),
    )


def quantity_lookup(texts: pl.DataFrame) -> pl.DataFrame:
    g = cn_digits(pl.col("txt").str.strip_chars().str.to_lowercase()).str.extract_groups(QUANTITY_RE)
    return texts.select(
        "txt",
        (g.struct.field("num").cast(pl.Float64, strict=False) * mult(g.struct.field("mult")))
        .round()
        .cast(pl.Int64)
        .alias("qty"),
    )


def region_aliases() -> pl.DataFrame:
    a = pl.read_csv(REFERENCE / "region_aliases.csv", infer_schema=False).select(
        pl.col("alias").str.to_lowercase(),
        "match_type",
        "region_code",
        pl.col("city_code").replace("", None),
        pl.col("alias_kind").str.starts_with("city").alias("is_city"),
    )
    provincial = a.filter(~pl.col("is_city"))["alias"].implode()
    return a.with_columns((~pl.col("alias").is_in(provincial)).alias("alias_is_city_only"))


def location_lookup(texts: pl.DataFrame, aliases: pl.DataFrame) -> pl.DataFrame:
    t = texts.with_columns(pl.col("txt").str.strip_chars().str.to_lowercase().alias("s")).filter(
        pl.col("s") != ""
    )
    hits = (
        t.join(aliases, how="cross")
        .with_columns(pl.col("s").str.find(pl.col("alias"), literal=True).alias("pos0"))
        .filter(
            pl.when(pl.col("match_type") == "exact")
            .then(pl.col("s") == pl.col("alias"))
            .otherwise(pl.col("pos0").is_not_null())
        )
        .with_columns(pl.col("pos0").fill_null(0).alias("pos"), pl.col("alias").str.len_chars().alias("len"))
    )
    region = (
        hits.sort(["txt", "pos", "len", "is_city"], descending=[False, False, True, False])
        .group_by("txt")
        .agg(pl.col("region_code").first())
    )
    city = (
        hits.filter(pl.col("is_city") & pl.col("alias_is_city_only"))
        .sort(["txt", "pos", "len"], descending=[False, False, True])
        .group_by("txt")
        .agg(pl.col("city_code").first())
    )
    return (
        t.select("txt")
        .join(region, on="txt", how="left")
        .join(city, on="txt", how="left")
        .with_columns(pl.col("region_code").fill_null("unknown"))
    )


def carrier_lookup(texts: pl.DataFrame, aliases: pl.DataFrame) -> pl.DataFrame:
    t = texts.filter(pl.col("txt").str.strip_chars() != "")
    hits = (
        t.join(aliases, how="cross")
        .filter(pl.col("txt").str.to_lowercase().str.contains(pl.col("alias"), literal=True))
        .group_by("txt")
        .agg(pl.col("carrier_code").unique().sort().alias("codes"))
    )
    return t.join(hits, on="txt", how="left").select(
        "txt",
        pl.when(pl.col("codes").list.contains("ALL"))
        .then(pl.lit("ALL"))
        .when(pl.col("codes").is_null())
        .then(pl.lit("UNKNOWN"))
        .otherwise(pl.col("codes").list.join("|"))
        .alias("carrier_codes"),
    )


def freshness_lookup(texts: pl.DataFrame) -> pl.DataFrame:
    s = pl.col("txt").str.strip_chars().str.to_lowercase()
    return texts.filter(s != "").select(
        "txt",
        pl.when(s.str.contains(FRESH_REALTIME_RE))
        .then(pl.lit("realtime"))
        .when(s.str.contains(FRESH_RECENT_RE))
        .then(pl.lit("recent"))
        .when(s.str.contains(FRESH_HISTORICAL_RE))
        .then(pl.lit("historical"))
        .otherwise(pl.lit("unknown"))
        .alias("freshness"),
    )


def best_alias(texts: pl.DataFrame, aliases: pl.DataFrame, code: str, by_priority: bool) -> pl.DataFrame:
    """Per text: the alias found (contains) with the lowest priority, then earliest position, then longest."""
    hits = (
        texts.with_columns(pl.col("txt").str.strip_chars().str.to_lowercase().alias("s"))
        .join(aliases, how="cross")
        .with_columns(
            pl.col("s").str.find(pl.col("alias"), literal=True).alias("pos"),
            pl.col("alias").str.len_chars().alias("len"),
        )
        .filter(pl.col("pos").is_not_null())
    )
    keys = (["priority"] if by_priority else []) + ["pos", "len", code]
    desc = ([False] if by_priority else []) + [False, True, False]
    return hits.sort(["txt", *keys], descending=[False, *desc]).group_by("txt").agg(pl.col(code).first())


# ------------------------------------------------------------------ pass 2: one local month at a time
def last(col: str, cond: pl.Expr | None = None, by: str = "ts") -> pl.Expr:
    """The value of COL on the latest row (by BY) where COND holds (default: COL is not null)."""
    m = pl.col(col).is_not_null() if cond is None else cond
    return pl.col(col).filter(m).max_by(pl.col(by).filter(m))


def month_observations(
    month: Path, raliases: pl.DataFrame, caliases: pl.DataFrame, fx: pl.DataFrame
) -> pl.DataFrame:
    """A month's narrow rows → de-duplicated observations with normalized price, quantity, place, carriers."""
    rows = pl.read_parquet(month / "*.parquet", hive_partitioning=False)
    # The same (listing, instant) delivered twice (overlapping crawlers, a re-delivered file): keep the copy
    # from the file that sorts last by day folder, then file name (as the DuckDB and pandas baselines do).
    obs = rows.sort("file", descending=True, maintain_order=True).unique(
        subset=["lkey", "ts"], keep="first", maintain_order=True
    )
    del rows
    lookups = {
        "price_text": price_lookup(distinct(obs, "price_text")),
        "quantity_text": quantity_lookup(distinct(obs, "quantity_text")),
        "location_text": location_lookup(distinct(obs, "location_text"), raliases),
        "carrier_text": carrier_lookup(distinct(obs, "carrier_text"), caliases),
        "freshness_text": freshness_lookup(distinct(obs, "freshness_text")),
    }
    for col, lk in lookups.items():
        obs = obs.join(lk, left_on=col, right_on="txt", how="left").drop(col)
    structured = pl.col("price_amount").is_not_null()
    per = pl.col("price_per_records").fill_null(1.0)
    return (
        obs.with_columns(
            pl.col("ts").cast(pl.Date).alias("d"),
            pl.when(structured)
            .then(pl.when((pl.col("price_amount") > 0) & (per > 0)).then(pl.col("price_amount") / per))
            .otherwise(pl.col("amount"))
            .alias("amount"),
            pl.when(structured)
            .then(pl.col("price_currency").fill_null("CNY"))
            .otherwise(pl.col("currency"))
            .alias("currency"),
        )
        .join(fx, on=["m", "currency"], how="left")
        .with_columns(pl.when(pl.col("amount") > 0).then(pl.col("amount") * pl.col("rate")).alias("price"))
        .drop("amount", "currency", "rate", "price_amount", "price_per_records", "price_currency", "file")
    )


def month_partials(obs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A month's observations → (site x day counts, listing partials incl. the listing x month values)."""
    site_days = obs.group_by("site", "d").agg(
        pl.col("ts").min().alias("first_ts"),
        pl.len().alias("observations"),
        pl.col("lkey").n_unique().alias("listings_seen"),
    )
    ok_price = pl.col("live") & pl.col("price").is_between(PRICE_MIN, PRICE_MAX)
    live_qty = pl.col("live") & pl.col("qty").is_not_null()
    listings = obs.group_by("lkey").agg(
        pl.col("site").first(),
        pl.col("m").first(),
        pl.len().cast(pl.Int64).alias("observation_count"),
        pl.col("ts").min().alias("first_seen_at"),
        pl.col("ts").filter(pl.col("live")).max().alias("last_seen_at"),
        pl.col("ts").filter(~pl.col("live")).min().alias("explicit_removed_at"),
        pl.col("d").max().alias("last_day"),
        last("price").alias("unit_price_cny"),
        last("qty").alias("records_offered"),
        last("region_code"),
        last("city_code", pl.col("region_code").is_not_null()),
        last("carrier_codes"),
        last("freshness"),
        last("seller"),
        pl.col("sample_n").max().cast(pl.Int64).alias("sample_record_count"),
        pl.col("unmasked").any().alias("has_unmasked_samples"),
        pl.col("live").any().alias("active"),
        last("price", ok_price).alias("month_price"),
        pl.col("ts").filter(ok_price).max().alias("price_ts"),
        last("qty", live_qty).alias("month_qty"),
        pl.col("ts").filter(live_qty).max().alias("qty_ts"),
    )
    return site_days, listings


# ------------------------------------------------------------------ marts
def quarter_label(col: str) -> pl.Expr:
    return pl.col(col).dt.year().cast(pl.String) + "Q" + pl.col(col).dt.quarter().cast(pl.String)


def market(lp: pl.DataFrame, listings: pl.DataFrame, coverage: pl.DataFrame, every: str) -> pl.DataFrame:
    removed = listings.filter(pl.col("removed_at").is_not_null()).select(
        "lkey", pl.col("removed_at").dt.truncate(every).cast(pl.Date).alias("period")
    )
    events = lp.join(removed, on=["lkey", "period"], how="full", coalesce=True).with_columns(
        pl.col("active").fill_null(False)
    )
    flagged = events.join(
        listings.select("lkey", "region_code", "channel", "seller", "first_seen_at", "removed_at"), on="lkey"
    ).with_columns(
        pl.col("region_code").fill_null("unknown"),
        (pl.col("period") == pl.col("first_seen_at").dt.truncate(every).cast(pl.Date)).alias("is_new"),
        (pl.col("period") == pl.col("removed_at").dt.truncate(every).cast(pl.Date))
        .fill_null(False)
        .alias("is_removed"),
    )
    a = pl.col("active")
    measures = [
        a.sum().alias("listings_active"),
        pl.col("is_new").sum().alias("listings_new"),
        pl.col("is_removed").sum().alias("listings_removed"),
        pl.col("seller").filter(a).drop_nulls().n_unique().alias("sellers_active"),
        pl.col("qty").filter(a).fill_null(0).sum().alias("records_offered"),
        pl.col("price").filter(a).count().alias("priced_listings"),
        pl.col("price").filter(a).quantile(0.25, interpolation="linear").alias("price_p25_cny"),
        pl.col("price").filter(a).quantile(0.5, interpolation="linear").alias("price_median_cny"),
        pl.col("price").filter(a).quantile(0.75, interpolation="linear").alias("price_p75_cny"),
    ]
    out = []
    for keys in (["region_code", "channel"], ["region_code"], ["channel"], []):
        g = flagged.group_by(["period", *keys]).agg(measures)
        for k in ("region_code", "channel"):
            if k not in keys:
                g = g.with_columns(pl.lit("all").alias(k))
        out.append(g.select("period", "region_code", "channel", *[m.meta.output_name() for m in measures]))
    agg = pl.concat(out)
    cov = coverage.with_columns(pl.col("crawl_date").dt.truncate(every).alias("period"))
    cov = pl.concat(
        [
            cov.group_by("period", "channel").agg(pl.col("is_crawled").mean().alias("coverage_ratio")),
            cov.group_by("period")
            .agg(pl.col("is_crawled").mean().alias("coverage_ratio"))
            .with_columns(pl.lit("all").alias("channel")),
        ],
        how="diagonal",
    )
    return agg.join(cov, on=["period", "channel"], how="left").with_columns(
        (pl.col("coverage_ratio") < LOW_COVERAGE).fill_null(False).alias("is_low_coverage")
    )


def pct_change(
    df: pl.DataFrame, keys: list[str], value: str, base: str, months: int, name: str
) -> pl.DataFrame:
    prev = df.select(
        *keys,
        pl.col("quarter_start").dt.offset_by(f"{months}mo").alias("quarter_start"),
        pl.col(value).alias("_pv"),
        pl.col(base).alias("_pb"),
        pl.col("is_low_coverage").alias("_pl"),
    )
    joined = df.join(prev, on=[*keys, "quarter_start"], how="left")
    ok = (
        (pl.col(base) >= THIN_BASE)
        & (pl.col("_pb") >= THIN_BASE)
        & ~pl.col("is_low_coverage")
        & ~pl.col("_pl")
    )
    return joined.with_columns(
        pl.when(ok).then((100.0 * (pl.col(value) / pl.col("_pv") - 1)).round(4)).alias(name)
    ).drop("_pv", "_pb", "_pl")


def parse_date(col: str) -> pl.Expr:
    g = pl.col(col).str.extract_groups(DATE_RE)
    text = (
        g.struct.field("y")
        + "-"
        + g.struct.field("m")
        + "-"
        + g.struct.field("d")
        + " "
        + g.struct.field("hh").fill_null("0")
        + ":"
        + g.struct.field("mi").fill_null("0")
    )
    parts = text.str.extract_groups(r"(?P<y>\d+)-(?P<m>\d+)-(?P<d>\d+) (?P<h>\d+):(?P<i>\d+)")
    padded = pl.format(
        "{}-{}-{} {}:{}",
        parts.struct.field("y"),
        parts.struct.field("m").str.zfill(2),
        parts.struct.field("d").str.zfill(2),
        parts.struct.field("h").str.zfill(2),
        parts.struct.field("i").str.zfill(2),
    )
    return padded.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False)


def parse_amount(col: str) -> pl.Expr:
    g = pl.col(col).str.to_lowercase().str.replace_all("[,，]", "").str.extract_groups(AMOUNT_RE)
    return g.struct.field("num").cast(pl.Float64, strict=False) * mult(g.struct.field("mult"))


def read_feed(files: list[Path]) -> pl.DataFrame:
    frames = [
        pl.read_csv(f, infer_schema=False).with_columns(pl.lit(f.name).alias("filename")) for f in files
    ]
    return pl.concat(frames, how="diagonal")


def latest(df: pl.DataFrame, key: str) -> pl.DataFrame:
    return (
        df.with_columns(pl.col(key).str.strip_chars(), parse_date("updated_at").alias("_upd"))
        .filter(pl.col(key).replace("", None).is_not_null())
        .sort([key, "_upd", "filename"], descending=[False, True, True], nulls_last=True)
        .unique(subset=[key], keep="first", maintain_order=True)
    )


def main() -> int:
    args = parse_args(__doc__ or "")
    out: Path = args.out
    # reference
    sites = (
        pl.concat(
            [pl.read_csv(p, infer_schema=False).select("site", "channel") for p in sites_csvs(args.raw)]
        )
        .select(
            pl.col("site").str.strip_chars().str.to_lowercase(),
            pl.col("channel").str.strip_chars().str.to_lowercase(),
        )
        .unique(subset=["site"], keep="last", maintain_order=True)
    )
    fx = pl.read_csv(REFERENCE / "exchange_rates_monthly.csv", infer_schema=False).select(
        pl.col("month_start").str.to_date().alias("m"),
        pl.col("currency").str.to_uppercase(),
        pl.col("cny_per_unit").cast(pl.Float64).alias("rate"),
    )
    provinces = pl.read_csv(REFERENCE / "provinces.csv", infer_schema=False).select(
        "region_code",
        "name_zh",
        pl.col("population_2020").cast(pl.Int64).alias("population"),
        (pl.col("is_mainland").str.to_lowercase() == "true").alias("is_mainland"),
    )
    raliases = region_aliases()
    caliases = pl.read_csv(REFERENCE / "carrier_aliases.csv", infer_schema=False).with_columns(
        pl.col("alias").str.to_lowercase()
    )
    aaliases = pl.read_csv(REFERENCE / "agency_aliases.csv", infer_schema=False).with_columns(
        pl.col("alias").str.to_lowercase(), pl.col("priority").cast(pl.Int32)
    )
    saliases = pl.read_csv(REFERENCE / "leak_stage_terms.csv", infer_schema=False).with_columns(
        pl.col("alias").str.to_lowercase(), pl.col("priority").cast(pl.Int32)
    )

    # crawl, pass 1: raw files → narrow rows partitioned by local month; pass 2: one month at a time
    tmp = out / "_tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    months = land_crawl(args.raw, tmp)
    site_days_parts, listing_parts = [], []
    for month in months:
        obs = month_observations(month, raliases, caliases, fx)
        site_days_part, listing_part = month_partials(obs)
        site_days_parts.append(site_days_part)
        listing_parts.append(listing_part)
        del obs
    shutil.rmtree(tmp)

    # listings: merge the monthly partials (latest value = the one from the latest month that has one)
    site_days = (
        pl.concat(site_days_parts)
        .sort("site", "d")
        .with_columns(pl.int_range(pl.len()).over("site").alias("rn"))
    )
    partials = pl.concat(listing_parts)
    agg = partials.group_by("lkey").agg(
        pl.col("site").first(),
        pl.col("observation_count").sum(),
        pl.col("first_seen_at").min(),
        pl.col("last_seen_at").max(),
        pl.col("explicit_removed_at").min(),
        pl.col("last_day").max(),
        last("unit_price_cny", by="m"),
        last("records_offered", by="m"),
        last("region_code", by="m"),
        last("city_code", pl.col("region_code").is_not_null(), by="m"),
        last("carrier_codes", by="m"),
        last("freshness", by="m"),
        last("seller", by="m"),
        pl.col("sample_record_count").max(),
        pl.col("has_unmasked_samples").any(),
    )
    sd = site_days.select("site", "d", "rn", "first_ts")
    inferred = (
        agg.filter(pl.col("explicit_removed_at").is_null())
        .select("lkey", "site", "last_day")
        .join(sd.select("site", pl.col("d").alias("last_day"), "rn"), on=["site", "last_day"])
        .join(
            sd.select("site", (pl.col("rn") - 1).alias("rn"), pl.col("first_ts").alias("inferred_at")),
            on=["site", "rn"],
        )
        .join(sd.select("site", (pl.col("rn") - 3).alias("rn")), on=["site", "rn"], how="semi")
        .select("lkey", "inferred_at")
    )
    listings = (
        agg.join(inferred, on="lkey", how="left")
        .with_columns(pl.col("site").cast(pl.String))
        .join(sites, on="site", how="left")
        .with_columns(
            pl.col("channel").fill_null("unknown"),
            pl.coalesce("explicit_removed_at", "inferred_at").alias("removed_at"),
            (pl.col("explicit_removed_at").is_null() & pl.col("inferred_at").is_not_null()).alias(
                "is_removal_inferred"
            ),
            (
                pl.col("unit_price_cny").is_not_null()
                & ~pl.col("unit_price_cny").is_between(PRICE_MIN, PRICE_MAX)
            ).alias("is_price_outlier"),
        )
    )
    fct_listings = listings.select(
        (pl.lit("4") + md5(pl.col("lkey").cast(pl.String)).str.slice(0, 15)).alias("listing_key"),
        "site",
        "channel",
        md5(pl.col("seller")).alias("seller_key"),
        "region_code",
        "city_code",
        "carrier_codes",
        "freshness",
        "unit_price_cny",
        "is_price_outlier",
        "records_offered",
        "first_seen_at",
        "last_seen_at",
        "removed_at",
        "is_removal_inferred",
        "observation_count",
        "sample_record_count",
        "has_unmasked_samples",
    )

    listing_months = partials.select(
        "lkey",
        pl.col("m").alias("period"),
        "active",
        pl.col("month_price").alias("price"),
        "price_ts",
        pl.col("month_qty").alias("qty"),
        "qty_ts",
    )
    del partials
    listing_quarters = (
        listing_months.with_columns(pl.col("period").dt.truncate("1q"))
        .group_by("lkey", "period")
        .agg(
            pl.col("active").any(),
            pl.col("price").filter(pl.col("price_ts").is_not_null()).max_by(pl.col("price_ts").drop_nulls()),
            pl.col("qty").filter(pl.col("qty_ts").is_not_null()).max_by(pl.col("qty_ts").drop_nulls()),
        )
    )
    listing_months = listing_months.drop("price_ts", "qty_ts")
    listings_for_marts = listings.select(
        "lkey", "region_code", "channel", "seller", pl.col("first_seen_at"), pl.col("removed_at")
    )

    span = site_days.group_by("site").agg(pl.col("d").min().alias("d0"), pl.col("d").max().alias("d1"))
    coverage = (
        span.select("site", pl.date_ranges("d0", "d1", "1d").alias("crawl_date"))
        .explode("crawl_date")
        .join(
            site_days.select("site", pl.col("d").alias("crawl_date"), "observations", "listings_seen"),
            on=["site", "crawl_date"],
            how="left",
        )
        .with_columns(pl.col("site").cast(pl.String))
        .join(sites, on="site", how="left")
        .select(
            "site",
            pl.col("channel").fill_null("unknown"),
            "crawl_date",
            pl.col("observations").is_not_null().alias("is_crawled"),
            pl.col("observations").fill_null(0).cast(pl.Int64),
            pl.col("listings_seen").fill_null(0).cast(pl.Int64),
        )
    )
    monthly = market(listing_months, listings_for_marts, coverage, "1mo").rename({"period": "month_start"})
    quarterly = market(listing_quarters, listings_for_marts, coverage, "1q").rename(
        {"period": "quarter_start"}
    )
    quarterly = quarterly.with_columns(quarter_label("quarter_start").alias("quarter"))
    keys = ["region_code", "channel"]
    quarterly = pct_change(
        quarterly, keys, "listings_active", "listings_active", 3, "listings_active_qoq_pct"
    )
    quarterly = pct_change(
        quarterly, keys, "listings_active", "listings_active", 12, "listings_active_yoy_pct"
    )
    quarterly = pct_change(quarterly, keys, "price_median_cny", "priced_listings", 3, "price_median_qoq_pct")
    quarterly = pct_change(quarterly, keys, "price_median_cny", "priced_listings", 12, "price_median_yoy_pct")

    q_all = quarterly.filter(pl.col("region_code") == "all")
    base_start = q_all.filter(pl.col("priced_listings") > 0)["quarter_start"].min()
    base = q_all.filter(pl.col("quarter_start") == base_start).select(
        "channel", pl.col("price_median_cny").alias("_base")
    )
    price_index = q_all.select(
        "quarter", "quarter_start", "channel", "priced_listings", "price_median_cny", "is_low_coverage"
    )
    price_index = pct_change(price_index, ["channel"], "price_median_cny", "priced_listings", 3, "qoq_pct")
    price_index = pct_change(price_index, ["channel"], "price_median_cny", "priced_listings", 12, "yoy_pct")
    price_index = price_index.join(base, on="channel", how="left").select(
        "quarter",
        "quarter_start",
        "channel",
        "priced_listings",
        "price_median_cny",
        (100.0 * pl.col("price_median_cny") / pl.col("_base")).round(4).alias("price_index"),
        "qoq_pct",
        "yoy_pct",
    )

    # incidents and cases
    incidents = latest(read_feed(utf8_csvs(args.raw, "incidents", out)), "incident_id")
    cases = read_feed(utf8_csvs(args.raw, "cases", out))
    if "agency" not in cases.columns:
        cases = cases.with_columns(pl.lit(None, dtype=pl.String).alias("agency"))
    rejected = (
        cases.group_by("filename")
        .agg(pl.col("agency").count())
        .filter(pl.col("agency") == 0)["filename"]
        .implode()
    )
    cases = latest(cases.filter(~pl.col("filename").is_in(rejected)), "case_id")
    provinces_txt = (
        pl.concat(
            [incidents.select(pl.col("province").alias("txt")), cases.select(pl.col("province").alias("txt"))]
        )
        .unique()
        .drop_nulls()
    )
    province = location_lookup(provinces_txt, raliases).select("txt", "region_code")
    carrier = best_alias(
        incidents.select(pl.col("carrier").alias("txt")).unique().drop_nulls(),
        caliases,
        "carrier_code",
        False,
    )
    stage = best_alias(
        incidents.select(pl.col("leak_stage").alias("txt")).unique().drop_nulls(),
        saliases,
        "leak_stage",
        True,
    )
    agency = best_alias(
        cases.select(pl.col("agency").alias("txt")).unique().drop_nulls(), aaliases, "agency_code", True
    )

    fct_incidents = (
        incidents.join(province, left_on="province", right_on="txt", how="left")
        .join(carrier, left_on="carrier", right_on="txt", how="left")
        .join(stage.rename({"leak_stage": "stage"}), left_on="leak_stage", right_on="txt", how="left")
        .with_columns(parse_date("reported_at").cast(pl.Date).alias("reported_date"))
        .filter(pl.col("reported_date").is_not_null())
        .select(
            "incident_id",
            "reported_date",
            pl.col("source").str.strip_chars().replace("", None),
            pl.col("region_code").fill_null("unknown"),
            pl.col("carrier_code").fill_null("UNKNOWN"),
            pl.col("stage").fill_null("unknown").alias("leak_stage"),
            parse_amount("records_affected").alias("records_affected"),
            pl.col("status").str.strip_chars().str.to_lowercase(),
        )
    )
    fct_cases = (
        cases.join(province, left_on="province", right_on="txt", how="left")
        .join(agency, left_on="agency", right_on="txt", how="left")
        .with_columns(parse_date("opened_on").cast(pl.Date).alias("opened_date"))
        .filter(pl.col("opened_date").is_not_null())
        .select(
            "case_id",
            pl.when(pl.col("agency").str.strip_chars().replace("", None).is_null())
            .then(pl.lit("UNKNOWN"))
            .otherwise(pl.col("agency_code").fill_null("OTHER"))
            .alias("agency_code"),
            pl.col("region_code").fill_null("unknown"),
            "opened_date",
            parse_date("closed_on").cast(pl.Date).alias("closed_date"),
            pl.col("case_type").str.strip_chars().str.to_lowercase().replace("", None),
            pl.col("suspects").str.strip_chars().cast(pl.Int32, strict=False),
            parse_amount("records_involved").alias("records_involved"),
            parse_amount("illegal_gain_cny").alias("illegal_gain_cny"),
            parse_amount("fine_cny").alias("fine_cny"),
            pl.col("sites_shut")
            .fill_null("")
            .str.split(";")
            .list.eval(pl.element().str.strip_chars().str.to_lowercase())
            .list.eval(pl.element().filter(pl.element() != ""))
            .list.unique()
            .list.len()
            .cast(pl.Int64)
            .alias("sites_shut_count"),
            pl.col("outcome").str.strip_chars().str.to_lowercase().replace("", None),
        )
    )
    qkeys = ["quarter_start", "region_code", "agency_code"]
    opened = (
        fct_cases.with_columns(pl.col("opened_date").dt.truncate("1q").alias("quarter_start"))
        .group_by(qkeys)
        .agg(
            pl.len().alias("cases_opened"),
            pl.col("suspects").sum(),
            pl.col("records_involved").sum(),
            pl.col("illegal_gain_cny").sum(),
            pl.col("fine_cny").sum().alias("fines_cny"),
            pl.col("sites_shut_count").sum().alias("sites_shut"),
        )
    )
    closed = (
        fct_cases.filter(pl.col("closed_date").is_not_null())
        .with_columns(pl.col("closed_date").dt.truncate("1q").alias("quarter_start"))
        .group_by(qkeys)
        .agg(pl.len().alias("cases_closed"))
    )
    enforcement = (
        opened.join(closed, on=qkeys, how="full", coalesce=True)
        .with_columns(pl.exclude(qkeys).fill_null(0))
        .with_columns(quarter_label("quarter_start").alias("quarter"))
        .select(
            "quarter",
            "quarter_start",
            "region_code",
            "agency_code",
            "cases_opened",
            "cases_closed",
            "suspects",
            "records_involved",
            "illegal_gain_cny",
            "fines_cny",
            "sites_shut",
        )
    )
    incidents_q = (
        fct_incidents.filter(pl.col("status").ne_missing("unfounded"))
        .with_columns(pl.col("reported_date").dt.truncate("1q").alias("quarter_start"))
        .group_by("quarter_start", "region_code", "carrier_code", "leak_stage")
        .agg(pl.len().alias("incidents"), pl.col("records_affected").sum())
        .with_columns(quarter_label("quarter_start").alias("quarter"))
    )
    grid = (
        quarterly.select("quarter", "quarter_start")
        .unique()
        .join(provinces, how="cross")
        .join(
            quarterly.filter(pl.col("channel") == "all").select(
                "quarter", "region_code", "listings_active", "price_median_cny"
            ),
            on=["quarter", "region_code"],
            how="left",
        )
        .join(
            enforcement.group_by("quarter", "region_code").agg(pl.col("cases_opened").sum()),
            on=["quarter", "region_code"],
            how="left",
        )
        .join(
            incidents_q.group_by("quarter", "region_code").agg(pl.col("incidents").sum()),
            on=["quarter", "region_code"],
            how="left",
        )
        .with_columns(pl.col("listings_active", "cases_opened", "incidents").fill_null(0))
    )
    with_data = (
        grid.group_by("region_code")
        .agg(
            (
                pl.col("listings_active").sum() + pl.col("cases_opened").sum() + pl.col("incidents").sum()
            ).alias("n")
        )
        .filter(pl.col("n") > 0)["region_code"]
        .implode()
    )
    region_q = grid.filter(pl.col("is_mainland") | pl.col("region_code").is_in(with_data)).select(
        "quarter",
        "quarter_start",
        "region_code",
        pl.col("name_zh").alias("province"),
        "listings_active",
        (pl.col("listings_active") * 1e7 / pl.col("population"))
        .round(4)
        .alias("listings_per_10m_population"),
        "cases_opened",
        "incidents",
        "price_median_cny",
    )

    tables = {
        "fct_listings": fct_listings,
        "mart_market_monthly": monthly,
        "mart_market_quarterly": quarterly,
        "mart_price_index_quarterly": price_index,
        "mart_crawl_coverage_daily": coverage,
        "fct_cases": fct_cases,
        "fct_incidents": fct_incidents,
        "mart_enforcement_quarterly": enforcement,
        "mart_incidents_quarterly": incidents_q,
        "mart_region_quarterly": region_q,
    }
    counts = {}
    for name in TABLES:
        tables[name].write_parquet(out / f"{name}.parquet")
        counts[name] = tables[name].height
    report(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
