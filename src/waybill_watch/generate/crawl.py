"""The crawl feed: one pass per day over every site, written per crawler and day, with truth.

Memory stays bounded: listings are arrays (one entry per listing, not per fetch), rows are built
one day at a time with polars gathers from text pools, written, and folded into per-listing
truth accumulators before the next day.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from waybill_watch.config import PROJECT_ROOT
from waybill_watch.generate import attributes as attr
from waybill_watch.generate import market, pools
from waybill_watch.generate.files import FileLedger

EPOCH_DAY0 = (market.START - datetime(1970, 1, 1).date()).days
LOCAL_OFFSET = 8 * 3600
CURRENCIES = ("CNY", "USD", "USDT", "BTC")
RATES_SEED = PROJECT_ROOT / "seeds" / "reference" / "exchange_rates_monthly.csv"


def monthly_rates() -> np.ndarray:
    """CNY per unit [currency, month]: the project's exchange-rate seed, so that the truth's CNY
    prices are the ones the warehouse computes (fixed fallback rates when the seed is absent)."""
    rates = np.array([[pools.CNY_PER_UNIT[c]] * len(market.MONTHS) for c in CURRENCIES])
    if RATES_SEED.exists():
        seed = pl.read_csv(RATES_SEED, schema_overrides={"month_start": pl.String})
        rates[:] = np.nan
        rates[0] = 1.0
        for row in seed.iter_rows(named=True):
            month = row["month_start"][:7]
            if month in market.MONTHS and row["currency"] in CURRENCIES:
                rates[CURRENCIES.index(row["currency"]), market.MONTHS.index(month)] = float(
                    row["cny_per_unit"]
                )
    return rates


RATES = monthly_rates()
N_Q = len(market.QUARTERS)

# Days (index from START) whose spider-a file gets malformed lines and rows missing required fields,
# with the format forced so that every scale has both plain and gzipped cases.
MALFORMED_DAYS = {60: "jsonl", 200: "jsonl.gz", 333: "jsonl", 480: "jsonl", 600: "jsonl.gz"}
PARQUET_BAD_ROWS_DAY = 250
RESEND_DAYS = {91: "spider-a", 390: "spider-b"}
LATE_DAY = 225  # 2025-08-14: delivered eleven days late
REJECTED_FILE_DAY = 400
CRAWLER_FIELD_FROM = market.day_of(datetime(2025, 3, 1).date())
EXTRA_LANG_FROM = market.day_of(datetime(2026, 6, 1).date())
UNKNOWN_COLUMNS = {"spider-a": "lang", "spider-b": "crawl_depth", "tg-watcher": "channel_members"}

STATUS_LIVE = ("active", "active", "active", "Active", None, "ACTIVE ")
STATUS_SOLD = ("sold_out", "SOLD_OUT")
STATUS_REMOVED = ("removed", "REMOVED", " removed")


@dataclass
class Truth:
    """Per-listing accumulators filled from the rows as they are written."""

    n: int
    first_fetch: np.ndarray = field(init=False)
    last_live_at: np.ndarray = field(init=False)
    first_removal_at: np.ndarray = field(init=False)
    first_removal_kind: np.ndarray = field(init=False)
    obs_count: np.ndarray = field(init=False)
    last_local_day: np.ndarray = field(init=False)
    has_content: np.ndarray = field(init=False)
    q_active: np.ndarray = field(init=False)
    q_price: np.ndarray = field(init=False)
    q_price_unit: np.ndarray = field(init=False)
    q_currency: np.ndarray = field(init=False)
    last_price: np.ndarray = field(init=False)
    last_price_unit: np.ndarray = field(init=False)
    last_currency: np.ndarray = field(init=False)
    last_outlier: np.ndarray = field(init=False)
    site_crawled: np.ndarray = field(init=False)
    site_first_instant: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.n
        self.first_fetch = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        self.last_live_at = np.full(n, -1, dtype=np.int64)
        self.first_removal_at = np.full(n, -1, dtype=np.int64)
        self.first_removal_kind = np.zeros(n, dtype=np.int8)
        self.obs_count = np.zeros(n, dtype=np.int32)
        self.last_local_day = np.full(n, -1, dtype=np.int32)
        self.has_content = np.zeros(n, dtype=bool)
        self.q_active = np.zeros((n, N_Q), dtype=bool)
        self.q_price = np.full((n, N_Q), np.nan)
        self.q_price_unit = np.full((n, N_Q), np.nan)
        self.q_currency = np.full((n, N_Q), -1, dtype=np.int8)
        self.last_price = np.full(n, np.nan)
        self.last_price_unit = np.full(n, np.nan)
        self.last_currency = np.full(n, -1, dtype=np.int8)
        self.last_outlier = np.zeros(n, dtype=bool)
        days = market.N_DAYS + 2
        self.site_crawled = np.zeros((len(market.SITES), days), dtype=bool)
        self.site_first_instant = np.full((len(market.SITES), days), np.iinfo(np.int64).max, dtype=np.int64)

    def release_quarters(self) -> None:
        empty = np.empty((0, N_Q))
        self.q_active = empty.astype(bool)
        self.q_price = empty
        self.q_price_unit = empty
        self.q_currency = empty.astype(np.int8)


@dataclass
class QuarterPrices:
    """Rendered price of every listing alive in one quarter (prices change at quarter starts)."""

    pos: np.ndarray  # listing → position in the series below, -1 when not alive
    n_alive: int
    text: pl.Series  # texts of the alive listings, then the placeholder texts, then null
    amount: np.ndarray
    per_records: np.ndarray
    currency: np.ndarray  # index into CURRENCIES
    unit: np.ndarray  # per record, in currency
    cny: np.ndarray  # per record, CNY (generator's rates)


@dataclass
class CrawlContext:
    ledger: FileLedger
    scale: str
    seed: int
    ls: market.Listings
    at: attr.Attributes
    pools: attr.Pools
    crawled: np.ndarray
    run_jitter: np.ndarray
    listing_id_text: pl.Series
    listing_num: np.ndarray
    base_url: pl.Series
    alt_url: pl.Series
    truth: Truth
    series: PoolSeries
    messiness: dict[str, list[dict]] = field(default_factory=dict)
    rows_written: int = 0
    rows_by_crawler: dict[str, int] = field(default_factory=dict)

    def note(self, category: str, /, **info: object) -> None:
        self.messiness.setdefault(category, []).append(info)


CODE_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _codes(x: np.ndarray) -> pl.Series:
    """Eight-character paste-site style codes of non-negative integers (vectorized base 56)."""
    chars = np.array(list(CODE_CHARS))
    digits = np.empty((len(x), 8), dtype="<U1")
    x = x.copy()
    for k in range(8):
        digits[:, k] = chars[x % len(CODE_CHARS)]
        x //= len(CODE_CHARS)
    return pl.Series(np.ascontiguousarray(digits).view("<U8").ravel())


def listing_identities(
    ls: market.Listings, pools_: attr.Pools
) -> tuple[pl.Series, np.ndarray, pl.Series, pl.Series]:
    """listing_id text (null for URL-identity sites), numeric id, base URL, and a URL variant with
    upper-case scheme or host. Vectorized: at large scale there are over a million listings."""
    site_no = ls.site.astype(np.int64)
    num = (site_no + 10) * 100_000_000 + ls.serial * 7 + 1
    mode = np.array([s.id_mode for s in market.SITES])[site_no]
    prefix = pl.Series([s.site.split(".")[0][:2].upper() for s in market.SITES]).gather(site_no)
    num_text = pl.Series(num).cast(pl.String)
    tme = np.array([s.site == "t.me" for s in market.SITES])[site_no]
    channel = pl.Series(pools_.channel_names).gather(ls.serial % len(pools_.channel_names))
    frame = pl.DataFrame(
        {
            "mode": mode,
            "num": num_text,
            "prefix": prefix,
            "tme": tme,
            "channel": channel,
            "serial": pl.Series(ls.serial).cast(pl.String),
            "code": _codes(ls.serial * 2654435761 + 12345),
            "head": pl.Series([s.url_template.split("{id}")[0] for s in market.SITES]).gather(site_no),
            "tail": pl.Series([s.url_template.split("{id}")[1] for s in market.SITES]).gather(site_no),
            "odd": ls.serial % 2 == 1,
        }
    )
    lid = (
        pl.when(pl.col("mode") == "int")
        .then(pl.col("num"))
        .when(pl.col("mode") == "str")
        .then(pl.col("prefix") + pl.col("num"))
        .otherwise(None)
    )
    url_code = (
        pl.when(pl.col("tme")).then(pl.col("channel") + "/" + pl.col("serial")).otherwise(pl.col("code"))
    )
    out = frame.select(
        lid.alias("id"),
        (pl.col("head") + pl.coalesce(lid, url_code) + pl.col("tail")).alias("url"),
        pl.col("mode"),
        pl.col("odd"),
    )
    parts = pl.col("url").str.extract_groups(r"^(\w+)://([^/]+)/(.*)$")
    # Scheme and host compare case-insensitively; the path does not.
    alt = out.select(
        pl.when(pl.col("mode") != "url")
        .then(None)
        .when(pl.col("odd"))
        .then(pl.format("{}://{}/{}", parts.struct[0].str.to_uppercase(), parts.struct[1], parts.struct[2]))
        .otherwise(
            pl.format("{}://{}/{}", parts.struct[0], parts.struct[1].str.to_uppercase(), parts.struct[2])
        )
    ).to_series()
    return out["id"], num, out["url"], alt


def quarter_prices(ctx: CrawlContext, q: int) -> QuarterPrices:
    ls, at = ctx.ls, ctx.at
    q_days = np.nonzero(market.DAY_QUARTER[: market.N_DAYS] == q)[0]
    lo, hi = int(q_days[0]), int(q_days[-1])
    alive = np.nonzero((ls.birth <= hi) & (ls.last_live + ls.removal_days >= lo))[0]
    rng = np.random.default_rng([ctx.seed, 11, q])
    drift = rng.lognormal(0.0, 0.06, len(alive))
    bits = rng.integers(0, 2, len(alive))
    channel = [market.SITES[s].channel for s in range(len(market.SITES))]
    factors = {c: market.price_factor(c, q) for c in set(channel)}
    month = int(market.DAY_MONTH[lo])
    rate = {c: float(RATES[k, month]) for k, c in enumerate(CURRENCIES)}
    texts, amounts, per, curs, units, cnys = [], [], [], [], [], []
    for j, i in enumerate(alive):
        kind = at.price_kind[i]
        if kind == attr.PRICE_NONE:
            texts.append(pools.NO_PRICE_TEXTS[at.no_price_idx[i]])
            amounts.append(np.nan)
            per.append(1)
            curs.append(0)
            units.append(np.nan)
            cnys.append(np.nan)
            continue
        p = at.price_base[i] * factors[channel[ls.site[i]]] * drift[j]
        r = attr.render_price(p, int(at.price_fmt[i]), kind == attr.PRICE_FOREIGN, int(bits[j]), rate)
        texts.append(r.text)
        amounts.append(r.amount)
        per.append(r.per_records)
        curs.append(CURRENCIES.index(r.currency))
        units.append(r.unit_price)
        cnys.append(r.unit_price * rate[r.currency])
    pos = np.full(ls.n, -1, dtype=np.int64)
    pos[alive] = np.arange(len(alive))
    return QuarterPrices(
        pos,
        len(alive),
        pl.Series([*texts, *pools.PLACEHOLDER_PRICE_TEXTS, None], dtype=pl.String),
        np.array(amounts, dtype=np.float64),
        np.array(per, dtype=np.int64),
        np.array(curs, dtype=np.int8),
        np.array(units, dtype=np.float64),
        np.array(cnys, dtype=np.float64),
    )


def crawl_format(crawler: str, day: int, scale: str) -> str:
    if crawler == "spider-a" and day in MALFORMED_DAYS:
        return MALFORMED_DAYS[day]
    if crawler == "spider-b":
        return "parquet"
    if scale == "large":
        return "jsonl.gz" if day % 30 == 0 else "parquet"
    if crawler == "tg-watcher":
        return "jsonl.gz"
    if scale == "medium":
        return "jsonl" if day % 4 == 1 else ("parquet" if day % 4 == 2 else "jsonl.gz")
    return "jsonl.gz" if day % 3 == 0 else "jsonl"


class PoolSeries:
    """Text pools as polars Series with a trailing null, so index -1 (mapped to the end) gives null."""

    def __init__(self, p: attr.Pools) -> None:
        def ser(values: list, dtype: pl.DataType = pl.String) -> pl.Series:
            return pl.Series([*values, None], dtype=dtype)

        self.site = ser(list(market.SITE_NAMES))
        self.titles = ser(p.titles)
        self.handles = ser(p.handle_variants)
        self.contacts = ser(p.contacts)
        self.quantity = ser([q for q, _ in pools.QUANTITY])
        self.location = ser([t for t, _c, _y in p.locations])
        self.carrier = ser([c for c, _ in pools.CARRIERS])
        self.fresh = ser([f for f, _ in pools.FRESHNESS])
        self.samples = ser(p.samples, pl.List(pl.String))
        self.status = ser([*STATUS_LIVE, *STATUS_SOLD, *STATUS_REMOVED])
        self.currency = ser(list(CURRENCIES))


def _take(series: pl.Series, idx: np.ndarray) -> pl.Series:
    """Gather; index -1 gives null (the pool's trailing entry)."""
    return series.gather(np.where(idx < 0, len(series) - 1, idx))


def day_rows(ctx: CrawlContext, d: int, qp: QuarterPrices) -> pl.DataFrame | None:
    """All rows fetched by the primary crawlers in the run of day d, with truth-side columns."""
    ls, at = ctx.ls, ctx.at
    site_crawled = ctx.crawled[:, d]
    mask = (ls.birth <= d) & (d <= ls.last_live + ls.removal_days) & site_crawled[ls.site]
    idx = np.nonzero(mask)[0]
    if len(idx) == 0:
        return None
    site = ls.site[idx]
    removal_row = d > ls.last_live[idx]
    kind = ls.removal[idx]
    http_row = removal_row & (kind == market.REMOVAL_HTTP)
    explicit_row = removal_row & ~http_row
    serial = ls.serial[idx]
    start_sec = np.array([s.start_sec for s in market.SITES], dtype=np.int64)
    instant = (
        (EPOCH_DAY0 + d) * 86400
        + start_sec[site]
        + ctx.run_jitter[site, d]
        + (serial * 97 + d * 31) % 1500
        - LOCAL_OFFSET
    )
    # Price on this fetch: rendered quarter price, a placeholder, or none on removal fetches.
    pos = qp.pos[idx]
    unit_cny = qp.cny[pos].copy()
    unit = qp.unit[pos].copy()
    amount = qp.amount[pos].copy()
    per = qp.per_records[pos].copy()
    cur = qp.currency[pos].copy()
    pk = at.price_kind[idx]
    placeholder = (pk == attr.PRICE_PLACEHOLDER_ALWAYS) | (
        (pk == attr.PRICE_PLACEHOLDER_FIRST) & (d < ls.birth[idx] + at.placeholder_days[idx])
    )
    ph_val = np.array(pools.PLACEHOLDER_PRICE_VALUES)[at.placeholder_idx[idx]]
    # qp.text holds the quarter's texts, then the placeholder texts, then a null.
    text_i = np.where(placeholder, qp.n_alive + at.placeholder_idx[idx], pos)
    text_i[removal_row] = -1
    unit_cny[placeholder] = ph_val[placeholder]
    unit[placeholder] = ph_val[placeholder]
    amount[placeholder] = ph_val[placeholder]
    per[placeholder] = 1
    cur[placeholder] = 0
    unit_cny[removal_row] = np.nan
    unit[removal_row] = np.nan
    amount[removal_row] = np.nan

    n_live, n_sold = len(STATUS_LIVE), len(STATUS_SOLD)
    sold = at.soldout[idx] & ((serial + d) % 5 == 0)
    status_i = (serial + d) % n_live
    status_i = np.where(sold, n_live + serial % 2, status_i)
    status_i = np.where(explicit_row, n_live + n_sold + serial % 3, status_i)
    # A 404/410 fetch may still say active: it is a removal fetch whatever its status.
    status_i = np.where(http_row, 0 if d % 2 else -1, status_i)
    http = np.where(http_row, np.where(serial % 2 == 0, 404, 410), 200)

    content = ~http_row
    ps = ctx.series

    def content_take(series: pl.Series, values: np.ndarray) -> pl.Series:
        return _take(series, np.where(content, values, -1))

    df = pl.DataFrame(
        {
            "_i": idx,
            "_site": site,
            "_instant": instant,
            "_removal": removal_row,
            "_http_row": http_row,
            "_unit_cny": unit_cny,
            "_unit": unit,
            "_cur": cur,
            "site": _take(ps.site, site.astype(np.int64)),
            "listing_id_text": ctx.listing_id_text.gather(idx),
            "listing_num": ctx.listing_num[idx],
            "base_url": ctx.base_url.gather(idx),
            "alt_url": ctx.alt_url.gather(idx),
            "title": content_take(ps.titles, at.title[idx]),
            "seller": content_take(ps.handles, at.seller_variant[idx]),
            "seller_contact": content_take(ps.contacts, at.seller[idx]),
            "price_text": _take(qp.text, text_i),
            "price_amount": amount,
            "price_per_records": per,
            "price_currency": _take(ps.currency, cur.astype(np.int64)),
            "quantity_text": content_take(ps.quantity, at.qty[idx]),
            "location_text": content_take(ps.location, at.loc[idx]),
            "carrier_text": content_take(ps.carrier, at.carrier[idx]),
            "freshness_text": content_take(ps.fresh, at.fresh[idx]),
            "sample_records": content_take(ps.samples, at.sample[idx]),
            "status": _take(ps.status, status_i),
            "http_status": http,
            "_url_variant": ((serial * 31 + d * 17) % 11).astype(np.int64),
            "_overlap": at.overlap[idx],
        }
    )
    return df


def fold_truth(ctx: CrawlContext, df: pl.DataFrame) -> None:
    """Fold one day's rows (one per listing and instant) into the per-listing truth."""
    t = ctx.truth
    idx = df["_i"].to_numpy()
    instant = df["_instant"].to_numpy()
    removal = df["_removal"].to_numpy()
    http_row = df["_http_row"].to_numpy()
    local_day = ((instant + LOCAL_OFFSET) // 86400 - EPOCH_DAY0).astype(np.int64)
    q = market.DAY_QUARTER[np.minimum(local_day, market.N_DAYS)].astype(np.int64)
    np.minimum.at(t.first_fetch, idx, instant)
    t.obs_count[idx] += 1
    t.last_local_day[idx] = np.maximum(t.last_local_day[idx], local_day)
    t.has_content[idx[~http_row]] = True
    live = ~removal
    t.last_live_at[idx[live]] = np.maximum(t.last_live_at[idx[live]], instant[live])
    rem = idx[removal]
    first_rem = t.first_removal_at[rem] < 0
    t.first_removal_at[rem[first_rem]] = instant[removal][first_rem]
    t.first_removal_kind[rem[first_rem]] = np.where(
        http_row[removal][first_rem], market.REMOVAL_HTTP, market.REMOVAL_EXPLICIT
    )
    t.q_active[idx[live], q[live]] = True
    unit = df["_unit"].to_numpy()
    cur = df["_cur"].to_numpy().astype(np.int64)
    # CNY at the rate of the fetch's local month (SPEC §4); no rate → no CNY price.
    unit_cny = unit * RATES[cur, market.DAY_MONTH[np.minimum(local_day, market.N_DAYS)]]
    priced = live & ~np.isnan(unit)
    outlier = priced & ((unit_cny < 0.001) | (unit_cny > 50))
    t.last_price[idx[priced]] = unit_cny[priced]
    t.last_price_unit[idx[priced]] = unit[priced]
    t.last_currency[idx[priced]] = cur[priced]
    t.last_outlier[idx[priced]] = outlier[priced]
    good = priced & ~outlier
    t.q_price[idx[good], q[good]] = unit_cny[good]
    t.q_price_unit[idx[good], q[good]] = unit[good]
    t.q_currency[idx[good], q[good]] = cur[good]
    site = df["_site"].to_numpy().astype(np.int64)
    t.site_crawled[site, local_day] = True
    np.minimum.at(t.site_first_instant, (site, local_day), instant)


def _fetched_at(instant: pl.Expr, style: pl.Expr) -> pl.Expr:
    """Style 0: local +08:00, 1: UTC Z, 2: local without offset (Asia/Shanghai)."""
    utc = pl.from_epoch(instant, time_unit="s")
    shown = pl.when(style == 1).then(utc).otherwise(utc + pl.duration(hours=8))
    text = shown.dt.strftime("%Y-%m-%dT%H:%M:%S")  # one strftime: it is the costly part
    return (
        pl.when(style == 0)
        .then(text + "+08:00")
        .when(style == 1)
        .then(text + "Z")
        .otherwise(text.str.replace("T", " ", literal=True))
    )


def _url_expr(url_identity: pl.Expr) -> pl.Expr:
    """URL as fetched: identity sites show utm_ parameters, fragments, case and trailing-slash variants."""
    v = pl.col("_url_variant")
    base = pl.col("base_url")
    alt = pl.col("alt_url")
    variant = (
        pl.when(v == 1)
        .then(base + "/")
        .when(v == 2)
        .then(base + "#comment-3")
        .when(v == 3)
        .then(base + "?utm_source=tg&utm_medium=share")
        .when(v == 4)
        .then(alt)
        .when(v == 5)
        .then(alt + "?utm_campaign=kd#top")
        .otherwise(base)
    )
    return pl.when(url_identity).then(variant).otherwise(base)


def crawler_frame(ctx: CrawlContext, df: pl.DataFrame, crawler: str, d: int) -> pl.DataFrame:
    """The columns and value forms one crawler writes."""
    ymd = (market.START + timedelta(days=d)).strftime("%Y%m%d")
    primary = np.array([s.crawler == crawler for s in market.SITES])
    url_sites = np.array([s.id_mode == "url" for s in market.SITES])
    site_arr = df["_site"].to_numpy()
    sub = df.filter(pl.Series(primary[site_arr]))
    if crawler == "spider-b":
        overlap_site = np.array([s.overlap_crawler == "spider-b" for s in market.SITES])
        ov = df.filter(pl.Series(overlap_site[site_arr]) & pl.col("_overlap"))
        sub = pl.concat([sub, ov])
    if sub.height == 0:
        return sub
    sub = sub.with_columns(
        _url_identity=pl.Series(url_sites[sub["_site"].to_numpy()]),
        _is_primary=pl.Series(primary[sub["_site"].to_numpy()]),
    )
    # URL variants only where the URL is the identity (computing them for every row is wasted work).
    ident = sub.filter(pl.col("_url_identity"))
    if ident.height:
        ident = ident.with_columns(_url_expr(pl.lit(True)).alias("base_url"))
        sub = pl.concat([sub.filter(~pl.col("_url_identity")), ident])
    run_id = pl.format("{}-{}-{}", pl.lit(crawler), pl.lit(ymd), pl.col("site"))
    common = [
        run_id.alias("run_id"),
        pl.col("site"),
        pl.col("base_url").alias("url"),
    ]
    content = [
        "title",
        "seller",
        "seller_contact",
        "price_text",
        "quantity_text",
        "location_text",
        "carrier_text",
        "freshness_text",
        "sample_records",
        "status",
    ]
    n = pl.int_range(pl.len())
    if crawler == "spider-a":
        style = pl.lit(2) if d % 7 == 3 else pl.when((n + d) % 23 == 0).then(pl.lit(1)).otherwise(pl.lit(0))
        cols = [
            *common[:1],
            _fetched_at(pl.col("_instant"), style).alias("fetched_at"),
            pl.col("site"),
            pl.when(pl.col("_url_identity")).then(None).otherwise(pl.col("listing_num")).alias("listing_id"),
            common[2],
        ]
        if d >= CRAWLER_FIELD_FROM:
            cols.append(pl.lit("spider-a").alias("crawler"))
        cols += [pl.col(c) for c in content]
        cols.append(pl.col("http_status"))
        if d >= EXTRA_LANG_FROM:
            cols.append(pl.lit("zh-CN").alias("lang"))
        return sub.select(cols)
    if crawler == "spider-b":
        # Overlap rows: same page, same instant as spider-a, written in UTC; own sites in local time.
        style = pl.when(pl.col("_is_primary")).then(pl.lit(2)).otherwise(pl.lit(1))
        hide_text = (
            pl.col("_is_primary") & (pl.col("listing_num") % 5 == 0) & pl.col("price_amount").is_not_nan()
        )
        has_amount = pl.col("price_amount").is_not_nan()
        cur = pl.col("price_currency")
        cols = [
            common[0],
            _fetched_at(pl.col("_instant"), style).alias("fetched_at"),
            pl.col("site"),
            pl.col("listing_id_text").alias("listing_id"),
            common[2],
            pl.lit("spider-b").alias("crawler"),
            *[pl.col(c) for c in content[:3]],
            # Structured price wins over the text: some rows say 私聊 in text but carry the price.
            pl.when(hide_text).then(pl.lit("私聊")).otherwise(pl.col("price_text")).alias("price_text"),
            *[pl.col(c) for c in content[4:]],
            pl.when(has_amount)
            .then(pl.col("price_amount"))
            # An amount of 0 means no price (SPEC §3.1); these rows' texts carry no price either.
            .when(pl.col("price_text").is_not_null() & (pl.col("listing_num") % 3 == 0))
            .then(pl.lit(0.0))
            .otherwise(None)
            .alias("price_amount"),
            pl.when(~has_amount)
            .then(None)
            .when((cur == "CNY") & (pl.col("listing_num") % 2 == 0))
            .then(None)
            .when(cur == "USDT")
            .then(pl.lit("usdt"))
            .otherwise(cur)
            .alias("price_currency"),
            pl.when(~has_amount | (pl.col("price_per_records") == 1))
            .then(None)
            .otherwise(pl.col("price_per_records"))
            .cast(pl.Int64)
            .alias("price_per_records"),
            pl.col("http_status").cast(pl.Int32),
            ((pl.col("listing_num") % 3) + 1).alias("crawl_depth"),
        ]
        return sub.select(cols)
    style = pl.when((n + d) % 10 == 0).then(pl.lit(0)).otherwise(pl.lit(1))
    cols = [
        common[0],
        _fetched_at(pl.col("_instant"), style).alias("fetched_at"),
        # The chat watcher writes hosts as typed by its operators.
        pl.when(pl.col("site") == "t.me").then(pl.lit("T.me")).otherwise(pl.col("site")).alias("site"),
        pl.col("listing_id_text").alias("listing_id"),
        common[2],
        pl.lit("tg-watcher").alias("crawler"),
        *[pl.col(c) for c in content],
        (pl.col("listing_num") % 5000 + 120).alias("channel_members"),
    ]
    return sub.select(cols)


def _ndjson(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ndjson(buf)
    return buf.getvalue()


def _parquet(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf, compression="zstd", statistics=True)
    return buf.getvalue()


def _inject_malformed(ctx: CrawlContext, rel: str, data: bytes) -> bytes:
    """Malformed JSON lines, a blank line and rows missing required fields, at recorded line numbers."""
    lines = data.decode("utf-8").splitlines()
    if len(lines) < 3:
        return data
    sample = json.loads(lines[1])
    bad: list[tuple[str, str]] = [
        ("truncated_json", lines[0][: max(10, len(lines[0]) // 2)]),
        ("not_json", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        ("missing_url", json.dumps({k: v for k, v in sample.items() if k != "url"}, ensure_ascii=False)),
        ("bad_fetched_at", json.dumps({**sample, "fetched_at": "昨天 14:00"}, ensure_ascii=False)),
        ("empty_site", json.dumps({**sample, "site": ""}, ensure_ascii=False)),
        (
            "missing_run_id",
            json.dumps({k: v for k, v in sample.items() if k != "run_id"}, ensure_ascii=False),
        ),
        ("blank_line", ""),
    ]
    out = list(lines)
    step = max(1, len(lines) // (len(bad) + 1))
    for k, (_kind, text) in enumerate(reversed(bad)):
        out.insert(min(len(out), step * (len(bad) - k)), text)
    for no, line in enumerate(out, start=1):
        for kind, text in bad:
            if line == text and (kind != "blank_line" or line == ""):
                ctx.note(
                    "malformed_json_line"
                    if kind in ("truncated_json", "not_json")
                    else ("blank_line" if kind == "blank_line" else "row_missing_required_field"),
                    file=rel,
                    line_no=no,
                    kind=kind,
                )
                break
    return ("\n".join(out) + "\n").encode("utf-8")


def _inject_parquet_bad_rows(ctx: CrawlContext, rel: str, frame: pl.DataFrame) -> pl.DataFrame:
    bad = frame.head(3).with_columns(
        url=pl.Series([None, frame["url"][1], frame["url"][2]], dtype=pl.String),
        fetched_at=pl.Series([frame["fetched_at"][0], "", "not a time"], dtype=pl.String),
    )
    out = pl.concat([frame, bad])
    for k, kind in enumerate(("missing_url", "empty_fetched_at", "bad_fetched_at")):
        ctx.note("row_missing_required_field", file=rel, line_no=frame.height + k + 1, kind=kind)
    return out


def delivery_time(d: int, crawler: str) -> datetime:
    base = datetime.combine(market.START + timedelta(days=d + 1), datetime.min.time()) + timedelta(
        hours=3, minutes={"spider-a": 0, "spider-b": 20, "tg-watcher": 40}[crawler]
    )
    if d == LATE_DAY:
        return base + timedelta(days=11)
    return base


def write_day(ctx: CrawlContext, d: int, df: pl.DataFrame) -> None:
    folder = (market.START + timedelta(days=d)).isoformat()
    ymd = folder.replace("-", "")
    names = {
        "spider-a": f"spider-a_{ymd}",
        "spider-b": f"spiderb-export-{ymd}",
        "tg-watcher": f"tg_{ymd}_run1",
    }
    for crawler in ("spider-a", "spider-b", "tg-watcher"):
        frame = crawler_frame(ctx, df, crawler, d)
        if frame.height == 0:
            continue
        fmt = crawl_format(crawler, d, ctx.scale)
        rel = f"crawl/{folder}/{names[crawler]}.{fmt}"
        when = delivery_time(d, crawler)
        if fmt == "parquet":
            if crawler == "spider-b" and d == PARQUET_BAD_ROWS_DAY:
                frame = _inject_parquet_bad_rows(ctx, rel, frame)
            ctx.ledger.write_bytes(rel, _parquet(frame), when)
        else:
            data = _ndjson(frame)
            if crawler == "spider-a" and d in MALFORMED_DAYS:
                data = _inject_malformed(ctx, rel, data)
            if fmt == "jsonl.gz":
                ctx.ledger.write_gzip(rel, data, when)
            else:
                ctx.ledger.write_bytes(rel, data, when)
        ctx.rows_written += frame.height
        ctx.rows_by_crawler[crawler] = ctx.rows_by_crawler.get(crawler, 0) + frame.height
        ctx.note("crawl_file", file=rel, crawler=crawler, format=fmt, rows=frame.height)
        if d == LATE_DAY:
            ctx.note("late_delivery", file=rel, crawl_date=folder, delivered=when.isoformat())
        if RESEND_DAYS.get(d) == crawler:
            copy = f"crawl/{folder}/resend_{names[crawler]}.{fmt}"
            ctx.ledger.copy(rel, copy, when + timedelta(days=2))
            ctx.note("duplicate_file", original=rel, copy=copy)
        if d == REJECTED_FILE_DAY and crawler == "spider-a":
            # A manual export without the required run_id: the whole file must be rejected.
            manual = crawler_frame(ctx, df, "spider-a", d).head(20).drop("run_id")
            mrel = f"crawl/{folder}/manual_export.jsonl"
            ctx.ledger.write_bytes(mrel, _ndjson(manual), when + timedelta(hours=5))
            ctx.note("rejected_file", file=mrel, reason="required field run_id missing", rows=manual.height)


def run_crawl(ctx: CrawlContext, progress: object | None = None) -> None:
    qp: QuarterPrices | None = None
    current_q = -1
    for d in range(market.N_DAYS):
        q = int(market.DAY_QUARTER[d])
        if q != current_q:
            qp = quarter_prices(ctx, q)
            current_q = q
        assert qp is not None
        df = day_rows(ctx, d, qp)
        if df is None:
            continue
        fold_truth(ctx, df)
        write_day(ctx, d, df)
        if progress is not None:
            progress(d)  # type: ignore[operator]
