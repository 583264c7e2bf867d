"""Hand-written pandas baseline for issue #7 (notebook style; benchmarked at 1M and 10M rows only): the
ten required analyst tables (SPEC §6) from the raw landing files.

    python bench/baselines/pandas_baseline.py --raw RAW --out OUT

SIMPLIFIED exactly as duckdb_baseline.sql (see the comment at its top; the three baselines share the
rules and the regexes in _common.py): no ingest boundary, audit, quarantine, bronze, tests or publication;
plain md5 (not HMAC) for listing_key and seller_key; fixed +08:00 Shanghai wall time; normalization once
per distinct raw text with first-number price/quantity/amount regexes, earliest-alias location/carrier
matching, keyword freshness, lowest-priority-alias agency/leak stage; latest incident/case version by
updated_at then file name; listing-level region/channel/seller in the marts.

Each crawl file is read with pandas (pd.read_json lines / pd.read_parquet) and narrowed at once to the
needed columns, texts as `category`; a JSON Lines file with a malformed line is re-read line by line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
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

COLUMNS = [
    "run_id",
    "fetched_at",
    "site",
    "listing_id",
    "url",
    "seller",
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
]
TEXTS = ["price_text", "quantity_text", "location_text", "carrier_text", "freshness_text"]
CN = str.maketrans(CN_DIGITS_FROM, CN_DIGITS_TO)
UNMASKED = re.compile(UNMASKED_RE)


def md5(s: pd.Series) -> pd.Series:
    return s.map(lambda v: hashlib.md5(v.encode()).hexdigest() if isinstance(v, str) else None)


def blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def as_text(s: pd.Series) -> pd.Series:
    """JSON numbers and strings alike, compared as text (no '123.0')."""
    if pd.api.types.is_float_dtype(s):
        return s.astype("Int64").astype("string")
    return s.map(
        lambda v: (
            None
            if v is None or (isinstance(v, float) and np.isnan(v))
            else (str(int(v)) if isinstance(v, float) else str(v))
        )
    ).astype("string")


def read_crawl_file(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        try:
            df = pd.read_json(path, lines=True, dtype=False, compression="infer")
        except ValueError:
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            rows = []
            for line in data.splitlines():
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
            df = pd.DataFrame(rows)
    return df.reindex(columns=COLUMNS)


def narrow(df: pd.DataFrame) -> pd.DataFrame:
    df = df[
        blank_to_na(df["run_id"]).notna() & blank_to_na(df["site"]).notna() & blank_to_na(df["url"]).notna()
    ]
    fetched = df["fetched_at"].astype("string").str.strip()
    base = pd.to_datetime(
        fetched.str.slice(0, 19).str.replace("T", " ", regex=False),
        format="%Y-%m-%d %H:%M:%S",
        errors="coerce",
    )
    off = fetched.str.extract(r"(?P<sign>[+-])(?P<h>[0-9]{2}):?(?P<m>[0-9]{2})$")
    sign = np.where((off["sign"] == "-").fillna(False).to_numpy(bool), -1, 1)
    minutes = (pd.to_numeric(off["h"]).fillna(0) * 60 + pd.to_numeric(off["m"]).fillna(0)).to_numpy()
    zulu = fetched.str.endswith("Z").fillna(False).to_numpy(bool)
    offset = np.where(zulu, 0, np.where(off["h"].notna().to_numpy(), sign * minutes, 480))
    ts = base + pd.to_timedelta(480 - offset, unit="min")
    url = df["url"].astype("string").str.strip().str.replace(r"#.*$", "", regex=True)
    host = url.str.extract(r"^([^/]*//[^/?#]*)", expand=False).fillna("").str.lower()
    norm_url = (
        (host + url.str.replace(r"^[^/]*//[^/?#]*", "", regex=True))
        .str.replace(r"([?&])utm_[^&#]*", r"\1", regex=True)
        .str.replace(r"\?&+", "?", regex=True)
        .str.replace(r"&&+", "&", regex=True)
        .str.rstrip("?&/")
    )
    site = df["site"].astype("string").str.strip().str.lower()
    listing_id = blank_to_na(as_text(df["listing_id"]))
    status = df["status"].astype("string").str.strip().str.lower()
    http = pd.to_numeric(df["http_status"], errors="coerce")
    samples = df["sample_records"]
    out = pd.DataFrame(
        {
            "lkey": site + "|" + listing_id.fillna(norm_url),
            "site": site,
            "ts": ts,
            "live": ~((status == "removed").fillna(False) | http.isin([404, 410])),
            "sample_n": samples.map(
                lambda v: len(v) if v is not None and not isinstance(v, float) else 0
            ).astype("int16"),
            "unmasked": samples.map(
                lambda v: v is not None and not isinstance(v, float) and bool(UNMASKED.search(" ".join(v)))
            ),
            "price_amount": pd.to_numeric(df["price_amount"], errors="coerce"),
            "price_per_records": pd.to_numeric(df["price_per_records"], errors="coerce"),
            "price_currency": df["price_currency"].astype("string").str.strip().str.upper(),
            "seller": blank_to_na(df["seller"].astype("string").str.lower()),
            **{c: df[c].astype("string") for c in TEXTS},
            "file": df["file"],
        }
    )
    out = out[out["ts"].notna()]
    for c in ["lkey", "site", "seller", "price_currency", *TEXTS, "file"]:
        out[c] = out[c].astype("category")
    return out


def mult(s: pd.Series) -> pd.Series:
    return s.map(MULTIPLIERS).fillna(1.0).astype(float)


def price_lookup(texts: pd.Series) -> pd.DataFrame:
    g = texts.str.strip().str.lower().str.translate(CN).str.extract(PRICE_RE)
    amount = (
        pd.to_numeric(g["num"], errors="coerce")
        * g["money"].map(MONEY_FACTOR).fillna(1.0)
        / (pd.to_numeric(g["cnt"].replace("", np.nan), errors="coerce").fillna(1.0) * mult(g["mult"]))
    )
    money, cur = g["money"], g["cur"]
    money, cur = money.fillna(""), cur.fillna("")
    currency = np.select(
        [
            (money.isin(["u", "usdt"]) | ((money == "") & (cur == "usdt"))).to_numpy(bool),
            (money.isin(["usd", "$"]) | ((money == "") & cur.isin(["usd", "$"]))).to_numpy(bool),
            ((money == "btc") | ((money == "") & (cur == "btc"))).to_numpy(bool),
        ],
        ["USDT", "USD", "BTC"],
        "CNY",
    )
    return pd.DataFrame({"txt": texts.values, "amount": amount.values, "currency": currency})


def quantity_lookup(texts: pd.Series) -> pd.DataFrame:
    g = texts.str.strip().str.lower().str.translate(CN).str.extract(QUANTITY_RE)
    qty = (pd.to_numeric(g["num"], errors="coerce") * mult(g["mult"])).round().astype("Int64")
    return pd.DataFrame({"txt": texts.values, "qty": qty.values})


def region_aliases() -> pd.DataFrame:
    a = pd.read_csv(REFERENCE / "region_aliases.csv", dtype=str, keep_default_na=False)
    a["alias"] = a["alias"].str.lower()
    a["city_code"] = a["city_code"].replace("", None)
    a["is_city"] = a["alias_kind"].str.startswith("city")
    a["alias_is_city_only"] = ~a["alias"].isin(set(a.loc[~a["is_city"], "alias"]))
    return a


def location_lookup(texts: pd.Series, aliases: pd.DataFrame) -> pd.DataFrame:
    rows = []
    alias_rows = list(
        aliases[
            ["alias", "match_type", "region_code", "city_code", "is_city", "alias_is_city_only"]
        ].itertuples(index=False)
    )
    for txt in texts:
        s = txt.strip().lower()
        if not s:
            continue
        best, best_city = None, None
        for alias, match_type, region_code, city_code, is_city, city_only in alias_rows:
            pos = (0 if s == alias else -1) if match_type == "exact" else s.find(alias)
            if pos < 0:
                continue
            key = (pos, -len(alias), is_city)
            if best is None or key < best[0]:
                best = (key, region_code)
            if is_city and city_only and (best_city is None or key[:2] < best_city[0]):
                best_city = (key[:2], city_code)
        rows.append((txt, best[1] if best else "unknown", best_city[1] if best_city else None))
    return pd.DataFrame(rows, columns=["txt", "region_code", "city_code"])


def carrier_lookup(texts: pd.Series, aliases: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for txt in texts:
        if not txt.strip():
            continue
        codes = sorted(
            {c for a, c in zip(aliases["alias"], aliases["carrier_code"], strict=True) if a in txt.lower()}
        )
        rows.append((txt, "ALL" if "ALL" in codes else ("|".join(codes) if codes else "UNKNOWN")))
    return pd.DataFrame(rows, columns=["txt", "carrier_codes"])


def freshness_lookup(texts: pd.Series) -> pd.DataFrame:
    s = texts.str.strip().str.lower()
    t = texts[s != ""]
    s = s[s != ""]
    fresh = np.select(
        [
            s.str.contains(x).fillna(False).to_numpy(bool)
            for x in (FRESH_REALTIME_RE, FRESH_RECENT_RE, FRESH_HISTORICAL_RE)
        ],
        ["realtime", "recent", "historical"],
        "unknown",
    )
    return pd.DataFrame({"txt": t.values, "freshness": fresh})


def best_alias(texts: pd.Series, aliases: pd.DataFrame, code: str, by_priority: bool) -> dict[str, str]:
    out = {}
    for txt in texts.dropna().unique():
        s = txt.strip().lower()
        best = None
        for row in aliases.itertuples(index=False):
            pos = s.find(row.alias)
            if pos < 0:
                continue
            key = ((row.priority,) if by_priority else ()) + (pos, -len(row.alias), getattr(row, code))
            if best is None or key < best:
                best = key
        if best is not None:
            out[txt] = best[-1]
    return out


def parse_date(s: pd.Series) -> pd.Series:
    g = s.astype("string").str.extract(DATE_RE)
    text = (
        g["y"]
        + "-"
        + g["m"].str.zfill(2)
        + "-"
        + g["d"].str.zfill(2)
        + " "
        + g["hh"].fillna("0").str.zfill(2)
        + ":"
        + g["mi"].fillna("0").str.zfill(2)
    )
    return pd.to_datetime(text, format="%Y-%m-%d %H:%M", errors="coerce")


def parse_amount(s: pd.Series) -> pd.Series:
    g = s.astype("string").str.lower().str.replace("[,，]", "", regex=True).str.extract(AMOUNT_RE)
    return pd.to_numeric(g["num"], errors="coerce") * g["mult"].map(MULTIPLIERS).fillna(1.0)


def quarter_label(d: pd.Series) -> pd.Series:
    d = pd.to_datetime(d)
    return d.dt.year.astype(str) + "Q" + d.dt.quarter.astype(str)


def month_start(ts: pd.Series) -> pd.Series:
    return ts.dt.to_period("M").dt.start_time


def quarter_start(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts).dt.to_period("Q").dt.start_time


def q25(s: pd.Series) -> float:
    return s.quantile(0.25)


def q75(s: pd.Series) -> float:
    return s.quantile(0.75)


def market(lp: pd.DataFrame, listings: pd.DataFrame, coverage: pd.DataFrame, trunc) -> pd.DataFrame:
    removed = listings.loc[listings["removed_at"].notna(), ["lkey", "removed_at"]].copy()
    removed["period"] = trunc(removed["removed_at"])
    ev = lp.merge(removed[["lkey", "period"]], on=["lkey", "period"], how="outer")
    ev["active"] = ev["active"].astype("boolean").fillna(False).astype(bool)
    ev = ev.merge(
        listings[["lkey", "region_code", "channel", "seller", "first_seen_at", "removed_at"]], on="lkey"
    )
    ev["region_code"] = ev["region_code"].fillna("unknown")
    ev["is_new"] = ev["period"] == trunc(ev["first_seen_at"])
    ev["is_removed"] = ev["period"] == trunc(ev["removed_at"])
    act = ev[ev["active"]].copy()
    act["qty0"] = act["qty"].fillna(0).astype(float)
    frames = []
    for keys in (["region_code", "channel"], ["region_code"], ["channel"], []):
        by = ["period", *keys]
        counts = ev.groupby(by).agg(listings_new=("is_new", "sum"), listings_removed=("is_removed", "sum"))
        a = act.groupby(by).agg(
            listings_active=("lkey", "size"),
            sellers_active=("seller", "nunique"),
            records_offered=("qty0", "sum"),
            priced_listings=("price", "count"),
            price_p25_cny=("price", q25),
            price_median_cny=("price", "median"),
            price_p75_cny=("price", q75),
        )
        g = counts.join(a, how="left").reset_index()
        for k in ("region_code", "channel"):
            if k not in keys:
                g[k] = "all"
        frames.append(g)
    agg = pd.concat(frames, ignore_index=True)
    for c in ["listings_active", "sellers_active", "priced_listings", "listings_new", "listings_removed"]:
        agg[c] = agg[c].fillna(0).astype("int64")
    agg["records_offered"] = agg["records_offered"].fillna(0).astype("int64")
    cov = coverage.assign(period=trunc(coverage["crawl_date"]))
    cov = pd.concat(
        [
            cov.groupby(["period", "channel"])["is_crawled"].mean().reset_index(),
            cov.groupby("period")["is_crawled"].mean().reset_index().assign(channel="all"),
        ]
    ).rename(columns={"is_crawled": "coverage_ratio"})
    out = agg.merge(cov, on=["period", "channel"], how="left")
    out["is_low_coverage"] = (out["coverage_ratio"] < LOW_COVERAGE).fillna(False)
    cols = [
        "period",
        "region_code",
        "channel",
        "listings_active",
        "listings_new",
        "listings_removed",
        "sellers_active",
        "records_offered",
        "priced_listings",
        "price_p25_cny",
        "price_median_cny",
        "price_p75_cny",
        "coverage_ratio",
        "is_low_coverage",
    ]
    return out[cols]


def pct_change(
    df: pd.DataFrame, keys: list[str], value: str, base: str, months: int, name: str
) -> pd.DataFrame:
    prev = df[[*keys, "quarter_start", value, base, "is_low_coverage"]].copy()
    prev["quarter_start"] = prev["quarter_start"] + pd.DateOffset(months=months)
    prev.columns = [*keys, "quarter_start", "_pv", "_pb", "_pl"]
    j = df.merge(prev, on=[*keys, "quarter_start"], how="left")
    ok = (
        (j[base] >= THIN_BASE)
        & (j["_pb"] >= THIN_BASE)
        & ~j["is_low_coverage"]
        & ~j["_pl"].astype("boolean").fillna(True)
    )
    j[name] = (100.0 * (j[value] / j["_pv"] - 1)).round(4).where(ok)
    return j.drop(columns=["_pv", "_pb", "_pl"])


def read_feed(files: list[Path]) -> pd.DataFrame:
    frames = [
        pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig").assign(filename=f.name)
        for f in files
    ]
    df = pd.concat(frames, ignore_index=True)
    return df.replace("", None)


def latest(df: pd.DataFrame, key: str) -> pd.DataFrame:
    df = df.copy()
    df[key] = df[key].str.strip()
    df = df[df[key].notna() & (df[key] != "")]
    df["_upd"] = parse_date(df["updated_at"])
    df = df.sort_values([key, "_upd", "filename"], ascending=[True, False, False], na_position="last")
    return df.drop_duplicates(key, keep="first")


def main() -> int:
    args = parse_args(__doc__ or "")
    out: Path = args.out

    # --- reference seeds
    sites = pd.concat([pd.read_csv(p, dtype=str)[["site", "channel"]] for p in sites_csvs(args.raw)])
    sites["site"] = sites["site"].str.strip().str.lower()
    sites["channel"] = sites["channel"].str.strip().str.lower()
    sites = sites.drop_duplicates("site", keep="last")
    fx = pd.read_csv(REFERENCE / "exchange_rates_monthly.csv", dtype=str)
    fx = pd.DataFrame(
        {
            "m": pd.to_datetime(fx["month_start"]),
            "currency": fx["currency"].str.upper(),
            "rate": fx["cny_per_unit"].astype(float),
        }
    )
    provinces = pd.read_csv(REFERENCE / "provinces.csv", dtype=str)
    provinces["population"] = pd.to_numeric(provinces["population_2020"], errors="coerce")
    provinces["is_mainland"] = provinces["is_mainland"].str.lower() == "true"
    raliases = region_aliases()
    caliases = pd.read_csv(REFERENCE / "carrier_aliases.csv", dtype=str).assign(
        alias=lambda d: d["alias"].str.lower()
    )
    aaliases = pd.read_csv(REFERENCE / "agency_aliases.csv", dtype=str).assign(
        alias=lambda d: d["alias"].str.lower(), priority=lambda d: d["priority"].astype(int)
    )
    saliases = pd.read_csv(REFERENCE / "leak_stage_terms.csv", dtype=str).assign(
        alias=lambda d: d["alias"].str.lower(), priority=lambda d: d["priority"].astype(int)
    )

    # --- crawl: read every file, narrow at once
    parts = []
    for day in sorted((args.raw / "crawl").iterdir()):
        frames = [
            read_crawl_file(p).assign(file=f"{day.name}/{p.name}")
            for p in sorted(day.iterdir())
            if p.name.endswith((".jsonl", ".jsonl.gz", ".parquet"))
        ]
        if frames:
            parts.append(narrow(pd.concat(frames, ignore_index=True)))
    obs = pd.concat(parts, ignore_index=True)
    del parts
    for c in ["lkey", "site", "seller", "price_currency", *TEXTS, "file"]:
        obs[c] = obs[c].astype("string").astype("category")
    # The same (listing, instant) delivered twice (overlapping crawlers, a re-delivered file): keep the copy
    # from the file that sorts last by day folder, then file name (as the DuckDB and polars baselines do).
    obs = (
        obs.assign(file=obs["file"].astype(str))
        .sort_values("file", ascending=False, kind="stable")
        .drop_duplicates(["lkey", "ts"])
        .drop(columns="file")
        .sort_index()
    )

    # --- normalize each distinct text once, map back
    def uniq(c: str, frame: pd.DataFrame = obs) -> pd.Series:
        return pd.Series(frame[c].cat.categories.astype(str))

    lk = price_lookup(uniq("price_text")).set_index("txt")
    obs["amount"] = obs["price_text"].map(lk["amount"]).astype(float)
    obs["currency"] = obs["price_text"].map(lk["currency"]).astype(object)
    obs["qty"] = (
        obs["quantity_text"]
        .map(quantity_lookup(uniq("quantity_text")).set_index("txt")["qty"])
        .astype("Int64")
    )
    loc = location_lookup(uniq("location_text"), raliases).set_index("txt")
    obs["region_code"] = obs["location_text"].map(loc["region_code"]).astype(object)
    obs["city_code"] = obs["location_text"].map(loc["city_code"]).astype(object)
    obs["carrier_codes"] = (
        obs["carrier_text"]
        .map(carrier_lookup(uniq("carrier_text"), caliases).set_index("txt")["carrier_codes"])
        .astype(object)
    )
    obs["freshness"] = (
        obs["freshness_text"]
        .map(freshness_lookup(uniq("freshness_text")).set_index("txt")["freshness"])
        .astype(object)
    )
    obs = obs.drop(columns=TEXTS)
    obs["d"] = obs["ts"].dt.normalize()
    obs["m"] = month_start(obs["ts"])
    structured = obs["price_amount"].notna()
    per = obs["price_per_records"].fillna(1.0)
    sp = (obs["price_amount"] / per).where((obs["price_amount"] > 0) & (per > 0))
    obs["amount"] = np.where(structured, sp, obs["amount"])
    obs["currency"] = np.where(
        structured, obs["price_currency"].astype(object).fillna("CNY"), obs["currency"]
    )
    obs = obs.merge(fx, on=["m", "currency"], how="left")
    obs["price"] = (obs["amount"] * obs["rate"]).where(obs["amount"] > 0)
    obs = obs.drop(
        columns=["amount", "currency", "rate", "price_amount", "price_per_records", "price_currency"]
    )
    obs["lkey"] = obs["lkey"].astype(str)
    obs["site"] = obs["site"].astype(str)
    obs["seller"] = obs["seller"].astype(object)
    obs = obs.sort_values("ts", kind="stable")

    # --- listings
    site_days = (
        obs.groupby(["site", "d"])
        .agg(first_ts=("ts", "min"), observations=("ts", "size"), listings_seen=("lkey", "nunique"))
        .reset_index()
    )
    site_days["rn"] = site_days.groupby("site").cumcount()
    g = obs.groupby("lkey")
    agg = pd.DataFrame(
        {
            "site": g["site"].first(),
            "observation_count": g.size(),
            "first_seen_at": g["ts"].min(),
            "last_seen_at": obs[obs["live"]].groupby("lkey")["ts"].max(),
            "explicit_removed_at": obs[~obs["live"]].groupby("lkey")["ts"].min(),
            "last_day": g["d"].max(),
            "unit_price_cny": g["price"].last(),
            "records_offered": g["qty"].last(),
            "region_code": g["region_code"].last(),
            "city_code": obs[obs["region_code"].notna()]
            .groupby("lkey")["city_code"]
            .agg(lambda s: s.iloc[-1]),
            "carrier_codes": g["carrier_codes"].last(),
            "freshness": g["freshness"].last(),
            "seller": g["seller"].last(),
            "sample_record_count": g["sample_n"].max().astype("int64"),
            "has_unmasked_samples": g["unmasked"].any(),
        }
    ).reset_index(names="lkey")
    sd = site_days[["site", "d", "rn", "first_ts"]]
    cand = agg.loc[agg["explicit_removed_at"].isna(), ["lkey", "site", "last_day"]]
    cand = cand.merge(
        sd.rename(columns={"d": "last_day"})[["site", "last_day", "rn"]], on=["site", "last_day"]
    )
    cand["rn1"], cand["rn3"] = cand["rn"] + 1, cand["rn"] + 3
    cand = cand.merge(
        sd[["site", "rn", "first_ts"]].rename(columns={"rn": "rn1", "first_ts": "inferred_at"}),
        on=["site", "rn1"],
    )
    cand = cand.merge(sd[["site", "rn"]].rename(columns={"rn": "rn3"}), on=["site", "rn3"])
    listings = agg.merge(cand[["lkey", "inferred_at"]], on="lkey", how="left").merge(
        sites, on="site", how="left"
    )
    listings["channel"] = listings["channel"].fillna("unknown")
    listings["removed_at"] = listings["explicit_removed_at"].fillna(listings["inferred_at"])
    listings["is_removal_inferred"] = listings["explicit_removed_at"].isna() & listings["inferred_at"].notna()
    listings["is_price_outlier"] = listings["unit_price_cny"].notna() & ~listings["unit_price_cny"].between(
        PRICE_MIN, PRICE_MAX
    )
    listing_key = "4" + md5(listings["lkey"]).str[:15]
    fct_listings = listings.assign(listing_key=listing_key, seller_key=md5(listings["seller"]))[
        [
            "listing_key",
            "site",
            "channel",
            "seller_key",
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
        ]
    ]

    # --- listing x month and x quarter
    lm = obs.groupby(["lkey", "m"])["live"].any().rename("active").to_frame()
    okp = obs[obs["live"] & obs["price"].between(PRICE_MIN, PRICE_MAX)]
    lm = lm.join(okp.groupby(["lkey", "m"]).agg(price=("price", "last"), price_ts=("ts", "max")))
    okq = obs[obs["live"] & obs["qty"].notna()]
    lm = lm.join(okq.groupby(["lkey", "m"]).agg(qty=("qty", "last"), qty_ts=("ts", "max")))
    lm = lm.reset_index().rename(columns={"m": "period"})
    del obs, okp, okq
    lq = lm.assign(period=quarter_start(lm["period"]))
    lq_active = lq.groupby(["lkey", "period"])["active"].any()
    lq_price = lq[lq["price_ts"].notna()].sort_values("price_ts").groupby(["lkey", "period"])["price"].last()
    lq_qty = lq[lq["qty_ts"].notna()].sort_values("qty_ts").groupby(["lkey", "period"])["qty"].last()
    lq = pd.concat([lq_active, lq_price, lq_qty], axis=1).reset_index()
    lm = lm.drop(columns=["price_ts", "qty_ts"])
    lfm = listings[["lkey", "region_code", "channel", "seller", "first_seen_at", "removed_at"]]

    span = site_days.groupby("site")["d"].agg(["min", "max"])
    grid = pd.concat(
        [
            pd.DataFrame({"site": s, "crawl_date": pd.date_range(r["min"], r["max"], freq="D")})
            for s, r in span.iterrows()
        ]
    )
    coverage = grid.merge(
        site_days.rename(columns={"d": "crawl_date"})[
            ["site", "crawl_date", "observations", "listings_seen"]
        ],
        on=["site", "crawl_date"],
        how="left",
    )
    coverage = coverage.merge(sites, on="site", how="left")
    coverage["channel"] = coverage["channel"].fillna("unknown")
    coverage["is_crawled"] = coverage["observations"].notna()
    coverage["observations"] = coverage["observations"].fillna(0).astype("int64")
    coverage["listings_seen"] = coverage["listings_seen"].fillna(0).astype("int64")
    coverage = coverage[["site", "channel", "crawl_date", "is_crawled", "observations", "listings_seen"]]

    monthly = market(lm, lfm, coverage, month_start).rename(columns={"period": "month_start"})
    quarterly = market(lq, lfm, coverage, quarter_start).rename(columns={"period": "quarter_start"})
    quarterly.insert(0, "quarter", quarter_label(quarterly["quarter_start"]))
    keys = ["region_code", "channel"]
    quarterly = pct_change(
        quarterly, keys, "listings_active", "listings_active", 3, "listings_active_qoq_pct"
    )
    quarterly = pct_change(
        quarterly, keys, "listings_active", "listings_active", 12, "listings_active_yoy_pct"
    )
    quarterly = pct_change(quarterly, keys, "price_median_cny", "priced_listings", 3, "price_median_qoq_pct")
    quarterly = pct_change(quarterly, keys, "price_median_cny", "priced_listings", 12, "price_median_yoy_pct")

    q_all = quarterly[quarterly["region_code"] == "all"]
    base_start = q_all.loc[q_all["priced_listings"] > 0, "quarter_start"].min()
    base = q_all.loc[q_all["quarter_start"] == base_start].set_index("channel")["price_median_cny"]
    pi = q_all[
        ["quarter", "quarter_start", "channel", "priced_listings", "price_median_cny", "is_low_coverage"]
    ]
    pi = pct_change(pi, ["channel"], "price_median_cny", "priced_listings", 3, "qoq_pct")
    pi = pct_change(pi, ["channel"], "price_median_cny", "priced_listings", 12, "yoy_pct")
    pi["price_index"] = (100.0 * pi["price_median_cny"] / pi["channel"].map(base)).round(4)
    price_index = pi[
        [
            "quarter",
            "quarter_start",
            "channel",
            "priced_listings",
            "price_median_cny",
            "price_index",
            "qoq_pct",
            "yoy_pct",
        ]
    ]

    # --- incidents and cases
    incidents = latest(read_feed(utf8_csvs(args.raw, "incidents", out)), "incident_id")
    cases = read_feed(utf8_csvs(args.raw, "cases", out))
    if "agency" not in cases:
        cases["agency"] = None
    keep = cases.groupby("filename")["agency"].count()
    cases = latest(cases[cases["filename"].isin(keep[keep > 0].index)], "case_id")
    prov_txt = pd.Series(pd.concat([incidents["province"], cases["province"]]).dropna().unique())
    province = location_lookup(prov_txt, raliases).set_index("txt")["region_code"]
    carrier = best_alias(incidents["carrier"], caliases, "carrier_code", False)
    stage = best_alias(incidents["leak_stage"], saliases, "leak_stage", True)
    agency = best_alias(cases["agency"], aaliases, "agency_code", True)

    fct_incidents = pd.DataFrame(
        {
            "incident_id": incidents["incident_id"],
            "reported_date": parse_date(incidents["reported_at"]).dt.normalize(),
            "source": blank_to_na(incidents["source"]),
            "region_code": incidents["province"].map(province).fillna("unknown"),
            "carrier_code": incidents["carrier"].map(carrier).fillna("UNKNOWN"),
            "leak_stage": incidents["leak_stage"].map(stage).fillna("unknown"),
            "records_affected": parse_amount(incidents["records_affected"]),
            "status": incidents["status"].str.strip().str.lower(),
        }
    )
    fct_incidents = fct_incidents[fct_incidents["reported_date"].notna()]
    agency_blank = blank_to_na(cases["agency"]).isna()
    sites_shut = (
        cases["sites_shut"]
        .fillna("")
        .map(lambda v: len({h.strip().lower() for h in v.split(";") if h.strip()}))
    )
    fct_cases = pd.DataFrame(
        {
            "case_id": cases["case_id"],
            "agency_code": np.where(agency_blank, "UNKNOWN", cases["agency"].map(agency).fillna("OTHER")),
            "region_code": cases["province"].map(province).fillna("unknown"),
            "opened_date": parse_date(cases["opened_on"]).dt.normalize(),
            "closed_date": parse_date(cases["closed_on"]).dt.normalize(),
            "case_type": blank_to_na(cases["case_type"].str.lower()),
            "suspects": pd.to_numeric(cases["suspects"].str.strip(), errors="coerce").astype("Int64"),
            "records_involved": parse_amount(cases["records_involved"]),
            "illegal_gain_cny": parse_amount(cases["illegal_gain_cny"]),
            "fine_cny": parse_amount(cases["fine_cny"]),
            "sites_shut_count": sites_shut.astype("int64"),
            "outcome": blank_to_na(cases["outcome"].str.lower()),
        }
    )
    fct_cases = fct_cases[fct_cases["opened_date"].notna()]

    qk = ["quarter_start", "region_code", "agency_code"]
    opened = (
        fct_cases.assign(quarter_start=quarter_start(fct_cases["opened_date"]))
        .groupby(qk)
        .agg(
            cases_opened=("case_id", "size"),
            suspects=("suspects", "sum"),
            records_involved=("records_involved", "sum"),
            illegal_gain_cny=("illegal_gain_cny", "sum"),
            fines_cny=("fine_cny", "sum"),
            sites_shut=("sites_shut_count", "sum"),
        )
    )
    closed_c = fct_cases[fct_cases["closed_date"].notna()]
    closed = (
        closed_c.assign(quarter_start=quarter_start(closed_c["closed_date"]))
        .groupby(qk)
        .agg(cases_closed=("case_id", "size"))
    )
    enforcement = opened.join(closed, how="outer").fillna(0).reset_index()
    for c in ("cases_opened", "cases_closed", "suspects", "sites_shut"):
        enforcement[c] = enforcement[c].astype("int64")
    enforcement.insert(0, "quarter", quarter_label(enforcement["quarter_start"]))
    enforcement = enforcement[
        [
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
        ]
    ]
    founded = fct_incidents[fct_incidents["status"].fillna("") != "unfounded"]
    incidents_q = (
        founded.assign(quarter_start=quarter_start(founded["reported_date"]))
        .groupby(["quarter_start", "region_code", "carrier_code", "leak_stage"])
        .agg(incidents=("incident_id", "size"), records_affected=("records_affected", "sum"))
        .reset_index()
    )
    incidents_q.insert(0, "quarter", quarter_label(incidents_q["quarter_start"]))

    rq = (
        quarterly[["quarter", "quarter_start"]]
        .drop_duplicates()
        .merge(provinces[["region_code", "name_zh", "population", "is_mainland"]], how="cross")
    )
    rq = rq.merge(
        quarterly.loc[
            quarterly["channel"] == "all", ["quarter", "region_code", "listings_active", "price_median_cny"]
        ],
        on=["quarter", "region_code"],
        how="left",
    )
    rq = rq.merge(
        enforcement.groupby(["quarter", "region_code"])["cases_opened"].sum().reset_index(),
        on=["quarter", "region_code"],
        how="left",
    )
    rq = rq.merge(
        incidents_q.groupby(["quarter", "region_code"])["incidents"].sum().reset_index(),
        on=["quarter", "region_code"],
        how="left",
    )
    rq[["listings_active", "cases_opened", "incidents"]] = (
        rq[["listings_active", "cases_opened", "incidents"]].fillna(0).astype("int64")
    )
    has_data = rq.groupby("region_code")[["listings_active", "cases_opened", "incidents"]].sum().sum(axis=1)
    rq = rq[rq["is_mainland"] | rq["region_code"].isin(has_data[has_data > 0].index)]
    rq["listings_per_10m_population"] = (rq["listings_active"] * 1e7 / rq["population"]).round(4)
    region_q = rq.rename(columns={"name_zh": "province"})[
        [
            "quarter",
            "quarter_start",
            "region_code",
            "province",
            "listings_active",
            "listings_per_10m_population",
            "cases_opened",
            "incidents",
            "price_median_cny",
        ]
    ]

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
        df = tables[name].reset_index(drop=True)
        for c in df.columns:
            if c in (
                "month_start",
                "quarter_start",
                "crawl_date",
                "reported_date",
                "opened_date",
                "closed_date",
            ):
                df[c] = pd.to_datetime(df[c]).dt.date
        df.to_parquet(out / f"{name}.parquet", index=False)
        counts[name] = len(df)
    report(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
