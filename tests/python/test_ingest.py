"""Ingest boundary: every landing fault lands where SPEC §3 says, the audit balances,
nothing personal passes, and a re-run changes nothing. Expected numbers are worked out by
hand from the files built below."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from landing import (
    crawl_record,
    csv_bytes,
    json_line,
    jsonl_bytes,
    land,
    truncated_gzip,
)
from waybill_watch import privacy
from waybill_watch.errors import WaybillWatchError
from waybill_watch.ingest import IngestSummary, boundary, ingest_raw, validate
from waybill_watch.ingest.boundary import Pseudonymizer
from waybill_watch.ingest.schemas import CRAWL_SCHEMA, INCIDENTS_SCHEMA
from waybill_watch.preload import is_deferred

RAW_HANDLES = ["Seller_One", "seller_one", "wx_seller_one", "13812345678", "SellerTwo", "qq:123456789"]
SUSPECT_NAMES = ["张三", "李四"]

REC_A = crawl_record(
    listing_id=12345,
    seller="Seller_One ",
    seller_contact="13812345678",
    title="出售快递单号 联系13912345678 编号1234567",
    price_text="0.04元/条 电话13712345678",
    sample_records=["王五 13612345678 广州市天河区", "赵六 136****5678"],
    extra_field="x",
)
REC_B = crawl_record(
    listing_id="L-2",
    fetched_at="2026-03-05T02:00:00Z",
    seller="seller_one",
    seller_contact="qq:123456789",
    url="https://xianyu.com/item/L-2?from=SF1234567890123",
)
REC_C = crawl_record(
    listing_id=None,
    site=" TaoBao.com ",
    url="https://taobao.com/item/9",
    fetched_at="2026-03-05 09:30:00",
    seller="SellerTwo",
    status=" Sold_Out ",
)
REC_D = crawl_record(listing_id=12.0, url="https://xianyu.com/item/12", sample_records=None, http_status=404)


def _crawl_a_lines() -> list[str]:
    return [
        json_line(REC_A),  # 1 loaded
        json_line(REC_B),  # 2 loaded
        "",  # 3 blank: not a row
        '{"run_id": "run-001", "site": ',  # 4 malformed JSON
        json_line(crawl_record(listing_id="L-5", fetched_at="yesterday")),  # 5 bad date
        json_line(crawl_record(listing_id="L-6", site=["xianyu.com"])),  # 6 wrong type
        json_line(REC_A),  # 7 repeat of line 1: duplicate
        json_line(REC_C),  # 8 loaded
        json_line(REC_D),  # 9 loaded
    ]


def _gz_records() -> list[dict]:
    return [crawl_record(listing_id=f"L-1{i}", fetched_at="2026-03-06T08:00:00+08:00") for i in range(3)]


INCIDENT_HEADER = [
    "incident_id",
    "reported_at",
    "updated_at",
    "source",
    "province",
    "city",
    "carrier",
    "leak_stage",
    "records_affected",
    "description",
    "reporter_phone",
    "status",
]
INC_1 = [
    *("INC-1", "2026/3/5 14:22", "", "12305", "广东", "深圳", "中通", "网点", "约2万"),
    *("网点员工泄露 联系13812345678", "13900001111", "open"),
]
INC_2 = ["INC-2", "2026年3月6日", "", "media", "浙江", "", "圆通", "分拣", "1000", "", "13900002222", "open"]
INC_2_VERIFIED = [*INC_2[:2], "2026-03-08 09:00", *INC_2[3:11], "verified"]
CASE_HEADER = [
    "case_id", "agency", "province", "opened_on", "updated_at", "city", "closed_on", "case_type", "suspects",
    "suspect_names", "records_involved", "illegal_gain_cny", "fine_cny", "sites_shut", "outcome",
]  # fmt: skip


def build_landing(raw: Path) -> None:
    crawl = raw / "crawl"
    a = jsonl_bytes(_crawl_a_lines())
    land(crawl / "2026-03-05" / "a.jsonl", a, 1)
    land(crawl / "2026-03-05" / "zz_copy_of_a.jsonl", a, 2)  # re-delivered under a new name
    gz = _gz_records()
    land(
        crawl / "2026-03-06" / "b.jsonl.gz",
        truncated_gzip([json_line(r) for r in gz], '{"run_id": "run-002", "fetc'),
        3,
    )
    table = pa.table(
        {
            "run_id": ["run-003", "run-003", gz[0]["run_id"]],
            "fetched_at": ["2026-03-06T09:00:00+08:00", None, gz[0]["fetched_at"]],
            "site": ["jd.com", "jd.com", gz[0]["site"]],
            "listing_id": ["L-20", "L-21", gz[0]["listing_id"]],
            "url": ["https://jd.com/20", "https://jd.com/21", gz[0]["url"]],
            "crawler": ["beta", "beta", gz[0]["crawler"]],
            "seller": ["SellerTwo", None, gz[0]["seller"]],
            "title": [None, None, gz[0]["title"]],
            "crawl_node": ["n1", "n2", "n3"],  # unknown column
        }
    )
    # Row 3 carries the same canonical content as b.jsonl.gz line 1 only in the fields it has:
    # it lacks price_text etc., so it is NOT a duplicate. Make it identical by filling them.
    for name in ("seller_contact", "price_text", "quantity_text", "location_text", "carrier_text"):
        table = table.append_column(name, pa.array([None, None, gz[0][name]], pa.string()))
    table = table.append_column("freshness_text", pa.array([None, None, gz[0]["freshness_text"]]))
    table = table.append_column("sample_records", pa.array([None, None, gz[0]["sample_records"]]))
    table = table.append_column("status", pa.array([None, None, gz[0]["status"]]))
    table = table.append_column("http_status", pa.array([None, None, gz[0]["http_status"]], pa.int64()))
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    land(crawl / "2026-03-06" / "c.parquet", buffer.getvalue().to_pybytes(), 4)
    gbk_lines = [
        json_line(
            crawl_record(listing_id="G-1", title="圆通韵达 新鲜单号", fetched_at="2026-03-07T12:00:00+08:00")
        ),
        json_line(
            crawl_record(listing_id="G-2", title="全网单号 批发", fetched_at="2026-03-07T12:05:00+08:00")
        ),
    ]
    land(crawl / "2026-03-07" / "gbk.jsonl", jsonl_bytes(gbk_lines, "gb18030"), 5)
    no_url = [
        json_line({k: v for k, v in crawl_record(listing_id=f"N-{i}").items() if k != "url"})
        for i in range(2)
    ]
    land(crawl / "2026-03-07" / "no_url.jsonl", jsonl_bytes(no_url), 6)
    land(crawl / "2026-03-07" / "garbled.jsonl", b'{"run_id": "\xff\xfe\x80"}\n', 7)
    # Not in the landing contract: ignored.
    land(crawl / "2026-03-07" / "notes.txt", b"hello", 1)
    land(crawl / "latest" / "x.jsonl", jsonl_bytes([json_line(REC_A)]), 1)
    land(raw / "_truth" / "truth.json", b"{}", 1)

    inc_1 = [
        [*INC_1, "note-1"],
        [*INC_2, "note-2"],
        ["", "2026-03-07", "", "media", "江苏", "", "", "", "", "", "", "open", "n"],
        ["INC-4", "not a date", "", "media", "江苏", "", "", "", "", "", "", "open", "n"],
    ]
    land(
        raw / "incidents" / "export_1.csv", csv_bytes([*INCIDENT_HEADER, "internal_note"], inc_1, bom=True), 8
    )
    land(
        raw / "incidents" / "export_2.csv", csv_bytes(INCIDENT_HEADER, [INC_1, INC_2_VERIFIED], "gb18030"), 9
    )

    no_agency = [h for h in CASE_HEADER if h != "agency"]
    land(raw / "cases" / "cases_bad.csv", csv_bytes(no_agency, [["C-9"] + [""] * (len(no_agency) - 1)]), 10)
    cases = [
        [
            "C-1",
            "深圳市公安局",
            "广东",
            "2026年3月5日",
            "",
            "深圳",
            "2026-04-01",
            "criminal",
            "3",
            "张三;李四",
            "约2万",
            "¥12,000",
            "",
            "xianyu.com;taobao.com",
            "prosecuted",
        ],
        [
            "C-2",
            "国家邮政局",
            "北京",
            "46086",
            "",
            "",
            "",
            "administrative",
            "0",
            "",
            "",
            "",
            "5.6万元",
            "",
            "penalized",
        ],
        ["C-3", "x", "y", "2026-03-05", *[""] * 12],  # one field too many
    ]
    land(raw / "cases" / "cases_1.csv", csv_bytes(CASE_HEADER, cases), 11)
    sites = [["NewSite.example", "trading_site", "新站"], ["xianyu.com", "ecommerce_platform", "闲鱼"]]
    land(raw / "sites.csv", csv_bytes(["site", "channel", "name"], sites), 12)


# file → (status, read, loaded, quarantined, duplicate)
EXPECTED_AUDIT = {
    "crawl/2026-03-05/a.jsonl": ("loaded", 8, 4, 3, 1),
    "crawl/2026-03-05/zz_copy_of_a.jsonl": ("skipped_duplicate_file", 8, 0, 0, 8),
    "crawl/2026-03-06/b.jsonl.gz": ("partial", 4, 3, 1, 0),
    "crawl/2026-03-06/c.parquet": ("loaded", 3, 1, 1, 1),
    "crawl/2026-03-07/gbk.jsonl": ("loaded", 2, 2, 0, 0),
    "crawl/2026-03-07/no_url.jsonl": ("rejected", 2, 0, 2, 0),
    "crawl/2026-03-07/garbled.jsonl": ("rejected", 1, 0, 1, 0),
    "incidents/export_1.csv": ("loaded", 4, 2, 2, 0),
    "incidents/export_2.csv": ("loaded", 2, 1, 0, 1),
    "cases/cases_bad.csv": ("rejected", 1, 0, 1, 0),
    "cases/cases_1.csv": ("loaded", 3, 2, 1, 0),
    "sites.csv": ("loaded", 2, 2, 0, 0),
}


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, IngestSummary]:
    root = tmp_path_factory.mktemp("ingest")
    raw, warehouse = root / "raw", root / "warehouse"
    build_landing(raw)
    summary = ingest_raw(raw, warehouse)
    return raw, warehouse, summary


def _bronze(warehouse: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(warehouse / "bronze" / table / "*.parquet")


def test_each_fault_lands_where_spec_says(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, _summary = landed
    audit = _bronze(warehouse, "ingest_files")
    got = {
        r["file_path"]: (
            r["status"],
            r["rows_read"],
            r["rows_loaded"],
            r["rows_quarantined"],
            r["rows_duplicate"],
        )
        for r in audit.iter_rows(named=True)
    }
    assert got == EXPECTED_AUDIT


def test_audit_balances_and_names_reasons(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, _summary = landed
    audit = _bronze(warehouse, "ingest_files")
    assert audit.filter(
        pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_quarantined") + pl.col("rows_duplicate")
    ).is_empty()
    by_path = {r["file_path"]: r for r in audit.iter_rows(named=True)}
    assert by_path["crawl/2026-03-05/a.jsonl"]["unknown_columns"] == "extra_field"
    assert "unknown columns ignored: extra_field" in by_path["crawl/2026-03-05/a.jsonl"]["reason"]
    assert by_path["crawl/2026-03-06/c.parquet"]["unknown_columns"] == "crawl_node"
    assert by_path["incidents/export_1.csv"]["unknown_columns"] == "internal_note"
    assert "url" in by_path["crawl/2026-03-07/no_url.jsonl"]["reason"]
    assert "agency" in by_path["cases/cases_bad.csv"]["reason"]
    assert "GB18030" in by_path["crawl/2026-03-07/garbled.jsonl"]["reason"]
    assert "gzip" in by_path["crawl/2026-03-06/b.jsonl.gz"]["reason"]
    assert by_path["crawl/2026-03-05/zz_copy_of_a.jsonl"]["reason"].endswith("a.jsonl, landed earlier")
    assert by_path["incidents/export_1.csv"]["encoding"] == "utf-8-sig"
    assert by_path["incidents/export_2.csv"]["encoding"] == "gb18030"
    assert by_path["crawl/2026-03-07/gbk.jsonl"]["encoding"] == "gb18030"
    assert (
        by_path["crawl/2026-03-05/a.jsonl"]["content_hash"]
        == by_path["crawl/2026-03-05/zz_copy_of_a.jsonl"]["content_hash"]
    )


def test_quarantine_holds_metadata_and_restricted_holds_raw(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, summary = landed
    q = _bronze(warehouse, "quarantine")
    got = sorted((r["file_path"], r["line_no"] or 0, r["rule"]) for r in q.iter_rows(named=True))
    assert got == sorted(
        [
            ("crawl/2026-03-05/a.jsonl", 4, "malformed_json"),
            ("crawl/2026-03-05/a.jsonl", 5, "bad_date"),
            ("crawl/2026-03-05/a.jsonl", 6, "wrong_type"),
            ("crawl/2026-03-06/b.jsonl.gz", 4, "truncated"),
            ("crawl/2026-03-06/c.parquet", 2, "missing_date"),
            ("crawl/2026-03-07/no_url.jsonl", 0, "missing_column"),
            ("crawl/2026-03-07/garbled.jsonl", 0, "bad_encoding"),
            ("incidents/export_1.csv", 3, "missing_id"),
            ("incidents/export_1.csv", 4, "bad_date"),
            ("cases/cases_bad.csv", 0, "missing_column"),
            ("cases/cases_1.csv", 3, "malformed_row"),
        ]
    )
    assert "raw" not in q.columns
    restricted = pl.read_ndjson(summary.restricted_path)
    bad_line = restricted.filter(pl.col("rule") == "malformed_json").get_column("raw").item()
    assert bad_line == '{"run_id": "run-001", "site": '


def test_crawl_bronze_values(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, _summary = landed
    crawl = _bronze(warehouse, "crawl_observations")
    a = crawl.filter(pl.col("file_path") == "crawl/2026-03-05/a.jsonl").sort("line_no")
    assert a.get_column("line_no").to_list() == [1, 2, 8, 9]
    assert a.get_column("listing_id").to_list() == ["12345", "L-2", None, "12"]
    assert a.get_column("site").to_list() == ["xianyu.com", "xianyu.com", "taobao.com", "xianyu.com"]
    assert a.get_column("fetched_at_utc").to_list() == [
        dt.datetime(2026, 3, 5, 2, 0),
        dt.datetime(2026, 3, 5, 2, 0),
        dt.datetime(2026, 3, 5, 1, 30),
        dt.datetime(2026, 3, 5, 2, 0),
    ]
    key = privacy.pseudonym_key()
    # "Seller_One " and "seller_one" are the same seller (trimmed, case-folded).
    assert a.get_column("seller_key").to_list()[:2] == [privacy.pseudonymize("seller_one", key)] * 2
    assert a.get_column("contact_key").item(0) == privacy.pseudonymize("13812345678", key)
    assert a.get_column("sample_record_count").to_list() == [2, 1, 1, 0]
    assert a.get_column("has_unmasked_samples").to_list() == [True, False, False, False]
    assert a.get_column("title").item(0) == "出售快递单号 联系*********** 编号*******"
    assert a.get_column("price_text").item(0) == "0.04元/条 电话***********"
    assert a.get_column("url").item(1) == "https://xianyu.com/item/L-2?from=" + "*" * 15
    assert a.get_column("status").to_list() == ["active", "active", "sold_out", "active"]
    assert a.get_column("http_status").to_list() == [200, 200, 200, 404]
    assert set(a.get_column("crawl_folder_date").to_list()) == {dt.date(2026, 3, 5)}
    assert crawl.filter(pl.col("file_path") == "crawl/2026-03-07/gbk.jsonl").get_column(
        "title"
    ).to_list() == [
        "圆通韵达 新鲜单号",
        "全网单号 批发",
    ]
    assert crawl.height == 4 + 3 + 1 + 2
    assert crawl.schema == CRAWL_SCHEMA  # the contract of docs/bronze.md, nothing more


def test_bulk_pseudonyms_equal_one_at_a_time() -> None:
    """Ingest makes pseudonyms in bulk (numpy base32); they must be the per-value strings, or
    every seller and contact key of a warehouse would change."""
    key = b"test-key"
    values = [None, "", "  ", " Seller_One ", "13812345678", "张三", "a" * 200, "\u00e9\u0301", "x"]
    values += [f"seller-{i:05d}" for i in range(1000)]
    assert privacy.pseudonymize_all(values, key) == [privacy.pseudonymize(v, key) for v in values]
    assert privacy.pseudonymize_all([], key) == []


def test_column_pseudonyms_equal_one_at_a_time() -> None:
    """A worker pseudonymizes whole columns through its cache of values seen (a join); the keys
    must be the per-value strings whether a value is new, seen in an earlier group or repeated,
    and null (no key) where the value is null or blank after case-folding (\x1f is whitespace
    to Python, not to polars)."""
    key = b"test-key"
    pseudo = Pseudonymizer(key)
    groups = [
        [None, "Seller_One", "13812345678", "张三", "Seller_One", "\x1f", "ß"],
        ["seller_one", "Seller_One", None, "\x1f", "new one", "张三"],
        [None, None],
        [],
    ]
    for values in groups:
        column = pl.Series("seller", values, dtype=pl.String)
        assert pseudo.key_column(column).to_list() == [privacy.pseudonymize(v, key) for v in values]
    # "Seller_One" and "seller_one" are one seller (SPEC §5): case-folded before hashing
    one, other = pseudo.key_column(pl.Series(["Seller_One", "seller_one"])).to_list()
    assert one == other


def test_an_id_shaped_like_personal_data_is_replaced_by_its_pseudonym() -> None:
    """A listing id that reads as a waybill number (7[3-8] and 10–13 more digits) must not pass
    the boundary: it becomes its pseudonym, so the listing keeps one identity (SPEC §8)."""
    key = b"test-key"
    waybill_like = "738123456789"
    assert privacy.has_personal_data(waybill_like)
    frame = pl.DataFrame({"listing_id": ["L-1", waybill_like, None, waybill_like]})
    protected = frame.select(boundary._protected_id(frame, "listing_id", Pseudonymizer(key)))
    pseudonym = privacy.pseudonymize(waybill_like, key)
    assert protected.get_column("listing_id").to_list() == ["L-1", pseudonym, None, pseudonym]


def test_column_pseudonyms_from_threads_sharing_one_cache() -> None:
    """A run with few files reads them in threads that share the process's Pseudonymizer: two
    threads meeting the same new values must not both add them (a value twice in the cache would
    give its rows two keys each, and the column more rows than the frame)."""
    key = b"test-key"
    pseudo = Pseudonymizer(key)
    batches = [[f"seller-{(i * 7 + j) % 3_000}" for j in range(2_000)] for i in range(24)]

    def keys(values: list[str]) -> list[str | None]:
        return pseudo.key_column(pl.Series(values, dtype=pl.String)).to_list()

    with ThreadPoolExecutor(max_workers=4) as threads:
        results = list(threads.map(keys, batches))
    for values, got in zip(batches, results, strict=True):
        assert got == [privacy.pseudonymize(v, key) for v in values]
    assert pseudo.key_column(pl.Series([f"seller-{i}" for i in range(3_000)])).len() == 3_000


def test_incident_versions_and_case_dates(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, _summary = landed
    incidents = _bronze(warehouse, "incidents").sort("file_path", "line_no")
    assert "reporter_phone" not in incidents.columns
    rows = incidents.select("file_path", "incident_id", "status", "reported_at", "updated_at").rows()
    assert rows == [
        ("incidents/export_1.csv", "INC-1", "open", dt.datetime(2026, 3, 5, 14, 22), None),
        ("incidents/export_1.csv", "INC-2", "open", dt.datetime(2026, 3, 6), None),
        ("incidents/export_2.csv", "INC-2", "verified", dt.datetime(2026, 3, 6), dt.datetime(2026, 3, 8, 9)),
    ]
    # The free text itself stops at the boundary (it can name people); only its presence passes.
    assert "description" not in incidents.columns
    assert incidents.get_column("has_description").to_list() == [True, False, False]
    assert incidents.schema == INCIDENTS_SCHEMA
    cases = _bronze(warehouse, "cases").sort("line_no")
    assert "suspect_names" not in cases.columns
    assert cases.select("case_id", "opened_on", "closed_on").rows() == [
        ("C-1", dt.date(2026, 3, 5), dt.date(2026, 4, 1)),
        ("C-2", dt.date(2026, 3, 5), None),
    ]
    assert cases.get_column("illegal_gain_cny").item(0) == "¥12,000"
    sites = _bronze(warehouse, "sites").sort("line_no")
    assert sites.get_column("site").to_list() == ["newsite.example", "xianyu.com"]


def test_no_personal_data_in_any_bronze_column(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, summary = landed
    checked = 0
    for path in sorted((warehouse / "bronze").rglob("*.parquet")):
        frame = pl.read_parquet(path)
        for column in frame.columns:
            for value in frame.get_column(column).cast(pl.String).drop_nulls().to_list():
                checked += 1
                assert privacy.scan_hits(value) == [], (path.name, column, value)
                for secret in RAW_HANDLES + SUSPECT_NAMES + ["王五"]:
                    assert secret.casefold() not in value.casefold(), (path.name, column)
    assert checked > 500
    assert summary.data_docs is not None
    for page in summary.data_docs.parent.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for secret in RAW_HANDLES + SUSPECT_NAMES:
            assert secret not in text, page


def test_validation_ran_and_data_docs_written(landed: tuple[Path, Path, IngestSummary]) -> None:
    _raw, warehouse, summary = landed
    assert summary.data_docs == warehouse / "data_docs" / "index.html"
    assert summary.data_docs.exists()
    assert {v.feed for v in summary.validations} == {"crawl", "incidents", "cases", "sites"}
    assert all(v.evaluated >= 5 for v in summary.validations)
    text = str(summary)
    assert "rejected: cases/cases_bad.csv" in text and "data docs:" in text


def _outcomes(summary: IngestSummary) -> list[tuple]:
    # the batch names carry the run id
    return sorted((v.feed, v.rows, v.files, v.success, v.evaluated, v.failed) for v in summary.validations)


def test_validation_in_its_own_process_equals_validation_here(
    landed: tuple[Path, Path, IngestSummary], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that reads a few files validates in the validation process (validate.py), which
    `validate_in_background` leaves running until wait_for_validation(); the outcomes are those of
    the same rows validated in this process."""
    raw, _warehouse, summary = landed
    assert validate._process is not None  # the landed run's validation went there
    in_background = ingest_raw(raw, tmp_path / "background", validate_in_background=True)
    assert in_background.pending_validation is not None and not in_background.validations
    in_background.wait_for_validation()
    assert in_background.pending_validation is None
    assert in_background.data_docs == tmp_path / "background" / "data_docs" / "index.html"
    assert in_background.data_docs.exists()
    # what GX imports and the suites never use stayed unimported through the validations and Data Docs
    for name in validate.GX_UNUSED_IMPORTS:
        assert validate._submit(is_deferred, name).result(timeout=60), name
    # and it ran at a lower priority than this process
    assert validate._submit(os.nice, 0).result(timeout=60) == os.nice(0) + validate.VALIDATION_NICENESS

    prepare = validate.BronzeValidator.prepare
    monkeypatch.setattr(validate.BronzeValidator, "prepare", lambda self, in_own_process=False: prepare(self))
    here = ingest_raw(raw, tmp_path / "here")
    assert here.data_docs is not None and here.data_docs.exists()
    assert _outcomes(here) == _outcomes(in_background) == _outcomes(summary)
    assert len(_outcomes(here)) == 4 and sum(outcome[1] for outcome in _outcomes(here)) > 10


EXTERNAL_ASSET = re.compile(
    r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE
)


def test_data_docs_reference_nothing_outside_their_folder(landed: tuple[Path, Path, IngestSummary]) -> None:
    """No CDN scripts or stylesheets (project rule): the pages read the same offline."""
    _raw, _warehouse, summary = landed
    assert summary.data_docs is not None
    docs = summary.data_docs.parent
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) >= 9  # index, 4 suites, 4 validation results
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert EXTERNAL_ASSET.findall(text) == [], page
        assert "<script" not in text.lower(), page  # inline ones only drove the CDN libraries
        assert re.findall(r"url\(\s*[\"']?(?:https?:)?//", text) == [], page
        for local in re.findall(r"<link\b[^>]*\bhref=\"([^\"]+)\"", text):
            assert (page.parent / local).resolve().is_relative_to(docs.resolve()), (page, local)
    for sheet in docs.rglob("*.css"):
        assert "//" not in re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S), sheet
    # The run list bootstrap-table used to draw at view time is static HTML now, links included.
    index = summary.data_docs.read_text(encoding="utf-8")
    for feed in ("crawl", "incidents", "cases", "sites"):
        assert f'href="expectations/bronze_{feed}.html"' in index
        assert re.search(rf'<a href="validations/bronze_{feed}/[^"]+\.html">', index), feed
    assert index.count("<tr>") >= 1 + 4 + 1 + 4


def test_rerun_changes_nothing(landed: tuple[Path, Path, IngestSummary]) -> None:
    raw, warehouse, _summary = landed
    before = {p: p.read_bytes() for p in (warehouse / "bronze").rglob("*") if p.is_file()}
    again = ingest_raw(raw, warehouse)
    after = {p: p.read_bytes() for p in (warehouse / "bronze").rglob("*") if p.is_file()}
    assert again.audit_rows == []
    assert again.files_already_ingested == len(EXPECTED_AUDIT)
    assert after == before


def test_incremental_run_reads_only_new_files(
    landed: tuple[Path, Path, IngestSummary], tmp_path: Path
) -> None:
    raw, warehouse, _summary = landed
    raw2, warehouse2 = tmp_path / "raw", tmp_path / "warehouse"
    shutil.copytree(raw, raw2)
    shutil.copytree(warehouse, warehouse2)
    # A later crawl file repeating a row already loaded (REC_B) and one new row.
    lines = [json_line(REC_B), json_line(crawl_record(listing_id="L-99"))]
    land(raw2 / "crawl" / "2026-03-05" / "later.jsonl", jsonl_bytes(lines), 20)
    summary = ingest_raw(raw2, warehouse2)
    assert [(r["file_path"], r["rows_loaded"], r["rows_duplicate"]) for r in summary.audit_rows] == [
        ("crawl/2026-03-05/later.jsonl", 1, 1)
    ]


def test_relative_paths_ingest_and_write_data_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GX's Data Docs site needs an absolute folder: given relative paths (the Python API; the CLI
    # resolves its options), the ingest raised after writing bronze
    monkeypatch.chdir(tmp_path)
    land(Path("raw") / "crawl" / "2026-03-05" / "one.jsonl", jsonl_bytes([json_line(crawl_record())]), 1)
    summary = ingest_raw(Path("raw"), Path("wh"))
    assert summary.rows_loaded == 1
    assert summary.data_docs == (tmp_path / "wh" / "data_docs" / "index.html")
    assert summary.data_docs.is_file()


def test_strict_refuses_the_demo_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "raw").mkdir()
    monkeypatch.delenv("WAYBILL_WATCH_PSEUDONYM_KEY", raising=False)
    with pytest.raises(WaybillWatchError, match="--strict"):
        ingest_raw(tmp_path / "raw", tmp_path / "wh", strict=True)
    assert not (tmp_path / "wh").exists()
    monkeypatch.setenv("WAYBILL_WATCH_PSEUDONYM_KEY", "a-real-secret")
    summary = ingest_raw(tmp_path / "raw", tmp_path / "wh", strict=True)
    assert summary.audit_rows == []
    assert (tmp_path / "wh" / "bronze" / "crawl_observations" / "_empty.parquet").exists()
    monkeypatch.delenv("WAYBILL_WATCH_PSEUDONYM_KEY")
    with pytest.warns(UserWarning, match="demo key"):
        ingest_raw(tmp_path / "raw", tmp_path / "wh2")


def test_missing_raw_dir_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(WaybillWatchError, match="does not exist"):
        ingest_raw(tmp_path / "nope", tmp_path / "wh")
