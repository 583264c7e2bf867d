"""The report's tables, read from the analyst database, with every count registered for disclosure control.

Fact keys (shared between tables so that a count is suppressed everywhere or nowhere):
  ("listings_active" | "listings_new" | "sellers_active" | "priced_listings", quarter, region, channel)
  ("cases_opened", quarter, region, agency)      "*" = every value, "other" = regions outside the provinces
  ("cases_closed" | "suspects" | "sites_shut", quarter, agency)
  ("incidents", quarter, region, carrier, leak_stage)
  ("carrier_listings", quarter, carrier)
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from waybill_watch.report.data import CHANNEL_FALLBACK, STAGE_LABELS, AnalystDB
from waybill_watch.report.quarters import Quarter
from waybill_watch.report.suppression import Disclosure
from waybill_watch.report.tables import Column, Table

THIN_BASE = 30  # SPEC §6: no percent change where either side has fewer than 30
NON_PROVINCE = ("all", "multi", "national", "unknown", "other")
CHANNEL_ORDER = list(CHANNEL_FALLBACK)
SRC_MARKET = "mart_market_quarterly"
SRC_PRICE = "mart_price_index_quarterly"
SRC_REGION = "mart_region_quarterly, mart_market_quarterly, dim_regions"
SRC_ENF = "mart_enforcement_quarterly, dim_agencies"
SRC_INC = "mart_incidents_quarterly, dim_carriers"


def pct_change(
    now: float | None,
    before: float | None,
    base_now: float | None,
    base_before: float | None,
    low_coverage: bool = False,
) -> float | None:
    """Percent change, or None on a thin base (< 30 either side) or low coverage (SPEC §6)."""
    if None in (now, before, base_now, base_before) or low_coverage:
        return None
    if base_now < THIN_BASE or base_before < THIN_BASE or before == 0:
        return None
    return round(100.0 * (now - before) / before, 2)


@dataclass
class Mover:
    comparison: str
    measure: str
    dimension: str
    kind: str
    before: float
    now: float
    change_pct: float
    base_before: int
    base_now: int
    keys: tuple


class ReportContent:
    """Builds every table of the report for one quarter (phase 1; suppression and charts come after)."""

    def __init__(self, db: AnalystDB, quarter: Quarter, public: bool, min_count: int) -> None:
        self.db = db
        self.q = quarter
        self.public = public
        self.min_count = min_count
        self.disc = Disclosure()
        self.quarters = [x for x in db.available_quarters() if x <= str(quarter)]
        self.region_names = db.labels("dim_regions", "region_code", "name_zh")
        self.region_names_en = db.labels("dim_regions", "region_code", "name_en")
        self.channel_names = {**CHANNEL_FALLBACK, **db.labels("dim_channels", "channel", "name")}
        self.carrier_names = db.labels("dim_carriers", "carrier_code", "name_zh", "name_en")
        self.agency_names = db.labels("dim_agencies", "agency_code", "name_zh", "name_en")
        # short names for narrow columns and legends: "工业和信息化部(含各级通信管理局)" → "工业和信息化部"
        self.agency_names_zh = {
            code: re.split(r"[(（]", name, maxsplit=1)[0].strip()
            for code, name in db.labels("dim_agencies", "agency_code", "name_zh").items()
        }
        self.market = {
            (r["quarter"], r["region_code"], r["channel"]): r
            for r in db.rows(f"select * from {SRC_MARKET} where region_code = 'all' or channel = 'all'")
        }
        self.tables: dict[str, Table] = {}
        self.movers: list[Mover] = []

    # ---- helpers -------------------------------------------------------------------------------

    def add(self, table: Table) -> Table:
        self.tables[table.name] = table
        return table

    def channel_label(self, code: str) -> str:
        return self.channel_names.get(code, code)

    def region_label(self, code: str) -> str:
        return self.region_names.get(code) or {"other": "其他地区 Other"}.get(code, code)

    def channels(self) -> list[str]:
        seen = {c for (_, r, c) in self.market if r == "all" and c != "all"}
        return sorted(seen, key=lambda c: (CHANNEL_ORDER.index(c) if c in CHANNEL_ORDER else 50, c))

    def m(self, quarter: str, region: str, channel: str, column: str) -> Any:
        row = self.market.get((quarter, region, channel))
        return None if row is None else row.get(column)

    def market_fact(self, measure: str, quarter: str, region: str, channel: str) -> tuple:
        value = self.m(quarter, region, channel, measure)
        if value is None and quarter in self.quarters and (quarter, "all", "all") in self.market:
            value = 0  # a channel or region without a row had none that quarter
        return self.disc.fact((measure, quarter, region, channel), value)

    def _quarter_sum(self, table: str, column: str, quarter: str) -> int | None:
        if quarter not in self.db.available_quarters():
            return None
        return int(
            self.db.scalar(f"select coalesce(sum({column}), 0) from {table} where quarter = ?", [quarter])
        )

    # ---- headline ------------------------------------------------------------------------------

    def headline(self) -> Table:
        q, p, y = str(self.q), str(self.q.previous), str(self.q.year_ago)
        low = {x: bool(self.m(x, "all", "all", "is_low_coverage")) for x in (q, p, y)}
        rows: list[dict[str, Any]] = []
        keys: list[tuple[tuple, tuple, tuple]] = []

        def market_row(
            measure: str, label: str, kind: str, base: str, qoq_col: str | None, yoy_col: str | None
        ):
            values = {x: self.m(x, "all", "all", measure) for x in (q, p, y)}
            bases = {x: self.m(x, "all", "all", base) for x in (q, p, y)}
            if qoq_col:
                qoq, yoy = self.m(q, "all", "all", qoq_col), self.m(q, "all", "all", yoy_col)
            else:
                qoq = pct_change(values[q], values[p], bases[q], bases[p], low[q] or low[p])
                yoy = pct_change(values[q], values[y], bases[q], bases[y], low[q] or low[y])
            key_measure = base if kind == "price" else measure
            ks = tuple(self.market_fact(key_measure, x, "all", "all") for x in (q, p, y))
            rows.append(self._headline_row(measure, label, kind, values, qoq, yoy, bases, (q, p, y)))
            keys.append(ks)

        market_row(
            "listings_active",
            "在售信息 Active listings",
            "count",
            "listings_active",
            "listings_active_qoq_pct",
            "listings_active_yoy_pct",
        )
        market_row("listings_new", "新增信息 New listings", "count", "listings_new", None, None)
        market_row("sellers_active", "活跃卖家 Active sellers", "count", "sellers_active", None, None)
        market_row(
            "price_median_cny",
            "单价中位数 Median unit price (CNY/record)",
            "price",
            "priced_listings",
            "price_median_qoq_pct",
            "price_median_yoy_pct",
        )
        for measure, label, table, key in (
            ("cases_opened", "立案 Cases opened", "mart_enforcement_quarterly", ("*", "*")),
            ("incidents", "泄露事件 Incidents reported", "mart_incidents_quarterly", ("*", "*", "*")),
        ):
            values = {x: self._quarter_sum(table, measure, x) for x in (q, p, y)}
            qoq = pct_change(values[q], values[p], values[q], values[p])
            yoy = pct_change(values[q], values[y], values[q], values[y])
            rows.append(self._headline_row(measure, label, "count", values, qoq, yoy, values, (q, p, y)))
            keys.append(tuple(self.disc.fact((measure, x, *key), values[x]) for x in (q, p, y)))

        table = Table(
            name="headline",
            title=f"主要指标 Headline figures, {q}",
            columns=[
                Column("measure", "代码 Code", in_html=False),
                Column("figure", "指标 Figure"),
                Column("kind", "类型 Kind", in_html=False),
                Column("current", f"{q}", "mixed"),
                Column("previous", f"{p}", "mixed"),
                Column("qoq_pct", "环比 q/q", "pct"),
                Column("year_ago", f"{y}", "mixed"),
                Column("yoy_pct", "同比 y/y", "pct"),
            ],
            rows=rows,
            source=f"{SRC_MARKET} (region all, channel all), mart_enforcement_quarterly, "
            "mart_incidents_quarterly",
            note="– : not published: a change is shown only where both quarters have at least 30 listings "
            "(priced listings for prices, cases, incidents) and neither quarter has low crawl coverage "
            "(< 80 %).",
        )
        for i, (kq, kp, ky) in enumerate(keys):
            table.bind(i, "current", kq)
            table.bind(i, "previous", kp)
            table.bind(i, "year_ago", ky)
            table.bind(i, "qoq_pct", kq, kp)
            table.bind(i, "yoy_pct", kq, ky)
        return self.add(table)

    @staticmethod
    def _headline_row(measure, label, kind, values, qoq, yoy, bases, quarters) -> dict[str, Any]:
        q, p, y = quarters
        return {
            "measure": measure,
            "figure": label,
            "kind": kind,
            "current": values[q],
            "previous": values[p],
            "qoq_pct": qoq,
            "year_ago": values[y],
            "yoy_pct": yoy,
        }

    # ---- listings by channel -------------------------------------------------------------------

    def listings_by_channel_over_time(self) -> Table:
        channels = self.channels()
        rows, table_keys = [], []
        for x in self.quarters:
            if (x, "all", "all") not in self.market:
                continue
            row: dict[str, Any] = {"quarter": x, "quarter_start": Quarter.parse(x).start.isoformat()}
            parts = []
            for ch in channels:
                parts.append(self.market_fact("listings_active", x, "all", ch))
                row[ch] = self.disc.facts[parts[-1]]
            total = self.market_fact("listings_active", x, "all", "all")
            row["all"] = self.disc.facts[total]
            self.disc.line(total, parts)
            rows.append(row)
            table_keys.append((x, parts, total))
        table = Table(
            name="listings_by_channel_quarterly",
            title="各渠道在售信息（按季度）Active listings by channel and quarter",
            columns=[
                Column("quarter", "季度 Quarter"),
                Column("quarter_start", "起始日 Start", in_html=False),
            ]
            + [Column(ch, self.channel_label(ch), "count") for ch in channels]
            + [Column("all", "合计 Total", "count")],
            rows=rows,
            source=f"{SRC_MARKET} (region all)",
            total_column="all",
            part_columns=channels,
            show_in_html=False,
        )
        for i, (_, parts, total) in enumerate(table_keys):
            for ch, key in zip(channels, parts, strict=True):
                table.bind(i, ch, key)
            table.bind(i, "all", total)
        return self.add(table)

    def channels_in_quarter(self) -> Table:
        q, p = str(self.q), str(self.q.previous)
        rows = []
        codes = [*self.channels(), "all"]
        total_active = self.m(q, "all", "all", "listings_active") or 0
        for ch in codes:
            active = self.m(q, "all", ch, "listings_active") or 0
            rows.append(
                {
                    "channel": ch,
                    "channel_name": self.channel_label(ch),
                    "listings_active": active,
                    "share": active / total_active if total_active else None,
                    "listings_new": self.m(q, "all", ch, "listings_new") or 0,
                    "sellers_active": self.m(q, "all", ch, "sellers_active") or 0,
                    "priced_listings": self.m(q, "all", ch, "priced_listings") or 0,
                    "price_median_cny": self.m(q, "all", ch, "price_median_cny"),
                    "listings_active_qoq_pct": self.m(q, "all", ch, "listings_active_qoq_pct"),
                    "coverage_ratio": self.m(q, "all", ch, "coverage_ratio"),
                    "is_low_coverage": self.m(q, "all", ch, "is_low_coverage"),
                }
            )
        table = Table(
            name="channels_quarter",
            title=f"各渠道概况 Listings by channel, {q}",
            columns=[
                Column("channel", "代码 Code", in_html=False),
                Column("channel_name", "渠道 Channel"),
                Column("listings_active", "在售 Active", "count"),
                Column("share", "占比 Share", "share"),
                Column("listings_new", "新增 New", "count"),
                Column("sellers_active", "卖家 Sellers", "count"),
                Column("priced_listings", "有价 Priced", "count"),
                Column("price_median_cny", "中位单价 Median CNY", "price"),
                Column("listings_active_qoq_pct", "在售环比 Active q/q", "pct"),
                Column("coverage_ratio", "覆盖率 Coverage", "ratio"),
                Column("is_low_coverage", "低覆盖 Low coverage", "flag"),
            ],
            rows=rows,
            source=f"{SRC_MARKET} (region all)",
            note="Sellers active on several channels count once in the total, so channel sellers need not "
            "add up to it. Coverage below 80 % is low coverage: changes are then not published.",
            total_row=len(rows) - 1,
            additive_columns=["listings_active", "listings_new", "priced_listings"],
        )
        for measure in ("listings_active", "listings_new", "priced_listings", "sellers_active"):
            keys = [self.market_fact(measure, q, "all", ch) for ch in codes]
            for i, key in enumerate(keys):
                table.bind(i, measure, key)
            if measure != "sellers_active":
                self.disc.line(keys[-1], keys[:-1])
        for i, ch in enumerate(codes):
            active = ("listings_active", q, "all", ch)
            table.bind(i, "share", active, ("listings_active", q, "all", "all"))
            table.bind(i, "price_median_cny", ("priced_listings", q, "all", ch))
            table.bind(
                i, "listings_active_qoq_pct", active, self.market_fact("listings_active", p, "all", ch)
            )
        return self.add(table)

    # ---- listings by province ------------------------------------------------------------------

    def provinces(self) -> Table:
        q = str(self.q)
        region_rows = self.db.rows(
            "select * from mart_region_quarterly where quarter = ? order by region_code", [q]
        )
        rows: list[dict[str, Any]] = []
        for r in region_rows:
            code = r["region_code"]
            rows.append(
                {
                    "region_code": code,
                    "province": self.region_label(code),
                    "province_en": self.region_names_en.get(code, ""),
                    "listings_active": r.get("listings_active") or 0,
                    "listings_per_10m_population": r.get("listings_per_10m_population"),
                    "cases_opened": r.get("cases_opened") or 0,
                    "incidents": r.get("incidents") or 0,
                    "price_median_cny": r.get("price_median_cny"),
                }
            )
        rows.sort(key=lambda r: (-r["listings_active"], r["region_code"]))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        totals = {
            "listings_active": self.m(q, "all", "all", "listings_active") or 0,
            "cases_opened": self._quarter_sum("mart_enforcement_quarterly", "cases_opened", q) or 0,
            "incidents": self._quarter_sum("mart_incidents_quarterly", "incidents", q) or 0,
        }
        other = {
            "rank": None,
            "region_code": "other",
            "province": "其他（多省、全国、未知）",
            "province_en": "Several, nationwide or unknown",
            "listings_per_10m_population": None,
            "price_median_cny": self.m(q, "other", "all", "price_median_cny"),
        }
        total = {
            "rank": None,
            "region_code": "all",
            "province": "合计",
            "province_en": "Total",
            "listings_per_10m_population": None,
            "price_median_cny": None,
        }
        for col, value in totals.items():
            residual = value - sum(r[col] for r in rows)
            if residual < 0:
                self.disc.conflicts.append(f"{col} of the provinces sum above the national total in {q}")
            other[col] = max(residual, 0)
            total[col] = value
        rows += [other, total]
        table = Table(
            name="listings_by_province",
            title=f"各省份在售信息、立案与事件 Listings, cases and incidents by province, {q}",
            columns=[
                Column("rank", "排名 Rank", "rank"),
                Column("region_code", "代码 Code", in_html=False),
                Column("province", "省份"),
                Column("province_en", "Province"),
                Column("listings_active", "在售 Active listings", "count"),
                Column("listings_per_10m_population", "每千万人 Per 10 m", "rate"),
                Column("cases_opened", "立案 Cases", "count"),
                Column("incidents", "事件 Incidents", "count"),
                Column("price_median_cny", "中位单价 Median CNY", "price"),
            ],
            rows=rows,
            source=SRC_REGION,
            note="Region of the records on offer (listings), of the case or of the incident. "
            "'Other' holds listings offering several provinces or the whole country, and unknown regions. "
            "Population: 2020 census.",
            total_row=len(rows) - 1,
            additive_columns=["listings_active", "cases_opened", "incidents"],
        )
        self._bind_province_facts(table, rows, q)
        return self.add(table)

    def _bind_province_facts(self, table: Table, rows: list[dict[str, Any]], q: str) -> None:
        key_of = {
            "listings_active": lambda code: ("listings_active", q, code, "all"),
            "cases_opened": lambda code: ("cases_opened", q, code, "*"),
            "incidents": lambda code: ("incidents", q, code, "*", "*"),
        }
        for col, key in key_of.items():
            keys = []
            for i, row in enumerate(rows):
                k = key(
                    "*" if row["region_code"] == "all" and col != "listings_active" else row["region_code"]
                )
                self.disc.fact(k, row[col])
                table.bind(i, col, k)
                keys.append(k)
            self.disc.line(keys[-1], keys[:-1])
        # a rate times the population gives the count back: it follows the count's suppression
        for i, row in enumerate(rows):
            table.bind(i, "listings_per_10m_population", ("listings_active", q, row["region_code"], "all"))
            priced = self.m(q, row["region_code"], "all", "priced_listings")
            table.bind(
                i,
                "price_median_cny",
                self.disc.fact(("priced_listings", q, row["region_code"], "all"), priced or 0),
            )
        # the "other" row sums the non-province rows of the enforcement and incident marts
        for measure, mart, shape in (
            ("cases_opened", "mart_enforcement_quarterly", ("*",)),
            ("incidents", "mart_incidents_quarterly", ("*", "*")),
        ):
            parts = []
            for r in self.db.rows(
                f"select region_code, sum({measure}) as n from {mart} where quarter = ? group by region_code",
                [q],
            ):
                if r["region_code"] in NON_PROVINCE or r["region_code"] not in self.region_names:
                    parts.append(self.disc.fact((measure, q, r["region_code"], *shape), r["n"]))
            self.disc.line((measure, q, "other", *shape), parts)

    # ---- price index ---------------------------------------------------------------------------

    def price_index(self) -> tuple[Table, Table]:
        q = str(self.q)
        series = self.db.rows(
            "select quarter, quarter_start, channel, priced_listings, price_median_cny, price_index, "
            "qoq_pct, "
            f"yoy_pct from {SRC_PRICE} where quarter <= ? order by quarter, channel",
            [q],
        )
        series_table = Table(
            name="price_index_series",
            title="各渠道单价指数 Unit-price index by channel and quarter",
            columns=[
                Column("quarter", "季度 Quarter"),
                Column("quarter_start", "起始日 Start", in_html=False),
                Column("channel", "渠道 Channel"),
                Column("price_median_cny", "中位单价 Median CNY", "price"),
                Column("price_index", "指数 Index (base = 100)", "index"),
            ],
            rows=[{**r, "quarter_start": str(r["quarter_start"])[:10]} for r in series],
            source=SRC_PRICE,
            show_in_html=False,
        )
        for i, r in enumerate(series):
            key = self.disc.fact(("priced_listings", r["quarter"], "all", r["channel"]), r["priced_listings"])
            series_table.bind(i, "price_median_cny", key)
            series_table.bind(i, "price_index", key)
        current = [r for r in series if r["quarter"] == q]
        current.sort(
            key=lambda r: (
                r["channel"] == "all",
                CHANNEL_ORDER.index(r["channel"]) if r["channel"] in CHANNEL_ORDER else 50,
            )
        )
        rows = [{**r, "channel_name": self.channel_label(r["channel"])} for r in current]
        has_total = bool(rows) and rows[-1]["channel"] == "all"
        table = Table(
            name="price_index_quarter",
            title=f"单价指数 Unit-price index by channel, {q}",
            columns=[
                Column("channel", "代码 Code", in_html=False),
                Column("channel_name", "渠道 Channel"),
                Column("priced_listings", "有价信息 Priced listings", "count"),
                Column("price_median_cny", "中位单价 Median CNY", "price"),
                Column("price_index", "指数 Index (base = 100)", "index"),
                Column("qoq_pct", "环比 q/q", "pct"),
                Column("yoy_pct", "同比 y/y", "pct"),
            ],
            rows=rows,
            source=SRC_PRICE,
            note="Index: 100 × the quarter's median unit price over the base quarter's median, per channel. "
            "Changes need 30 priced listings on both sides and good coverage.",
            total_row=len(rows) - 1 if has_total else None,
            additive_columns=["priced_listings"] if has_total else [],
        )
        keys = []
        for i, r in enumerate(rows):
            key = ("priced_listings", q, "all", r["channel"])
            keys.append(key)
            for col in ("priced_listings", "price_median_cny", "price_index"):
                table.bind(i, col, key)
            table.bind(i, "qoq_pct", key, ("priced_listings", str(self.q.previous), "all", r["channel"]))
            table.bind(i, "yoy_pct", key, ("priced_listings", str(self.q.year_ago), "all", r["channel"]))
        if has_total:
            self.disc.line(keys[-1], keys[:-1])
        self.add(series_table)
        return self.add(table), series_table

    # ---- carriers ------------------------------------------------------------------------------

    def _carrier_counts(self, quarter: Quarter) -> tuple[dict[str, int], int]:
        live = (
            "select listing_key, carrier_codes from fct_listings "
            "where first_seen_at < cast(? as timestamp) and coalesce(last_seen_at, first_seen_at) >= "
            "cast(? as timestamp)"
        )
        params = [quarter.end.isoformat(), quarter.start.isoformat()]
        counts = {
            r["code"]: r["n"]
            for r in self.db.rows(
                f"with live as ({live}) select trim(code) as code, count(distinct listing_key) as n "
                "from live, unnest(string_split(coalesce(nullif(carrier_codes, ''), 'UNKNOWN'), '|')) "
                "t(code) "
                "group by 1",
                params,
            )
        }
        total = self.db.scalar(f"select count(*) from ({live})", params) or 0
        return counts, int(total)

    def carriers(self) -> Table:
        q, p = self.q, self.q.previous
        now, total_now = self._carrier_counts(q)
        before, _ = self._carrier_counts(p)
        codes = sorted(now, key=lambda c: (-now[c], c))
        rows = []
        for code in codes:
            rows.append(
                {
                    "carrier_code": code,
                    "carrier": self.carrier_names.get(code, code),
                    "listings": now[code],
                    "share": now[code] / total_now if total_now else None,
                    "listings_previous": before.get(code, 0),
                    "change_pct": pct_change(now[code], before.get(code, 0), now[code], before.get(code, 0)),
                }
            )
        table = Table(
            name="carriers_in_listings",
            title=f"信息涉及的快递企业 Carriers named in listings, {q}",
            columns=[
                Column("carrier_code", "代码 Code", in_html=False),
                Column("carrier", "快递企业 Carrier"),
                Column("listings", f"在售信息 Listings {q}", "count"),
                Column("share", "占比 Share of listings", "share"),
                Column("listings_previous", f"在售信息 Listings {p}", "count"),
                Column("change_pct", "环比 q/q", "pct"),
            ],
            rows=rows,
            source="fct_listings (carrier_codes), dim_carriers",
            note="Listings live during the quarter (first seen before its end, last seen live on or after "
            f"its start): {total_now:,} in {q}. A listing may name several carriers "
            "(三通一达 = STO, YTO, YUNDA, ZTO), so shares add up to more than 100 %. "
            "ALL = 全网, every carrier.",
        )
        for i, code in enumerate(codes):
            kn = self.disc.fact(("carrier_listings", str(q), code), now[code])
            kp = self.disc.fact(("carrier_listings", str(p), code), before.get(code, 0))
            table.bind(i, "listings", kn)
            table.bind(i, "share", kn)
            table.bind(i, "listings_previous", kp)
            table.bind(i, "change_pct", kn, kp)
        return self.add(table)

    # ---- enforcement ---------------------------------------------------------------------------

    def enforcement_matrix(self) -> Table:
        q = str(self.q)
        cells = self.db.rows(
            "select region_code, agency_code, sum(cases_opened) as n from mart_enforcement_quarterly "
            "where quarter = ? group by all having sum(cases_opened) > 0",
            [q],
        )
        return self.add(
            self._matrix(
                name="cases_by_province_agency",
                title=f"各省份、各部门立案数 Cases opened by province and agency, {q}",
                cells=[(c["region_code"], c["agency_code"], c["n"]) for c in cells],
                key=lambda r, a: ("cases_opened", q, r, a),
                row_label=("province", "省份 Province", self.region_label),
                col_label=lambda a: f"{a} {self.agency_names_zh.get(a, '')}".strip(),
                source=SRC_ENF,
                note="Cases count in the quarter they were opened. Provinces without a case are left out.",
            )
        )

    def _matrix(
        self, *, name, title, cells, key, row_label, col_label, source, note, col_order=None
    ) -> Table:
        """A cross table with row and column totals; every cell and total is a fact with its lines."""
        row_codes = sorted({r for r, _, _ in cells})
        col_codes = col_order or sorted({c for _, c, _ in cells})
        col_codes = [c for c in col_codes if any(cc == c for _, cc, _ in cells)]
        value = {(r, c): int(n) for r, c, n in cells}
        row_total = {r: sum(value.get((r, c), 0) for c in col_codes) for r in row_codes}
        row_codes.sort(key=lambda r: (-row_total[r], str(r)))
        label_key, label_title, label_of = row_label
        rows = []
        for r in [*row_codes, "*"]:
            row: dict[str, Any] = {
                "code": r if r != "*" else "total",
                label_key: label_of(r) if r != "*" else "合计 Total",
            }
            for c in [*col_codes, "*"]:
                n = self._matrix_value(value, row_codes, col_codes, r, c)
                row[c if c != "*" else "total"] = n
                self.disc.fact(key(r, c), n)
            rows.append(row)
        for r in [*row_codes, "*"]:
            self.disc.line(key(r, "*"), [key(r, c) for c in col_codes])
        for c in [*col_codes, "*"]:
            self.disc.line(key("*", c), [key(r, c) for r in row_codes])
        table = Table(
            name=name,
            title=title,
            columns=[Column("code", "代码 Code", in_html=False), Column(label_key, label_title)]
            + [Column(c, col_label(c), "count") for c in col_codes]
            + [Column("total", "合计 Total", "count")],
            rows=rows,
            source=source,
            note=note,
            total_row=len(rows) - 1,
            additive_columns=[*col_codes, "total"],
            total_column="total",
            part_columns=list(col_codes),
        )
        for i, r in enumerate([*row_codes, "*"]):
            for c in [*col_codes, "*"]:
                table.bind(i, c if c != "*" else "total", key(r, c))
        return table

    @staticmethod
    def _matrix_value(value: dict, row_codes: list, col_codes: list, r: str, c: str) -> int:
        rows = row_codes if r == "*" else [r]
        cols = col_codes if c == "*" else [c]
        return sum(value.get((rr, cc), 0) for rr in rows for cc in cols)

    def enforcement_by_agency(self) -> Table:
        q = str(self.q)
        opened = {
            r["agency_code"]: r
            for r in self.db.rows(
                "select agency_code, sum(cases_opened) as cases_opened, sum(suspects) as suspects, "
                "sum(records_involved) as records_involved, sum(illegal_gain_cny) as illegal_gain_cny, "
                "sum(fines_cny) as fines_cny, sum(sites_shut) as sites_shut, sum(cases_closed) as "
                "cases_closed "
                "from mart_enforcement_quarterly where quarter = ? group by 1",
                [q],
            )
        }
        codes = sorted(opened, key=lambda a: (-(opened[a]["cases_opened"] or 0), a))
        sums = (
            "cases_opened",
            "cases_closed",
            "suspects",
            "records_involved",
            "illegal_gain_cny",
            "fines_cny",
            "sites_shut",
        )
        rows = [
            {"agency_code": a, "agency": self.agency_names.get(a, a), **{k: opened[a][k] for k in sums}}
            for a in codes
        ]
        total = {"agency_code": "total", "agency": "合计 Total"}
        for k in sums:
            values = [r[k] for r in rows if r[k] is not None]
            total[k] = sum(values) if values else None
        rows.append(total)
        table = Table(
            name="enforcement_by_agency",
            title=f"各部门执法情况 Enforcement by agency, {q}",
            columns=[
                Column("agency_code", "代码 Code", in_html=False),
                Column("agency", "部门 Agency"),
                Column("cases_opened", "立案 Opened", "count"),
                Column("cases_closed", "结案 Closed", "count"),
                Column("suspects", "嫌疑人 Suspects", "count"),
                Column("records_involved", "涉及信息条数 Records involved", "amount"),
                Column("illegal_gain_cny", "违法所得 Illegal gain (CNY)", "money"),
                Column("fines_cny", "罚款 Fines (CNY)", "money"),
                Column("sites_shut", "关停网站 Sites shut", "count"),
            ],
            rows=rows,
            source=SRC_ENF,
            note="Suspects, records, gains, fines and sites count with the quarter the case was opened; "
            "closed cases with the quarter they were closed.",
            total_row=len(rows) - 1,
            additive_columns=["cases_opened", "cases_closed", "suspects", "sites_shut"],
        )
        for measure in ("cases_closed", "suspects", "sites_shut"):
            keys = [
                self.disc.fact(
                    (measure, q, r["agency_code"] if r["agency_code"] != "total" else "*"), r[measure] or 0
                )
                for r in rows
            ]
            for i, k in enumerate(keys):
                table.bind(i, measure, k)
            self.disc.line(keys[-1], keys[:-1])
        for i, r in enumerate(rows):
            opened_key = self.disc.fact(
                ("cases_opened", q, "*", r["agency_code"] if i < len(rows) - 1 else "*"),
                r["cases_opened"] or 0,
            )
            for col in ("cases_opened", "records_involved", "illegal_gain_cny", "fines_cny"):
                table.bind(i, col, opened_key)
        return self.add(table)

    def enforcement_trend(self) -> Table:
        rows = []
        for x in self.quarters:
            rows.append(
                {
                    "quarter": x,
                    "cases_opened": self._quarter_sum("mart_enforcement_quarterly", "cases_opened", x) or 0,
                    "cases_closed": self._quarter_sum("mart_enforcement_quarterly", "cases_closed", x) or 0,
                    "incidents": self._quarter_sum("mart_incidents_quarterly", "incidents", x) or 0,
                }
            )
        table = Table(
            name="enforcement_incidents_trend",
            title="立案、结案与泄露事件（按季度）Cases and incidents by quarter",
            columns=[
                Column("quarter", "季度 Quarter"),
                Column("cases_opened", "立案 Cases opened", "count"),
                Column("cases_closed", "结案 Cases closed", "count"),
                Column("incidents", "泄露事件 Incidents", "count"),
            ],
            rows=rows,
            source="mart_enforcement_quarterly, mart_incidents_quarterly",
            show_in_html=False,
        )
        for i, r in enumerate(rows):
            x = r["quarter"]
            table.bind(i, "cases_opened", self.disc.fact(("cases_opened", x, "*", "*"), r["cases_opened"]))
            table.bind(i, "cases_closed", self.disc.fact(("cases_closed", x, "*"), r["cases_closed"]))
            table.bind(i, "incidents", self.disc.fact(("incidents", x, "*", "*", "*"), r["incidents"]))
        return self.add(table)

    # ---- incidents -----------------------------------------------------------------------------

    def incidents_matrix(self) -> Table:
        q = str(self.q)
        cells = self.db.rows(
            "select carrier_code, leak_stage, sum(incidents) as n from mart_incidents_quarterly "
            "where quarter = ? group by all having sum(incidents) > 0",
            [q],
        )
        return self.add(
            self._matrix(
                name="incidents_by_carrier_stage",
                title=f"各快递企业、各环节泄露事件 Incidents by carrier and leak stage, {q}",
                cells=[(c["carrier_code"], c["leak_stage"], c["n"]) for c in cells],
                key=lambda r, s: ("incidents", q, "*", r, s),
                row_label=("carrier", "快递企业 Carrier", lambda c: self.carrier_names.get(c, c)),
                col_label=lambda s: STAGE_LABELS.get(s, s),
                col_order=list(STAGE_LABELS) + sorted({c["leak_stage"] for c in cells} - set(STAGE_LABELS)),
                source=SRC_INC,
                note="Incidents count in the quarter they were reported; unfounded reports are left out. "
                "The carrier is the first one the report names.",
            )
        )

    # ---- what changed --------------------------------------------------------------------------

    def find_movers(self) -> Table:
        q = self.q
        candidates: list[Mover] = []
        for label, then in (("环比 q/q", q.previous), ("同比 y/y", q.year_ago)):
            candidates += self._market_movers(str(q), str(then), label)
            candidates += self._sum_movers(str(q), str(then), label)
        rows = []
        for comparison in ("环比 q/q", "同比 y/y"):
            pool = [c for c in candidates if c.comparison == comparison]
            rises = sorted((c for c in pool if c.change_pct > 0), key=lambda c: -c.change_pct)[:5]
            falls = sorted((c for c in pool if c.change_pct < 0), key=lambda c: c.change_pct)[:5]
            for direction, movers in (("上升 rise", rises), ("下降 fall", falls)):
                for mover in movers:
                    self.movers.append(mover)
                    rows.append(
                        {
                            "direction": direction,
                            "comparison": mover.comparison,
                            "measure": mover.measure,
                            "dimension": mover.dimension,
                            "kind": mover.kind,
                            "before": mover.before,
                            "now": mover.now,
                            "change_pct": mover.change_pct,
                            "base_before": mover.base_before,
                            "base_now": mover.base_now,
                        }
                    )
        table = Table(
            name="movers",
            title=f"变化最大的指标 What changed: largest rises and falls, {q}",
            columns=[
                Column("direction", "方向 Direction"),
                Column("comparison", "比较 Compared with"),
                Column("measure", "指标 Measure"),
                Column("dimension", "维度 Breakdown"),
                Column("kind", "类型 Kind", in_html=False),
                Column("before", "之前 Before", "mixed"),
                Column("now", "本季 Now", "mixed"),
                Column("change_pct", "变化 Change", "pct"),
                Column("base_before", "基数 Base before", "count"),
                Column("base_now", "基数 Base now", "count"),
            ],
            rows=rows,
            source="mart_market_quarterly, mart_enforcement_quarterly, mart_incidents_quarterly",
            note="Found automatically among listings by province and channel, median prices by channel, "
            "cases by province and agency, incidents by carrier and leak stage. Never on a thin base: both "
            "quarters need at least 30 (listings, priced listings, cases or incidents) and good coverage.",
        )
        for i, mover in enumerate(self.movers):
            for col in ("before", "now", "change_pct", "base_before", "base_now"):
                table.bind(i, col, *mover.keys)
        return self.add(table)

    def _market_movers(self, q: str, then: str, comparison: str) -> list[Mover]:
        suffix = "qoq" if then == str(self.q.previous) else "yoy"
        found = []
        for (x, region, channel), row in self.market.items():
            if x != q or (region == "all" and channel == "all"):
                continue
            dim = (
                f"地区 {self.region_label(region)}"
                if channel == "all"
                else f"渠道 {self.channel_label(channel)}"
            )
            specs = [("listings_active", "在售信息 Active listings", "count", "listings_active")]
            if region == "all":
                specs.append(("price_median_cny", "单价中位数 Median price", "price", "priced_listings"))
            for measure, label, kind, base in specs:
                pct_col = (
                    f"{'listings_active' if measure == 'listings_active' else 'price_median'}_{suffix}_pct"
                )
                change = row.get(pct_col)
                before = self.m(then, region, channel, measure)
                if change is None or before is None:
                    continue
                kb = self.market_fact(base, then, region, channel)
                kn = self.market_fact(base, q, region, channel)
                found.append(
                    Mover(
                        comparison,
                        label,
                        dim,
                        kind,
                        before,
                        row[measure],
                        change,
                        self.disc.facts[kb],
                        self.disc.facts[kn],
                        (kb, kn),
                    )
                )
        return found

    def _sum_movers(self, q: str, then: str, comparison: str) -> list[Mover]:
        specs = [
            (
                "cases_opened",
                "立案 Cases opened",
                "mart_enforcement_quarterly",
                "region_code",
                "省份",
                lambda x, v: ("cases_opened", x, v, "*"),
                self.region_label,
            ),
            (
                "cases_opened",
                "立案 Cases opened",
                "mart_enforcement_quarterly",
                "agency_code",
                "部门",
                lambda x, v: ("cases_opened", x, "*", v),
                lambda v: self.agency_names.get(v, v),
            ),
            (
                "incidents",
                "泄露事件 Incidents",
                "mart_incidents_quarterly",
                "carrier_code",
                "快递",
                lambda x, v: ("incidents", x, "*", v, "*"),
                lambda v: self.carrier_names.get(v, v),
            ),
            (
                "incidents",
                "泄露事件 Incidents",
                "mart_incidents_quarterly",
                "leak_stage",
                "环节",
                lambda x, v: ("incidents", x, "*", "*", v),
                lambda v: STAGE_LABELS.get(v, v),
            ),
        ]
        found = []
        for measure, label, mart, dim_col, dim_zh, key, name in specs:
            data: dict[str, dict[str, int]] = defaultdict(dict)
            for r in self.db.rows(
                f"select quarter, {dim_col} as v, sum({measure}) as n from {mart} where quarter in (?, ?) "
                "group by all",
                [q, then],
            ):
                data[r["v"]][r["quarter"]] = int(r["n"])
            for v, by_q in data.items():
                now, before = by_q.get(q, 0), by_q.get(then, 0)
                change = pct_change(now, before, now, before)
                if change is None:
                    continue
                keys = (self.disc.fact(key(then, v), before), self.disc.fact(key(q, v), now))
                found.append(
                    Mover(
                        comparison,
                        label,
                        f"{dim_zh} {name(v)}",
                        "count",
                        before,
                        now,
                        change,
                        before,
                        now,
                        keys,
                    )
                )
        return found

    # ---- data quality --------------------------------------------------------------------------

    def coverage(self) -> Table:
        q = self.q
        rows = (
            self.db.rows(
                "select coalesce(channel, 'all') as channel, count(distinct site) as sites, "
                "count(*) as expected_site_days, count(*) filter (where is_crawled) as crawled_site_days, "
                "sum(observations) as observations "
                "from mart_crawl_coverage_daily where crawl_date >= ? and crawl_date < ? "
                "group by grouping sets ((channel), ()) order by grouping(channel), channel",
                [q.start, q.end],
            )
            if self.db.has("mart_crawl_coverage_daily")
            else []
        )
        for r in rows:
            r["channel_name"] = self.channel_label(r["channel"])
            r["coverage_ratio"] = (
                r["crawled_site_days"] / r["expected_site_days"] if r["expected_site_days"] else None
            )
            r["is_low_coverage"] = self.m(str(q), "all", r["channel"], "is_low_coverage")
        return self.add(
            Table(
                name="crawl_coverage",
                title=f"监测覆盖率 Crawl coverage by channel, {q}",
                columns=[
                    Column("channel", "代码 Code", in_html=False),
                    Column("channel_name", "渠道 Channel"),
                    Column("sites", "网站 Sites", "tally"),
                    Column("expected_site_days", "应监测站点日 Expected site-days", "tally"),
                    Column("crawled_site_days", "已监测站点日 Crawled site-days", "tally"),
                    Column("observations", "抓取记录 Observations", "tally"),
                    Column("coverage_ratio", "覆盖率 Coverage", "ratio"),
                    Column("is_low_coverage", "低覆盖 Low coverage", "flag"),
                ],
                rows=rows,
                source="mart_crawl_coverage_daily, mart_market_quarterly",
                note="A site is expected every day between its first and last crawl; coverage below 80 % "
                "is low, and changes that rest on a low-coverage quarter are not published.",
                total_row=len(rows) - 1 if rows else None,
                disclosure_controlled=False,
            )
        )

    def ingest_audit(self) -> tuple[Table, Table | None]:
        summary = (
            self.db.rows(
                "select feed, status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) "
                "as rows_loaded, "
                "sum(rows_quarantined) as rows_quarantined, sum(rows_duplicate) as rows_duplicate "
                "from audit_ingest_files group by all order by feed, status"
            )
            if self.db.has("audit_ingest_files")
            else []
        )
        audit = self.add(
            Table(
                name="ingest_audit",
                title="数据接收审计 Ingest audit: files and rows by feed and status (all deliveries)",
                columns=[
                    Column("feed", "数据源 Feed"),
                    Column("status", "状态 Status"),
                    Column("files", "文件 Files", "tally"),
                    Column("rows_read", "读取行 Rows read", "tally"),
                    Column("rows_loaded", "入库行 Loaded", "tally"),
                    Column("rows_quarantined", "隔离行 Quarantined", "tally"),
                    Column("rows_duplicate", "重复行 Duplicates", "tally"),
                ],
                rows=summary,
                source="audit_ingest_files",
                note="Quarantined rows were not loaded (empty or unparseable id or date); their reasons "
                "are kept in the restricted quarantine. Duplicates are re-deliveries, counted once.",
                disclosure_controlled=False,
            )
        )
        issues = (
            self.db.rows(
                "select file_path, feed, status, rows_read, rows_quarantined, reason from audit_ingest_files "
                "where status <> 'loaded' order by status = 'rejected' desc, rows_quarantined desc, "
                "file_path limit 15"
            )
            if self.db.has("audit_ingest_files")
            else []
        )
        if self.public:
            return audit, None
        issue_table = self.add(
            Table(
                name="ingest_issues",
                title="未完整入库的文件 Files not loaded in full (up to 15)",
                columns=[
                    Column("file_path", "文件 File"),
                    Column("feed", "数据源 Feed"),
                    Column("status", "状态 Status"),
                    Column("rows_read", "读取行 Rows read", "tally"),
                    Column("rows_quarantined", "隔离行 Quarantined", "tally"),
                    Column("reason", "原因 Reason"),
                ],
                rows=issues,
                source="audit_ingest_files",
                disclosure_controlled=False,
            )
        )
        return audit, issue_table

    def validation_results(self) -> Table | None:
        names = sorted(t for t in self.db.tables if "validation" in t or t.startswith("audit_gx"))
        if not names:
            return None
        name = names[0]
        columns = self.db.columns(name)[:7]
        rows = self.db.rows(f"select {', '.join(columns)} from {name} limit 30")
        return self.add(
            Table(
                name="validation_results",
                title=f"数据校验结果 Validation results ({name}, up to 30 rows)",
                columns=[Column(c, c) for c in columns],
                rows=[
                    {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in r.items()}
                    for r in rows
                ],
                source=name,
                disclosure_controlled=False,
            )
        )

    def data_span(self) -> dict[str, Any]:
        span: dict[str, Any] = {}
        if self.db.has("mart_crawl_coverage_daily"):
            span["crawl"] = self.db.rows(
                "select min(crawl_date) as first, max(crawl_date) as last, count(distinct site) as sites "
                "from mart_crawl_coverage_daily"
            )[0]
        if self.db.has("fct_cases"):
            span["cases"] = self.db.rows(
                "select min(opened_date) as first, max(opened_date) as last from fct_cases"
            )[0]
        if self.db.has("fct_incidents"):
            span["incidents"] = self.db.rows(
                "select min(reported_date) as first, max(reported_date) as last from fct_incidents"
            )[0]
        return span

    # ---- all -----------------------------------------------------------------------------------

    def build(self) -> None:
        """Every table, then disclosure control (public mode) over all of them at once."""
        self.headline()
        self.listings_by_channel_over_time()
        self.channels_in_quarter()
        self.provinces()
        self.price_index()
        self.carriers()
        self.enforcement_matrix()
        self.enforcement_by_agency()
        self.enforcement_trend()
        self.incidents_matrix()
        self.find_movers()
        self.coverage()
        self.ingest_audit()
        if not self.public:
            self.validation_results()
        if self.public:
            self.disc.solve(self.min_count)
            self._drop_suppressed_movers()

    def _drop_suppressed_movers(self) -> None:
        """A mover whose figures are hidden elsewhere would give them away: it is left out."""
        table = self.tables["movers"]
        keep = [i for i, m in enumerate(self.movers) if not self.disc.is_suppressed(*m.keys)]
        table.rows = [table.rows[i] for i in keep]
        self.movers = [self.movers[i] for i in keep]
        table.cell_keys = {}
        for i, mover in enumerate(self.movers):
            for col in ("before", "now", "change_pct", "base_before", "base_now"):
                table.bind(i, col, *mover.keys)
