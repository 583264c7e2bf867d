"""The SPEC §4 vectors (and the project's extra cases) must be dbt unit tests, and stay in step.

scripts/vectors_to_unit_tests.py writes the unit-test YAML from tests/vectors/; these tests fail
when the YAML on disk is stale, when a vector row is missing from it, or when a vector file has no
rule to test it.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VECTOR_DIR = ROOT / "tests" / "vectors"
SPEC_VECTOR_DIR = Path("/work/shared/vectors")


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "vectors_to_unit_tests", ROOT / "scripts" / "vectors_to_unit_tests.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load_generator()


def unit_tests_by_name(generator: ModuleType) -> dict[str, dict]:
    tests: dict[str, dict] = {}
    for yaml_path in {spec.yaml_path for spec in generator.SPECS}:
        document = yaml.safe_load((ROOT / yaml_path).read_text(encoding="utf-8"))
        for test in document["unit_tests"]:
            tests[test["name"]] = test
    return tests


def test_yaml_on_disk_is_what_the_vectors_generate(generator: ModuleType) -> None:
    for yaml_path, document in generator.build_documents().items():
        on_disk = (ROOT / yaml_path).read_text(encoding="utf-8")
        assert on_disk == generator.render(document), (
            f"{yaml_path} is stale: run scripts/vectors_to_unit_tests.py"
        )


def test_every_vector_file_has_a_rule(generator: ModuleType) -> None:
    covered = {spec.vector for spec in generator.SPECS} | set(generator.SKIPPED_VECTORS)
    present = {path.stem for path in VECTOR_DIR.glob("*.csv")} | {
        path.stem for path in (VECTOR_DIR / "extra").glob("*.csv")
    }
    assert present <= covered, f"vector files with no unit test: {sorted(present - covered)}"
    assert {
        "price",
        "quantity",
        "location",
        "carrier",
        "freshness",
        "agency",
        "leak_stage",
        "amounts",
    } <= covered


@pytest.mark.parametrize("folder,suffix", [("", ""), ("extra", "_extra")])
def test_every_vector_row_is_in_its_unit_test(generator: ModuleType, folder: str, suffix: str) -> None:
    tests = unit_tests_by_name(generator)
    checked = 0
    for spec in generator.SPECS:
        path = VECTOR_DIR / folder / f"{spec.vector}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        test = tests[f"test_{spec.model}_{spec.vector}_vectors{suffix}"]
        expected = test["expect"]["rows"]
        assert len(expected) == len(rows), f"{path}: {len(rows)} rows, unit test expects {len(expected)}"
        for row, expected_row in zip(rows, expected, strict=True):
            text = next(iter(row.values()))
            assert expected_row[spec.output_text_column] == text
            for column, (vector_column, kind) in spec.outputs.items():
                want = row[vector_column]
                got = expected_row[column]
                if want == "":
                    assert got is None, f"{path} {text!r}: {column} should be null"
                elif kind == "text":
                    assert got == want, f"{path} {text!r}: {column}"
                else:
                    assert got == pytest.approx(float(want), rel=1e-6), f"{path} {text!r}: {column}"
            given = test["given"][0]
            if given.get("format") == "sql":
                assert generator.sql_literal(text) in given["rows"], f"{path} {text!r} not fed"
            else:
                fed = [fixture_row[spec.input_column] for fixture_row in given["rows"]]
                assert text in fed, f"{path} {text!r} is not fed to {test['name']}"
            checked += 1
    assert checked >= (150 if folder == "" else 60)


@pytest.mark.skipif(not SPEC_VECTOR_DIR.exists(), reason="the SPEC's vector folder is not on this machine")
def test_committed_vectors_equal_the_spec_vectors() -> None:
    for spec_file in SPEC_VECTOR_DIR.glob("*.csv"):
        copy = VECTOR_DIR / spec_file.name
        assert copy.read_bytes() == spec_file.read_bytes(), f"{copy} differs from the SPEC's {spec_file}"
