"""The demo-data generator (issue 2): landing contract, planted messiness and trends, determinism.

Checks read the generated files themselves (not only the truth manifest); the truth is then
cross-checked against what the files say, so a wrong manifest fails too.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import re
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl
import pytest
from rich.console import Console

from waybill_watch.errors import WaybillWatchError
from waybill_watch.generate import GenerateSummary, generate_raw
from waybill_watch.landing import CASE_FIELDS, CRAWL_FIELDS, INCIDENT_FIELDS
from waybill_watch.landing import CRAWL_REQUIRED as REQUIRED_CRAWL
from waybill_watch.privacy import has_personal_data

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
SHANGHAI = timezone(timedelta(hours=8))


# ---------------------------------------------------------------- reading the files back


def parse_instant(text: str) -> datetime | None:
    """SPEC §3: +08:00, Z, or no offset (Asia/Shanghai local). Returns aware UTC, None if unparseable."""
    try:
        dt = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(UTC)


def normalize_url(url: str) -> str:
    """SPEC §3.1: lower-case scheme and host, no fragment, no utm_* parameters, no trailing slash."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")])
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def _read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8").split("\n")


@pytest.fixture(scope="session")
def crawl(tiny_raw: Path) -> dict:
    """Every crawl row as written, plus the lines that are not JSON objects."""
    rows: list[dict] = []
    malformed: list[tuple[str, int]] = []
    keys_by_file: dict[str, set[str]] = {}
    for path in sorted((tiny_raw / "crawl").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(tiny_raw).as_posix()
        folder = path.parent.name
        keys: set[str] = set()
        if path.suffix == ".parquet":
            for no, rec in enumerate(pl.read_parquet(path).to_dicts(), start=1):
                keys |= rec.keys()
                rows.append({**rec, "_file": rel, "_line": no, "_folder": folder, "_keys": frozenset(rec)})
        else:
            for no, line in enumerate(_read_lines(path), start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    malformed.append((rel, no))
                    continue
                if not isinstance(rec, dict):
                    malformed.append((rel, no))
                    continue
                keys |= rec.keys()
                rows.append({**rec, "_file": rel, "_line": no, "_folder": folder, "_keys": frozenset(rec)})
        keys_by_file[rel] = keys
    return {"rows": rows, "malformed": malformed, "keys_by_file": keys_by_file}


@pytest.fixture(scope="session")
def truth(tiny_raw: Path) -> dict:
    t = tiny_raw / "_truth"
    return {
        "summary": json.loads((t / "summary.json").read_text(encoding="utf-8")),
        "listings": pl.read_parquet(t / "listings.parquet"),
        "listing_quarters": pl.read_parquet(t / "listing_quarters.parquet"),
        "incidents": pl.read_parquet(t / "incidents.parquet"),
        "cases": pl.read_parquet(t / "cases.parquet"),
        "pii": pl.read_parquet(t / "pii.parquet"),
    }


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_csv_dir(folder: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    out = {}
    for path in sorted(folder.glob("*.csv")):
        reader = csv.DictReader(io.StringIO(_decode(path.read_bytes())))
        rows = list(reader)
        out[path.name] = (list(reader.fieldnames or []), rows)
    return out


def valid_rows(crawl: dict, tiny_raw: Path, truth: dict) -> list[dict]:
    """Rows a correct ingest loads: required fields present and parseable, not in a duplicate copy."""
    copies = {d["copy"] for d in truth["summary"]["messiness"]["duplicate_file"]}
    out = []
    for r in crawl["rows"]:
        if r["_file"] in copies or any(not r.get(k) for k in REQUIRED_CRAWL):
            continue
        instant = parse_instant(r["fetched_at"])
        if instant is None:
            continue
        out.append({**r, "_instant": instant})
    return out


def listing_key(r: dict) -> tuple[str, str]:
    site = r["site"].strip().lower()
    lid = r.get("listing_id")
    return (site, str(lid)) if lid not in (None, "") else (site, normalize_url(r["url"]))


@pytest.fixture(scope="session")
def valid(crawl: dict, tiny_raw: Path, truth: dict) -> list[dict]:
    return valid_rows(crawl, tiny_raw, truth)


# ---------------------------------------------------------------- landing contract


def test_layout_spans_the_required_period(tiny_raw: Path) -> None:
    folders = sorted(p.name for p in (tiny_raw / "crawl").iterdir())
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", f) for f in folders)
    assert folders[0] == "2025-01-01" and folders[-1] == "2026-10-15"
    names = [p.name for p in (tiny_raw / "crawl").rglob("*") if p.is_file()]
    for ext in (".jsonl", ".jsonl.gz", ".parquet"):
        assert any(n.endswith(ext) for n in names), ext
    assert list((tiny_raw / "incidents").glob("*.csv")) and list((tiny_raw / "cases").glob("*.csv"))
    assert (tiny_raw / "sites.csv").is_file()


def test_every_crawl_field_appears_with_values(crawl: dict) -> None:
    for f in CRAWL_FIELDS:
        assert any(r.get(f) not in (None, "", []) for r in crawl["rows"]), f


def test_every_incident_and_case_field_appears(tiny_raw: Path) -> None:
    for folder, fields in (("incidents", INCIDENT_FIELDS), ("cases", CASE_FIELDS)):
        files = read_csv_dir(tiny_raw / folder)
        header = set().union(*(set(h) for h, _ in files.values()))
        assert set(fields) <= header, set(fields) - header
        for f in fields:
            assert any(r.get(f) for _h, rows in files.values() for r in rows), (folder, f)


def test_optional_columns_missing_and_unknown_columns_present(crawl: dict, tiny_raw: Path) -> None:
    keys = crawl["keys_by_file"]
    assert any("crawler" not in k and "run_id" in k for k in keys.values())  # early spider-a files
    assert any({"lang", "crawl_depth", "channel_members"} & k for k in keys.values())
    headers = {name: h for name, (h, _r) in read_csv_dir(tiny_raw / "incidents").items()}
    assert any("city" not in h for h in headers.values())
    assert any("备注" in h for h in headers.values())


# ---------------------------------------------------------------- encodings


def test_gb18030_incidents_file(tiny_raw: Path, truth: dict) -> None:
    gb = [p for p in (tiny_raw / "incidents").glob("*.csv") if _fails_utf8(p.read_bytes())]
    assert len(gb) == 1
    text = gb[0].read_bytes().decode("gb18030")
    assert "incident_id" in text and re.search(r"[\u4e00-\u9fff]", text)
    assert [d["file"] for d in truth["summary"]["messiness"]["gb18030_file"]] == [f"incidents/{gb[0].name}"]


def _fails_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_bom_cases_file(tiny_raw: Path, truth: dict) -> None:
    bom = [p for p in (tiny_raw / "cases").glob("*.csv") if p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert len(bom) == 1
    assert bom[0].read_bytes()[3:].decode("utf-8").startswith("case_id,")
    assert truth["summary"]["messiness"]["bom_file"][0]["file"] == f"cases/{bom[0].name}"


# ---------------------------------------------------------------- messiness kinds, from the files


def test_malformed_lines_match_the_truth(crawl: dict, truth: dict) -> None:
    planted = {(d["file"], d["line_no"]) for d in truth["summary"]["messiness"]["malformed_json_line"]}
    assert len(planted) >= 5
    assert set(crawl["malformed"]) == planted
    assert any(f.endswith(".gz") for f, _ in planted) and any(f.endswith(".jsonl") for f, _ in planted)


def test_rows_missing_required_fields_are_where_the_truth_says(crawl: dict, truth: dict) -> None:
    by_pos = {(r["_file"], r["_line"]): r for r in crawl["rows"]}
    listed = [
        d
        for d in truth["summary"]["messiness"]["row_missing_required_field"]
        if d["file"].startswith("crawl/")
    ]
    assert {d["kind"] for d in listed} >= {"missing_url", "bad_fetched_at", "empty_site", "missing_run_id"}
    for d in listed:
        r = by_pos[(d["file"], d["line_no"])]
        broken = [k for k in REQUIRED_CRAWL if not r.get(k)]
        assert broken or parse_instant(r["fetched_at"]) is None, d
    assert any(f.endswith(".parquet") for f in (d["file"] for d in listed))


def test_rows_missing_required_fields_in_incidents_and_cases(tiny_raw: Path, truth: dict) -> None:
    listed = [
        d
        for d in truth["summary"]["messiness"]["row_missing_required_field"]
        if not d["file"].startswith("crawl/")
    ]
    assert {d["file"].split("/")[0] for d in listed} == {"incidents", "cases"}
    for d in listed:
        _h, rows = read_csv_dir(tiny_raw / d["file"].split("/")[0])[d["file"].split("/")[1]]
        row = rows[d["data_row"] - 1]
        ident = row.get("incident_id", row.get("case_id"))
        when = row.get("reported_at", row.get("opened_on"))
        assert not ident.strip() or not _is_date(when), d


def _is_date(text: str) -> bool:
    m = re.match(r"^(\d{4})[-/年.]?(\d{1,2})[-/月.]?(\d{1,2})", text.strip())
    if not m:
        return False
    try:
        date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return True


def test_duplicate_files_are_same_bytes_landed_later(tiny_raw: Path, truth: dict) -> None:
    dups = truth["summary"]["messiness"]["duplicate_file"]
    assert {d["copy"].split("/")[0] for d in dups} == {"crawl", "incidents"}
    for d in dups:
        a, b = tiny_raw / d["original"], tiny_raw / d["copy"]
        assert a.name != b.name and a.read_bytes() == b.read_bytes()
        assert b.stat().st_mtime > a.stat().st_mtime


def test_a_crawl_day_is_delivered_late(tiny_raw: Path) -> None:
    late = []
    for p in (tiny_raw / "crawl").rglob("*.*"):
        folder = datetime.fromisoformat(p.parent.name).replace(tzinfo=SHANGHAI)
        if datetime.fromtimestamp(p.stat().st_mtime, UTC) - folder > timedelta(days=7):
            late.append(p.parent.name)
    assert late and set(late) == {"2025-08-14"}


def test_rejected_files_lack_a_required_column(tiny_raw: Path, crawl: dict) -> None:
    manual = [r for r in crawl["rows"] if r["_file"].endswith("manual_export.jsonl")]
    assert manual and all("run_id" not in r["_keys"] for r in manual)
    header, _rows = read_csv_dir(tiny_raw / "cases")["cases_partial_2026-05.csv"]
    assert "agency" not in header and "case_id" in header


def test_timestamp_forms_and_local_dates_off_the_folder(valid: list[dict]) -> None:
    forms = defaultdict(int)
    off_folder = 0
    utc_date_differs = 0
    for r in valid:
        t = r["fetched_at"]
        forms["Z" if t.endswith("Z") else "+08:00" if t.endswith("+08:00") else "none"] += 1
        local = r["_instant"].astimezone(SHANGHAI).date().isoformat()
        off_folder += local != r["_folder"]
        utc_date_differs += t.endswith("Z") and t[:10] != r["_folder"] and local == r["_folder"]
    assert min(forms.values()) > 100 and len(forms) == 3
    assert off_folder > 0  # the late-night run crosses midnight: the row's own timestamp wins
    assert utc_date_differs > 0  # a UTC date is not the local day


def test_listing_identity_forms(valid: list[dict]) -> None:
    assert any(isinstance(r.get("listing_id"), int) for r in valid)
    assert any(isinstance(r.get("listing_id"), str) for r in valid)
    variants: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in valid:
        if r.get("listing_id") is None:
            variants[listing_key(r)].add(r["url"])
    assert variants
    raw = set().union(*variants.values())
    assert any("utm_" in u for u in raw) and any("#" in u for u in raw)
    assert any(u.endswith("/") for u in raw) and any(u != u.lower() for u in raw)
    assert max(len(v) for v in variants.values()) >= 4


def test_several_crawlers_fetch_the_same_listing_at_the_same_instant(valid: list[dict]) -> None:
    crawlers: dict[tuple, set[str]] = defaultdict(set)
    for r in valid:
        # Early spider-a files have no crawler field; the file name says who wrote them.
        crawlers[(listing_key(r), r["_instant"])].add(
            r.get("crawler") or r["_file"].split("/")[-1].split("_")[0]
        )
    overlaps = [c for c in crawlers.values() if len(c) > 1]
    assert len(overlaps) > 100 and all(c == {"spider-a", "spider-b"} for c in overlaps)


def test_price_forms(valid: list[dict]) -> None:
    texts = {r.get("price_text") for r in valid if r.get("price_text")}
    forms = [
        r"^\d+(\.\d+)?元/条$",
        r"分一条$",
        r"分/条$",
        r"元一单$",
        r"元/万条$",
        r"/w$",
        r"元/W$",
        r"元1000条$",
        r"元/千条$",
        r"^¥\d+/1k$",
        r"元/百条$",
        r"^¥[\d.]+/条\(量大优惠\)$",
        r"^价格：",
        r"^单价",
        r"^\d+(\.\d+)?$",
        r"^RMB \d+ per 1000 records$",
        r"^CNY [\d.]+/record$",
        r"元/条起$",
        r"^满1万条",
        r"100单起$",
        r"毛一条$",
        r"^[一两三四五六七八九十]元/百条$",
        r"^[\d.]+-[\d.]+元/条$",
        r"^[\d.]+~[\d.]+元/条$",
        r"元3条$",
        r"^USDT [\d.]+/千条$",
        r"U/千条$",
        r"^\$[\d.]+/1000$",
        r"BTC",
        r"^999元/条$",
        r"^面议$",
        r"^私聊$",
        r"^免费$",
    ]
    for f in forms:
        assert any(re.search(f, t) for t in texts), f
    structured = [r for r in valid if r.get("price_amount") is not None]
    assert structured and {"usdt", None} <= {r.get("price_currency") for r in structured}
    assert any(r.get("price_per_records") not in (None, 1) for r in structured)
    assert any(r["price_amount"] == 0 for r in structured)  # zero: no price
    # Structured price wins over the text: some rows say 私聊 but carry an amount.
    assert any(r.get("price_text") == "私聊" and r["price_amount"] > 0 for r in structured)


def _vector_texts(name: str) -> list[str]:
    with (VECTORS / name).open(encoding="utf-8") as f:
        return [row[0] for row in list(csv.reader(f))[1:] if row and row[0]]


def test_every_vector_form_of_listings_appears(valid: list[dict]) -> None:
    seen = defaultdict(set)
    for r in valid:
        for f in ("quantity_text", "location_text", "carrier_text", "freshness_text"):
            seen[f].add(r.get(f))
    for vec, f in (
        ("quantity.csv", "quantity_text"),
        ("location.csv", "location_text"),
        ("carrier.csv", "carrier_text"),
        ("freshness.csv", "freshness_text"),
    ):
        missing = set(_vector_texts(vec)) - seen[f]
        assert not missing, (vec, missing)
        assert "" in seen[f] or None in seen[f]


def test_every_vector_form_of_incidents_and_cases_appears(tiny_raw: Path) -> None:
    inc = [r for _h, rows in read_csv_dir(tiny_raw / "incidents").values() for r in rows]
    cases = [r for _h, rows in read_csv_dir(tiny_raw / "cases").values() for r in rows]
    assert set(_vector_texts("agency.csv")) <= {r["agency"] for r in cases if "agency" in r}
    assert set(_vector_texts("leak_stage.csv")) <= {r["leak_stage"] for r in inc}
    dates = {r["reported_at"] for r in inc} | {r["opened_on"] for r in cases}
    for form in (
        r"^\d{4}-\d{2}-\d{2}$",
        r"^\d{4}/\d{1,2}/\d{1,2}$",
        r"^\d{4}年\d{1,2}月\d{1,2}日$",
        r"^\d{8}$",
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}$",
    ):
        assert any(re.match(form, d) for d in dates), form
    amounts = {r["records_affected"] for r in inc} | {r["illegal_gain_cny"] for r in cases}
    for form in (
        r"^约[\d.]+万$",
        r"^\d{1,3}(,\d{3})+$",
        r"万余条$",
        r"亿$",
        r"万元$",
        r"^¥[\d,]+$",
        r"^不详$",
        r"^\d+$",
    ):
        assert any(re.search(form, a) for a in amounts), form


def test_removals_explicit_http_and_silent(valid: list[dict], truth: dict) -> None:
    removed = [r for r in valid if (r.get("status") or "").strip().lower() == "removed"]
    http = [r for r in valid if r.get("http_status") in (404, 410)]
    assert removed and {404, 410} <= {r["http_status"] for r in http}
    assert any(
        (r.get("status") or "").strip().lower() == "active" for r in http
    )  # removal whatever its status
    # Silent: the listing stops appearing with no removal fetch while its site keeps being crawled.
    last_day: dict[tuple, date] = {}
    removal_keys = {listing_key(r) for r in removed + http}
    site_days: dict[str, set[date]] = defaultdict(set)
    for r in valid:
        d = r["_instant"].astimezone(SHANGHAI).date()
        k = listing_key(r)
        last_day[k] = max(last_day.get(k, d), d)
        site_days[k[0]].add(d)
    silent = truth["listings"].filter(pl.col("removal_kind") == "silent")
    assert silent.height > 50
    for row in silent.head(200).iter_rows(named=True):
        k = (row["site"], row["listing_id"] or row["url_normalized"])
        assert k not in removal_keys
        later = sorted(d for d in site_days[row["site"]] if d > last_day[k])
        assert len(later) >= 3


def test_crawl_gap_gives_one_low_coverage_site_quarter(valid: list[dict]) -> None:
    site_days: dict[str, set[date]] = defaultdict(set)
    for r in valid:
        site_days[r["site"].strip().lower()].add(r["_instant"].astimezone(SHANGHAI).date())
    low = []
    for site, days in site_days.items():
        first, last = min(days), max(days)
        by_q: dict[str, list[bool]] = defaultdict(list)
        d = first
        while d <= last:
            by_q[f"{d.year}Q{(d.month - 1) // 3 + 1}"].append(d in days)
            d += timedelta(days=1)
        low += [(site, q) for q, flags in by_q.items() if sum(flags) / len(flags) < 0.8]
    assert ("changan.onion", "2025Q3") in low
    assert len(low) <= 3, low  # otherwise coverage is normally ≥ 0.8


def test_site_register_extends_the_seed_and_one_site_is_in_neither(tiny_raw: Path, valid: list[dict]) -> None:
    seed = {r["site"] for r in csv.DictReader((ROOT / "seeds" / "sites.csv").open(encoding="utf-8"))}
    raw = {r["site"].strip().lower() for r in csv.DictReader((tiny_raw / "sites.csv").open(encoding="utf-8"))}
    crawled = {r["site"].strip().lower() for r in valid}
    assert crawled & (raw - seed)
    assert len(crawled - raw - seed) == 1


def test_sellers_titles_and_samples(valid: list[dict]) -> None:
    sites_of: dict[str, set[str]] = defaultdict(set)
    for r in valid:
        if r.get("seller"):
            sites_of[r["seller"].strip().casefold()].add(r["site"].strip().lower())
    assert sum(len(s) > 1 for s in sites_of.values()) > 20
    assert any(r.get("seller") and r["seller"] != r["seller"].strip() for r in valid)
    titles = {r.get("title") for r in valid if r.get("title")}
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", t)) for t in titles) / len(titles) > 0.9
    assert any(re.search(r"1[3-9]\d{9}", t) for t in titles)
    samples = [s for r in valid for s in (r.get("sample_records") or [])]
    assert any(re.search(r"1\d\d\*{4}\d{4}", s) and not has_personal_data(s) for s in samples)
    assert any(has_personal_data(s) for s in samples)


def test_foreign_currency_and_placeholder_prices(valid: list[dict], truth: dict) -> None:
    texts = {r.get("price_text") or "" for r in valid}
    assert any("USDT" in t or "U/" in t for t in texts) and any("$" in t or "USD " in t for t in texts)
    assert any("BTC" in t for t in texts) and any(t.startswith("999") for t in texts)
    lt = truth["listings"]
    assert {"USD", "USDT", "BTC"} <= set(lt["price_currency"].drop_nulls())
    assert lt.filter(pl.col("is_price_outlier")).height > 0


def test_incident_and_case_updates(tiny_raw: Path) -> None:
    versions: dict[str, list[dict]] = defaultdict(list)
    for _h, rows in read_csv_dir(tiny_raw / "incidents").values():
        for r in rows:
            versions[r["incident_id"].strip()].append(r)
    updated = [v for v in versions.values() if len({r["status"].strip().lower() for r in v}) > 1]
    assert len(updated) > 50 and all(any(r.get("updated_at") for r in v) for v in updated)
    cases: dict[str, list[dict]] = defaultdict(list)
    for _h, rows in read_csv_dir(tiny_raw / "cases").values():
        for r in rows:
            cases[r["case_id"]].append(r)
    closed = [v for v in cases.values() if {"pending"} < {r["outcome"] for r in v}]
    assert closed and all(any(r["closed_on"] for r in v) for v in closed)


def test_reports_carry_personal_data_for_the_ingest_to_drop(tiny_raw: Path, truth: dict) -> None:
    inc = [r for _h, rows in read_csv_dir(tiny_raw / "incidents").values() for r in rows]
    cases = [r for _h, rows in read_csv_dir(tiny_raw / "cases").values() for r in rows]
    assert all(has_personal_data(r["reporter_phone"]) for r in inc if r["incident_id"].strip())
    assert sum(has_personal_data(r["description"]) for r in inc) > len(inc) / 3
    assert any(";" in r["suspect_names"] for r in cases)
    kinds = set(truth["pii"]["kind"])
    assert {"seller_handle", "seller_contact", "suspect_name", "reporter_phone", "sample_record"} <= kinds
    phones = set(truth["pii"].filter(pl.col("kind") == "reporter_phone")["value"])
    assert {r["reporter_phone"] for r in inc if r["incident_id"].strip()} <= phones


# ---------------------------------------------------------------- the truth manifest agrees with the files


def test_truth_listings_and_observations_match_the_files(valid: list[dict], truth: dict) -> None:
    obs: dict[tuple, set] = defaultdict(set)
    first: dict[tuple, datetime] = {}
    for r in valid:
        k = listing_key(r)
        obs[k].add(r["_instant"])
        first[k] = min(first.get(k, r["_instant"]), r["_instant"])
    lt = truth["listings"]
    assert lt.height == len(obs)
    assert int(lt["observation_count"].sum()) == sum(len(v) for v in obs.values())
    for row in lt.iter_rows(named=True):
        k = (row["site"], row["listing_id"] or row["url_normalized"])
        assert row["observation_count"] == len(obs[k])
        assert row["first_fetch_at"].replace(tzinfo=UTC) == first[k]


def _parse_local(text: str) -> datetime | None:
    for fmt in (
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y年%m月%d日",
        "%Y%m%d",
        "%Y.%m.%d",
    ):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def _latest_versions(folder: Path, id_col: str, date_col: str) -> dict[str, dict]:
    """SPEC §3.3: greatest updated_at (missing = oldest), then the file landed last (mtime, then name)."""
    best: dict[str, tuple] = {}
    for path in folder.glob("*.csv"):
        reader = csv.DictReader(io.StringIO(_decode(path.read_bytes())))
        # A cases file without the required agency column is rejected whole.
        if folder.name == "cases" and "agency" not in (reader.fieldnames or []):
            continue
        for r in reader:
            ident = r[id_col].strip()
            if not ident or _parse_local(r[date_col]) is None:
                continue
            upd = _parse_local(r.get("updated_at") or "") or datetime.min
            rank = (upd, path.stat().st_mtime, path.name)
            if ident not in best or rank > best[ident][0]:
                best[ident] = (rank, r)
    return {k: v[1] for k, v in best.items()}


def test_truth_samples_agree_with_the_privacy_definition(valid: list[dict], truth: dict) -> None:
    count: dict[tuple, int] = defaultdict(int)
    unmasked: dict[tuple, bool] = defaultdict(bool)
    for r in valid:
        k = listing_key(r)
        samples = r.get("sample_records") or []
        count[k] = max(count[k], len(samples))
        unmasked[k] |= any(has_personal_data(x) for x in samples)
    for row in truth["listings"].iter_rows(named=True):
        k = (row["site"], row["listing_id"] or row["url_normalized"])
        assert (row["sample_record_count"], row["has_unmasked_samples"]) == (count[k], unmasked[k]), k


def test_truth_incidents_are_the_latest_versions_in_the_files(tiny_raw: Path, truth: dict) -> None:
    latest = _latest_versions(tiny_raw / "incidents", "incident_id", "reported_at")
    t = {r["incident_id"]: r for r in truth["incidents"].iter_rows(named=True)}
    assert set(latest) == set(t)
    for iid, r in latest.items():
        assert r["status"].strip().lower() == t[iid]["status"], iid
        assert _parse_local(r["reported_at"]).date() == t[iid]["reported_date"], iid
    assert truth["incidents"].filter(pl.col("versions") > 1).height > 100


def test_truth_cases_are_the_latest_versions_in_the_files(tiny_raw: Path, truth: dict) -> None:
    latest = _latest_versions(tiny_raw / "cases", "case_id", "opened_on")
    t = {r["case_id"]: r for r in truth["cases"].iter_rows(named=True)}
    assert set(latest) == set(t)
    for cid, r in latest.items():
        assert r["outcome"] == t[cid]["outcome"], cid
        closed = _parse_local(r["closed_on"]) if r["closed_on"] else None
        assert (closed.date() if closed else None) == t[cid]["closed_date"], cid
        assert len(r["suspect_names"].split(";")) == t[cid]["suspects"]


# ---------------------------------------------------------------- planted trends


def _active(lq: pl.DataFrame, quarter: str, **where: str) -> int:
    f = lq.filter((pl.col("quarter") == quarter) & pl.col("is_active"))
    for k, v in where.items():
        f = f.filter(pl.col(k) == v)
    return f.height


def test_planted_displacement_and_campaign(truth: dict) -> None:
    lq = truth["listing_quarters"]
    assert _active(lq, "2026Q3", channel="ecommerce_platform") < 0.7 * _active(
        lq, "2025Q3", channel="ecommerce_platform"
    )
    assert _active(lq, "2026Q3", channel="im_group") > 1.5 * _active(lq, "2025Q3", channel="im_group")
    assert _active(lq, "2026Q3", region_code="440000") < 0.6 * _active(lq, "2025Q3", region_code="440000")
    med = lambda q: lq.filter((pl.col("quarter") == q) & pl.col("is_active"))["unit_price_cny"].median()  # noqa: E731
    assert med("2026Q3") > 1.3 * med("2025Q3")
    cases = truth["cases"].filter(pl.col("region_code") == "440000")
    before = cases.filter(pl.col("opened_date") < date(2026, 3, 1)).height / 14
    after = cases.filter(pl.col("opened_date") >= date(2026, 3, 1)).height / 7.5
    assert after > 3 * before
    kinds = {e["kind"] for e in truth["summary"]["planted_events"]}
    assert {"policy_notice", "enforcement_campaign", "low_coverage"} <= kinds


def test_thin_base_rule_has_enough_listings_at_tiny(truth: dict) -> None:
    lq = truth["listing_quarters"]
    quarters = [f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)][:-1]
    for q in quarters:
        assert _active(lq, q) > 200
        for ch in ("ecommerce_platform", "trading_site", "im_group"):
            active = lq.filter((pl.col("quarter") == q) & pl.col("is_active") & (pl.col("channel") == ch))
            assert active.height > 30 and active["unit_price_cny"].drop_nulls().len() >= 30, (q, ch)


# ---------------------------------------------------------------- determinism and interface


def _tree_digest(root: Path) -> dict[str, tuple[str, float]]:
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_is_byte_identical_and_another_seed_differs(tiny_raw: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    # the two generations side by side, one process each (the suite's length on 2 cores); spawned,
    # not forked, as polars' thread pool is not fork-safe
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        again = pool.submit(generate_raw, tmp_path / "again", scale="tiny", seed=7)
        other = pool.submit(generate_raw, tmp_path / "other", scale="tiny", seed=8)
        summary = again.result()
        other.result()
    print(f"\ntiny generated twice in {time.perf_counter() - started:.1f}s: {summary.crawl_rows:,} rows each")
    assert _tree_digest(tmp_path / "again") == _tree_digest(tiny_raw)
    a, b = _tree_digest(tiny_raw), _tree_digest(tmp_path / "other")
    same = sum(a[k][0] == b.get(k, ("",))[0] for k in a)
    assert same < len(a) * 0.05


def test_tiny_size_is_in_range(truth: dict) -> None:
    obs = truth["summary"]["counts"]["observations"]
    assert 50_000 <= obs <= 150_000


def test_summary_renders(tmp_path: Path, truth: dict) -> None:
    s = GenerateSummary(tmp_path, "tiny", 7, 1.5, 1000, 10, 3, 2, 5, 2048, {"duplicate_file": 3})
    assert "crawl rows 1,000" in str(s) and "duplicate_file: 3" in str(s)
    console = Console(record=True, width=120)
    console.print(s)
    assert "duplicate_file" in console.export_text()


def test_refuses_a_directory_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(WaybillWatchError, match="not generator output"):
        generate_raw(tmp_path, scale="tiny")
    assert (tmp_path / "notes.txt").exists()
    with pytest.raises(WaybillWatchError, match="unknown scale"):
        generate_raw(tmp_path / "x", scale="huge")


def test_mtimes_are_fixed(tiny_raw: Path) -> None:
    mtimes = [p.stat().st_mtime for p in tiny_raw.rglob("*") if p.is_file()]
    assert max(mtimes) < datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    assert (
        os.path.getmtime(tiny_raw / "crawl" / "2025-01-01" / "spider-a_20250101.jsonl.gz")
        == datetime(2025, 1, 2, 3, 0, tzinfo=SHANGHAI).timestamp()
    )
