"""Timestamps and dates as the feeds write them, parsed once and vectorized (polars).

Accepted forms (a time part is optional everywhere; seconds and fractions are optional):

- ISO-8601: `2026-03-05T14:22:00+08:00`, `...Z`, `...+0800`, or no offset (= Asia/Shanghai local)
- separators `-`, `/`, `.`: `2026-03-05`, `2026/3/5`, `2026.3.5`, `2026-3-5 8:00`
- Chinese: `2026年3月5日`, `2026年3月5日 14:22`, `2026年3月5日14时22分`
- compact: `20260305`, `20260305 1422`, `20260305142200`
- Excel serial day numbers as spreadsheet exports write them: `46086` (= 2026-03-05),
  `46086.5` (= 12:00); days counted from 1899-12-30, the Excel 1900 date system

Asia/Shanghai has had no daylight saving since 1991, so local = UTC + 8 h exactly.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

SHANGHAI_OFFSET_MINUTES = 8 * 60
# Serial numbers in this range are 1954–2119: wide enough for any export, narrow enough
# that a short number meant as something else is not silently taken for a date.
EXCEL_SERIAL_MIN = 20_000
EXCEL_SERIAL_MAX = 80_000
EXCEL_EPOCH = "1899-12-30"

# Issue 8 (docs/faults.md): a required date before 2000 or in the future is a typo or a broken
# clock, not an event; it is quarantined (`bad_date`) rather than loaded into trend tables.
EARLIEST_PLAUSIBLE = dt.datetime(2000, 1, 1)
# Two days of slack absorb clock skew between machines and the +08:00 local offset.
FUTURE_SLACK = dt.timedelta(days=2)


def latest_plausible() -> dt.datetime:
    """Naive datetime after which a required date counts as "in the future" (now + slack)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + FUTURE_SLACK


_TIME = (
    r"(?:[T\s]*(?P<h>\d{1,2})[:时点](?P<mi>\d{1,2})分?"
    r"(?:[:]?(?P<s>\d{1,2})秒?(?:[.,](?P<frac>\d{1,9}))?)?)?"
)
_OFFSET = r"\s*(?P<tz>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
SEPARATED_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME + _OFFSET + r"$"
)
COMPACT_RE = (
    r"^(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})"
    r"(?:[T\s]?(?P<h>\d{2})(?P<mi>\d{2})(?:(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?)?" + _OFFSET + r"$"
)
EXCEL_RE = r"^\d{5}(?:\.\d+)?$"

_FIELDS = ("y", "mo", "d", "h", "mi", "s", "frac", "tz")


def _pad(expr: pl.Expr, width: int, default: str) -> pl.Expr:
    return expr.fill_null(default).str.zfill(width)


def _wall_time(parts: pl.Expr) -> pl.Expr:
    """The wall-clock datetime the captured parts name; null when no such day or time exists."""
    frac = parts.struct.field("frac").fill_null("0").str.pad_end(6, "0").str.slice(0, 6)
    text = pl.concat_str(
        _pad(parts.struct.field("y"), 4, "0000"),
        pl.lit("-"),
        _pad(parts.struct.field("mo"), 2, "00"),
        pl.lit("-"),
        _pad(parts.struct.field("d"), 2, "00"),
        pl.lit(" "),
        _pad(parts.struct.field("h"), 2, "00"),
        pl.lit(":"),
        _pad(parts.struct.field("mi"), 2, "00"),
        pl.lit(":"),
        _pad(parts.struct.field("s"), 2, "00"),
        pl.lit("."),
        frac,
    )
    return text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False)


def _offset_minutes(tz: pl.Expr) -> pl.Expr:
    """Minutes east of UTC written in the text; null when the text has no offset."""
    digits = tz.str.replace_all(":", "")
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    hours = digits.str.slice(1, 2).cast(pl.Int32, strict=False)
    minutes = digits.str.slice(3, 2).cast(pl.Int32, strict=False).fill_null(0)
    return (
        pl.when(tz.is_null())
        .then(None)
        .when(tz.str.to_uppercase().is_in(["Z", "UTC"]))
        .then(0)
        .otherwise(sign * (hours * 60 + minutes))
    )


def _excel_serial(text: pl.Expr) -> pl.Expr:
    serial = text.cast(pl.Float64, strict=False)
    in_range = serial.is_between(EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX)
    micros = (serial * 86_400_000_000).round(0).cast(pl.Int64, strict=False)
    epoch = pl.lit(EXCEL_EPOCH).str.to_datetime("%Y-%m-%d", time_unit="us")
    return pl.when(text.str.contains(EXCEL_RE) & in_range).then(epoch + pl.duration(microseconds=micros))


def parse_local_datetime(text: pl.Expr) -> pl.Expr:
    """Asia/Shanghai wall time of a timestamp text; an offset in the text is converted.

    Null when the text is empty or not one of the documented forms (never a guess).
    """
    cleaned = text.cast(pl.String).str.strip_chars()
    separated = cleaned.str.extract_groups(SEPARATED_RE)
    compact = cleaned.str.extract_groups(COMPACT_RE)
    parts = pl.when(separated.struct.field("y").is_not_null()).then(separated).otherwise(compact)
    wall = _wall_time(parts)
    offset = _offset_minutes(parts.struct.field("tz"))
    local = (
        pl.when(offset.is_null())
        .then(wall)
        .otherwise(wall + pl.duration(minutes=SHANGHAI_OFFSET_MINUTES - offset))
    )
    return pl.coalesce(local, _excel_serial(cleaned))


def parse_utc_datetime(text: pl.Expr) -> pl.Expr:
    """The instant as naive UTC (text without an offset is Asia/Shanghai local)."""
    return parse_local_datetime(text) - pl.duration(minutes=SHANGHAI_OFFSET_MINUTES)


def parse_local_date(text: pl.Expr) -> pl.Expr:
    """The Asia/Shanghai local date of a date or timestamp text."""
    return parse_local_datetime(text).dt.date()


# The forms crawlers write almost always, parsed natively (chrono) before the general rules:
# (format, how to read it). `%.f` also accepts no fraction.
FAST_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S%.f%z", "offset"),
    ("%Y-%m-%dT%H:%M:%S%.fZ", "utc"),
    ("%Y-%m-%d %H:%M:%S%.f", "local"),
    ("%Y-%m-%dT%H:%M:%S%.f", "local"),
)


def _fast_parse(text: pl.Series, fmt: str, kind: str) -> pl.Series:
    if kind == "offset":
        parsed = text.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")
        return parsed.dt.replace_time_zone(None)
    parsed = text.str.to_datetime(fmt, strict=False, time_unit="us")
    return parsed - dt.timedelta(minutes=SHANGHAI_OFFSET_MINUTES) if kind == "local" else parsed


def parse_utc_series(text: pl.Series) -> pl.Series:
    """`parse_utc_datetime` for a whole column, fast for the common ISO-8601 forms.

    Each fast form is tried on the values still unparsed; only the rest (other separators,
    Chinese dates, serial numbers, ...) go through the general rules.
    """
    result = pl.Series(text.name, [None] * text.len(), dtype=pl.Datetime("us"))
    for fmt, kind in FAST_FORMATS:
        todo = result.is_null() & text.is_not_null()
        if not todo.any():
            return result
        result = result.scatter(todo.arg_true(), _fast_parse(text.filter(todo), fmt, kind))
    todo = result.is_null() & text.is_not_null()
    if not todo.any():
        return result
    rest = pl.DataFrame({"t": text.filter(todo)}).select(parse_utc_datetime(pl.col("t"))).to_series()
    return result.scatter(todo.arg_true(), rest)
