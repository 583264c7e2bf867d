"""Fault injection (issue 8): one hand-made landing zone holding every fault that does not
interfere with another, one real `run_pipeline`, then each fault's outcome asserted on its own.

The expected numbers are worked out by hand from the files written below; docs/faults.md lists
each fault with its outcome.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from landing import crawl_record, csv_bytes, json_line, jsonl_bytes, land, truncated_gzip
from waybill_watch.config import analyst_db_path, bronze_dir
from waybill_watch.ingest import ingest_raw
from waybill_watch.pipeline import RunSummary, run_pipeline

# "the future" is relative to the run: a fixed year would stop being the future one day
FUTURE_YEAR = dt.date.today().year + 5
DAY1 = "crawl/2026-03-05"
DAY2 = "crawl/2026-03-06"


def _listing(listing_id: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "listing_id": listing_id,
        "url": f"https://xianyu.com/item/{listing_id}",
        "seller": f"seller-{listing_id}",
    }
    return crawl_record(**(values | overrides))


def _lines(*records: dict[str, object]) -> bytes:
    return jsonl_bytes([json_line(r) for r in records])


def _write_crawl_faults(raw: Path) -> None:
    base = _lines(
        *(_listing(f"L-{i}") for i in range(1, 5)),
        # negative price and negative record count: "0 or less means no price" (SPEC §3.1)
        _listing("NEG-PRICE", price_text=None, price_amount=-5.0, price_currency="CNY", price_per_records=1),
        _listing(
            "NEG-PER", price_text=None, price_amount=40.0, price_currency="CNY", price_per_records=-1000
        ),
        # a site in neither the seed nor RAW/sites.csv
        crawl_record(
            listing_id="NEW-SITE", site="brand-new-leaks.example", url="https://brand-new-leaks.example/p/1"
        ),
    )
    land(raw / DAY1 / "base.jsonl", base, 1)
    land(raw / DAY1 / "base_resend.jsonl", base, 2)  # the crawl day delivered twice
    wrong_types = _lines(
        _listing("WT-URL", url=["https://xianyu.com/item/x"]),  # line 1: list in a required text field
        _listing("WT-SITE", site={"host": "xianyu.com"}),  # line 2: object in a required text field
        _listing("WT-PRICE", price_text=None, price_amount="abc"),  # line 3: unparseable number → null
        _listing("WT-HTTP", http_status="oops"),  # line 4: unparseable optional integer → null
        _listing("WT-FETCHED", fetched_at=12345),  # line 5: a number that is no timestamp
    )
    land(raw / DAY1 / "wrong_types.jsonl", wrong_types, 3)
    dates = _lines(
        _listing("FUTURE", fetched_at=f"{FUTURE_YEAR}-01-01T10:00:00+08:00"),
        _listing("ANCIENT", fetched_at="1999-12-31T10:00:00+08:00"),
        _listing("D-OK", fetched_at="2026-03-06T09:00:00+08:00"),
    )
    land(raw / DAY2 / "dates.jsonl", dates, 4)
    cut = [json_line(_listing(f"GZ-{i}", fetched_at="2026-03-06T11:00:00+08:00")) for i in range(3)]
    land(raw / DAY2 / "cut.jsonl.gz", truncated_gzip(cut[:2], cut[2][:40]), 5)
    land(raw / DAY2 / "binary.jsonl", bytes(range(256)) * 8, 6)
    mixed = (
        (json_line(_listing("MIX-1")) + "\n").encode("utf-8")
        + (json_line(_listing("MIX-2", title="广东快递单 新鲜")) + "\n").encode("gb18030")
        + (json_line(_listing("MIX-3")) + "\n").encode("utf-8")
    )
    land(raw / DAY2 / "mixed.jsonl", mixed, 7)


INCIDENT_HEADER = [
    "incident_id", "reported_at", "province", "updated_at", "records_affected",
    "description", "reporter_phone", "status",
]  # fmt: skip
INCIDENT_ROWS = [
    ["I-1", "2026-03-05 10:00", "广东", "2026-03-05 10:00", "2万", "网点泄露", "13812345678", "open"],
    ["I-2", "2026-03-05", "浙江", "", "500", "第一行\n第二行，含换行", "13912345678", "verified"],
    ["I-3", "2026-03-05", "江苏", "", "500", "少一列", "open"],  # shifted: a field missing
    ["I-4", "2026-03-05", "江苏", "", "500", "多一列", "13700000000", "open", "extra"],  # one too many
    ["I-5", "2026-03-05", "广东", "", "-200", "负数", "", "open"],
    ["I-6", f"{FUTURE_YEAR}-05-01", "广东", "", "100", "未来", "", "open"],
    ["I-7", "1998-01-01", "广东", "", "100", "远古", "", "open"],
    ["I-8", "2026-03-06", "广东", "2026-03-06 09:00", "100", "同一编号一", "", "open"],
    ["I-8", "2026-03-06", "广东", "2026-03-06 09:00", "100", "同一编号二", "", "verified"],
    ["I-9", "2026-03-06", "福建", "", "300", "完全重复", "", "open"],
    ["I-9", "2026-03-06", "福建", "", "300", "完全重复", "", "open"],
]
CASE_HEADER = [
    "case_id", "agency", "province", "opened_on", "updated_at", "closed_on", "case_type", "suspects",
    "suspect_names", "records_involved", "illegal_gain_cny", "fine_cny", "outcome",
]  # fmt: skip


def _case(
    case_id: str,
    opened: str,
    updated: str,
    closed: str,
    suspects: str,
    records: str,
    gain: str,
    fine: str,
    outcome: str,
) -> list[str]:
    """A row of CASE_HEADER: a Shenzhen police case with two named suspects."""
    return [
        case_id,
        "深圳市公安局",
        "广东",
        opened,
        updated,
        closed,
        "criminal",
        suspects,
        "张三;李四",
        records,
        gain,
        fine,
        outcome,
    ]


def _write_table_faults(raw: Path) -> None:
    land(raw / "incidents" / "inc_2026-03.csv", csv_bytes(INCIDENT_HEADER, INCIDENT_ROWS), 8)
    # the header line is missing: the first data row is read as the header
    land(raw / "incidents" / "no_header.csv", csv_bytes(INCIDENT_ROWS[0], INCIDENT_ROWS[1:2]), 9)
    newer = [
        _case("C-1", "2026-02-01", "2026-05-01", "2026-04-20", "2", "10万", "5万", "", "convicted"),
        _case("C-2", "2026-02-02", "2026-05-01", "", "-3", "-100", "-1.2万", "-5000", "penalized"),
        _case("C-3", f"{FUTURE_YEAR}-01-01", "", "", "1", "100", "", "", "pending"),
    ]
    land(raw / "cases" / "cases_new.csv", csv_bytes(CASE_HEADER, newer), 10)
    # landed later, but an older version of C-1 (smaller updated_at): must not win
    older = [_case("C-1", "2026-02-01", "2026-03-01", "", "2", "10万", "", "", "pending")]
    land(raw / "cases" / "cases_old.csv", csv_bytes(CASE_HEADER, older), 11)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, RunSummary]:
    root = tmp_path_factory.mktemp("faults")
    raw, warehouse = root / "raw", root / "warehouse"
    _write_crawl_faults(raw)
    _write_table_faults(raw)
    summary = run_pipeline(raw, warehouse)
    return raw, warehouse, summary


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(analyst_db_path(warehouse)), read_only=True) as con:
        return con.execute(sql).fetchall()


def _audit(warehouse: Path) -> dict[str, dict[str, object]]:
    with duckdb.connect(str(analyst_db_path(warehouse)), read_only=True) as con:
        cursor = con.execute("select * from audit_ingest_files")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return {row["file_path"]: row for row in (dict(zip(names, r, strict=True)) for r in rows)}


def _quarantine(warehouse: Path) -> pl.DataFrame:
    return pl.read_parquet(bronze_dir(warehouse) / "quarantine" / "*.parquet")


# file → (status, rows_read, loaded, quarantined, duplicate, quarantine rules by line (None = file))
EXPECTED_FILES: dict[str, tuple[str, int, int, int, int, dict[int | None, str]]] = {
    f"{DAY1}/base.jsonl": ("loaded", 7, 7, 0, 0, {}),
    f"{DAY1}/base_resend.jsonl": ("skipped_duplicate_file", 7, 0, 0, 7, {}),
    f"{DAY1}/wrong_types.jsonl": ("loaded", 5, 2, 3, 0, {1: "wrong_type", 2: "wrong_type", 5: "bad_date"}),
    f"{DAY2}/dates.jsonl": ("loaded", 3, 1, 2, 0, {1: "bad_date", 2: "bad_date"}),
    f"{DAY2}/cut.jsonl.gz": ("partial", 3, 2, 1, 0, {3: "truncated"}),
    f"{DAY2}/binary.jsonl": ("rejected", 9, 0, 9, 0, {None: "bad_encoding"}),
    f"{DAY2}/mixed.jsonl": ("rejected", 3, 0, 3, 0, {None: "bad_encoding"}),
    "incidents/inc_2026-03.csv": (
        "loaded",
        11,
        6,
        4,
        1,
        {3: "malformed_row", 4: "malformed_row", 6: "bad_date", 7: "bad_date"},
    ),
    "incidents/no_header.csv": ("rejected", 1, 0, 1, 0, {None: "missing_column"}),
    "cases/cases_new.csv": ("loaded", 3, 2, 1, 0, {3: "bad_date"}),
    "cases/cases_old.csv": ("loaded", 1, 1, 0, 0, {}),
}


def test_run_completes_and_audits_every_landed_file_once(faulty) -> None:
    _raw, warehouse, summary = faulty
    assert summary.dbt_nodes > 0
    audit = _audit(warehouse)
    assert sorted(audit) == sorted(EXPECTED_FILES)
    assert _query(warehouse, "select count(*) from audit_ingest_files")[0][0] == len(EXPECTED_FILES)


def test_audit_balances_for_every_file(faulty) -> None:
    _raw, warehouse, _summary = faulty
    for path, row in _audit(warehouse).items():
        balance = row["rows_loaded"] + row["rows_quarantined"] + row["rows_duplicate"]
        assert row["rows_read"] == balance, path


@pytest.mark.parametrize("path", sorted(EXPECTED_FILES))
def test_each_fault_lands_where_expected(faulty, path: str) -> None:
    _raw, warehouse, _summary = faulty
    status, read, loaded, quarantined, duplicate, rules = EXPECTED_FILES[path]
    row = _audit(warehouse)[path]
    got = (
        row["status"],
        row["rows_read"],
        row["rows_loaded"],
        row["rows_quarantined"],
        row["rows_duplicate"],
    )
    assert got == (status, read, loaded, quarantined, duplicate)
    entries = _quarantine(warehouse).filter(pl.col("file_path") == path)
    assert dict(zip(entries["line_no"], entries["rule"], strict=True)) == rules
    assert entries["reason"].null_count() == 0


def test_bronze_row_counts_match_the_audit(faulty) -> None:
    """Nothing lost: what the audit calls loaded is exactly what bronze holds, per file."""
    _raw, warehouse, _summary = faulty
    audit = _audit(warehouse)
    loaded: Counter[str] = Counter()
    for table in ("crawl_observations", "incidents", "cases"):
        frame = pl.read_parquet(bronze_dir(warehouse) / table / "*.parquet")
        loaded.update(frame["file_path"].to_list())
    assert loaded == Counter({p: r["rows_loaded"] for p, r in audit.items() if r["rows_loaded"]})


def test_implausible_dates_are_quarantined_with_their_reason(faulty) -> None:
    _raw, warehouse, _summary = faulty
    reasons = set(_quarantine(warehouse).filter(pl.col("rule") == "bad_date")["reason"])
    assert {
        "fetched_at is in the future",
        "fetched_at is before 2000",
        "reported_at is in the future",
        "reported_at is before 2000",
        "opened_on is in the future",
        "fetched_at is not a recognised timestamp",
    } == reasons
    span = _query(warehouse, "select min(first_seen_at), max(first_seen_at) from fct_listings")[0]
    assert [str(t) for t in span] == ["2026-03-05 10:00:00", "2026-03-06 11:00:00"]
    assert _query(warehouse, "select count(*) from fct_incidents where incident_id in ('I-6', 'I-7')") == [
        (0,)
    ]
    assert _query(warehouse, "select count(*) from fct_cases where case_id = 'C-3'") == [(0,)]


def test_encoding_faults_are_rejected_never_guessed(faulty) -> None:
    _raw, warehouse, _summary = faulty
    audit = _audit(warehouse)
    for name in ("binary.jsonl", "mixed.jsonl"):
        row = audit[f"{DAY2}/{name}"]
        assert row["encoding"] is None
        assert row["reason"].startswith("neither UTF-8")


def test_negative_prices_and_counts_normalize_to_null(faulty) -> None:
    _raw, warehouse, _summary = faulty
    # 12 listings loaded (7 base + WT-PRICE, WT-HTTP + D-OK + GZ-0, GZ-1): NEG-PRICE, NEG-PER and
    # WT-PRICE have no price; every other one offers 0.04 元/条
    prices = Counter(p for (p,) in _query(warehouse, "select unit_price_cny from fct_listings"))
    assert prices == Counter({0.04: 9, None: 3})
    assert _query(warehouse, "select records_affected from fct_incidents where incident_id = 'I-5'") == [
        (None,)
    ]
    c2 = _query(
        warehouse,
        "select suspects, records_involved, illegal_gain_cny, fine_cny from fct_cases where case_id = 'C-2'",
    )
    assert c2 == [(None, None, None, None)]


def test_unregistered_site_is_unknown_channel_with_a_warning(faulty) -> None:
    _raw, warehouse, _summary = faulty
    rows = _query(warehouse, "select channel from fct_listings where site = 'brand-new-leaks.example'")
    assert rows == [("unknown",)]
    results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text())["results"]
    warned = {r["unique_id"] for r in results if r["status"] == "warn"}
    assert "test.waybill_watch.assert_crawled_sites_are_registered" in warned


def test_crawl_day_delivered_twice_is_counted_once(faulty) -> None:
    _raw, warehouse, _summary = faulty
    counts = _query(warehouse, "select observation_count, count(*) from fct_listings group by 1")
    assert counts == [(1, 12)]


def test_older_case_version_landed_later_does_not_win(faulty) -> None:
    _raw, warehouse, _summary = faulty
    c1 = _query(
        warehouse,
        "select outcome, closed_date, updated_at, version_count from fct_cases where case_id = 'C-1'",
    )
    assert [(o, str(c), str(u), n) for o, c, u, n in c1] == [
        ("convicted", "2026-04-20", "2026-05-01 00:00:00", 2)
    ]


def test_csv_shapes_duplicate_ids_and_embedded_newlines(faulty) -> None:
    _raw, warehouse, _summary = faulty
    incidents = _query(warehouse, "select incident_id, status, version_count from fct_incidents order by 1")
    # I-3/I-4 malformed, I-6/I-7 implausible dates; I-2's two-line description is one row;
    # I-8 twice with the same updated_at: the later line wins; I-9 repeated exactly: one version
    assert incidents == [
        ("I-1", "open", 1),
        ("I-2", "verified", 1),
        ("I-5", "open", 1),
        ("I-8", "verified", 2),
        ("I-9", "open", 1),
    ]


def test_rerun_on_the_same_landing_zone_adds_nothing(faulty) -> None:
    raw, warehouse, _summary = faulty
    again = ingest_raw(raw, warehouse)
    assert again.audit_rows == []
    assert again.files_already_ingested == len(EXPECTED_FILES)
