"""A small warehouse written by hand as bronze Parquet, with answers worked out by hand in
test_marts_hand_checked.py. Every time below is Asia/Shanghai (+08:00) unless it ends in Z.

Sites: taobao.com (seed: ecommerce_platform), shujuyi.cn (seed: trading_site),
heishi.example (in no register: channel `unknown`).

taobao.com is crawled on the local days 06-29, 07-01, 07-02, 07-03, 07-04, 07-05 — not on 06-30:
its expected days are 06-29..07-05 (7), crawled 6.
  T1  2026-06-30T16:30Z (= 07-01 00:30 local, so July / 2026Q3): 0.04 元, 广东省, 10000条, seller s1
      2026-07-02 10:00: 0.05 元, 20000条 — both rows delivered again by a second crawler (file b)
      then never again: taobao crawled on 07-03, 07-04, 07-05 → inferred removal at taobao's
      earliest fetch on 07-03 (T3 at 08:00)
  T2  2026-06-29 10:00: 0.10 元, 浙江省
      2026-07-01 10:00: 999 元 (outlier)
      2026-07-03 10:00: HTTP 404 with status "active" → explicit removal
  T3  07-01 09:00, 07-03 08:00, 07-04 08:00 active; 07-05 08:00 sold_out; 0.2 元 each; 广东省;
      seller s1; 5000条 on 07-01 only
  T5  07-03 08:30 only, price 面议 (none), seller s2, no location: 2 later crawl days → still live
heishi.example: H1 07-02 12:00, 1.0 元, 全国, seller s3.
shujuyi.cn is crawled every day 06-29..07-05:
  S001..S040 every day 06-29..07-05, 浙江省, 0.10 元 in June, 0.12 元 from 07-01
  S041..S050 every day 07-01..07-05, 浙江省, 0.12 元
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import bronze_fixtures as bf

TAOBAO = "taobao.com"
TRADING = "shujuyi.cn"
UNREGISTERED = "heishi.example"

# dbt build of a copy of the hand warehouse with more bronze: models and data tests; the unit tests
# ran in the hand warehouse's own build (conftest.py), which fails on any of them.
LATER_BUILD = ["build", "--exclude-resource-type", "unit_test"]

MTIME_A = datetime(2026, 10, 1, 0, 0)
MTIME_B = datetime(2026, 10, 2, 0, 0)
MTIME_C = datetime(2026, 10, 3, 0, 0)


def cny(amount: float) -> dict:
    return {"price_amount": amount, "price_currency": "CNY", "price_per_records": 1.0}


def taobao_rows() -> tuple[list[dict], list[dict]]:
    """(rows of crawler A's file, the T1 rows crawler B delivered again)."""
    t1 = [
        bf.crawl_row(
            TAOBAO,
            "T1",
            "2026-06-30T16:30:00Z",
            **cny(0.04),
            location_text="广东省",
            quantity_text="10000条",
            seller_key="s1",
        ),
        bf.crawl_row(
            TAOBAO,
            "T1",
            "2026-07-02T10:00:00+08:00",
            **cny(0.05),
            location_text="广东省",
            quantity_text="20000条",
            seller_key="s1",
        ),
    ]
    t2 = [
        bf.crawl_row(TAOBAO, "T2", "2026-06-29T10:00:00+08:00", **cny(0.10), location_text="浙江省"),
        bf.crawl_row(TAOBAO, "T2", "2026-07-01T10:00:00+08:00", **cny(999.0), location_text="浙江省"),
        bf.crawl_row(TAOBAO, "T2", "2026-07-03T10:00:00+08:00", status="active", http_status=404),
    ]
    t3 = [
        bf.crawl_row(
            TAOBAO,
            "T3",
            fetched,
            **cny(0.2),
            location_text="广东省",
            seller_key="s1",
            status=status,
            quantity_text=quantity,
        )
        for fetched, status, quantity in [
            ("2026-07-01T09:00:00+08:00", "active", "5000条"),
            ("2026-07-03T08:00:00+08:00", "active", None),
            ("2026-07-04T08:00:00+08:00", "active", None),
            ("2026-07-05T08:00:00+08:00", "sold_out", None),
        ]
    ]
    t5 = [bf.crawl_row(TAOBAO, "T5", "2026-07-03T08:30:00+08:00", price_text="面议", seller_key="s2")]
    redelivered = [{**row, "crawler": "crawler-b", "run_id": "run-b"} for row in t1]
    return t1 + t2 + t3 + t5, redelivered


def trading_rows() -> list[dict]:
    rows = []
    for day in range(29, 36):  # 06-29 .. 07-05
        local_day = date(2026, 6, day) if day <= 30 else date(2026, 7, day - 30)
        fetched = f"{local_day.isoformat()}T11:00:00+08:00"
        price = 0.10 if local_day.month == 6 else 0.12
        first, last = (1, 40) if local_day.month == 6 else (1, 50)
        for number in range(first, last + 1):
            rows.append(
                bf.crawl_row(TRADING, f"S{number:03d}", fetched, **cny(price), location_text="浙江省")
            )
    return rows


def unregistered_rows() -> list[dict]:
    return [
        bf.crawl_row(
            UNREGISTERED, "H1", "2026-07-02T12:00:00+08:00", **cny(1.0), location_text="全国", seller_key="s3"
        )
    ]


def case_files() -> list[tuple[str, datetime, list[dict]]]:
    """C1 has three versions: a.csv (updated 06-20), b.csv (updated 07-10, wins), c.csv (landed
    last but without updated_at: oldest, loses). C2 is delivered identically in a.csv and b.csv."""
    c2 = bf.case_row(
        "C2", "浙江省邮政管理局", "浙江省", date(2026, 7, 5), suspects="1", case_type="administrative"
    )
    return [
        (
            "cases/a.csv",
            MTIME_A,
            [
                bf.case_row(
                    "C1",
                    "广州市公安局",
                    "广东省",
                    date(2026, 6, 15),
                    updated_at=datetime(2026, 6, 20, 10, 0),
                    suspects="2",
                    outcome="pending",
                ),
                c2,
            ],
        ),
        (
            "cases/b.csv",
            MTIME_B,
            [
                bf.case_row(
                    "C1",
                    "广州市公安局",
                    "广东省",
                    date(2026, 6, 15),
                    updated_at=datetime(2026, 7, 10, 9, 0),
                    closed_on=date(2026, 7, 10),
                    suspects="3",
                    records_involved="20000",
                    illegal_gain_cny="5000",
                    fine_cny="10000",
                    sites_shut="a.com;b.com;a.com",
                    outcome="convicted",
                ),
                c2,
            ],
        ),
        (
            "cases/c.csv",
            MTIME_C,
            [bf.case_row("C1", "广州市公安局", "广东省", date(2026, 6, 15), suspects="9", outcome="dropped")],
        ),
    ]


def incident_files() -> list[tuple[str, datetime, list[dict]]]:
    """I1 Q2 (06-30 23:30 local); I2 open, then unfounded (excluded); I3 open wins over a later-landed
    unfounded version without updated_at."""
    return [
        (
            "incidents/a.csv",
            MTIME_A,
            [
                bf.incident_row(
                    "I1",
                    datetime(2026, 6, 30, 23, 30),
                    "广东省",
                    carrier="中通",
                    leak_stage="网点",
                    records_affected="100",
                    status="verified",
                ),
                bf.incident_row(
                    "I2",
                    datetime(2026, 7, 1, 0, 10),
                    "广东省",
                    updated_at=datetime(2026, 7, 1, 8, 0),
                    carrier="中通",
                    leak_stage="网点",
                    records_affected="70",
                    status="open",
                ),
                bf.incident_row(
                    "I3",
                    datetime(2026, 7, 2, 15, 0),
                    "广东省",
                    updated_at=datetime(2026, 7, 2, 16, 0),
                    carrier="顺丰",
                    leak_stage="网点",
                    records_affected="50",
                    status="open",
                ),
            ],
        ),
        (
            "incidents/b.csv",
            MTIME_B,
            [
                bf.incident_row(
                    "I2",
                    datetime(2026, 7, 1, 0, 10),
                    "广东省",
                    updated_at=datetime(2026, 7, 5, 8, 0),
                    carrier="中通",
                    leak_stage="网点",
                    records_affected="70",
                    status="unfounded",
                ),
                bf.incident_row(
                    "I3",
                    datetime(2026, 7, 2, 15, 0),
                    "广东省",
                    updated_at=None,
                    carrier="顺丰",
                    leak_stage="网点",
                    records_affected="50",
                    status="unfounded",
                ),
            ],
        ),
    ]


def write_hand_bronze(bronze_dir: Path) -> None:
    bf.write_empty_tables(bronze_dir)
    taobao, redelivered = taobao_rows()
    bf.write_feed_file(bronze_dir, "crawl_observations", "crawl/2026-07-05/taobao-a.jsonl", taobao, MTIME_A)
    bf.write_feed_file(
        bronze_dir, "crawl_observations", "crawl/2026-07-05/taobao-b.jsonl", redelivered, MTIME_B
    )
    bf.write_feed_file(
        bronze_dir, "crawl_observations", "crawl/2026-07-05/shujuyi.jsonl", trading_rows(), MTIME_A
    )
    bf.write_feed_file(
        bronze_dir, "crawl_observations", "crawl/2026-07-05/heishi.jsonl", unregistered_rows(), MTIME_A
    )
    audit = [
        bf.audit_row("crawl/2026-07-05/taobao-a.jsonl", "crawl", 10),
        bf.audit_row("crawl/2026-07-05/taobao-b.jsonl", "crawl", 2),
        bf.audit_row("crawl/2026-07-05/shujuyi.jsonl", "crawl", 330),
        bf.audit_row("crawl/2026-07-05/heishi.jsonl", "crawl", 1),
    ]
    for table, files in (("cases", case_files()), ("incidents", incident_files())):
        for file_path, mtime, rows in files:
            bf.write_feed_file(bronze_dir, table, file_path, rows, mtime)
            audit.append(bf.audit_row(file_path, table, len(rows)))
    audit.append(
        bf.audit_row(
            "cases/broken.csv",
            "cases",
            0,
            rows_read=3,
            rows_quarantined=3,
            status="rejected",
            reason="missing required column opened_on",
        )
    )
    bf.write_ingest_audit(bronze_dir, audit)
