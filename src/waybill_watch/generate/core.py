"""`generate_raw`: simulate the market, write the landing zone (SPEC §3) and the truth manifest."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from waybill_watch.errors import WaybillWatchError
from waybill_watch.generate import attributes as attr
from waybill_watch.generate import crawl, market, pools, reports
from waybill_watch.generate.files import FileLedger

SCALES = tuple(market.LIVE_LISTINGS)
TRUTH_DIR = "_truth"


@dataclass
class GenerateSummary:
    out: Path
    scale: str
    seed: int
    seconds: float
    crawl_rows: int
    listings: int
    incidents: int
    cases: int
    files: int
    bytes_written: int
    messiness: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [
            f"generated {self.scale} (seed {self.seed}) into {self.out} in {self.seconds:.1f}s",
            f"  crawl rows {self.crawl_rows:,} for {self.listings:,} listings; "
            f"{self.incidents:,} incidents; {self.cases:,} cases",
            f"  {self.files:,} files, {self.bytes_written / 1e6:,.1f} MB; truth in {self.out / TRUTH_DIR}",
        ]
        lines += [f"  {k}: {v}" for k, v in sorted(self.messiness.items())]
        return "\n".join(lines)

    def __rich__(self) -> Table:
        t = Table(title=f"waybill-watch generate: {self.scale}, seed {self.seed}", show_header=False)
        t.add_row("output", str(self.out))
        t.add_row("time", f"{self.seconds:.1f} s")
        t.add_row("crawl rows", f"{self.crawl_rows:,}")
        t.add_row("listings", f"{self.listings:,}")
        t.add_row("incidents / cases", f"{self.incidents:,} / {self.cases:,}")
        t.add_row("files", f"{self.files:,} ({self.bytes_written / 1e6:,.1f} MB)")
        for k, v in sorted(self.messiness.items()):
            t.add_row(k, str(v))
        t.add_row("truth", str(self.out / TRUTH_DIR))
        return t


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / TRUTH_DIR / "summary.json").exists():
            raise WaybillWatchError(
                f"{out} exists and is not generator output: choose an empty --out directory"
            )
        shutil.rmtree(out)  # a previous generator run: regenerate from scratch so files are byte-identical
    out.mkdir(parents=True, exist_ok=True)


def _write_sites_csv(ledger: FileLedger) -> None:
    # Extends the seed (a new trading site), repeats a seeded site in another spelling, leaves a name empty.
    text = (
        "site,channel,name\n"
        f"{market.RAW_ONLY_SITE},trading_site,数据库VIP\n"
        "T.me,im_group,Telegram\n"
        "pastebin.com,paste_site,\n"
    )
    ledger.write_bytes("sites.csv", text.encode("utf-8"), datetime(2025, 5, 1, 9, 0))


def _site_channels() -> dict[str, str]:
    return {s.site: s.channel for s in market.SITES}


def _silent_removals(ls: market.Listings, t: crawl.Truth) -> tuple[np.ndarray, np.ndarray]:
    """SPEC §5: no removal fetch, but the site was crawled on ≥3 later local days → removed at the
    site's earliest fetch on the first of those days."""
    removed_at = np.full(ls.n, -1, dtype=np.int64)
    inferred = np.zeros(ls.n, dtype=bool)
    for s in range(len(market.SITES)):
        days = np.nonzero(t.site_crawled[s])[0]
        mine = np.nonzero((ls.site == s) & (t.first_removal_at < 0) & (t.obs_count > 0))[0]
        if len(mine) == 0 or len(days) == 0:
            continue
        pos = np.searchsorted(days, t.last_local_day[mine], side="right")
        later = len(days) - pos
        ok = later >= 3
        first_day = days[np.minimum(pos, len(days) - 1)]
        removed_at[mine[ok]] = t.site_first_instant[s, first_day[ok]]
        inferred[mine[ok]] = True
    return removed_at, inferred


def _ts(col: np.ndarray) -> pl.Series:
    """Epoch seconds (−1 = none) → naive UTC datetime."""
    s = pl.Series(col.astype(np.int64))
    return pl.select(pl.when(s >= 0).then(pl.from_epoch(s, time_unit="s"))).to_series()


def _pool(values: list, idx: np.ndarray) -> pl.Series:
    """Gather from a small pool; index -1 gives null. Gathered strings share the pool's buffers,
    so a million-row column costs little memory (no fixed-width numpy unicode arrays)."""
    series = pl.Series([*values, None])
    return series.gather(np.where(idx < 0, len(values), idx).astype(np.int64))


def listing_truth(ctx: crawl.CrawlContext) -> tuple[pl.DataFrame, np.ndarray]:
    """One row per observed listing, and the listing indexes those rows stand for."""
    ls, at, t, p = ctx.ls, ctx.at, ctx.truth, ctx.pools
    keep = np.nonzero(t.obs_count > 0)[0]  # listings that were observed at all
    silent_at, inferred = _silent_removals(ls, t)
    fetched_removal = t.first_removal_at[keep] >= 0
    removed_at = np.where(fetched_removal, t.first_removal_at[keep], silent_at[keep])
    kind = np.where(
        fetched_removal, t.first_removal_kind[keep], np.where(inferred[keep], market.REMOVAL_SILENT, 0)
    )
    channels = _site_channels()
    site = ls.site[keep].astype(np.int64)
    content = t.has_content[keep]
    loc = np.where(content, at.loc[keep], -1)
    # Listings only ever seen in contentless 404/410 fetches show no seller, samples or texts.
    seller = np.where(content, at.seller[keep], -1)
    sample = np.where(content, at.sample[keep], -1)
    sample_n = np.array([len(x) for x in p.samples])[np.maximum(sample, 0)]
    sample_un = np.array(p.sample_unmasked)[np.maximum(sample, 0)]
    last_price = t.last_price[keep]
    df = pl.DataFrame(
        {
            "site": _pool(list(market.SITE_NAMES), site),
            "listing_id": ctx.listing_id_text.gather(keep),
            "url_normalized": ctx.base_url.gather(keep),
            "channel": _pool([channels[s] for s in market.SITE_NAMES], site),
            "region_code": _pool([c for _t, c, _y in p.locations], loc).fill_null("unknown"),
            "city_code": _pool([y for _t, _c, y in p.locations], loc),
            "carrier_codes": _pool(
                [c for _t, c in pools.CARRIERS], np.where(content, at.carrier[keep], -1)
            ).fill_null("UNKNOWN"),
            "freshness": _pool(
                [f for _t, f in pools.FRESHNESS], np.where(content, at.fresh[keep], -1)
            ).fill_null("unknown"),
            "records_offered": _pool([q for _t, q in pools.QUANTITY], np.where(content, at.qty[keep], -1)),
            "seller_handle": _pool(p.handles, seller),
            "seller_contact": _pool(p.contacts, seller),
            "first_fetch_at": _ts(t.first_fetch[keep]),
            "last_seen_at": _ts(t.last_live_at[keep]),
            "planted_removal": _pool(list(market.REMOVAL_NAMES), ls.removal[keep].astype(np.int64)),
            "removal_kind": _pool(list(market.REMOVAL_NAMES), kind.astype(np.int64)),
            "removed_at": _ts(removed_at),
            "is_removal_inferred": inferred[keep] & ~fetched_removal,
            "observation_count": t.obs_count[keep],
            "sample_record_count": np.where(sample >= 0, sample_n, 0),
            "has_unmasked_samples": (sample >= 0) & sample_un,
            "unit_price_cny": pl.Series(last_price, nan_to_null=True),
            "is_price_outlier": pl.select(
                pl.when(pl.Series(~np.isnan(last_price))).then(pl.Series(t.last_outlier[keep]))
            ).to_series(),
            "unit_price": pl.Series(t.last_price_unit[keep], nan_to_null=True),
            "price_currency": _pool(list(crawl.CURRENCIES), t.last_currency[keep].astype(np.int64)),
            "price_kind": _pool(
                ["cny", "foreign", "none", "placeholder_first", "placeholder_always"],
                at.price_kind[keep].astype(np.int64),
            ),
        }
    ).with_columns(
        pl.when(pl.col("listing_id").is_null()).then(pl.col("url_normalized")).alias("url_normalized")
    )
    return df, keep


def listing_quarter_parts(
    ctx: crawl.CrawlContext, lt: pl.DataFrame, keep: np.ndarray
) -> Iterator[pl.DataFrame]:
    """listing × quarter truth, one quarter at a time: at large scale the whole table (millions of
    rows with text keys) would not fit the memory budget beside everything else."""
    t = ctx.truth
    ident = lt.select("site", "listing_id", "url_normalized", "channel", "region_code")
    for q, label in enumerate(market.QUARTERS):
        price = t.q_price[keep, q]
        rows = np.nonzero(t.q_active[keep, q] | ~np.isnan(price))[0]
        yield ident[rows].with_columns(
            quarter=pl.lit(label),
            is_active=pl.Series(t.q_active[keep[rows], q]),
            unit_price_cny=pl.Series(price[rows], nan_to_null=True),
            unit_price=pl.Series(t.q_price_unit[keep[rows], q], nan_to_null=True),
            price_currency=_pool(list(crawl.CURRENCIES), t.q_currency[keep[rows], q].astype(np.int64)),
        )


def write_listing_quarters(path: Path, parts: Iterator[pl.DataFrame]) -> pl.DataFrame:
    """Write the parts as row groups of one Parquet file; return the quarterly roll-up."""
    rollups = []
    writer: pq.ParquetWriter | None = None
    try:
        for part in parts:
            table = part.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            rollups.append(quarterly_rollup(part))
    finally:
        if writer is not None:
            writer.close()
    return pl.concat(rollups).sort("channel", "quarter")


def quarterly_rollup(lq: pl.DataFrame) -> pl.DataFrame:
    """Active listings and CNY median price per quarter × channel (with `all`), from the truth."""
    act = lq.filter(pl.col("is_active"))
    by = act.group_by("quarter", "channel").agg(
        pl.len().alias("listings_active"),
        pl.col("unit_price_cny").drop_nulls().len().alias("priced_listings"),
        pl.col("unit_price_cny").median().alias("price_median_cny"),
    )
    allc = act.group_by("quarter").agg(
        pl.lit("all").alias("channel"),
        pl.len().alias("listings_active"),
        pl.col("unit_price_cny").drop_nulls().len().alias("priced_listings"),
        pl.col("unit_price_cny").median().alias("price_median_cny"),
    )
    gd = (
        act.filter(pl.col("region_code") == market.CAMPAIGN_REGION)
        .group_by("quarter")
        .agg(
            pl.lit(f"region_{market.CAMPAIGN_REGION}").alias("channel"),
            pl.len().alias("listings_active"),
            pl.col("unit_price_cny").drop_nulls().len().alias("priced_listings"),
            pl.col("unit_price_cny").median().alias("price_median_cny"),
        )
    )
    return pl.concat([by, allc.select(by.columns), gd.select(by.columns)]).sort("channel", "quarter")


def _coverage(t: crawl.Truth) -> list[dict]:
    out = []
    for s, site in enumerate(market.SITES):
        days = np.nonzero(t.site_crawled[s])[0]
        if len(days) == 0:
            continue
        for q, label in enumerate(market.QUARTERS):
            span = np.arange(days[0], days[-1] + 1)
            span = span[market.DAY_QUARTER[np.minimum(span, market.N_DAYS)] == q]
            if len(span) == 0:
                continue
            ratio = float(t.site_crawled[s, span].mean())
            out.append({"site": site.site, "quarter": label, "coverage_ratio": round(ratio, 4)})
    return out


def _pii_table(ctx: crawl.CrawlContext, rep: reports.ReportOutput) -> pl.DataFrame:
    """Every raw personal value used (kind, value), built column-wise to stay small at large scale."""
    p, at = ctx.pools, ctx.at
    used = np.unique(at.seller[at.seller >= 0])
    variants = np.unique(at.seller_variant[at.seller_variant >= 0])
    samples = [r for i in np.unique(at.sample[at.sample >= 0]) for r in p.samples[i]]
    titles = [x for i in np.unique(at.title) for x in [p.titles[i]] if any(ch.isdigit() for ch in x)]

    def part(kind: str, values: pl.Series | list[str]) -> pl.DataFrame:
        values = pl.Series(values, dtype=pl.String) if isinstance(values, list) else values
        return pl.DataFrame({"kind": pl.Series([kind] * len(values), dtype=pl.String), "value": values})

    return pl.concat(
        [
            part("seller_handle", pl.Series(p.handles).gather(used)),
            part("seller_handle_variant", pl.Series(p.handle_variants).gather(variants)),
            part("seller_contact", pl.Series(p.contacts).gather(used)),
            part("sample_record", samples),
            part("title", titles),
            part("reporter_phone", rep.reporter_phones),
            part("suspect_name", rep.suspect_names),
            part("description", rep.description_pii),
        ]
    ).unique(maintain_order=True)


def _messiness_counts(ctx: crawl.CrawlContext, lt: pl.DataFrame, keep: np.ndarray) -> dict[str, int]:
    counts = {
        k: len(v) for k, v in ctx.messiness.items() if k not in ("crawl_file", "incident_file", "case_file")
    }
    counts["listings_null_listing_id"] = int(lt["listing_id"].null_count())
    kind = ctx.at.price_kind[keep]
    counts["listings_foreign_currency"] = int((kind == attr.PRICE_FOREIGN).sum())
    placeholder = (kind == attr.PRICE_PLACEHOLDER_FIRST) | (kind == attr.PRICE_PLACEHOLDER_ALWAYS)
    counts["listings_placeholder_price"] = int(placeholder.sum())
    counts["listings_unmasked_samples"] = int(lt["has_unmasked_samples"].sum())
    for name in ("explicit", "http", "silent"):
        counts[f"listings_removed_{name}"] = int((lt["removal_kind"] == name).sum())
    # Distinct (seller, site) pairs, counted per seller, with numpy rather than a string group-by.
    seller, site = ctx.at.seller[keep], ctx.ls.site[keep].astype(np.int64)
    pairs = np.unique(seller[seller >= 0] * len(market.SITES) + site[seller >= 0])
    _sellers, sites_per_seller = np.unique(pairs // len(market.SITES), return_counts=True)
    counts["sellers_on_several_sites"] = int((sites_per_seller > 1).sum())
    return counts


@contextmanager
def _day_progress(progress: Callable[[int, int], None] | None) -> Iterator[Callable[[int], None] | None]:
    """The caller's progress callback; else a progress bar on an interactive terminal (SPEC §10)."""
    if progress is not None:
        yield lambda d: progress(d + 1, market.N_DAYS)
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("crawl days", total=market.N_DAYS)
        yield lambda d: bar.update(task, completed=d + 1)


def generate_raw(
    out: Path, scale: str = "small", seed: int = 7, progress: Callable[[int, int], None] | None = None
) -> GenerateSummary:
    """Write RAW (crawl/, incidents/, cases/, sites.csv) and RAW/_truth/ for the project's own tests."""
    if scale not in SCALES:
        raise WaybillWatchError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    started = time.perf_counter()
    out = Path(out)
    _prepare_out(out)
    ledger = FileLedger(out)
    rng = np.random.default_rng([seed, 1])
    ls = market.simulate_listings(rng, scale)
    pools_ = attr.build_pools(np.random.default_rng([seed, 2]), ls.n)
    at = attr.build_attributes(np.random.default_rng([seed, 3]), pools_, ls)
    channel_of = np.array([s.channel for s in market.SITES])[ls.site]
    region_of = np.array([c for _t, c, _y in pools_.locations])[at.loc]
    market.apply_policy_takedowns(np.random.default_rng([seed, 4]), ls, channel_of)
    market.apply_campaign_takedowns(np.random.default_rng([seed, 5]), ls, region_of)
    market.fix_http_removals_without_status(ls)
    crawled = market.crawl_schedule(np.random.default_rng([seed, 6]))
    ids, num, base_url, alt_url = crawl.listing_identities(ls, pools_)
    ctx = crawl.CrawlContext(
        ledger=ledger,
        scale=scale,
        seed=seed,
        ls=ls,
        at=at,
        pools=pools_,
        crawled=crawled,
        run_jitter=np.random.default_rng([seed, 7]).integers(0, 600, crawled.shape).astype(np.int64),
        listing_id_text=ids,
        listing_num=num,
        base_url=base_url,
        alt_url=alt_url,
        truth=crawl.Truth(ls.n),
        series=crawl.PoolSeries(pools_),
    )
    with _day_progress(progress) as report_day:
        crawl.run_crawl(ctx, progress=report_day)
    _write_sites_csv(ledger)

    rep = reports.ReportOutput()
    inc_versions = reports.build_incidents(np.random.default_rng([seed, 8]), scale, rep)
    case_versions = reports.build_cases(np.random.default_rng([seed, 9]), scale, rep)
    reports.write_incidents(np.random.default_rng([seed, 10]), ledger, inc_versions, ctx.note)
    reports.write_cases(np.random.default_rng([seed, 11]), ledger, case_versions, ctx.note)

    lt, keep = listing_truth(ctx)
    summary = _write_truth(ctx, rep, lt, keep, scale, seed)
    n_files = len(ledger.files)
    size = sum((out / f).stat().st_size for f in ledger.files)
    return GenerateSummary(
        out=out,
        scale=scale,
        seed=seed,
        seconds=time.perf_counter() - started,
        crawl_rows=ctx.rows_written,
        listings=lt.height,
        incidents=len(rep.incidents_truth),
        cases=len(rep.cases_truth),
        files=n_files,
        bytes_written=size,
        messiness=summary["messiness_counts"],
    )


def _jsonable(v: object) -> object:
    if isinstance(v, date | datetime):
        return v.isoformat()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _write_truth(
    ctx: crawl.CrawlContext,
    rep: reports.ReportOutput,
    lt: pl.DataFrame,
    keep: np.ndarray,
    scale: str,
    seed: int,
) -> dict:
    tdir = ctx.ledger.root / TRUTH_DIR
    tdir.mkdir(parents=True, exist_ok=True)
    fixed = datetime(2026, 10, 20, 0, 0)
    rel = f"{TRUTH_DIR}/listing_quarters.parquet"
    rollup = write_listing_quarters(ctx.ledger.root / rel, listing_quarter_parts(ctx, lt, keep))
    ctx.ledger.stamp(rel, fixed)
    ctx.truth.release_quarters()  # the largest arrays; nothing below needs them
    tables = {
        "listings": lt,
        "quarterly_rollup": rollup,
        "incidents": pl.DataFrame(rep.incidents_truth),
        "cases": pl.DataFrame(rep.cases_truth),
        "pii": _pii_table(ctx, rep),
    }
    for name, table in tables.items():
        rel = f"{TRUTH_DIR}/{name}.parquet"
        table.write_parquet(ctx.ledger.root / rel, compression="zstd")
        ctx.ledger.stamp(rel, fixed)
    coverage = _coverage(ctx.truth)
    low = [c for c in coverage if c["coverage_ratio"] < 0.8]
    messiness = {k: v for k, v in ctx.messiness.items() if k != "crawl_file"}
    counts = _messiness_counts(ctx, lt, keep)
    crawl_files = ctx.messiness.get("crawl_file", [])
    summary = {
        "scale": scale,
        "seed": seed,
        "span": {"start": market.START.isoformat(), "end": market.END.isoformat()},
        "planted_events": [
            {
                "kind": "policy_notice",
                "date": market.POLICY_DATE.isoformat(),
                "effect": "ecommerce_platform listings fall (births x0.45, ~55% of live ones taken down "
                "within "
                "40 days); im_group listings rise (births x2.2); unit prices rise on every channel "
                "(x1.25 in 2025Q4 up to x1.68 in 2026Q4, im_group x1.1 more)",
            },
            {
                "kind": "enforcement_campaign",
                "date": market.CAMPAIGN_DATE.isoformat(),
                "region_code": market.CAMPAIGN_REGION,
                "effect": "listings located in the region fall (births x0.25, ~60% of live ones removed "
                "within 45 days); a quarter of all cases are campaign cases opened there from the date",
            },
            {
                "kind": "low_coverage",
                "site": market.LOW_COVERAGE_SITE,
                "quarter": market.LOW_COVERAGE_QUARTER,
                "effect": "site crawled on ~45% of days; its channel darknet_market is low-coverage too",
            },
        ],
        "sites": {
            "raw_sites_only": market.RAW_ONLY_SITE,
            "in_neither": market.UNKNOWN_SITE,
            "late_night_site": market.LATE_NIGHT_SITE,
            "overlap_crawler_sites": [s.site for s in market.SITES if s.overlap_crawler],
            "url_identity_sites": [s.site for s in market.SITES if s.id_mode == "url"],
        },
        "counts": {
            "crawl_rows": ctx.rows_written,
            "crawl_rows_by_crawler": ctx.rows_by_crawler,
            "observations": int(lt["observation_count"].sum()),
            "listings": lt.height,
            "crawl_files": len(crawl_files),
            "crawl_files_by_format": {
                f: sum(1 for c in crawl_files if c["format"] == f) for f in ("jsonl", "jsonl.gz", "parquet")
            },
            "incidents": len(rep.incidents_truth),
            "cases": len(rep.cases_truth),
        },
        "messiness_counts": counts,
        "messiness": messiness,
        "low_coverage_site_quarters": low,
        "quarterly_rollup": [{k: _jsonable(v) for k, v in r.items()} for r in rollup.to_dicts()],
        "tables": {name: f"{TRUTH_DIR}/{name}.parquet" for name in [*tables, "listing_quarters"]},
        "notes": [
            "Instants (first_fetch_at, last_seen_at, removed_at) are naive UTC.",
            "unit_price_cny of a foreign-currency price uses the rate of the fetch's local month from "
            "seeds/reference/exchange_rates_monthly.csv (fixed fallback rates when that seed is absent).",
            "line_no of JSON Lines is the 1-based physical line; of CSV files data_row excludes the header.",
        ],
    }
    rel = f"{TRUTH_DIR}/summary.json"
    (ctx.ledger.root / rel).write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=_jsonable), encoding="utf-8"
    )
    ctx.ledger.stamp(rel, fixed)
    return summary
