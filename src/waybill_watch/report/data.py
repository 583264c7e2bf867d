"""Read-only access to the published analyst database (SPEC §6) and the reference seeds."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from waybill_watch.config import PROJECT_ROOT, analyst_db_path
from waybill_watch.errors import WaybillWatchError
from waybill_watch.report.quarters import Quarter

POLICY_EVENTS_SEED = PROJECT_ROOT / "seeds" / "reference" / "policy_events.csv"
QUARTER_TABLES = ("mart_market_quarterly", "mart_enforcement_quarterly", "mart_incidents_quarterly")

# Labels used when a dimension table lacks a code (e.g. a channel added after the seed was written).
CHANNEL_FALLBACK = {
    "ecommerce_platform": "电商平台 E-commerce",
    "trading_site": "交易网站 Trading site",
    "im_group": "聊天群组 IM group",
    "forum": "论坛 Forum",
    "darknet_market": "暗网市场 Darknet",
    "paste_site": "粘贴站 Paste site",
    "unknown": "未知 Unknown",
    "all": "全部 All channels",
}
STAGE_LABELS = {
    "collection": "揽收 collection",
    "sorting": "分拣 sorting",
    "transport": "运输 transport",
    "delivery": "派送 delivery",
    "outlet": "网点 outlet",
    "franchisee": "加盟商 franchisee",
    "it_system": "信息系统 IT system",
    "third_party_platform": "第三方平台 3rd-party platform",
    "insider": "内部人员 insider",
    "unknown": "未知 unknown",
}


@dataclass
class PolicyEvent:
    date: dt.date
    title_zh: str
    title_en: str
    kind: str


class AnalystDB:
    """A read-only connection to WAREHOUSE/analyst.duckdb with small query helpers."""

    def __init__(self, warehouse_dir: Path) -> None:
        self.warehouse_dir = warehouse_dir
        self.path = analyst_db_path(warehouse_dir)
        self._quarters: list[str] | None = None
        if not self.path.exists():
            raise WaybillWatchError(
                f"no analyst database at {self.path}: run `waybill-watch run --raw-dir RAW "
                f"--warehouse-dir {warehouse_dir}` first"
            )
        try:
            self.con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise WaybillWatchError(f"cannot open {self.path} read-only: {exc}") from exc
        with contextlib.suppress(duckdb.Error):
            # period logic is Asia/Shanghai local time (SPEC §3); matters when timestamps carry a zone
            self.con.execute("set TimeZone = 'Asia/Shanghai'")
        self.tables = {
            r[0] for r in self.con.execute("select table_name from information_schema.tables").fetchall()
        }
        missing = [t for t in QUARTER_TABLES if t not in self.tables]
        if missing:
            raise WaybillWatchError(
                f"{self.path} lacks {', '.join(missing)}: it is not a published analyst database; "
                "run `waybill-watch run` first"
            )

    def close(self) -> None:
        self.con.close()

    def has(self, table: str) -> bool:
        return table in self.tables

    def columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "select column_name from information_schema.columns where table_name = ? order by "
            "ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def available_quarters(self) -> list[str]:
        if self._quarters is not None:
            return self._quarters
        union = " union ".join(f"select distinct quarter from {t}" for t in QUARTER_TABLES)
        self._quarters = sorted(r[0] for r in self.con.execute(union).fetchall() if r[0])
        return self._quarters

    def require_quarter(self, quarter: Quarter) -> None:
        available = self.available_quarters()
        if str(quarter) not in available:
            listed = ", ".join(available) if available else "none"
            raise WaybillWatchError(
                f"no data for quarter {quarter} in {self.path}: available quarters are {listed}"
            )

    def labels(self, table: str, key: str, *label_columns: str) -> dict[str, str]:
        """code → 'name_zh name_en' from a dimension table; missing table or columns give {}."""
        if not self.has(table):
            return {}
        present = [c for c in label_columns if c in self.columns(table)]
        if key not in self.columns(table) or not present:
            return {}
        result = {}
        for row in self.rows(f"select {key}, {', '.join(present)} from {table}"):
            parts = [str(row[c]) for c in present if row[c] not in (None, "")]
            # avoid "未知 Unknown Unknown" when the dim already carries both languages in one column
            text = " ".join(dict.fromkeys(parts))
            result[str(row[key])] = text or str(row[key])
        return result

    def policy_events(self) -> list[PolicyEvent]:
        """Dated notices and campaigns: the analyst table if published, else the seed CSV, else none."""
        records: list[dict[str, Any]] = []
        if self.has("dim_policy_events"):
            records = self.rows("select * from dim_policy_events")
        elif POLICY_EVENTS_SEED.exists():
            with POLICY_EVENTS_SEED.open(encoding="utf-8-sig", newline="") as handle:
                records = list(csv.DictReader(handle))
        return [e for e in (_policy_event(r) for r in records) if e is not None]


def _policy_event(record: dict[str, Any]) -> PolicyEvent | None:
    raw_date = record.get("event_date") or record.get("date")
    try:
        day = raw_date if isinstance(raw_date, dt.date) else dt.date.fromisoformat(str(raw_date)[:10])
    except ValueError:
        return None
    title_zh = str(record.get("title_zh") or record.get("title") or "")
    title_en = str(record.get("title_en") or "")
    kind = str(record.get("kind") or record.get("event_type") or "")
    if str(record.get("is_synthetic", "")).lower() in ("true", "1"):
        kind = f"{kind}, synthetic example" if kind else "synthetic example"
    return PolicyEvent(day, title_zh, title_en, kind)
