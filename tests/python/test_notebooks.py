"""The analyst notebooks run top to bottom with nbclient on the tiny warehouse, and agree with the marts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from analyst_fixture import busiest_quarter, environment
from waybill_watch.analyst import NOTEBOOK_RESULTS_ENV, QUARTER_ENV, open_analyst_db
from waybill_watch.config import PROJECT_ROOT, WAREHOUSE_ENV

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
NOTEBOOKS = sorted(path.name for path in NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "python3"


def run_notebook(name: str, warehouse: Path, quarter: str, results: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    env = {WAREHOUSE_ENV: str(warehouse), QUARTER_ENV: quarter, NOTEBOOK_RESULTS_ENV: str(results)}
    with environment(**env):
        client = NotebookClient(
            notebook, timeout=300, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
        )
        client.execute()
    return notebook


@pytest.fixture(scope="module")
def quarter(tiny_warehouse: Path) -> str:
    return busiest_quarter(tiny_warehouse)


@pytest.fixture(scope="module")
def executed(tiny_warehouse: Path, quarter: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each notebook executed once: name → (executed notebook, its key figures)."""
    out = tmp_path_factory.mktemp("notebooks")
    runs = {}
    for name in NOTEBOOKS:
        results = out / f"{Path(name).stem}.json"
        notebook = run_notebook(name, tiny_warehouse, quarter, results)
        runs[name] = (notebook, json.loads(results.read_text(encoding="utf-8")))
    return runs


@pytest.fixture(scope="module")
def analyst(tiny_warehouse: Path):
    con = open_analyst_db(tiny_warehouse)
    yield con
    con.close()


def test_the_three_notebooks_exist() -> None:
    assert NOTEBOOKS == ["enforcement_incidents.ipynb", "market_overview.ipynb", "price_deep_dive.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean_with_a_parameters_cell(name: str) -> None:
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells), (
        "commit without outputs"
    )
    first = code_cells[0]
    assert "parameters" in first.metadata.get("tags", [])
    assert "QUARTER = None" in first.source and "WAREHOUSE_DIR = None" in first.source
    assert notebook.metadata.kernelspec.name == KERNEL


def test_kernel_python3_resolves_to_this_interpreter() -> None:
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name=KERNEL)
    command = manager.format_kernel_cmd()
    assert Path(command[0]).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_shows_charts(executed: dict, name: str, quarter: str) -> None:
    notebook, results = executed[name]
    assert results["quarter"] == quarter
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    tables = [output for output in outputs if "text/html" in output.get("data", {})]
    assert len(images) >= 3, "each notebook shows at least three static charts"
    assert len(tables) >= 2, "and polars tables"


@pytest.mark.slow
def test_market_overview_matches_mart_market_quarterly(executed: dict, analyst, quarter: str) -> None:
    _, results = executed["market_overview.ipynb"]
    national = analyst.execute(
        "select listings_active from mart_market_quarterly "
        "where quarter = ? and region_code = 'all' and channel = 'all'",
        [quarter],
    ).fetchall()[0][0]
    assert results["listings_active_total"] == national > 0
    by_region = dict(
        analyst.execute(
            "select region_code, listings_active from mart_market_quarterly "
            "where quarter = ? and channel = 'all' and region_code <> 'all'",
            [quarter],
        ).fetchall()
    )
    assert results["listings_active_by_region"] == by_region
    assert results["top_province"] == max(
        (code for code in by_region if code.isdigit()), key=lambda code: (by_region[code], -int(code))
    )


@pytest.mark.slow
def test_price_deep_dive_matches_the_price_index(executed: dict, analyst, quarter: str) -> None:
    _, results = executed["price_deep_dive.ipynb"]
    index, priced = analyst.execute(
        "select price_index, priced_listings from mart_price_index_quarterly "
        "where quarter = ? and channel = 'all'",
        [quarter],
    ).fetchall()[0]
    assert results["price_index_all"] == pytest.approx(index)
    assert results["priced_listings_all"] == priced
    assert results["priced_listings_in_quarter"] > 0
    assert all(0.001 <= median <= 50 for median in results["median_price_by_channel"].values())


@pytest.mark.slow
def test_enforcement_notebook_matches_the_enforcement_and_incident_marts(
    executed: dict, analyst, quarter: str
) -> None:
    _, results = executed["enforcement_incidents.ipynb"]
    opened, closed, shut = analyst.execute(
        "select sum(cases_opened), sum(cases_closed), sum(sites_shut) "
        "from mart_enforcement_quarterly where quarter = ?",
        [quarter],
    ).fetchall()[0]
    assert results["cases_opened_total"] == opened > 0
    assert results["cases_closed_total"] == closed
    assert results["sites_shut_in_quarter"] == shut
    by_agency = dict(
        analyst.execute(
            "select agency_code, sum(cases_opened) from mart_enforcement_quarterly where quarter = ? "
            "group by agency_code having sum(cases_opened) > 0",
            [quarter],
        ).fetchall()
    )
    assert results["cases_opened_by_agency"] == by_agency
    by_stage = dict(
        analyst.execute(
            "select leak_stage, sum(incidents) from mart_incidents_quarterly "
            "where quarter = ? group by leak_stage",
            [quarter],
        ).fetchall()
    )
    assert results["incidents_by_leak_stage"] == by_stage
    assert results["incidents_total"] == sum(by_stage.values()) > 0


@pytest.mark.slow
def test_notebook_stops_with_a_one_line_error_for_a_quarter_without_data(
    tiny_warehouse: Path, tmp_path: Path
) -> None:
    with pytest.raises(CellExecutionError) as failure:
        run_notebook("market_overview.ipynb", tiny_warehouse, "1999Q1", tmp_path / "results.json")
    assert failure.value.ename == "WaybillWatchError"
    assert failure.value.evalue.startswith("no data for quarter 1999Q1 in the analyst database")
    assert "\n" not in failure.value.evalue
    assert not (tmp_path / "results.json").exists()
