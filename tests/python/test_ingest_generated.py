"""Ingest of the generator's tiny landing zone (the session's `waybill-watch run`, conftest.py):
every landed file is audited once, the audit balances, the planted faults land where the
generator's truth manifest says, and no planted personal value passes the boundary."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from waybill_watch import privacy
from waybill_watch.ingest.discover import discover_files

TABLES = ("crawl_observations", "incidents", "cases", "sites", "ingest_files", "quarantine")


@pytest.fixture(scope="module")
def generated(tiny_raw: Path, tiny_warehouse: Path) -> tuple[Path, Path]:
    """The tiny landing zone and the warehouse its `waybill-watch run` ingested it into (the
    session's: the ingest it ran is the one checked here)."""
    return tiny_raw, tiny_warehouse


def _truth(raw: Path) -> dict:
    path = raw / "_truth" / "summary.json"
    if not path.exists():
        pytest.skip("generator wrote no truth summary")
    return json.loads(path.read_text(encoding="utf-8"))


def _table(warehouse: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(warehouse / "bronze" / table / "*.parquet")


def test_every_landed_file_audited_once_and_balanced(generated: tuple[Path, Path]) -> None:
    raw, warehouse = generated
    audit = _table(warehouse, "ingest_files")
    assert sorted(audit.get_column("file_path").to_list()) == sorted(f.rel_path for f in discover_files(raw))
    unbalanced = audit.filter(
        pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_quarantined") + pl.col("rows_duplicate")
    )
    assert unbalanced.is_empty()
    assert set(audit.get_column("status")) <= {"loaded", "partial", "rejected", "skipped_duplicate_file"}
    loaded = audit.group_by("feed").agg(pl.col("rows_loaded").sum())
    for feed, table in (("crawl", "crawl_observations"), ("incidents", "incidents"), ("cases", "cases")):
        expected = loaded.filter(pl.col("feed") == feed).get_column("rows_loaded").sum()
        assert _table(warehouse, table).height == expected
    assert loaded.get_column("rows_loaded").sum() > 0


def test_planted_faults_land_where_the_truth_says(generated: tuple[Path, Path]) -> None:
    raw, warehouse = generated
    truth = _truth(raw)
    counts, messiness = truth.get("messiness_counts", {}), truth.get("messiness", {})
    audit = _table(warehouse, "ingest_files")
    statuses = audit.get_column("status").value_counts()
    status_count = dict(zip(statuses.get_column("status"), statuses.get_column("count"), strict=True))
    if "rejected_file" in counts:
        assert status_count.get("rejected", 0) == counts["rejected_file"]
    if "duplicate_file" in counts:
        assert status_count.get("skipped_duplicate_file", 0) == counts["duplicate_file"]
    by_path = {r["file_path"]: r for r in audit.iter_rows(named=True)}
    for entry in messiness.get("gb18030_file", []):
        assert by_path[entry["file"]]["encoding"] == "gb18030"
    for entry in messiness.get("bom_file", []):
        assert by_path[entry["file"]]["encoding"] == "utf-8-sig"
    planted = {
        (e["file"], e.get("data_row", e["line_no"]) if not e["file"].startswith("crawl/") else e["line_no"])
        for kind in ("malformed_json_line", "row_missing_required_field")
        for e in messiness.get(kind, [])
    }
    quarantine = _table(warehouse, "quarantine").filter(pl.col("line_no").is_not_null())
    assert (
        set(zip(quarantine.get_column("file_path"), quarantine.get_column("line_no"), strict=True)) == planted
    )


def test_no_planted_personal_value_passes(generated: tuple[Path, Path]) -> None:
    raw, warehouse = generated
    pii_path = raw / "_truth" / "pii.parquet"
    if not pii_path.exists():
        pytest.skip("generator wrote no PII manifest")
    pii = pl.read_parquet(pii_path)
    # Titles pass masked (SPEC §8), so whole free texts are not looked for here; descriptions
    # do not pass at all (test below).
    kinds = ["seller_handle", "seller_handle_variant", "seller_contact", "reporter_phone", "sample_record"]
    secrets = sorted(
        {v.strip() for v in pii.filter(pl.col("kind").is_in(kinds)).get_column("value") if v.strip()}
    )
    assert secrets
    for table in TABLES:
        frame = _table(warehouse, table)
        for column, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            values = frame.get_column(column).drop_nulls().unique()
            assert values.filter(values.str.contains_any(secrets)).is_empty(), (table, column)
            assert [v for v in values.to_list() if privacy.scan_hits(v)] == [], (table, column)


def test_no_incident_description_text_passes(generated: tuple[Path, Path]) -> None:
    """Descriptions can name people ("涉及收件人…"), which no pattern catches: none may pass."""
    raw, warehouse = generated
    pii_path = raw / "_truth" / "pii.parquet"
    if not pii_path.exists():
        pytest.skip("generator wrote no PII manifest")
    pii = pl.read_parquet(pii_path).filter(pl.col("kind") == "description")
    given = [v.strip() for v in pii.get_column("value").drop_nulls() if len(v.strip()) >= 4]
    # ... neither as given nor in the masked form that passed before (digit runs starred).
    texts = sorted({*given, *(privacy.mask_long_digit_runs(v) for v in given)})
    assert texts, "the generator planted no descriptions"
    incidents = _table(warehouse, "incidents")
    assert "description" not in incidents.columns
    assert incidents.get_column("has_description").sum() > 0
    for table in TABLES:
        frame = _table(warehouse, table)
        for column, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            values = frame.get_column(column).drop_nulls().unique()
            assert values.filter(values.str.contains_any(texts)).is_empty(), (table, column)
