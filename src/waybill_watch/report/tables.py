"""Report tables: columns with a kind, cells tied to disclosure facts, formatting, CSV and HTML."""

from __future__ import annotations

import csv
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from waybill_watch.report.suppression import SUPPRESSED_MARK, Disclosure, Key

# kind → how a value is shown. `count` is a count of listings, sellers, cases, incidents … that
# --public suppresses; `tally` counts files, rows or site-days (operational, never disclosive).
KINDS = (
    "text",
    "mixed",
    "rank",
    "count",
    "tally",
    "amount",
    "money",
    "price",
    "pct",
    "share",
    "ratio",
    "index",
    "rate",
    "flag",
)
NOT_AVAILABLE = "–"


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"
    in_html: bool = True  # codes are for the CSV; the HTML shows the names beside them

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "flag")


def format_value(value: Any, kind: str) -> str:
    """The human form: thousands separators, CNY unit prices with 3 decimals, signed percents."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    match kind:
        case "count" | "tally" | "rank":
            return f"{int(value):,}"
        case "amount" | "money":
            return f"{float(value):,.0f}"
        case "price":
            return f"{float(value):,.3f}"
        case "pct":
            return f"{float(value):+.1f}%"
        case "share" | "ratio":
            return f"{100 * float(value):.1f}%"
        case "index" | "rate":
            return f"{float(value):,.1f}"
        case "flag":
            return "是 yes" if value else "否 no"
    return str(value)


def csv_value(value: Any, kind: str) -> str:
    """The machine form: plain numbers, empty for not available."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "flag":
        return "true" if value else "false"
    if kind in ("count", "tally", "rank") and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


@dataclass
class Table:
    """One table of the report; `cell_keys` ties a cell to the disclosure facts that govern it."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    source: str
    note: str = ""
    cell_keys: dict[tuple[int, str], tuple[Key, ...]] = field(default_factory=dict)
    # additive structure shown in the table (used by the suppression tests and documented in the manifest)
    total_row: int | None = None
    additive_columns: list[str] = field(default_factory=list)
    total_column: str | None = None
    part_columns: list[str] = field(default_factory=list)
    disclosure_controlled: bool = True
    show_in_html: bool = True

    def bind(self, row: int, column: str, *keys: Key) -> None:
        self.cell_keys[(row, column)] = tuple(k for k in keys if k is not None)

    def is_suppressed(self, row: int, column: str, disclosure: Disclosure) -> bool:
        keys = self.cell_keys.get((row, column), ())
        return disclosure.is_suppressed(*keys)

    def cell_kind(self, row: int, column: Column) -> str:
        """A `mixed` column takes each row's kind from the row's own `kind` column."""
        if column.kind == "mixed":
            return str(self.rows[row].get("kind", "text"))
        return column.kind

    def display(self, row: int, column: Column, disclosure: Disclosure) -> str:
        if self.is_suppressed(row, column.key, disclosure):
            return SUPPRESSED_MARK
        return format_value(self.rows[row].get(column.key), self.cell_kind(row, column))

    def published_value(self, row: int, column: Column, disclosure: Disclosure) -> Any:
        """The value as published (None when suppressed): what charts may draw."""
        if self.is_suppressed(row, column.key, disclosure):
            return None
        return self.rows[row].get(column.key)

    def write_csv(self, directory: Path, disclosure: Disclosure) -> Path:
        path = directory / f"{self.name}.csv"
        # UTF-8 with BOM so that spreadsheet programs read the Chinese names correctly
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.key for c in self.columns])
            for i, row in enumerate(self.rows):
                writer.writerow(
                    [
                        SUPPRESSED_MARK
                        if self.is_suppressed(i, c.key, disclosure)
                        else csv_value(row.get(c.key), self.cell_kind(i, c))
                        for c in self.columns
                    ]
                )
        return path

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "file": f"{self.name}.csv",
            "title": self.title,
            "source": self.source,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "total_row": self.total_row,
            "additive_columns": self.additive_columns,
            "total_column": self.total_column,
            "part_columns": self.part_columns,
            "disclosure_controlled": self.disclosure_controlled,
            "shown_in_html": self.show_in_html,
        }

    def to_html(self, disclosure: Disclosure) -> str:
        shown = [c for c in self.columns if c.in_html]
        head = "".join(
            f'<th class="{"num" if c.numeric else "txt"}{" nowrap" if c.kind == "pct" else ""}">'
            f"{html.escape(c.label)}</th>"
            for c in shown
        )
        body = []
        for i in range(len(self.rows)):
            cells = []
            for c in shown:
                text = self.display(i, c, disclosure)
                cls = "num" if c.numeric else "txt"
                if text == SUPPRESSED_MARK:
                    cls += " supp"
                cells.append(f'<td class="{cls}">{html.escape(text)}</td>')
            row_class = ' class="total"' if i == self.total_row else ""
            body.append(f"<tr{row_class}>{''.join(cells)}</tr>")
        note = f'<p class="tnote">{html.escape(self.note)}</p>' if self.note else ""
        css_class = "data wide" if len(shown) > 9 else "data"
        return (
            f'<div class="table-wrap"><table class="{css_class}" id="t-{self.name}">'
            f"<caption>{html.escape(self.title)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f'<p class="source">来源 Source: {html.escape(self.source)} · CSV: '
            f"csv/{self.name}.csv</p>{note}</div>"
        )


def write_manifest(tables: list[Table], directory: Path, public: bool, min_count: int) -> Path:
    path = directory / "manifest.json"
    payload = {
        "public": public,
        "min_count": min_count,
        "suppressed_mark": SUPPRESSED_MARK,
        "tables": [t.manifest_entry() for t in tables],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
