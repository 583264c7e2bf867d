"""The simulated market: sites, their crawl schedule, and every listing's life (struct of arrays).

Listings are born per site and day (Poisson), live for a channel-dependent time and are removed
explicitly, by HTTP 404/410 or silently. Two planted events shape the trend: a policy notice
(e-commerce listings fall, chat-group listings rise, prices rise) and a provincial enforcement
campaign (listings located in that province fall).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from waybill_watch.generate import pools

START = date(2025, 1, 1)
END = date(2026, 10, 15)
N_DAYS = (END - START).days + 1
POLICY_DATE = date(2025, 11, 1)
CAMPAIGN_DATE = date(2026, 3, 1)
CAMPAIGN_REGION = pools.GUANGDONG
LOW_COVERAGE_SITE = "changan.onion"
LOW_COVERAGE_QUARTER = "2025Q3"
LATE_NIGHT_SITE = "darkmarket.onion"
RAW_ONLY_SITE = "shujuku.vip"
UNKNOWN_SITE = "kuaidi-leak.top"
PRESTART_DAYS = 240

# Concurrently live listings, the knob behind each scale.
LIVE_LISTINGS = {"tiny": 170, "small": 1250, "medium": 15000, "large": 150000}

REMOVAL_NONE, REMOVAL_EXPLICIT, REMOVAL_HTTP, REMOVAL_SILENT = 0, 1, 2, 3
REMOVAL_NAMES = ("none", "explicit", "http", "silent")

# channel → (share of live listings, mean lifetime days, removal kind weights explicit/http/silent)
CHANNELS: dict[str, tuple[float, float, tuple[float, float, float]]] = {
    "ecommerce_platform": (0.33, 60.0, (0.5, 0.3, 0.2)),
    "trading_site": (0.27, 110.0, (0.2, 0.5, 0.3)),
    "im_group": (0.20, 90.0, (0.2, 0.0, 0.8)),
    "forum": (0.08, 140.0, (0.1, 0.5, 0.4)),
    "darknet_market": (0.06, 180.0, (0.0, 0.2, 0.8)),
    "paste_site": (0.03, 45.0, (0.0, 0.7, 0.3)),
    "unknown": (0.03, 90.0, (0.2, 0.4, 0.4)),
}
# Channel median unit price (CNY per record) before the policy.
CHANNEL_PRICE = {
    "ecommerce_platform": 0.05,
    "trading_site": 0.04,
    "im_group": 0.07,
    "forum": 0.05,
    "darknet_market": 0.03,
    "paste_site": 0.02,
    "unknown": 0.04,
}


@dataclass(frozen=True)
class Site:
    site: str
    channel: str
    crawler: str  # primary crawler
    id_mode: str  # "int", "str" or "url" (listing_id null: identity by normalized url)
    url_template: str  # "{id}" is the listing's id or code
    start_sec: int  # local seconds after midnight the daily run starts
    start_day: int = 0
    in_seed: bool = True
    in_raw_sites: bool = False
    foreign_share: float = 0.0
    overlap_crawler: str | None = None  # a second crawler that fetches the same pages at the same instant


SITES: tuple[Site, ...] = (
    Site(
        "taobao.com",
        "ecommerce_platform",
        "spider-a",
        "int",
        "https://item.taobao.com/item.htm?id={id}",
        7200,
    ),
    Site("xianyu.com", "ecommerce_platform", "spider-a", "int", "https://www.xianyu.com/item/{id}", 7900),
    Site(
        "pinduoduo.com",
        "ecommerce_platform",
        "spider-a",
        "int",
        "https://mobile.pinduoduo.com/goods.html?goods_id={id}",
        8600,
        overlap_crawler="spider-b",
    ),
    Site("jd.com", "ecommerce_platform", "spider-a", "int", "https://item.jd.com/{id}.html", 9300),
    Site(
        "weidian.com",
        "ecommerce_platform",
        "spider-a",
        "int",
        "https://weidian.com/item.html?itemID={id}",
        10000,
    ),
    Site(
        "kuaishou.com",
        "ecommerce_platform",
        "spider-a",
        "int",
        "https://www.kuaishou.com/shop/item/{id}",
        10700,
    ),
    Site("shujuyi.cn", "trading_site", "spider-a", "int", "https://www.shujuyi.cn/goods/{id}", 11400),
    Site(
        "kuaidi-data.net",
        "trading_site",
        "spider-a",
        "int",
        "http://kuaidi-data.net/p/{id}.html",
        12100,
        overlap_crawler="spider-b",
    ),
    Site(
        "danhao88.com",
        "trading_site",
        "spider-a",
        "int",
        "http://www.danhao88.com/show.php?id={id}",
        12800,
        overlap_crawler="spider-b",
    ),
    Site("miandan.cc", "trading_site", "spider-b", "str", "https://miandan.cc/listing/{id}", 13500),
    Site(
        "shuju-market.top",
        "trading_site",
        "spider-b",
        "str",
        "https://shuju-market.top/item/{id}",
        14200,
        foreign_share=0.1,
    ),
    Site("t.me", "im_group", "tg-watcher", "url", "https://t.me/{id}", 25200, foreign_share=0.4),
    Site("qun.qq.com", "im_group", "tg-watcher", "str", "https://qun.qq.com/g/{id}", 26000),
    Site("weixin.qq.com", "im_group", "tg-watcher", "url", "https://weixin.qq.com/g/{id}", 26800),
    Site("potato.im", "im_group", "tg-watcher", "str", "https://potato.im/{id}", 27600, foreign_share=0.3),
    Site("tieba.baidu.com", "forum", "spider-a", "int", "https://tieba.baidu.com/p/{id}", 15000),
    Site("heike-forum.org", "forum", "spider-a", "url", "http://heike-forum.org/thread-{id}-1-1.html", 15700),
    Site("douban.com", "forum", "spider-a", "url", "https://www.douban.com/group/topic/{id}", 16400),
    Site(
        "darkmarket.onion",
        "darknet_market",
        "spider-a",
        "int",
        "http://darkmarket.onion/listing/{id}",
        23 * 3600 + 45 * 60,
        foreign_share=0.6,
    ),
    Site(
        "changan.onion",
        "darknet_market",
        "spider-a",
        "int",
        "http://changan.onion/item?id={id}",
        17800,
        foreign_share=0.6,
    ),
    Site("pastebin.com", "paste_site", "spider-a", "url", "https://pastebin.com/{id}", 18500),
    Site("paste.ubuntu.com", "paste_site", "spider-a", "url", "https://paste.ubuntu.com/p/{id}", 19200),
    Site(
        "shujuku.vip",
        "trading_site",
        "spider-a",
        "int",
        "https://shujuku.vip/d/{id}",
        19900,
        start_day=(date(2025, 5, 1) - START).days,
        in_seed=False,
        in_raw_sites=True,
    ),
    Site(
        "kuaidi-leak.top",
        "unknown",
        "spider-a",
        "url",
        "https://kuaidi-leak.top/t/{id}",
        20600,
        start_day=(date(2026, 1, 10) - START).days,
        in_seed=False,
    ),
)
SITE_NAMES = tuple(s.site for s in SITES)


def day_of(d: date) -> int:
    return (d - START).days


def quarter_label(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


QUARTERS = tuple(f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4))
# Quarter index of each day from -1 (late-night rows may spill one day past the end).
DAY_QUARTER = np.array(
    [QUARTERS.index(quarter_label(START + timedelta(days=int(d)))) for d in range(N_DAYS + 1)], dtype=np.int8
)


MONTHS = tuple(f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13))
DAY_MONTH = np.array(
    [MONTHS.index((START + timedelta(days=int(d))).strftime("%Y-%m")) for d in range(N_DAYS + 1)],
    dtype=np.int8,
)


def price_factor(channel: str, quarter: int) -> float:
    """Planted price trend: flat, then rising after the policy notice (2025Q4 on)."""
    if quarter < 3:
        return 1.0 + 0.01 * quarter
    rise = (1.25, 1.45, 1.55, 1.62, 1.68)[quarter - 3]
    return rise * (1.1 if channel == "im_group" else 1.0)


def birth_multiplier(channel: str, day: int) -> float:
    """Planted displacement: after the policy, e-commerce births fall and chat-group births rise."""
    if day < day_of(POLICY_DATE):
        return 1.0
    return {"ecommerce_platform": 0.45, "im_group": 2.2, "trading_site": 1.1}.get(channel, 1.0)


def crawl_schedule(rng: np.random.Generator) -> np.ndarray:
    """Boolean [site, day]: whether the site was crawled that day (daily, with planted gaps)."""
    crawled = rng.random((len(SITES), N_DAYS)) >= 0.012
    q3_from, q3_to = day_of(date(2025, 7, 1)), day_of(date(2025, 9, 30))
    low = SITE_NAMES.index(LOW_COVERAGE_SITE)
    # The onion site was unreachable most of 2025Q3: well below 0.8 crawled / expected days.
    crawled[low, q3_from : q3_to + 1] &= rng.random(q3_to - q3_from + 1) < 0.45
    for i, s in enumerate(SITES):
        crawled[i, : s.start_day] = False
        crawled[i, s.start_day] = True
    crawled[:, -1] = True
    return crawled


@dataclass
class Listings:
    """One entry per listing; day indexes count from START (negative: born before the data)."""

    site: np.ndarray
    birth: np.ndarray
    last_live: np.ndarray
    removal: np.ndarray
    removal_days: np.ndarray
    serial: np.ndarray

    @property
    def n(self) -> int:
        return len(self.site)


def simulate_listings(rng: np.random.Generator, scale: str) -> Listings:
    live = LIVE_LISTINGS[scale]
    channel_sites: dict[str, int] = {}
    for s in SITES:
        channel_sites[s.channel] = channel_sites.get(s.channel, 0) + 1
    sites, births, lives, kinds = [], [], [], []
    days = np.arange(-PRESTART_DAYS, N_DAYS)
    for i, s in enumerate(SITES):
        share, mean_life, kind_w = CHANNELS[s.channel]
        # At least a handful of live listings per site, so a crawled day always has rows.
        rate = max(live * share / channel_sites[s.channel], 9.0) / mean_life
        mult = np.array([birth_multiplier(s.channel, int(d)) for d in days])
        counts = rng.poisson(rate * mult)
        if s.start_day > 0:
            counts[days < s.start_day] = 0
        b = np.repeat(days, counts)
        life = np.maximum(1, rng.exponential(mean_life, len(b)).astype(np.int32))
        sites.append(np.full(len(b), i, dtype=np.int16))
        births.append(b.astype(np.int32))
        lives.append((b + life - 1).astype(np.int32))
        kinds.append(rng.choice([1, 2, 3], size=len(b), p=np.array(kind_w) / sum(kind_w)).astype(np.int8))
    site = np.concatenate(sites)
    birth = np.concatenate(births)
    last_live = np.concatenate(lives)
    removal = np.concatenate(kinds)
    keep = last_live >= 0
    site, birth, last_live, removal = site[keep], birth[keep], last_live[keep], removal[keep]
    order = np.lexsort((site, birth))
    site, birth, last_live, removal = site[order], birth[order], last_live[order], removal[order]
    removal_days = rng.integers(1, 4, len(site)).astype(np.int8)
    removal_days[removal == REMOVAL_SILENT] = 0
    return Listings(site, birth, last_live, removal, removal_days, np.arange(len(site), dtype=np.int64))


def apply_policy_takedowns(rng: np.random.Generator, ls: Listings, channel_of_listing: np.ndarray) -> None:
    """After the notice, platforms take down about half the live e-commerce listings within weeks."""
    p = day_of(POLICY_DATE)
    hit = (channel_of_listing == "ecommerce_platform") & (ls.birth < p) & (ls.last_live >= p)
    hit &= rng.random(ls.n) < 0.55
    ls.last_live[hit] = p + rng.integers(0, 40, int(hit.sum()))
    ls.removal[hit] = REMOVAL_EXPLICIT
    ls.removal_days[hit] = np.maximum(ls.removal_days[hit], 1)


def apply_campaign_takedowns(rng: np.random.Generator, ls: Listings, region_of_listing: np.ndarray) -> None:
    """The provincial campaign removes about half the listings located there (by 404 or takedown)."""
    g = day_of(CAMPAIGN_DATE)
    hit = (region_of_listing == CAMPAIGN_REGION) & (ls.birth < g) & (ls.last_live >= g)
    hit &= rng.random(ls.n) < 0.6
    ls.last_live[hit] = g + rng.integers(0, 45, int(hit.sum()))
    ls.removal[hit] = np.where(rng.random(int(hit.sum())) < 0.5, REMOVAL_EXPLICIT, REMOVAL_HTTP)
    ls.removal_days[hit] = np.maximum(ls.removal_days[hit], 1)


def fix_http_removals_without_status(ls: Listings) -> None:
    """Chat-group watchers record no HTTP status: their removals are explicit or silent."""
    tg = np.array([SITES[i].crawler == "tg-watcher" for i in range(len(SITES))])
    bad = tg[ls.site] & (ls.removal == REMOVAL_HTTP)
    ls.removal[bad] = REMOVAL_EXPLICIT
