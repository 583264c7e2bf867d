"""Privacy sweep (issue 8, SPEC §8): everything a run and a report leave behind — every table of
bronze, the build database and the analyst database, every export, the report (HTML, CSV, PDF
text), Data Docs, logs and dbt run results — holds no mobile, ID or waybill number
(`privacy.scan_hits`) and none of the exact raw personal values of the input (the generator's
truth manifest). The pseudonym key appears nowhere. `--strict` refuses the demo key.

Uses the session's tiny warehouse as it is (no rebuild). `WAREHOUSE/restricted/` is left of the
boundary by design (docs/ingest.md) and is only searched for the key.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from fault_tools import copy_warehouse
from waybill_watch.config import (
    DEMO_PSEUDONYM_KEY,
    PSEUDONYM_KEY_ENV,
    analyst_db_path,
    build_db_config,
    build_db_path,
)
from waybill_watch.privacy import PERSONAL_DATA_PREFILTER, scan_hits
from waybill_watch.report import build_report

PII_KINDS = (
    "seller_handle",
    "seller_handle_variant",
    "seller_contact",
    "suspect_name",
    "reporter_phone",
    "sample_record",
)
QUARTER = "2026Q3"
CLI = Path(sys.executable).with_name("waybill-watch")
# Hashes and ids we write ourselves (dbt checksums, invocation ids): a hex run can hold 11 digits
# by chance; a raw number is never written as part of one.
HEX_TOKEN = re.compile(r"^(?=[0-9a-f-]*[a-f])[0-9a-f-]{16,}$")
# A dot splits too: bronze files are named `<16 hex of the content hash>.parquet` (docs/bronze.md).
TOKEN_SPLIT = re.compile(r"[\s,;\"'<>()\[\]{}=:/\\|&?#.]+")
# The digits after a decimal point are a fraction (a rate such as -26.73913043478261), not a number
# that could be a waybill or a phone: they are dropped before the pattern scan.
FRACTION = re.compile(r"(?<=\d)\.\d+")


@pytest.fixture(scope="module")
def pii(tiny_raw: Path) -> list[str]:
    truth = pl.read_parquet(tiny_raw / "_truth" / "pii.parquet")
    values = truth.filter(pl.col("kind").is_in(PII_KINDS))["value"].str.strip_chars()
    found = sorted(set(values.drop_nulls().to_list()) - {""})
    assert len(found) > 1000  # the manifest really lists the input's personal values
    return found


@pytest.fixture(scope="module")
def report_dir(tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The internal (most detailed) report of one quarter, built while the analyst database is
    read-only on disk and another process holds it open read-only (see the hardening test). On a
    copy of the tiny warehouse: the shared one must not change mode while other workers copy it."""
    out = tmp_path_factory.mktemp("privacy_report")
    warehouse = copy_warehouse(tiny_warehouse, tmp_path_factory.mktemp("privacy_warehouse") / "warehouse")
    db = analyst_db_path(warehouse)
    holder = _hold_read_only(db)
    try:
        db.chmod(0o444)
        build_report(QUARTER, warehouse, out)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    return out


def _hold_read_only(db: Path) -> subprocess.Popen:
    """Another process with a read-only connection: its shared lock makes any read-write open
    of the same file fail, so a report that opened the database for writing could not run."""
    code = (
        "import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only=True); "
        "c.execute('select 1').fetchall(); print('ready', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "ready"
    return holder


# --- scanning -------------------------------------------------------------------------------------


def _pattern_hits(values: list[str]) -> list[str]:
    hits: list[str] = []
    for value in values:
        for token in TOKEN_SPLIT.split(FRACTION.sub("", value)):
            if token and not HEX_TOKEN.match(token):
                hits += scan_hits(token)
    return hits


def _value_hits(values: pl.Series, pii: list[str]) -> dict[str, list[str]]:
    """Personal-data numbers and exact raw personal values in a column of stored text."""
    distinct = values.drop_nulls().unique()
    if distinct.len() == 0:
        return {}
    exact = distinct.filter(distinct.str.contains_any(pii)).head(5).to_list()
    # the polars prefilter (a superset of the patterns) keeps the exact Python scan to few values
    candidates = distinct.filter(distinct.str.contains(PERSONAL_DATA_PREFILTER)).to_list()
    pattern = [h for v in candidates for h in scan_hits(FRACTION.sub("", v))][:5]
    return {k: v for k, v in (("pattern", pattern), ("exact", exact)) if v}


def _frame_hits(frame: pl.DataFrame, pii: list[str]) -> dict[str, dict[str, list[str]]]:
    hits = {}
    for name in frame.columns:
        column = frame[name]
        text = (
            column.cast(pl.String, strict=False)
            if not column.dtype.is_nested()
            else column.map_elements(str, return_dtype=pl.String)
        )
        found = _value_hits(text, pii)
        if found:
            hits[name] = found
    return hits


def _as_text(column: pl.Series) -> pl.Series:
    """Stored values as text; a float by its integer part (a phone stored as 13812345678.0 counts)."""
    if column.dtype.is_nested():
        return column.map_elements(str, return_dtype=pl.String)
    if column.dtype.is_float():
        column = column.round(0).cast(pl.Int64, strict=False)
    return column.cast(pl.String, strict=False)


def _text_hits(text: str, pii: list[str]) -> dict[str, list[str]]:
    lines = pl.Series(text.splitlines(), dtype=pl.String)
    exact = lines.filter(lines.str.contains_any(pii)).head(3).to_list() if lines.len() else []
    pattern = _pattern_hits(text.splitlines())[:5]
    return {k: v for k, v in (("pattern", pattern), ("exact", exact)) if v}


def _csv_hits(text: str, pii: list[str]) -> dict[str, list[str]]:
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    return _value_hits(pl.Series(cells, dtype=pl.String), pii)


def _database_hits(db: Path, pii: list[str], config: dict[str, str] | None = None) -> dict[str, object]:
    hits: dict[str, object] = {}
    with duckdb.connect(str(db), read_only=True, config=config or {}) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            " union all select schema_name, view_name from duckdb_views()"
            " where database_name = current_database() and not internal"
        ).fetchall()
        assert relations, f"no tables in {db}"
        for schema, name in relations:
            frame = pl.from_arrow(con.sql(f'select * from "{schema}"."{name}"').to_arrow_table())
            found = _frame_hits(frame, pii)
            if found:
                hits[f"{schema}.{name}"] = found
    return hits


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return path.read_bytes().decode("utf-8", errors="replace")


def _file_hits(path: Path, pii: list[str]) -> dict[str, object]:
    if path.suffix == ".parquet":
        return _frame_hits(pl.read_parquet(path), pii)
    if path.suffix == ".csv":
        return _csv_hits(_text_of(path), pii)
    return _text_hits(_text_of(path), pii)


# --- tests ----------------------------------------------------------------------------------------


def test_bronze_holds_no_personal_data(tiny_warehouse: Path, pii: list[str]) -> None:
    tables = [d for d in sorted((tiny_warehouse / "bronze").iterdir()) if d.is_dir()]
    assert {"crawl_observations", "incidents", "cases", "ingest_files", "quarantine"} <= {
        d.name for d in tables
    }
    hits = {}
    for table in tables:
        frame = pl.read_parquet(table / "*.parquet")
        found = _frame_hits(frame, pii)
        if found:
            hits[table.name] = found
    assert hits == {}


def test_build_database_holds_no_personal_data(tiny_warehouse: Path, pii: list[str]) -> None:
    assert _database_hits(build_db_path(tiny_warehouse), pii, build_db_config(tiny_warehouse)) == {}


def test_analyst_database_holds_no_personal_data(tiny_warehouse: Path, pii: list[str]) -> None:
    assert _database_hits(analyst_db_path(tiny_warehouse), pii) == {}


def test_exports_hold_no_personal_data(tiny_warehouse: Path, pii: list[str]) -> None:
    files = sorted((tiny_warehouse / "exports").glob("*.*"))
    assert {p.suffix for p in files} == {".parquet", ".csv"}
    assert {p.name: _file_hits(p, pii) for p in files if _file_hits(p, pii)} == {}


def test_report_holds_no_personal_data(report_dir: Path, pii: list[str]) -> None:
    files = sorted(p for p in report_dir.rglob("*") if p.is_file() and p.suffix in {".html", ".csv", ".pdf"})
    suffixes = {p.suffix for p in files}
    assert {".html", ".csv"} <= suffixes
    if shutil.which("pdftotext"):
        assert ".pdf" in suffixes
    else:
        files = [p for p in files if p.suffix != ".pdf"]
    hits = {str(p.relative_to(report_dir)): _file_hits(p, pii) for p in files}
    assert {name: found for name, found in hits.items() if found} == {}


def test_data_docs_and_logs_hold_no_personal_data(tiny_warehouse: Path, pii: list[str]) -> None:
    docs = [
        p for p in (tiny_warehouse / "data_docs").rglob("*") if p.is_file() and p.suffix in {".html", ".json"}
    ]
    logs = [p for p in (tiny_warehouse / "logs").rglob("*") if p.is_file()]
    results = tiny_warehouse / "dbt_target" / "run_results.json"
    assert docs and logs and results.is_file()
    hits = {str(p.relative_to(tiny_warehouse)): _file_hits(p, pii) for p in [*docs, *logs, results]}
    assert {name: found for name, found in hits.items() if found} == {}


def test_the_sweep_would_see_a_leak(pii: list[str]) -> None:
    """The scanners above find what they look for (a sweep that cannot fail proves nothing)."""
    leak = pl.DataFrame({"note": ["ok", f"联系 {pii[0]}", "tel 13812345678"], "n": [1, 2, 13912345678]})
    assert set(_frame_hits(leak, pii)) == {"note", "n"}
    assert _csv_hits(f"a,b\n1,SF123456789012\n2,{pii[-1]}\n", pii).keys() == {"pattern", "exact"}
    assert _text_hits(f"<td>{pii[1]}</td> 110101199003074578", pii).keys() == {"pattern", "exact"}


def test_a_listing_key_is_not_read_as_a_waybill() -> None:
    # a listing key ("4" + 15 hex digits) may hold a digit run shaped like a waybill number
    # (7[3-8] + 10–13 digits); a value that is wholly such a key is ours, the same run in text is not
    assert scan_hits("4ab7312345678901") == []
    assert scan_hits("ab7312345678901") == ["7312345678901"]


def test_pseudonym_key_appears_in_no_output(tiny_warehouse: Path, report_dir: Path) -> None:
    key = os.environ[PSEUDONYM_KEY_ENV].encode("utf-8")
    assert key and key != DEMO_PSEUDONYM_KEY.encode("utf-8")
    files = [p for root in (tiny_warehouse, report_dir) for p in root.rglob("*") if p.is_file()]
    assert len(files) > 100
    assert [str(p) for p in files if key in p.read_bytes()] == []


@pytest.mark.parametrize("key", [DEMO_PSEUDONYM_KEY, None])
def test_strict_refuses_the_demo_key(tmp_path: Path, key: str | None) -> None:
    raw = tmp_path / "raw"
    (raw / "crawl").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != PSEUDONYM_KEY_ENV}
    if key is not None:
        env[PSEUDONYM_KEY_ENV] = key
    result = subprocess.run(
        [str(CLI), "run", "--raw-dir", str(raw), "--warehouse-dir", str(tmp_path / "wh"), "--strict"],
        capture_output=True,
        text=True,
        env=env | {"COLUMNS": "200"},
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert PSEUDONYM_KEY_ENV in message and "--strict" in message
    assert message.startswith("error:")
    assert not (tmp_path / "wh").exists()  # refused before anything was written


def test_report_opens_the_database_read_only(tiny_warehouse: Path, report_dir: Path) -> None:
    """The report was built (fixture) while another process held a read-only connection: a
    read-write open is then impossible, as this shows; so the report only ever reads."""
    assert (report_dir / f"waybill-watch-{QUARTER}.html").is_file()
    db = analyst_db_path(tiny_warehouse)
    holder = _hold_read_only(db)
    try:
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(db)).close()
        with duckdb.connect(str(db), read_only=True) as con:  # readers share
            assert con.execute("select count(*) from fct_listings").fetchone()[0] > 0
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
