"""A small analyst database with the SPEC §6 tables, for developing and testing the report.

The facts (listings, cases, incidents, crawl coverage) are drawn from a seeded random generator
with planted trends (listings rise, unit prices fall, one channel has a low-coverage quarter); the
marts are then derived from those facts by SQL that follows the SPEC §6 definitions, so national
roll-ups equal the sum of their parts, just as in the real warehouse. The real pipeline output can
replace this file: the report tests only need a directory holding `analyst.duckdb`.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import polars as pl

FIRST_DAY = dt.date(2025, 1, 1)
LAST_DAY = dt.date(2026, 12, 31)

# (code, name_zh, name_en, population_2020, weight of the trade there)
PROVINCES: list[tuple[str, str, str, int, float]] = [
    ("110000", "北京市", "Beijing", 21893095, 3),
    ("120000", "天津市", "Tianjin", 13866009, 1),
    ("130000", "河北省", "Hebei", 74610235, 3),
    ("140000", "山西省", "Shanxi", 34915616, 1),
    ("150000", "内蒙古自治区", "Inner Mongolia", 24049155, 0.5),
    ("210000", "辽宁省", "Liaoning", 42591407, 1),
    ("220000", "吉林省", "Jilin", 24073453, 0.5),
    ("230000", "黑龙江省", "Heilongjiang", 31850088, 0.5),
    ("310000", "上海市", "Shanghai", 24870895, 4),
    ("320000", "江苏省", "Jiangsu", 84748016, 6),
    ("330000", "浙江省", "Zhejiang", 64567588, 8),
    ("340000", "安徽省", "Anhui", 61027171, 2),
    ("350000", "福建省", "Fujian", 41540086, 3),
    ("360000", "江西省", "Jiangxi", 45188635, 1),
    ("370000", "山东省", "Shandong", 101527453, 4),
    ("410000", "河南省", "Henan", 99365519, 3),
    ("420000", "湖北省", "Hubei", 57752557, 2),
    ("430000", "湖南省", "Hunan", 66444864, 2),
    ("440000", "广东省", "Guangdong", 126012510, 12),
    ("450000", "广西壮族自治区", "Guangxi", 50126804, 1),
    ("460000", "海南省", "Hainan", 10081232, 0.3),
    ("500000", "重庆市", "Chongqing", 32054159, 1),
    ("510000", "四川省", "Sichuan", 83674866, 2),
    ("520000", "贵州省", "Guizhou", 38562148, 0.5),
    ("530000", "云南省", "Yunnan", 47209277, 0.5),
    ("540000", "西藏自治区", "Tibet", 3648100, 0.05),
    ("610000", "陕西省", "Shaanxi", 39528999, 1),
    ("620000", "甘肃省", "Gansu", 25019831, 0.3),
    ("630000", "青海省", "Qinghai", 5923957, 0.05),
    ("640000", "宁夏回族自治区", "Ningxia", 7202654, 0.1),
    ("650000", "新疆维吾尔自治区", "Xinjiang", 25852345, 0.2),
]
OTHER_REGIONS = [
    ("multi", "多省", "Several provinces"),
    ("national", "全国", "Nationwide"),
    ("unknown", "未知", "Unknown"),
]

SITES: list[tuple[str, str, str]] = [
    ("taobao.com", "ecommerce_platform", "淘宝"),
    ("xianyu.com", "ecommerce_platform", "闲鱼"),
    ("pinduoduo.com", "ecommerce_platform", "拼多多"),
    ("shujuyi.cn", "trading_site", "数据易"),
    ("kuaidi-data.net", "trading_site", "快递数据网"),
    ("t.me", "im_group", "Telegram"),
    ("qun.qq.com", "im_group", "QQ群"),
    ("tieba.baidu.com", "forum", "百度贴吧"),
    ("darkmarket.onion", "darknet_market", "暗网市场"),
    ("pastebin.com", "paste_site", "Pastebin"),
    ("mystery-shop.xyz", "unknown", None),
]
CHANNELS = [
    ("ecommerce_platform", "电商平台 E-commerce platform"),
    ("trading_site", "数据交易网站 Trading site"),
    ("im_group", "即时通讯群组 IM group"),
    ("forum", "论坛 Forum"),
    ("darknet_market", "暗网市场 Darknet market"),
    ("paste_site", "粘贴站点 Paste site"),
    ("unknown", "未知 Unknown"),
]
CARRIERS = [
    ("SF", "顺丰速运", "SF Express"),
    ("ZTO", "中通快递", "ZTO Express"),
    ("YTO", "圆通速递", "YTO Express"),
    ("STO", "申通快递", "STO Express"),
    ("YUNDA", "韵达速递", "Yunda Express"),
    ("JT", "极兔速递", "J&T Express"),
    ("JD", "京东物流", "JD Logistics"),
    ("EMS", "中国邮政EMS", "China Post EMS"),
    ("DEPPON", "德邦快递", "Deppon Express"),
    ("BEST", "百世快递", "BEST Express"),
    ("ALL", "全网", "All carriers"),
    ("UNKNOWN", "未知", "Unknown"),
]
AGENCIES = [
    ("SPB", "国家邮政局", "State Post Bureau"),
    ("MIIT", "工业和信息化部", "Ministry of Industry and IT"),
    ("MPS", "公安部", "Ministry of Public Security"),
    ("MSS", "国家安全部", "Ministry of State Security"),
    ("MOFCOM", "商务部", "Ministry of Commerce"),
    ("SAMR", "国家市场监督管理总局", "State Admin. for Market Regulation"),
    ("OTHER", "其他", "Other"),
    ("UNKNOWN", "未知", "Unknown"),
]
LEAK_STAGES = [
    "collection",
    "sorting",
    "transport",
    "delivery",
    "outlet",
    "franchisee",
    "it_system",
    "third_party_platform",
    "insider",
    "unknown",
]


def _quarter_index(day: dt.date) -> int:
    return (day.year - 2025) * 4 + (day.month - 1) // 3


def _random_day(rng: random.Random, start: dt.date, end: dt.date, growth: float = 0.0) -> dt.date:
    """A day in [start, end]; growth > 0 skews towards the end (a rising trend)."""
    span = (end - start).days
    u = rng.random() ** (1.0 / (1.0 + growth))
    return start + dt.timedelta(days=int(u * span))


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _listings(rng: random.Random, n: int) -> pl.DataFrame:
    site_weights = [5, 4, 2, 4, 3, 6, 3, 2, 2, 1, 1]
    region_codes = [p[0] for p in PROVINCES] + ["multi", "national", "unknown"]
    region_weights = [p[4] for p in PROVINCES] + [3, 6, 4]
    carrier_options = [
        "ZTO",
        "STO|YTO|YUNDA|ZTO",
        "SF",
        "JT",
        "YTO",
        "YUNDA",
        "ALL",
        "UNKNOWN",
        "JD|SF",
        "EMS",
        "STO",
        "DEPPON",
        "BEST",
    ]
    carrier_weights = [6, 5, 5, 4, 3, 3, 5, 4, 2, 1, 2, 0.5, 0.3]
    rows = []
    for i in range(n):
        site, channel, _ = _weighted(rng, SITES, site_weights)
        first = _random_day(rng, FIRST_DAY, LAST_DAY - dt.timedelta(days=3), growth=0.25)
        life = int(rng.expovariate(1 / 70)) + 1
        last = min(first + dt.timedelta(days=life), LAST_DAY)
        removed = last + dt.timedelta(days=rng.randint(1, 10)) if rng.random() < 0.6 else None
        if removed is not None and removed > LAST_DAY:
            removed = None
        # planted trend: prices fall about 6 % a quarter; ~3 % placeholders (outliers)
        base = {"trading_site": 0.05, "im_group": 0.04, "ecommerce_platform": 0.08}.get(channel, 0.06)
        price = round(base * (0.94 ** _quarter_index(first)) * rng.lognormvariate(0, 0.35), 4)
        outlier = rng.random() < 0.03
        if outlier:
            price = 999.0
        if rng.random() < 0.15:
            price = None
        seller = f"s{rng.randint(1, int(n * 0.35)):05d}" if rng.random() < 0.85 else None
        rows.append(
            {
                "listing_key": f"4{i:015x}",
                "site": site,
                "channel": channel,
                "seller_key": seller,
                "region_code": _weighted(rng, region_codes, region_weights),
                "city_code": None,
                "carrier_codes": _weighted(rng, carrier_options, carrier_weights),
                "freshness": _weighted(rng, ["realtime", "recent", "historical", "unknown"], [2, 4, 3, 1]),
                "unit_price_cny": price,
                "is_price_outlier": None if price is None else outlier,
                "records_offered": rng.choice([None, 1000, 5000, 10000, 20000, 100000]),
                "first_seen_at": dt.datetime.combine(first, dt.time(rng.randint(0, 23), 15)),
                "last_seen_at": dt.datetime.combine(last, dt.time(rng.randint(0, 23), 40)),
                "removed_at": None if removed is None else dt.datetime.combine(removed, dt.time(9, 5)),
                "is_removal_inferred": None if removed is None else rng.random() < 0.3,
                "observation_count": max(1, life // 3),
                "sample_record_count": rng.randint(0, 5),
                "has_unmasked_samples": rng.random() < 0.1,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def _cases(rng: random.Random, n: int) -> pl.DataFrame:
    region_codes = [p[0] for p in PROVINCES] + ["unknown"]
    region_weights = [p[4] for p in PROVINCES] + [0.5]
    agency_codes = [a[0] for a in AGENCIES]
    agency_weights = [5, 1, 8, 0.5, 0.3, 2, 0.4, 0.3]
    rows = []
    for i in range(n):
        opened = _random_day(rng, FIRST_DAY, LAST_DAY, growth=0.4)
        closed = opened + dt.timedelta(days=rng.randint(20, 200)) if rng.random() < 0.7 else None
        if closed is not None and closed > LAST_DAY:
            closed = None
        criminal = rng.random() < 0.55
        rows.append(
            {
                "case_id": f"C{i:05d}",
                "agency_code": _weighted(rng, agency_codes, agency_weights),
                "region_code": _weighted(rng, region_codes, region_weights),
                "opened_date": opened,
                "closed_date": closed,
                "case_type": "criminal" if criminal else "administrative",
                "suspects": rng.randint(1, 6),
                "records_involved": rng.choice([None, 2000, 20000, 150000, 1200000]),
                "illegal_gain_cny": round(rng.uniform(500, 80000), 2) if criminal else None,
                "fine_cny": None if criminal else float(rng.choice([5000, 10000, 30000, 50000])),
                "sites_shut_count": rng.choice([0, 0, 1, 2]),
                "outcome": _weighted(
                    rng, ["pending", "prosecuted", "convicted", "penalized", "dropped"], [3, 2, 2, 3, 1]
                ),
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def _incidents(rng: random.Random, n: int) -> pl.DataFrame:
    region_codes = [p[0] for p in PROVINCES]
    region_weights = [p[4] for p in PROVINCES]
    carrier_codes = [c[0] for c in CARRIERS if c[0] != "ALL"]
    carrier_weights = [5, 6, 4, 4, 4, 4, 2, 2, 1, 0.5, 2]
    stage_weights = [3, 2, 1, 4, 5, 3, 2, 2, 3, 1]
    rows = []
    for i in range(n):
        rows.append(
            {
                "incident_id": f"I{i:05d}",
                "reported_date": _random_day(rng, FIRST_DAY, LAST_DAY, growth=0.3),
                "source": _weighted(rng, ["12305", "self_report", "police_referral", "media"], [5, 2, 2, 1]),
                "region_code": _weighted(rng, region_codes, region_weights),
                "carrier_code": _weighted(rng, carrier_codes, carrier_weights),
                "leak_stage": _weighted(rng, LEAK_STAGES, stage_weights),
                "records_affected": rng.choice([None, 300, 5000, 20000, 100000]),
                "status": _weighted(rng, ["open", "verified", "unfounded", "closed"], [3, 4, 1, 3]),
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def _coverage_daily(rng: random.Random) -> pl.DataFrame:
    rows = []
    days = (LAST_DAY - FIRST_DAY).days + 1
    for site, channel, _ in SITES:
        for d in range(days):
            day = FIRST_DAY + dt.timedelta(days=d)
            p = 0.96
            # planted outage: the darknet crawler was mostly down in 2026Q2 (low coverage)
            if channel == "darknet_market" and dt.date(2026, 4, 1) <= day <= dt.date(2026, 6, 30):
                p = 0.35
            crawled = rng.random() < p
            rows.append(
                {
                    "site": site,
                    "channel": channel,
                    "crawl_date": day,
                    "is_crawled": crawled,
                    "observations": rng.randint(5, 60) if crawled else 0,
                    "listings_seen": rng.randint(3, 40) if crawled else 0,
                }
            )
    return pl.DataFrame(rows)


def _audit() -> pl.DataFrame:
    rows = []
    day = FIRST_DAY
    n = 0
    while day <= LAST_DAY:
        rows.append(
            (
                f"crawl/{day.isoformat()}/run.jsonl.gz",
                "crawl",
                1200,
                1188,
                7,
                5,
                "partial",
                "7 rows quarantined: unparseable fetched_at; unknown columns: proxy",
            )
        )
        day += dt.timedelta(days=7)
        n += 1
    rows += [
        ("incidents/incidents_2025.csv", "incidents", 900, 897, 3, 0, "partial", "3 rows: empty incident_id"),
        ("incidents/incidents_2026.csv", "incidents", 1100, 1100, 0, 0, "loaded", None),
        (
            "incidents/incidents_2026_copy.csv",
            "incidents",
            1100,
            0,
            0,
            1100,
            "skipped_duplicate_file",
            "same content as incidents/incidents_2026.csv",
        ),
        ("cases/cases_2025_2026.csv", "cases", 520, 518, 2, 0, "partial", "2 rows: unparseable opened_on"),
        ("cases/broken.csv", "cases", 14, 0, 14, 0, "rejected", "missing required column: agency"),
    ]
    return pl.DataFrame(
        [
            {
                "file_path": p,
                "feed": f,
                "content_hash": f"{i:064x}",
                "rows_read": r,
                "rows_loaded": lo,
                "rows_quarantined": q,
                "rows_duplicate": d,
                "status": s,
                "reason": why,
            }
            for i, (p, f, r, lo, q, d, s, why) in enumerate(rows)
        ]
    )


def _dimensions(con: duckdb.DuckDBPyConnection) -> None:
    regions = pl.DataFrame(
        [
            {
                "region_code": c,
                "name_zh": zh,
                "name_en": en,
                "short_name_zh": zh[:2],
                "is_mainland": True,
                "population_2020": pop,
            }
            for c, zh, en, pop, _ in PROVINCES
        ]
        + [
            {
                "region_code": c,
                "name_zh": zh,
                "name_en": en,
                "short_name_zh": zh,
                "is_mainland": None,
                "population_2020": None,
            }
            for c, zh, en in OTHER_REGIONS
        ]
    )
    channels = pl.DataFrame({"channel": [c for c, _ in CHANNELS], "name": [n for _, n in CHANNELS]})
    sites = pl.DataFrame(
        {
            "site": [s for s, _, _ in SITES],
            "channel": [c for _, c, _ in SITES],
            "name": [n for _, _, n in SITES],
            "registered_in": ["seed"] * len(SITES),
        }
    )
    carriers = pl.DataFrame(CARRIERS, schema=["carrier_code", "name_zh", "name_en"], orient="row")
    agencies = pl.DataFrame(AGENCIES, schema=["agency_code", "name_zh", "name_en"], orient="row")
    for name, frame in [
        ("dim_regions", regions),
        ("dim_channels", channels),
        ("dim_sites", sites),
        ("dim_carriers", carriers),
        ("dim_agencies", agencies),
    ]:
        con.register("frame", frame)
        con.execute(f"create table {name} as select * from frame")
        con.unregister("frame")


MARTS_SQL = """
create table periods_m as
select m::date as month_start, (m + interval 1 month)::date as month_end
from range(date '2025-01-01', date '2027-01-01', interval 1 month) t(m);

create table periods_q as
select q::date as quarter_start, (q + interval 3 month)::date as quarter_end,
       strftime(q, '%Y') || 'Q' || cast(quarter(q) as varchar) as quarter
from range(date '2025-01-01', date '2027-01-01', interval 3 month) t(q);

create table _coverage_q as
select p.quarter, grouping(c.channel) as g, coalesce(c.channel, 'all') as channel,
       avg(case when c.is_crawled then 1.0 else 0.0 end) as coverage_ratio
from mart_crawl_coverage_daily c
inner join periods_q p on c.crawl_date >= p.quarter_start and c.crawl_date < p.quarter_end
group by grouping sets ((p.quarter, c.channel), (p.quarter));

create table _coverage_m as
select p.month_start, coalesce(c.channel, 'all') as channel,
       avg(case when c.is_crawled then 1.0 else 0.0 end) as coverage_ratio
from mart_crawl_coverage_daily c
inner join periods_m p on c.crawl_date >= p.month_start and c.crawl_date < p.month_end
group by grouping sets ((p.month_start, c.channel), (p.month_start));

create table _listing_q as
select p.quarter, p.quarter_start, l.*,
       l.first_seen_at >= p.quarter_start and l.first_seen_at < p.quarter_end as is_new,
       l.removed_at >= p.quarter_start and l.removed_at < p.quarter_end as is_removed,
       case when not l.is_price_outlier then l.unit_price_cny end as good_price
from fct_listings l
inner join periods_q p
  on l.first_seen_at < p.quarter_end and l.last_seen_at >= p.quarter_start;

create table _listing_m as
select p.month_start, l.*,
       l.first_seen_at >= p.month_start and l.first_seen_at < p.month_end as is_new,
       l.removed_at >= p.month_start and l.removed_at < p.month_end as is_removed,
       case when not l.is_price_outlier then l.unit_price_cny end as good_price
from fct_listings l
inner join periods_m p
  on l.first_seen_at < p.month_end and l.last_seen_at >= p.month_start;

create table _market_q as
select quarter, any_value(quarter_start) as quarter_start,
       coalesce(region_code, 'all') as region_code, coalesce(channel, 'all') as channel,
       count(*) as listings_active, count(*) filter (where is_new) as listings_new,
       count(*) filter (where is_removed) as listings_removed,
       count(distinct seller_key) as sellers_active, coalesce(sum(records_offered), 0) as records_offered,
       count(good_price) as priced_listings,
       quantile_cont(good_price, 0.25) as price_p25_cny, quantile_cont(good_price, 0.5) as price_median_cny,
       quantile_cont(good_price, 0.75) as price_p75_cny
from _listing_q
group by grouping sets ((quarter, region_code, channel), (quarter, region_code), (quarter, channel),
    (quarter));

create table mart_market_quarterly as
with base as (
  select m.*, c.coverage_ratio, c.coverage_ratio < 0.8 as is_low_coverage,
         (cast(substr(m.quarter, 1, 4) as int) * 4 + cast(substr(m.quarter, 6, 1) as int)) as qn
  from _market_q m
  left join _coverage_q c on c.quarter = m.quarter and c.channel = m.channel
)
select b.quarter, b.quarter_start, b.region_code, b.channel, b.listings_active, b.listings_new,
       b.listings_removed, b.sellers_active, b.records_offered, b.priced_listings, b.price_p25_cny,
       b.price_median_cny, b.price_p75_cny, b.coverage_ratio, b.is_low_coverage,
       case when b.listings_active >= 30 and p.listings_active >= 30
                 and not b.is_low_coverage and not p.is_low_coverage
            then round(100.0 * (b.listings_active - p.listings_active) / p.listings_active, 2)
       end as listings_active_qoq_pct,
       case when b.listings_active >= 30 and y.listings_active >= 30
                 and not b.is_low_coverage and not y.is_low_coverage
            then round(100.0 * (b.listings_active - y.listings_active) / y.listings_active, 2)
       end as listings_active_yoy_pct,
       case when b.priced_listings >= 30 and p.priced_listings >= 30
                 and not b.is_low_coverage and not p.is_low_coverage
            then round(100.0 * (b.price_median_cny - p.price_median_cny) / p.price_median_cny, 2)
       end as price_median_qoq_pct,
       case when b.priced_listings >= 30 and y.priced_listings >= 30
                 and not b.is_low_coverage and not y.is_low_coverage
            then round(100.0 * (b.price_median_cny - y.price_median_cny) / y.price_median_cny, 2)
       end as price_median_yoy_pct
from base b
left join base p on p.region_code = b.region_code and p.channel = b.channel and p.qn = b.qn - 1
left join base y on y.region_code = b.region_code and y.channel = b.channel and y.qn = b.qn - 4;

create table mart_market_monthly as
with agg as (
  select month_start, coalesce(region_code, 'all') as region_code, coalesce(channel, 'all') as channel,
         count(*) as listings_active, count(*) filter (where is_new) as listings_new,
         count(*) filter (where is_removed) as listings_removed,
         count(distinct seller_key) as sellers_active, coalesce(sum(records_offered), 0) as records_offered,
         count(good_price) as priced_listings,
         quantile_cont(good_price, 0.25) as price_p25_cny, quantile_cont(good_price, 0.5) as price_median_cny,
         quantile_cont(good_price, 0.75) as price_p75_cny
  from _listing_m
  group by grouping sets ((month_start, region_code, channel), (month_start, region_code),
                         (month_start, channel), (month_start))
)
select a.month_start,
       strftime(a.month_start, '%Y') || 'Q' || cast(quarter(a.month_start) as varchar) as quarter,
       date_trunc('quarter', a.month_start)::date as quarter_start,
       a.region_code, a.channel, a.listings_active, a.listings_new, a.listings_removed, a.sellers_active,
       a.records_offered, a.priced_listings, a.price_p25_cny, a.price_median_cny, a.price_p75_cny,
       c.coverage_ratio, c.coverage_ratio < 0.8 as is_low_coverage
from agg a
left join _coverage_m c on c.month_start = a.month_start and c.channel = a.channel;

create table mart_price_index_quarterly as
with base as (
  select quarter, quarter_start, channel, priced_listings, price_median_cny, is_low_coverage,
         (cast(substr(quarter, 1, 4) as int) * 4 + cast(substr(quarter, 6, 1) as int)) as qn
  from mart_market_quarterly where region_code = 'all'
),
first_q as (select channel, arg_min(price_median_cny, qn) as base_median from base
            where price_median_cny is not null group by channel)
select b.quarter, b.quarter_start, b.channel, b.priced_listings, b.price_median_cny,
       round(100.0 * b.price_median_cny / f.base_median, 2) as price_index,
       case when b.priced_listings >= 30 and p.priced_listings >= 30
                 and not b.is_low_coverage and not p.is_low_coverage
            then round(100.0 * (b.price_median_cny - p.price_median_cny) / p.price_median_cny, 2) end
                as qoq_pct,
       case when b.priced_listings >= 30 and y.priced_listings >= 30
                 and not b.is_low_coverage and not y.is_low_coverage
            then round(100.0 * (b.price_median_cny - y.price_median_cny) / y.price_median_cny, 2) end
                as yoy_pct
from base b
left join first_q f on f.channel = b.channel
left join base p on p.channel = b.channel and p.qn = b.qn - 1
left join base y on y.channel = b.channel and y.qn = b.qn - 4;

create table mart_enforcement_quarterly as
with opened as (
  select p.quarter, any_value(p.quarter_start) as quarter_start, c.region_code, c.agency_code,
         count(*) as cases_opened, sum(c.suspects) as suspects, sum(c.records_involved) as records_involved,
         sum(c.illegal_gain_cny) as illegal_gain_cny, sum(c.fine_cny) as fines_cny,
         sum(c.sites_shut_count) as sites_shut
  from fct_cases c inner join periods_q p on c.opened_date >= p.quarter_start and c.opened_date <
      p.quarter_end
  group by all
),
closed as (
  select p.quarter, any_value(p.quarter_start) as quarter_start, c.region_code, c.agency_code,
         count(*) as cases_closed
  from fct_cases c inner join periods_q p on c.closed_date >= p.quarter_start and c.closed_date <
      p.quarter_end
  group by all
)
select coalesce(o.quarter, c.quarter) as quarter, coalesce(o.quarter_start, c.quarter_start) as quarter_start,
       coalesce(o.region_code, c.region_code) as region_code, coalesce(o.agency_code, c.agency_code) as
           agency_code,
       coalesce(o.cases_opened, 0) as cases_opened, coalesce(c.cases_closed, 0) as cases_closed,
       coalesce(o.suspects, 0) as suspects, o.records_involved, o.illegal_gain_cny, o.fines_cny,
       coalesce(o.sites_shut, 0) as sites_shut
from opened o full outer join closed c
  on o.quarter = c.quarter and o.region_code = c.region_code and o.agency_code = c.agency_code;

create table mart_incidents_quarterly as
select p.quarter, any_value(p.quarter_start) as quarter_start, i.region_code, i.carrier_code, i.leak_stage,
       count(*) as incidents, sum(i.records_affected) as records_affected
from fct_incidents i inner join periods_q p on i.reported_date >= p.quarter_start and i.reported_date <
    p.quarter_end
where i.status <> 'unfounded'
group by all;

create table mart_region_quarterly as
with provinces as (select region_code, population_2020 from dim_regions where region_code not in
                   ('multi', 'national', 'unknown')),
listings as (select quarter, region_code, listings_active, price_median_cny from mart_market_quarterly
             where channel = 'all'),
cases as (select quarter, region_code, sum(cases_opened) as cases_opened from
    mart_enforcement_quarterly group by all),
incidents as (select quarter, region_code, sum(incidents) as incidents from mart_incidents_quarterly
    group by all)
select q.quarter, q.quarter_start, r.region_code, coalesce(l.listings_active, 0) as listings_active,
       round(1e7 * coalesce(l.listings_active, 0) / r.population_2020, 3) as listings_per_10m_population,
       coalesce(c.cases_opened, 0) as cases_opened, coalesce(i.incidents, 0) as incidents,
       l.price_median_cny
from periods_q q cross join provinces r
left join listings l on l.quarter = q.quarter and l.region_code = r.region_code
left join cases c on c.quarter = q.quarter and c.region_code = r.region_code
left join incidents i on i.quarter = q.quarter and i.region_code = r.region_code;

drop table _coverage_q; drop table _coverage_m; drop table _listing_q; drop table _listing_m;
drop table _market_q; drop table periods_m; drop table periods_q;
"""


def build_fixture_warehouse(
    warehouse_dir: Path, seed: int = 20260929, with_policy_events: bool = True
) -> Path:
    """Write `warehouse_dir/analyst.duckdb` with every SPEC §6 table; returns the directory."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    db_path = warehouse_dir / "analyst.duckdb"
    db_path.unlink(missing_ok=True)
    rng = random.Random(seed)
    facts = {
        "fct_listings": _listings(rng, 2400),
        "fct_cases": _cases(rng, 520),
        "fct_incidents": _incidents(rng, 900),
        "mart_crawl_coverage_daily": _coverage_daily(rng),
        "audit_ingest_files": _audit(),
    }
    con = duckdb.connect(str(db_path))
    try:
        for name, frame in facts.items():
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        _dimensions(con)
        con.execute(MARTS_SQL)
        if with_policy_events:
            con.execute(
                """
                create table dim_policy_events as select * from (values
                  (date '2025-03-15', '3·15 个人信息保护专项行动', 'Consumer-day personal data campaign',
                      'campaign'),
                  (date '2025-11-01', '《快递电子运单》隐私面单新规', 'Privacy waybill standard',
                      'regulation'),
                  (date '2026-04-20', '六部门联合整治快递信息泄露', 'Six-department joint crackdown',
                      'campaign')
                ) t(event_date, title_zh, title_en, kind)
                """
            )
    finally:
        con.close()
    return warehouse_dir
