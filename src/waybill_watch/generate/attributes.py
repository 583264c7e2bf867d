"""Listing attributes: which raw text each listing shows, and the truth behind it.

Texts come from finite pools (pools.py) so rendering is a vectorized gather; personal data
(handles, contacts, phone numbers in titles and samples) is synthetic but has the real shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from waybill_watch.generate import market, pools

T = TypeVar("T")
PRICE_CNY, PRICE_FOREIGN, PRICE_NONE, PRICE_PLACEHOLDER_FIRST, PRICE_PLACEHOLDER_ALWAYS = 0, 1, 2, 3, 4


@dataclass
class Pools:
    """Rendered text pools; a listing holds indexes into them."""

    locations: list[tuple[str, str, str | None]]
    titles: list[str]
    handles: list[str]  # canonical handles (truth)
    handle_variants: list[str]  # handle as written: 3 variants per seller (case, whitespace)
    contacts: list[str]
    samples: list[list[str]]
    sample_unmasked: list[bool]
    channel_names: list[str]


@dataclass
class Attributes:
    loc: np.ndarray
    carrier: np.ndarray
    fresh: np.ndarray
    qty: np.ndarray
    title: np.ndarray
    seller: np.ndarray  # -1: no seller
    seller_variant: np.ndarray  # index into handle_variants, -1 none
    sample: np.ndarray  # -1: no samples
    price_kind: np.ndarray
    price_fmt: np.ndarray  # into PRICE_FORMATS or FOREIGN_PRICE_FORMATS by kind
    price_base: np.ndarray  # CNY per record before trend
    placeholder_days: np.ndarray
    placeholder_idx: np.ndarray
    no_price_idx: np.ndarray
    soldout: np.ndarray
    overlap: np.ndarray  # rows also fetched by the overlap crawler


def pick(rng: np.random.Generator, seq: Sequence[T]) -> T:
    """One element, uniformly (much faster than rng.choice on a Python sequence)."""
    return seq[int(rng.integers(0, len(seq)))]


def _phone(rng: np.random.Generator) -> str:
    return f"1{pick(rng, (3, 5, 7, 8, 9))}{rng.integers(0, 10)}{rng.integers(10_000_000, 99_999_999)}"


def _masked_phone(rng: np.random.Generator) -> str:
    p = _phone(rng)
    return p[:3] + "****" + p[7:]


def _id_number(rng: np.random.Generator) -> str:
    prov = pick(rng, ("44", "33", "32", "51", "37"))
    year = rng.integers(1965, 2004)
    return f"{prov}0{rng.integers(100, 999)}{year}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}" + (
        f"{rng.integers(100, 999)}{pick(rng, '0123456789X')}"
    )


def _waybill(rng: np.random.Generator) -> str:
    kind = rng.integers(0, 5)
    if kind == 0:
        return f"SF{rng.integers(10**12, 10**13)}"
    if kind == 1:
        return f"YT{rng.integers(10**12, 10**13)}"
    if kind == 2:
        return f"JT{rng.integers(10**12, 10**13)}"
    if kind == 3:
        return f"7{rng.integers(3, 9)}{rng.integers(10**11, 10**12)}"
    return f"EA{rng.integers(10**8, 10**9)}CN"


def _name(rng: np.random.Generator) -> str:
    return pick(rng, pools.SURNAMES) + "".join(pick(rng, pools.GIVEN) for _ in range(int(rng.integers(1, 3))))


def _address(rng: np.random.Generator) -> str:
    prov, _city, city = pools.CITIES[rng.integers(0, len(pools.CITIES))]
    full = next(p[1] for p in pools.PROVINCES if p[0] == prov)
    district = pick(rng, ("南山区", "西湖区", "天河区", "江宁区", "高新区"))
    return f"{full}{city}市{district}{rng.integers(1, 300)}号"


def sample_pool(rng: np.random.Generator, size: int) -> tuple[list[list[str]], list[bool]]:
    """Sample rows as listings show them; half the lists mask every identifier, half do not."""
    out: list[list[str]] = []
    unmasked: list[bool] = []
    for i in range(size):
        n = int(rng.integers(1, 6))
        full = i % 2 == 1
        rows = []
        for _ in range(n):
            name = _name(rng)
            if full:
                extra = pick(rng, ("", " " + _waybill(rng), " 身份证" + _id_number(rng)))
                phone = _phone(rng)
                if rng.random() < 0.3:
                    phone = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
                rows.append(f"{name} {phone} {_address(rng)}{extra}")
            else:
                wb = _waybill(rng)
                rows.append(
                    f"{name[0]}** {_masked_phone(rng)} {_address(rng)[:6]}*** {wb[:4]}******{wb[-3:]}"
                )
        out.append(rows)
        unmasked.append(full)
    return out, unmasked


def seller_pool(rng: np.random.Generator, size: int) -> tuple[list[str], list[str], list[str]]:
    handles: list[str] = []
    seen: set[str] = set()
    while len(handles) < size:
        a, b = pick(rng, pools.HANDLE_WORDS), pick(rng, pools.HANDLE_WORDS)
        h = f"{a}{pick(rng, ('', '_', ''))}{b}{rng.integers(1, 9999)}"
        if h.casefold() not in seen:
            seen.add(h.casefold())
            handles.append(h)
    variants: list[str] = []
    for h in handles:
        # The same handle as different crawlers and sites write it: one seller (trimmed, case-folded).
        variants += [h, h.upper() if h.isascii() else f" {h}", f"{h} "]
    contacts: list[str] = []
    for h in handles:
        k = rng.integers(0, 4)
        if k == 0:
            contacts.append(f"QQ:{rng.integers(10_000_000, 3_999_999_999)}")
        elif k == 1:
            contacts.append(f"wx: {h.lower()}_{rng.integers(10, 99)}")
        elif k == 2:
            contacts.append(f"电话{_phone(rng)}")
        else:
            contacts.append(f"TG @{h.lower()}")
    return handles, variants, contacts


def title_pool(rng: np.random.Generator, size: int) -> list[str]:
    carriers = [c for c, _ in pools.CARRIERS if c]
    regions = [p[2] for p in pools.PROVINCES]
    fresh = [f for f, _ in pools.FRESHNESS if f]
    qty = [q for q, _ in pools.QUANTITY if q]
    out = []
    for _ in range(size):
        t = pick(rng, pools.TITLE_TEMPLATES).format(
            carrier=pick(rng, carriers),
            region=pick(rng, regions),
            fresh=pick(rng, fresh),
            qty=pick(rng, qty),
        )
        r = rng.random()
        # Sellers put contacts in titles: free text must lose every digit run of 7+ at ingest.
        if r < 0.05:
            t += f" 联系{_phone(rng)}"
        elif r < 0.09:
            t += f" 加Q{rng.integers(10_000_000, 3_999_999_999)}"
        out.append(t)
    return out


def build_pools(rng: np.random.Generator, n_listings: int) -> Pools:
    samples, unmasked = sample_pool(rng, 240)
    handles, variants, contacts = seller_pool(rng, max(40, n_listings // 8))
    chans = ["kdshuju", "miandan_vip", "danhao_yishou", "wuliu_data", "shunfeng_dan", "kuaidi_zy"]
    return Pools(
        locations=pools.location_variants() + [(t, c, None) for t, c in pools.LOCATION_OTHER],
        titles=title_pool(rng, 600),
        handles=handles,
        handle_variants=variants,
        contacts=contacts,
        samples=samples,
        sample_unmasked=unmasked,
        channel_names=chans,
    )


def _choose_locations(rng: np.random.Generator, pl_: Pools, birth: np.ndarray) -> np.ndarray:
    """Location per listing: mostly one province (by population), some multi, national, unknown."""
    locs = pl_.locations
    by_region: dict[str, list[int]] = {}
    for i, (_t, code, _c) in enumerate(locs):
        by_region.setdefault(code, []).append(i)
    prov_codes = [p[0] for p in pools.PROVINCES]
    w = np.array([p[5] for p in pools.PROVINCES])
    w_before = w / w.sum()
    w_after = w.copy()
    w_after[prov_codes.index(market.CAMPAIGN_REGION)] *= 0.25
    w_after /= w_after.sum()
    n = len(birth)
    after = birth >= market.day_of(market.CAMPAIGN_DATE)
    prov = np.where(
        after, rng.choice(len(prov_codes), n, p=w_after), rng.choice(len(prov_codes), n, p=w_before)
    )
    out = np.empty(n, dtype=np.int32)
    for j, code in enumerate(prov_codes):
        m = prov == j
        out[m] = rng.choice(by_region[code], int(m.sum()))
    cat = rng.random(n)
    for code, lo, hi in (("multi", 0.0, 0.07), ("national", 0.07, 0.19), ("unknown", 0.19, 0.25)):
        m = (cat >= lo) & (cat < hi)
        out[m] = rng.choice(by_region[code], int(m.sum()))
    return out


def build_attributes(rng: np.random.Generator, pl_: Pools, ls: market.Listings) -> Attributes:
    n = ls.n
    channel = np.array([market.SITES[i].channel for i in range(len(market.SITES))])[ls.site]
    foreign_share = np.array([s.foreign_share for s in market.SITES])[ls.site]
    fresh = rng.integers(0, len(pools.FRESHNESS), n)
    fresh_kind = np.array([pools.FRESHNESS_PRICE[f] for _t, f in pools.FRESHNESS])[fresh]
    median = np.array([market.CHANNEL_PRICE[c] for c in channel])
    base = np.clip(median * fresh_kind * rng.lognormal(0.0, 0.35, n), 0.006, 5.0)
    r = rng.random(n)
    kind = np.full(n, PRICE_CNY, dtype=np.int8)
    kind[r < 0.15] = PRICE_NONE
    kind[(r >= 0.15) & (r < 0.17)] = PRICE_PLACEHOLDER_FIRST
    kind[(r >= 0.17) & (r < 0.185)] = PRICE_PLACEHOLDER_ALWAYS
    kind[(kind == PRICE_CNY) & (rng.random(n) < foreign_share)] = PRICE_FOREIGN
    fmt = rng.integers(0, len(pools.PRICE_FORMATS), n)
    fmt[kind == PRICE_FOREIGN] = rng.integers(0, len(pools.FOREIGN_PRICE_FORMATS), int((kind == 1).sum()))
    seller = rng.integers(0, len(pl_.handles), n)
    seller[rng.random(n) < 0.08] = -1
    variant = np.where(seller >= 0, seller * 3 + rng.integers(0, 3, n), -1)
    sample = rng.integers(0, len(pl_.samples), n)
    sample[rng.random(n) < 0.4] = -1
    a = Attributes(
        loc=_choose_locations(rng, pl_, ls.birth),
        carrier=rng.integers(0, len(pools.CARRIERS), n),
        fresh=fresh,
        qty=rng.integers(0, len(pools.QUANTITY), n),
        title=rng.integers(0, len(pl_.titles), n),
        seller=seller,
        seller_variant=variant,
        sample=sample,
        price_kind=kind,
        price_fmt=fmt,
        price_base=base,
        placeholder_days=rng.integers(2, 25, n).astype(np.int32),
        placeholder_idx=rng.integers(0, len(pools.PLACEHOLDER_PRICE_TEXTS), n),
        no_price_idx=rng.integers(0, len(pools.NO_PRICE_TEXTS), n),
        soldout=rng.random(n) < 0.1,
        overlap=rng.random(n) < 0.5,
    )
    _force_every_form(rng, pl_, ls, a)
    return a


def _force_every_form(rng: np.random.Generator, pl_: Pools, ls: market.Listings, a: Attributes) -> None:
    """Give every pool entry (text form) to at least one long-lived listing, so even the tiny scale
    shows every location, carrier, freshness, quantity and price form."""
    ok = (ls.birth >= 0) & (ls.last_live - ls.birth >= 8) & (ls.birth < market.N_DAYS - 20)
    cand = rng.permutation(np.nonzero(ok)[0])
    for field_, size in (
        ("loc", len(pl_.locations)),
        ("carrier", len(pools.CARRIERS)),
        ("fresh", len(pools.FRESHNESS)),
        ("qty", len(pools.QUANTITY)),
    ):
        getattr(a, field_)[cand[:size]] = np.arange(size)
    offset = 0
    for kind, size, target in (
        (PRICE_CNY, len(pools.PRICE_FORMATS), a.price_fmt),
        (PRICE_FOREIGN, len(pools.FOREIGN_PRICE_FORMATS), a.price_fmt),
        (PRICE_NONE, len(pools.NO_PRICE_TEXTS), a.no_price_idx),
        (PRICE_PLACEHOLDER_ALWAYS, len(pools.PLACEHOLDER_PRICE_TEXTS), a.placeholder_idx),
    ):
        chosen = cand[offset : offset + size]
        a.price_kind[chosen] = kind
        target[chosen] = np.arange(size)
        # A price every template can show exactly (毛, Chinese numerals, ranges).
        a.price_base[chosen] = 0.08
        offset += size


def _fmt_number(a: float, decimals: int) -> str:
    if decimals == 0:
        return str(round(a))
    return f"{a:.{decimals}f}".rstrip("0").rstrip(".")


@dataclass
class RenderedPrice:
    text: str
    amount: float  # structured amount in `currency` for `per_records` records
    per_records: int
    currency: str
    unit_price: float  # per record, in currency (what a correct parser reads back)


def render_price(
    p_cny: float, fmt: int, foreign: bool, rng_bit: int, rate: dict[str, float]
) -> RenderedPrice:
    """Quantize a CNY unit price to what the template can show; the truth is what it shows."""
    if foreign:
        tpl, records, unit, dec, cur = pools.FOREIGN_PRICE_FORMATS[fmt]
        p = p_cny / rate[cur]
    else:
        tpl, records, unit, dec, cur = pools.PRICE_FORMATS[fmt]
        p = p_cny
    a = round(p * records / unit, dec)
    ok = a > 0
    if "{cn}" in tpl:
        ok = ok and 1 <= a <= 10
    if "{range}" in tpl:
        ok = ok and a > 0.011
    if not ok:
        tpl, records, unit, dec, cur = pools.PRICE_FORMATS[0]
        a = round(p_cny, 3) if round(p_cny, 3) > 0 else 0.001
    if "{cn}" in tpl:
        text = tpl.format(cn=pools.CN_DIGITS[int(a)])
    elif "{range}" in tpl:
        sep = "-" if rng_bit else "~"
        text = tpl.format(range=f"{_fmt_number(a - 0.01, 3)}{sep}{_fmt_number(a + 0.01, 3)}")
    else:
        text = tpl.format(a=_fmt_number(a, dec))
    amount = a * unit
    return RenderedPrice(text, amount, records, cur, amount / records)
