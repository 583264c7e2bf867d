"""The dbt project's conventions (team developer guide), checked on the manifest of a real build:
layout and names, documentation of every model and column, primary-key tests, where source()
may appear, and which layers the marts may read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from waybill_watch.config import build_db_path
from waybill_watch.pipeline import FEED_TAGS

MART_PREFIXES = ("fct_", "dim_", "mart_", "audit_")


@pytest.fixture(scope="module")
def manifest(hand_warehouse: Path) -> dict:
    return json.loads((hand_warehouse / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "waybill_watch"
    }


@pytest.fixture(scope="module")
def built_columns(hand_warehouse: Path, models: dict[str, dict]) -> dict[str, list[str]]:
    """Columns each model actually produced in the build database."""
    with duckdb.connect(str(build_db_path(hand_warehouse)), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall()
    by_relation: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        by_relation.setdefault((schema, table), []).append(column)
    return {name: by_relation.get((node["schema"], node["alias"]), []) for name, node in models.items()}


def folder_parts(node: dict) -> list[str]:
    # original_file_path is models/<layer>/<domain>/<name>.sql
    return Path(node["original_file_path"]).parts


def test_layout_and_names(models: dict[str, dict]):
    problems = []
    for name, node in models.items():
        parts = folder_parts(node)
        if len(parts) != 4 or parts[0] != "models":
            problems.append(
                f"{name}: expected models/<layer>/<domain>/{name}.sql, got {node['original_file_path']}"
            )
            continue
        layer, domain = parts[1], parts[2]
        if layer == "staging":
            match = re.fullmatch(r"stg_([a-z0-9]+)__[a-z0-9_]+s", name)
            if not match or match.group(1) != domain:
                problems.append(f"{name}: staging models are stg_<source>__<entity>s in staging/<source>/")
        elif layer == "intermediate":
            if not name.startswith("int_"):
                problems.append(f"{name}: intermediate models start with int_")
        elif layer == "marts":
            if not name.startswith(MART_PREFIXES):
                problems.append(f"{name}: mart models start with one of {MART_PREFIXES}")
        else:
            problems.append(f"{name}: unknown layer {layer}")
    assert not problems, "\n".join(problems)


def test_one_models_yml_per_folder_documents_its_models(models: dict[str, dict]):
    problems = []
    for name, node in models.items():
        patch = node.get("patch_path") or ""
        folder = Path(node["original_file_path"]).parent
        if not patch:
            problems.append(f"{name}: no yml properties")
            continue
        yml = Path(patch.split("://", 1)[-1])
        if yml.parent != folder or not re.fullmatch(r"_[a-z0-9_]+__[a-z0-9_]+\.yml", yml.name):
            problems.append(f"{name}: documented in {yml}, expected {folder}/_<dir>__models.yml")
    assert not problems, "\n".join(problems)


def test_every_model_and_column_documented(models: dict[str, dict], built_columns: dict[str, list[str]]):
    problems = []
    for name, node in models.items():
        if not node["description"].strip():
            problems.append(f"{name}: no description")
        documented = {column.lower(): spec for column, spec in node["columns"].items()}
        if not built_columns[name]:
            problems.append(f"{name}: not found in the build database")
        for column in built_columns[name]:
            spec = documented.get(column.lower())
            if spec is None or not spec.get("description", "").strip():
                problems.append(f"{name}.{column}: not documented")
    assert not problems, "\n".join(problems)


def test_every_model_has_a_tested_primary_key(manifest: dict, models: dict[str, dict]):
    tests_by_model: dict[str, list[tuple[str, str | None, dict]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        attached = node.get("attached_node") or ""
        if attached.startswith("model."):
            model_name = attached.split(".")[-1]
            tests_by_model.setdefault(model_name, []).append(
                (
                    node["test_metadata"]["name"],
                    node.get("column_name"),
                    node["test_metadata"].get("kwargs", {}),
                )
            )
    problems = []
    for name in models:
        tests = tests_by_model.get(name, [])
        unique_columns = {column for kind, column, _ in tests if kind == "unique"}
        not_null_columns = {column for kind, column, _ in tests if kind == "not_null"}
        has_unique_not_null_pair = bool(unique_columns & not_null_columns)
        # macros/tests/test_primary_key.sql: unique and not null in one test, one column or several
        has_primary_key_test = any(
            kind == "primary_key" and (column or kwargs.get("column_names")) for kind, column, kwargs in tests
        )
        if not (has_unique_not_null_pair or has_primary_key_test):
            problems.append(f"{name}: no primary key tested unique and not null")
    assert not problems, "\n".join(problems)


def test_new_rows_key_tests_only_on_append_only_models(manifest: dict, models: dict[str, dict]):
    # primary_key(new_rows=…) checks only the keys a run appended: sound where rows are never
    # replaced (incremental_strategy append), wrong anywhere else; and the append-only models
    # should all use it (a daily run need not group every key ever seen)
    with_new_rows = set()
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if metadata.get("name") == "primary_key" and metadata.get("kwargs", {}).get("new_rows"):
            with_new_rows.add((node.get("attached_node") or "").split(".")[-1])
    append_only = {
        name
        for name, node in models.items()
        if node["config"].get("materialized") == "incremental"
        and node["config"].get("incremental_strategy") == "append"
    }
    assert len(append_only) == 8  # the seven crawl text dictionaries and the bronze file ledger
    assert with_new_rows == append_only


def test_seed_only_tag_marks_the_models_built_from_seeds_alone(models: dict[str, dict]):
    # a daily run leaves the `seed_only` models out (pipeline.build_args): a model that reads
    # anything but seeds must not carry the tag, or it would go stale
    tagged = {name for name, node in models.items() if "seed_only" in node["tags"]}
    from_seeds_alone = {
        name
        for name, node in models.items()
        if node["depends_on"]["nodes"] and all(p.startswith("seed.") for p in node["depends_on"]["nodes"])
    }
    assert tagged == from_seeds_alone


# The text dictionaries shared by the crawl and the enforcement feeds: append-only, so a row, once
# written, never changes, and new crawl texts cannot change what a case or incident maps to.
APPEND_ONLY_DICTIONARIES = {"int_location_texts_normalized", "int_carrier_texts_normalized"}


# A feed tag (pipeline.FEED_TAGS) → the sources its models read, and models it must hold.
FEED_TAG_SOURCES = {
    "enforcement_feeds": (("cases", "incidents"), {"fct_cases", "fct_incidents", "stg_cases__cases"}),
    "sites_feed": (("sites",), {"stg_sites__sites", "int_sites_registered"}),
}


@pytest.mark.parametrize("tag", sorted(FEED_TAG_SOURCES))
def test_feed_tag_marks_the_models_only_its_feeds_change(tag: str, manifest: dict, models: dict[str, dict]):
    # a daily run leaves a feed tag's models out when no bronze file of its feeds changed
    # (pipeline.build_args): a model that reads the crawl (other than through the append-only
    # dictionaries) must not carry the tag, or a crawl-only day would leave it stale
    sources, expected = FEED_TAG_SOURCES[tag]
    assert FEED_TAGS[tag] == sources  # bronze tables are named after their sources
    for name in APPEND_ONLY_DICTIONARIES:
        config = models[name]["config"]
        assert (config["materialized"], config["incremental_strategy"]) == ("incremental", "append"), name
    by_id = {node["unique_id"]: name for name, node in models.items()}
    fixed = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "seed"}
    fixed |= {uid for uid, name in by_id.items() if "seed_only" in models[name]["tags"]}
    fixed |= {uid for uid, name in by_id.items() if name in APPEND_ONLY_DICTIONARIES}
    fixed |= {uid for uid, source in manifest["sources"].items() if source["source_name"] in sources}
    # the largest set of models that read only `fixed` and one another
    only_these_feeds = set(by_id) - fixed
    while True:
        allowed = fixed | only_these_feeds
        reading_more = {
            uid
            for uid in only_these_feeds
            if any(parent not in allowed for parent in manifest["nodes"][uid]["depends_on"]["nodes"])
        }
        if not reading_more:
            break
        only_these_feeds -= reading_more
    tagged = {name for name, node in models.items() if tag in node["tags"]}
    assert tagged == {by_id[uid] for uid in only_these_feeds}
    assert expected <= tagged


def test_source_only_in_staging(models: dict[str, dict]):
    offenders = [
        name for name, node in models.items() if node["sources"] and folder_parts(node)[1] != "staging"
    ]
    assert not offenders, f"source() outside models/staging: {offenders}"


def test_staging_has_no_joins_of_models(models: dict[str, dict]):
    offenders = [
        name
        for name, node in models.items()
        if folder_parts(node)[1] == "staging"
        and any(dep.startswith("model.") for dep in node["depends_on"]["nodes"])
    ]
    assert not offenders, f"staging models reading other models: {offenders}"


def test_marts_do_not_read_staging(models: dict[str, dict]):
    staging = {
        f"model.waybill_watch.{name}" for name, node in models.items() if folder_parts(node)[1] == "staging"
    }
    offenders = [
        f"{name} ← {dep.split('.')[-1]}"
        for name, node in models.items()
        if folder_parts(node)[1] == "marts"
        for dep in node["depends_on"]["nodes"]
        if dep in staging
    ]
    assert not offenders, f"marts reading staging directly: {offenders}"


def test_analyst_tables_have_enforced_contracts(models: dict[str, dict]):
    missing = [
        name
        for name, node in models.items()
        if name.startswith(("fct_", "mart_", "audit_")) and not node["config"]["contract"]["enforced"]
    ]
    assert not missing, f"analyst tables without an enforced contract: {missing}"


# What int_observations_enriched joins to staging's rows, and on which key of each (the view's
# primary_key test is left out of daily builds: pipeline.IMPLIED_BY_KEY_TESTS).
ENRICHED_JOIN_KEYS = {
    "int_url_texts_normalized": ("url",),
    "int_sites_registered": ("site",),
    "int_seller_keys_numbered": ("seller_key",),
    "int_price_texts_parsed": ("price_text",),
    "int_quantity_texts_parsed": ("quantity_text",),
    "int_freshness_texts_normalized": ("freshness_text",),
    "int_location_texts_normalized": ("location_text",),
    "int_carrier_texts_normalized": ("carrier_text",),
    "exchange_rates_monthly": ("currency", "month_start"),
}


def primary_keys_tested(manifest: dict) -> set[tuple[str, tuple[str, ...]]]:
    """(model or seed, its key columns sorted) of every primary_key test."""
    keys = set()
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if metadata.get("name") != "primary_key":
            continue
        columns = metadata.get("kwargs", {}).get("column_names") or [node.get("column_name")]
        keys.add(((node.get("attached_node") or "").split(".")[-1], tuple(sorted(columns))))
    return keys


def test_enriched_view_joins_each_relation_on_its_tested_key(manifest: dict, models: dict[str, dict]):
    # staging's rows are unique (its primary_key test on the load batch), and the view left-joins
    # each other relation on a key tested unique: so the view holds one row per staging row, which
    # its own primary_key test (left out of daily builds) restates
    enriched = models["int_observations_enriched"]
    parents = {uid.split(".")[-1] for uid in enriched["depends_on"]["nodes"]}
    assert parents == {"stg_crawl__observations", *ENRICHED_JOIN_KEYS}
    tested = primary_keys_tested(manifest)
    assert ("stg_crawl__observations", ("observation_id",)) in tested
    for relation, columns in ENRICHED_JOIN_KEYS.items():
        assert (relation, columns) in tested, f"{relation}: no primary_key test on {columns}"
    sql = re.sub(r"\s+", " ", enriched["raw_code"].lower())
    assert sql.count(" join ") == sql.count(" left join ") == len(ENRICHED_JOIN_KEYS)
    for relation, columns in ENRICHED_JOIN_KEYS.items():
        for column in columns:
            # the key column is named in a join condition (`… = <cte>.<column>` or `<cte>.<column> = …`)
            assert re.search(rf"\bon [^()]*\w+\.{column}\b", sql) or re.search(
                rf"\band \w+\.{column} =", sql
            ), f"{relation}.{column} in no join condition"
