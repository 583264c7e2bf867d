"""Hand-worked cases for the report's building blocks: suppression, quarters, number formats."""

from __future__ import annotations

import datetime as dt

import pytest

from waybill_watch.errors import WaybillWatchError
from waybill_watch.report.quarters import Quarter
from waybill_watch.report.suppression import Disclosure
from waybill_watch.report.tables import Column, Table, format_value


def table_facts(grid: dict[str, dict[str, int]]) -> Disclosure:
    """A cross table with row and column totals registered as facts and lines (like content._matrix)."""
    disc = Disclosure()
    rows, cols = list(grid), list(next(iter(grid.values())))
    for r in rows:
        for c in cols:
            disc.fact((r, c), grid[r][c])
        disc.fact((r, "*"), sum(grid[r].values()))
    for c in cols:
        disc.fact(("*", c), sum(grid[r][c] for r in rows))
    disc.fact(("*", "*"), sum(sum(v.values()) for v in grid.values()))
    for r in [*rows, "*"]:
        disc.line((r, "*"), [(r, c) for c in cols])
    for c in [*cols, "*"]:
        disc.line(("*", c), [(r, c) for r in rows])
    return disc


def test_one_line_hides_the_next_smallest_part() -> None:
    disc = Disclosure()
    parts = [disc.fact("a", 3), disc.fact("b", 10), disc.fact("c", 12)]
    disc.line(disc.fact("total", 25), parts)
    assert disc.solve(10) == {"a", "b"}
    assert disc.primary == {"a"}


def test_a_positive_complement_is_preferred_to_a_zero() -> None:
    disc = Disclosure()
    parts = [disc.fact("a", 4), disc.fact("zero", 0), disc.fact("c", 26)]
    disc.line(disc.fact("total", 30), parts)
    assert disc.solve(10) == {"a", "c"}


def test_a_small_total_is_suppressed_too() -> None:
    disc = Disclosure()
    disc.line(disc.fact("total", 7), [disc.fact("a", 3), disc.fact("b", 4)])
    assert disc.solve(10) == {"total", "a", "b"}


def test_zero_is_not_suppressed() -> None:
    disc = Disclosure()
    disc.line(disc.fact("total", 40), [disc.fact("a", 0), disc.fact("b", 40)])
    assert disc.solve(10) == set()


def test_cross_table_worked_by_hand() -> None:
    #         A    B    C | total
    # r1     12   15    3 |  30      primary: r1C (3), r3A (8)
    # r2     20   25   30 |  75      row r1 alone hidden → its smallest other part r1A (12)
    # r3      8   40   22 |  70      row r3 alone hidden → r3C (22)
    # total  40   80   55 | 175      then columns A and C each hold two hidden cells: fixed point
    disc = table_facts(
        {
            "r1": {"A": 12, "B": 15, "C": 3},
            "r2": {"A": 20, "B": 25, "C": 30},
            "r3": {"A": 8, "B": 40, "C": 22},
        }
    )
    assert disc.solve(10) == {("r1", "C"), ("r3", "A"), ("r1", "A"), ("r3", "C")}


def test_complements_cascade_to_a_fixed_point() -> None:
    #         A    B | total
    # r1      5   20 |  25     primary r1A → row r1 needs r1B → column A needs r2A → column B needs r2B
    # r2     30   40 |  70
    disc = table_facts({"r1": {"A": 5, "B": 20}, "r2": {"A": 30, "B": 40}})
    assert disc.solve(10) == {("r1", "A"), ("r1", "B"), ("r2", "A"), ("r2", "B")}
    for line in disc.lines:
        assert sum(k in disc.suppressed for k in line.keys) != 1


def test_a_fact_read_twice_with_two_values_is_a_reported_conflict() -> None:
    disc = Disclosure()
    disc.fact("x", 5)
    disc.fact("x", 6)
    assert disc.facts["x"] == 5
    assert len(disc.conflicts) == 1


def test_cells_bound_to_a_suppressed_fact_are_hidden_in_csv(tmp_path) -> None:
    disc = Disclosure()
    disc.fact("n", 3)
    disc.solve(10)
    table = Table(
        "t",
        "t",
        [Column("name", "Name"), Column("n", "N", "count"), Column("fine", "Fine", "money")],
        [{"name": "广东省", "n": 3, "fine": 12000.0}],
        source="test",
    )
    table.bind(0, "n", "n")
    table.bind(0, "fine", "n")
    text = table.write_csv(tmp_path, disc).read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    assert text.decode("utf-8-sig").splitlines() == ["name,n,fine", "广东省,[c],[c]"]


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (1234567, "count", "1,234,567"),
        (0.0406, "price", "0.041"),
        (1234.5, "price", "1,234.500"),
        (8.21, "pct", "+8.2%"),
        (-25.094, "pct", "-25.1%"),
        (0.96, "ratio", "96.0%"),
        (1234567.4, "money", "1,234,567"),
        (None, "count", "–"),
        (float("nan"), "price", "–"),
    ],
)
def test_number_formats(value, kind: str, shown: str) -> None:
    assert format_value(value, kind) == shown


def test_quarter_arithmetic() -> None:
    q = Quarter.parse("2026q1")
    assert str(q) == "2026Q1"
    assert str(q.previous) == "2025Q4"
    assert str(q.year_ago) == "2025Q1"
    assert q.start == dt.date(2026, 1, 1)
    assert q.end == dt.date(2026, 4, 1)
    assert Quarter.parse("2026-Q3").label_zh == "2026年第三季度"
    with pytest.raises(WaybillWatchError, match="like 2026Q3"):
        Quarter.parse("2026Q0")


def test_policy_events_come_from_the_table_else_the_seed(tmp_path) -> None:
    from report_fixture import build_fixture_warehouse
    from waybill_watch.report.data import POLICY_EVENTS_SEED, AnalystDB

    with_table = AnalystDB(build_fixture_warehouse(tmp_path / "a"))
    try:
        assert [e.date for e in with_table.policy_events()] == [
            dt.date(2025, 3, 15),
            dt.date(2025, 11, 1),
            dt.date(2026, 4, 20),
        ]
    finally:
        with_table.close()
    without = AnalystDB(build_fixture_warehouse(tmp_path / "b", with_policy_events=False))
    try:
        events = without.policy_events()
    finally:
        without.close()
    if POLICY_EVENTS_SEED.exists():
        assert events and all(e.title_zh for e in events)
    else:
        assert events == []
