"""Shared helpers for the analyst-experience tests (notebooks, analyses, docs, exports)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from waybill_watch.analyst import open_analyst_db


def busiest_quarter(warehouse: Path) -> str:
    """The quarter with the most active listings, preferring one that also has cases and incidents,
    so every section of the notebooks and every analysis has rows to show."""
    con = open_analyst_db(warehouse)
    try:
        rows = con.execute(
            """
            with listings as (
                select quarter, listings_active from mart_market_quarterly
                where region_code = 'all' and channel = 'all' and listings_active > 0
            ),
            cases as (
                select quarter, sum(cases_opened) as opened, sum(cases_closed) as closed
                from mart_enforcement_quarterly group by quarter
            ),
            incidents as (
                select quarter, sum(incidents) as incidents
                from mart_incidents_quarterly group by quarter
            )
            select l.quarter
            from listings l
            left join cases c on c.quarter = l.quarter
            left join incidents i on i.quarter = l.quarter
            order by (coalesce(c.opened, 0) > 0 and coalesce(c.closed, 0) > 0
                      and coalesce(i.incidents, 0) > 0) desc,
                     l.listings_active desc, l.quarter desc
            limit 1
            """
        ).fetchall()
    finally:
        con.close()
    assert rows, "the analyst database has no quarter with active listings"
    return rows[0][0]


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block (kernels inherit them)."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
