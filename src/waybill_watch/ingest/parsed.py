"""What reading one landed file yields, before the boundary and de-duplication."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Row-level quarantine entries: line, rule, reason (metadata) and the raw text (restricted).
QUARANTINE_ROWS_SCHEMA = pl.Schema(
    {"line_no": pl.Int64(), "rule": pl.String(), "reason": pl.String(), "raw": pl.String()}
)


@dataclass
class ParsedFile:
    """Rows of one file that passed the required rules (landing columns, pre-boundary),
    the rows quarantined, and what the audit needs to know."""

    rows: pl.DataFrame
    quarantined: pl.DataFrame
    rows_read: int
    encoding: str
    unknown_columns: list[str] = field(default_factory=list)
    partial_reason: str | None = None
    parse_notes: list[str] = field(default_factory=list)
    # True when `rows` still need the feed's required rules (crawl: checked per batch).
    rules_pending: bool = False


def quarantine_frame(entries: list[tuple[int, str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(entries, schema=QUARANTINE_ROWS_SCHEMA, orient="row")


def first_failed_rule(checks: list[tuple[pl.Expr, str, str | pl.Expr]]) -> tuple[pl.Expr, pl.Expr]:
    """(rule, reason) expressions naming the first failed check of a row; null when all pass."""
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for failed, rule_name, reason_text in reversed(checks):
        why = reason_text if isinstance(reason_text, pl.Expr) else pl.lit(reason_text)
        rule = pl.when(failed.fill_null(False)).then(pl.lit(rule_name)).otherwise(rule)
        reason = pl.when(failed.fill_null(False)).then(why).otherwise(reason)
    return rule, reason


def blank(expr: pl.Expr) -> pl.Expr:
    return expr.is_null() | (expr.str.strip_chars() == "")
