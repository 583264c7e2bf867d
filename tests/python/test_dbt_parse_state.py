"""dbt's saved parse state is reused only by the checkout that saved it (dbt_runner): dbt keeps the
absolute paths of the checkout that parsed, and a warehouse built by another checkout once made every
seed fail to load."""

from __future__ import annotations

from pathlib import Path

import pytest

from waybill_watch import dbt_runner
from waybill_watch.config import PROJECT_ROOT


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    saved = tmp_path / "checkout_target" / dbt_runner.PARTIAL_PARSE_FILE
    saved.parent.mkdir()
    saved.write_bytes(b"state saved by this checkout")
    saved.with_name(saved.name + ".checkout").write_text(str(PROJECT_ROOT))
    monkeypatch.setattr(dbt_runner, "PARSE_STATE_CACHE", saved)
    return saved


def _state(target: Path, content: bytes, checkout: str | None) -> Path:
    state = target / dbt_runner.PARTIAL_PARSE_FILE
    target.mkdir(parents=True)
    state.write_bytes(content)
    if checkout is not None:
        state.with_name(state.name + ".checkout").write_text(checkout)
    return state


def test_a_warehouse_keeps_its_own_parse_state(tmp_path: Path, cache: Path) -> None:
    state = _state(tmp_path / "warehouse" / "dbt_target", b"own", str(PROJECT_ROOT))
    dbt_runner._start_from_saved_parse(state.parent)
    assert state.read_bytes() == b"own"


@pytest.mark.parametrize("checkout", ["/elsewhere/waybill-watch", None])
def test_a_parse_state_of_another_checkout_is_replaced(
    tmp_path: Path, cache: Path, checkout: str | None
) -> None:
    state = _state(tmp_path / "warehouse" / "dbt_target", b"moved here", checkout)
    dbt_runner._start_from_saved_parse(state.parent)
    assert state.read_bytes() == b"state saved by this checkout"
    assert dbt_runner.parsed_by_this_checkout(state)


def test_a_cache_of_another_checkout_is_not_taken_nor_overwritten_by_it(tmp_path: Path, cache: Path) -> None:
    cache.with_name(cache.name + ".checkout").write_text("/elsewhere/waybill-watch")
    target = tmp_path / "new_warehouse" / "dbt_target"
    dbt_runner._start_from_saved_parse(target)
    state = target / dbt_runner.PARTIAL_PARSE_FILE
    assert not state.exists()  # dbt parses the whole project
    state.write_bytes(b"parsed here")  # as dbt saves it
    dbt_runner._save_parse(target)
    assert cache.read_bytes() == b"parsed here" and dbt_runner.parsed_by_this_checkout(cache)
    foreign = _state(tmp_path / "foreign" / "dbt_target", b"foreign", "/elsewhere/waybill-watch")
    dbt_runner._save_parse(foreign.parent)
    assert cache.read_bytes() == b"parsed here"
