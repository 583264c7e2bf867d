"""Crawl files (SPEC §3.1): JSON Lines, plain or gzip, and Parquet → landing rows + quarantine.

Fast path: polars `read_ndjson` on a chunk of lines. Only a chunk it cannot read (a
malformed line, a non-object line, a type it cannot coerce) is parsed line by line in
Python, so that exactly the bad lines are quarantined and the rest still loads.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from isal import isal_zlib

from waybill_watch.ingest.dates import EARLIEST_PLAUSIBLE, latest_plausible, parse_utc_series
from waybill_watch.ingest.decode import UTF8_BOM, FileRejected, decode_bytes
from waybill_watch.ingest.discover import LandedFile
from waybill_watch.ingest.parsed import (
    QUARANTINE_ROWS_SCHEMA,
    ParsedFile,
    blank,
    first_failed_rule,
)
from waybill_watch.ingest.schemas import CRAWL_FIELDS, CRAWL_REQUIRED

CHUNK_LINES = 250_000
# Up to this size a file is parsed in one go; larger ones in chunks of CHUNK_LINES lines.
WHOLE_FILE_CHARS = 256 << 20
# A chunk that polars cannot read whole (a malformed line, a list in a text field) is halved
# until the pieces hold at most this many lines, and only those are parsed line by line:
# ~55 µs a line in Python against ~3 µs in polars (one bad line cost a 92k-line file 5 s).
LINE_PARSING_MAX_LINES = 1_000
JSON_WORDS = ["true", "false"]
BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n")
FLOAT_FIELDS = ("price_amount", "price_per_records")
INT_FIELDS = ("http_status",)
LIST_FIELDS = ("sample_records",)
STRING_FIELDS = tuple(f for f in CRAWL_FIELDS if f not in (*FLOAT_FIELDS, *INT_FIELDS, *LIST_FIELDS))
LANDING_SCHEMA = pl.Schema(
    {
        "line_no": pl.Int64(),
        **{f: pl.String() for f in STRING_FIELDS},
        **{f: pl.Float64() for f in FLOAT_FIELDS},
        **{f: pl.Int64() for f in INT_FIELDS},
        **{f: pl.List(pl.String()) for f in LIST_FIELDS},
        "_type_error": pl.String(),
    }
)
HOST_RE = r"^[^\s/?#@]+$"
# The fixed-schema fast path: every landing field as text (numbers are cast after), the
# samples as a list of text. polars turns any JSON scalar into text (`12.0` → `12`).
FIXED_SCHEMA = pl.Schema({f: pl.List(pl.String()) if f in LIST_FIELDS else pl.String() for f in CRAWL_FIELDS})
QUOTE, COLON, SPACE, TAB = ord('"'), ord(":"), ord(" "), ord("\t")


class _NeedsLineParsing(Exception):
    """The chunk cannot be read as a whole; parse it line by line."""


# --- bytes ---------------------------------------------------------------------------------------


def _gunzip(compressed: bytes) -> tuple[bytes, str | None]:
    """Everything a gzip stream yields (all members), and why it stops early if it does.

    ISA-L's inflate first (2.9× zlib's speed on the crawl files; gunzip was ~8 % of a full
    ingest's CPU); a stream it does not read to its end goes through zlib from the start, so a
    broken file loads exactly as far as zlib reads it.
    """
    data, broken = _gunzip_with(isal_zlib, compressed)
    return (data, None) if broken is None else _gunzip_with(zlib, compressed)


def _gunzip_with(inflate: Any, compressed: bytes) -> tuple[bytes, str | None]:
    """`_gunzip` with one inflate module (`zlib` or ISA-L's `isal_zlib`, the same interface).
    Its decompressor directly, not `gzip.open`: the latter raises on a broken stream before
    returning the block that was read, and the lines before the break must still load."""
    parts: list[bytes] = []
    data = compressed
    while data:
        stream = inflate.decompressobj(wbits=31)
        try:
            parts.append(stream.decompress(data))
        except inflate.error as exc:
            return b"".join(parts), f"gzip stream is corrupt ({exc}); the lines before the break are loaded"
        if not stream.eof:
            parts.append(stream.flush())
            return b"".join(parts), "gzip stream breaks off; the lines before the break are loaded"
        data = stream.unused_data.lstrip(b"\x00")
    return b"".join(parts), None


def _read_landed_bytes(path: Path) -> tuple[bytes, str | None]:
    """The file's (decompressed) bytes, and why it ends early when the gzip stream breaks."""
    if not path.name.endswith(".gz"):
        return path.read_bytes(), None
    compressed = path.read_bytes()
    if not compressed.startswith(b"\x1f\x8b"):
        raise FileRejected("unreadable", "named .gz but not a gzip file")
    data, broken = _gunzip(compressed)
    if broken and not data:
        raise FileRejected("unreadable", f"not a readable gzip file ({broken.split(';')[0]})")
    return data, broken


def count_nonblank_lines(data: bytes) -> int:
    """Rows of a file that cannot be decoded, counted as far as possible (non-blank lines)."""
    return sum(1 for line in data.split(b"\n") if line.strip())


# --- coercion to landing types -------------------------------------------------------------------


def _float_to_text(expr: pl.Expr) -> pl.Expr:
    """A JSON number as text, without `.0` when it is whole (listing ids compare as text)."""
    whole = expr.is_finite() & (expr == expr.floor()) & (expr.abs() < 1e15)
    return pl.when(whole).then(expr.cast(pl.Int64).cast(pl.String)).otherwise(expr.cast(pl.String))


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if dtype == pl.String:
        return col
    if dtype == pl.Null or dtype.is_integer() or dtype == pl.Boolean:
        return col.cast(pl.String)
    if dtype.is_float():
        return _float_to_text(col)
    if isinstance(dtype, pl.Datetime):
        fmt = "%Y-%m-%dT%H:%M:%S%.f%:z" if dtype.time_zone else "%Y-%m-%dT%H:%M:%S%.f"
        return col.dt.strftime(fmt)
    if dtype == pl.Date:
        return col.dt.strftime("%Y-%m-%d")
    raise _NeedsLineParsing(f"column {name} has type {dtype}, expected text")


def _as_number(name: str, dtype: pl.DataType, target: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if dtype.is_numeric() or dtype == pl.Null:
        return col.cast(target, strict=False)
    if dtype == pl.String:
        return col.str.strip_chars().cast(pl.Float64, strict=False).cast(target, strict=False)
    raise _NeedsLineParsing(f"column {name} has type {dtype}, expected a number")


def _as_text_list(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if dtype == pl.Null:
        return pl.lit(None, dtype=pl.List(pl.String))
    if isinstance(dtype, pl.List) and (dtype.inner == pl.String or dtype.inner.is_numeric()):
        return col.cast(pl.List(pl.String))
    if isinstance(dtype, pl.List) and dtype.inner == pl.Null:
        return col.cast(pl.List(pl.String))
    raise _NeedsLineParsing(f"column {name} has type {dtype}, expected a list of text")


def _coerce_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Landing columns with landing types; missing optional fields are null."""
    exprs: list[pl.Expr] = [pl.col("line_no")]
    for name in STRING_FIELDS:
        exprs.append(_as_text(name, frame.schema[name]).alias(name) if name in frame.columns else None)
    for name in FLOAT_FIELDS:
        exprs.append(_as_number(name, frame.schema[name], pl.Float64()) if name in frame.columns else None)
    for name in INT_FIELDS:
        exprs.append(_as_number(name, frame.schema[name], pl.Int64()) if name in frame.columns else None)
    for name in LIST_FIELDS:
        exprs.append(_as_text_list(name, frame.schema[name]) if name in frame.columns else None)
    exprs = [
        e if e is not None else pl.lit(None, dtype=LANDING_SCHEMA[n]).alias(n)
        for e, n in zip(
            exprs, ["line_no", *STRING_FIELDS, *FLOAT_FIELDS, *INT_FIELDS, *LIST_FIELDS], strict=True
        )
    ]
    type_error = pl.lit(None, dtype=pl.String)
    if "_type_error" in frame.columns:
        type_error = pl.col("_type_error")
    return frame.select(*exprs, type_error.alias("_type_error"))


# --- line-by-line parsing ------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _text_value(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _number_value(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _record(obj: dict[str, Any], line_no: int) -> dict[str, Any]:
    record: dict[str, Any] = {"line_no": line_no, "_type_error": None}
    for name in STRING_FIELDS:
        value = obj.get(name)
        if name in CRAWL_REQUIRED and isinstance(value, dict | list | bool):
            record["_type_error"] = record["_type_error"] or f"{name} is {_json_type(value)}, expected text"
        record[name] = _text_value(value)
    for name in FLOAT_FIELDS:
        record[name] = _number_value(obj.get(name))
    for name in INT_FIELDS:
        number = _number_value(obj.get(name))
        record[name] = int(number) if number is not None and number.is_integer() else None
    samples = obj.get("sample_records")
    if samples is None:
        record["sample_records"] = None
    elif isinstance(samples, list):
        record["sample_records"] = [_text_value(s) for s in samples if s is not None]
    else:
        record["sample_records"] = [_text_value(samples)]
    return record


def _parse_lines(lines: list[str], line_nos: list[int]) -> tuple[pl.DataFrame, list[tuple], set[str]]:
    records: list[dict[str, Any]] = []
    bad: list[tuple] = []
    seen: set[str] = set()
    for line, line_no in zip(lines, line_nos, strict=True):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            # The message names a position only, never the content.
            bad.append((line_no, "malformed_json", f"not valid JSON: {exc.msg} at column {exc.colno}", line))
            continue
        if not isinstance(obj, dict):
            bad.append(
                (line_no, "malformed_json", f"a JSON line must be an object, got {_json_type(obj)}", line)
            )
            continue
        seen.update(obj)
        records.append(_record(obj, line_no))
    frame = pl.DataFrame(records, schema=LANDING_SCHEMA) if records else pl.DataFrame(schema=LANDING_SCHEMA)
    return frame, bad, seen


# --- required rules ------------------------------------------------------------------------------


def _required_rules(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds `_rule`/`_reason` (null when the row passes) and the parsed `_fetched_at_utc`."""
    checks: list[tuple[pl.Expr, str, str | pl.Expr]] = [
        (pl.col("_type_error").is_not_null(), "wrong_type", pl.col("_type_error"))
    ]
    for name in CRAWL_REQUIRED:
        # A list or object in a text column, stringified by the fast path, is a wrong type too.
        checks.append(
            (
                pl.col(name).str.contains(r"^\s*[\[{]"),
                "wrong_type",
                f"{name} is a list or object, expected text",
            )
        )
    checks += [
        (blank(pl.col("run_id")), "missing_required", "run_id is empty"),
        (blank(pl.col("site")), "missing_required", "site is empty"),
        (blank(pl.col("url")), "missing_required", "url is empty"),
        (blank(pl.col("fetched_at")), "missing_date", "fetched_at is empty"),
        (pl.col("_fetched_at_utc").is_null(), "bad_date", "fetched_at is not a recognised timestamp"),
        # issue 8: implausible instants are quarantined with their reason (dates.EARLIEST_PLAUSIBLE)
        (pl.col("_fetched_at_utc") < EARLIEST_PLAUSIBLE, "bad_date", "fetched_at is before 2000"),
        (pl.col("_fetched_at_utc") > latest_plausible(), "bad_date", "fetched_at is in the future"),
        (~pl.col("site").str.strip_chars().str.contains(HOST_RE), "bad_value", "site is not a host name"),
    ]
    rule, reason = first_failed_rule(checks)
    fetched = parse_utc_series(frame.get_column("fetched_at")).alias("_fetched_at_utc")
    return frame.with_columns(fetched).with_columns(_rule=rule, _reason=reason)


def split_required(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows passing the required rules, with `_fetched_at_utc`; rows failing them, with
    `_rule` and `_reason`). Works on one file's rows or a batch of files' rows."""
    checked = _required_rules(frame)
    failed = checked.filter(pl.col("_rule").is_not_null())
    passed = checked.filter(pl.col("_rule").is_null()).drop("_rule", "_reason", "_type_error")
    return passed, failed


def raw_lines(landed: LandedFile, line_nos: list[int]) -> dict[int, str | None]:
    """The raw text of some lines of a landed JSON Lines file (for the restricted quarantine
    store); read again, because failures are rare and keeping every file's text is not."""
    if landed.path.name.endswith(".parquet"):
        return dict.fromkeys(line_nos)
    data, _broken = _read_landed_bytes(landed.path)
    lines = decode_bytes(data).text.split("\n")
    return {n: lines[n - 1] if 0 < n <= len(lines) else None for n in line_nos}


def _read_ndjson(payload: bytes) -> pl.DataFrame:
    # The schema is inferred from every line: with a partial inference polars silently
    # ignores a key that first appears later, which would drop values without a trace.
    return pl.read_ndjson(io.BytesIO(payload), infer_schema_length=None)


def _inferred_frame(raw: pl.DataFrame, line_no: pl.Series | pl.Expr) -> pl.DataFrame:
    """Landing columns of what polars read with an inferred schema. polars reads a list, object
    or true/false given among texts as its JSON text, where the line parser names it (`wrong_type`
    in a required field): a required text that could be one is left to the line parser."""
    suspect = [
        pl.col(name).str.starts_with("[") | pl.col(name).str.starts_with("{") | pl.col(name).is_in(JSON_WORDS)
        for name in CRAWL_REQUIRED
        if raw.schema.get(name) == pl.String
    ]
    if suspect and raw.select(pl.any_horizontal(suspect).any()).item():
        raise _NeedsLineParsing("a required field may hold a list, object or true/false")
    return _coerce_frame(raw.with_columns(line_no=line_no))


def _parse_chunk(lines: list[str], line_nos: list[int]) -> tuple[pl.DataFrame, list[tuple], set[str], bool]:
    """(rows, malformed-line quarantine entries, field names seen, used the fast path for every
    line). Lines polars cannot read in one go are found by halving (`LINE_PARSING_MAX_LINES`).

    Rows are not yet checked against the required rules: that runs on a whole batch of
    files (`split_required`), which is much cheaper than once per small file."""
    try:
        raw = _read_ndjson("\n".join(lines).encode("utf-8"))
        if raw.height != len(lines):
            raise _NeedsLineParsing("row count differs from line count")
        frame = _inferred_frame(raw, pl.Series(line_nos, dtype=pl.Int64))
        return frame, [], set(raw.columns), True
    except (_NeedsLineParsing, pl.exceptions.PolarsError):
        if len(lines) <= LINE_PARSING_MAX_LINES:
            frame, bad, seen = _parse_lines(lines, line_nos)
            return frame, bad, seen, False
    half = len(lines) // 2
    first = _parse_chunk(lines[:half], line_nos[:half])
    second = _parse_chunk(lines[half:], line_nos[half:])
    frame = pl.concat([first[0], second[0]], how="vertical")
    return frame, first[1] + second[1], first[2] | second[2], False


def _has_blank_line(text: str) -> bool:
    first = text[: text.find("\n")] if "\n" in text else text
    last = text[text.rfind("\n") + 1 :]
    return not first.strip() or not last.strip() or BLANK_LINE_RE.search(text) is not None


def _numbered_lines(text: str) -> tuple[list[str], list[int]]:
    lines = text.split("\n")
    if not _has_blank_line(text):
        return lines, list(range(1, len(lines) + 1))
    kept = [(line, i + 1) for i, line in enumerate(lines) if line.strip()]
    return [k[0] for k in kept], [k[1] for k in kept]


def _parse_whole_file(
    body: str, utf8: bytes | None
) -> tuple[pl.DataFrame, list[tuple], set[str], int] | None:
    """The fast path on the whole file (no line splitting), for a file without blank lines that
    polars reads in one go; None when the file needs the chunked, line-aware path."""
    if not body or len(body) > WHOLE_FILE_CHARS or _has_blank_line(body):
        return None
    n_lines = body.count("\n") + 1
    try:
        raw = _read_ndjson(utf8 if utf8 is not None else body.encode("utf-8"))
        if raw.height != n_lines:
            return None
        frame = _inferred_frame(raw, pl.int_range(1, n_lines + 1, dtype=pl.Int64))
    except (_NeedsLineParsing, pl.exceptions.PolarsError):
        return None
    return frame, [], set(raw.columns), n_lines


# bytes compared at a time by _byte_count: one reused 1 MiB array of flags instead of one as large as
# the file, which the kernel had to map and zero first (a 160 MB day file: 131 ms → 24 ms a count)
BYTE_COUNT_CHUNK = 1 << 20


def _byte_count(buffer: np.ndarray, byte: bytes) -> int:
    # numpy's compare-and-count reads 613-byte crawl rows in 0.08 µs; bytes.count takes 0.2 µs and
    # holds the GIL the other reading thread needs
    flags = np.empty(min(BYTE_COUNT_CHUNK, buffer.size), dtype=bool)
    count = 0
    for start in range(0, buffer.size, BYTE_COUNT_CHUNK):
        part = buffer[start : start + BYTE_COUNT_CHUNK]
        equal = flags[: part.size]
        np.equal(part, ord(byte), out=equal)
        count += int(np.count_nonzero(equal))
    return count


# bytes of a file scanned at a time by _key_colons: its masks stay in the CPU's cache, and no array
# as large as the file (or as its ~20 colons a line) is allocated (a 160 MB day file: 0.27-0.67 s →
# 0.13 s; the spread is the kernel's zeroing of fresh file-sized arrays)
KEY_SCAN_CHUNK = 1 << 17


def _key_colons(buffer: np.ndarray) -> tuple[int, int] | None:
    """(number of `":` pairs, how many of them are followed by `null`) in a file's bytes (as a
    numpy array), or None when the file holds a whitespace right before any `:`, a second space
    before a value, or a `true`/`false` value (left to the exact path)."""
    size = buffer.size
    keys = nulls = 0
    # a colon at position i is judged by the bytes at i - 1 .. i + 2: each slice of colons is
    # compared with the slices one byte before and after it
    for start in range(1, size - 1, KEY_SCAN_CHUNK):
        stop = min(start + KEY_SCAN_CHUNK, size - 1)
        colon = buffer[start:stop] == COLON
        before = buffer[start - 1 : stop - 1]
        after = buffer[start + 1 : stop + 1]
        if (colon & ((before == SPACE) | (before == TAB))).any():
            return None
        key = colon & (before == QUOTE)
        spaced_value = key & (after == SPACE)
        if spaced_value.any():
            at = np.flatnonzero(spaced_value) + start
            value = buffer[np.minimum(at + 2, size - 1)]
            if np.isin(value, [SPACE, TAB, ord("t"), ord("f")]).any():
                return None
            nulls += int(np.count_nonzero(value == ord("n")))
        if (key & ((after == TAB) | (after == ord("t")) | (after == ord("f")))).any():
            return None
        keys += int(np.count_nonzero(key))
        nulls += int(np.count_nonzero(key & (after == ord("n"))))
    return keys, nulls


def _read_fixed_schema(data: bytes) -> tuple[pl.DataFrame, int, list[str]] | None:
    """Fast path for a plain UTF-8 file: one `read_ndjson` with a fixed schema, no decoding in
    Python (polars validates UTF-8). A fixed schema silently ignores unknown keys, so the path
    is taken only when a byte-level count proves every key is a landing field: the `":` pairs
    (each one a key, or inside a string as `\\":`) must equal the non-null values parsed plus
    the keys given as `null` (keys beyond the landing fields found in the first lines are
    parsed too, and named as unknown columns); one `{` per line (no nested objects) and one
    `[` per parsed sample list (no list elsewhere); no `true`/`false`. Anything else (blank
    lines, malformed lines, BOM, GB18030, a required field never given, …) returns None: the
    exact path decides."""
    if not data or data.startswith(UTF8_BOM):
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    n_lines = _byte_count(buffer, b"\n") + (0 if data.endswith(b"\n") else 1)
    if _byte_count(buffer, b"{") != n_lines:
        return None
    extra = _unknown_keys_of_first_lines(data)
    if extra is None:
        return None
    schema = pl.Schema({**FIXED_SCHEMA, **dict.fromkeys(extra, pl.String())})
    try:
        raw = pl.read_ndjson(io.BytesIO(data), schema=schema)
    except pl.exceptions.PolarsError:
        return None
    if raw.height != n_lines:
        return None
    given = raw.select(pl.all().count()).row(0, named=True)
    if any(given[c] == 0 for c in CRAWL_REQUIRED) or _byte_count(buffer, b"[") != given["sample_records"]:
        return None
    keys = _key_colons(buffer)
    if keys is None or keys[0] != sum(given.values()) + keys[1]:
        return None
    frame = _coerce_frame(raw.with_columns(line_no=pl.int_range(1, n_lines + 1, dtype=pl.Int64)))
    return frame, n_lines, sorted(extra)


def _first_lines(data: bytes, lines: int) -> list[bytes]:
    """The first `lines` lines of `data`, without copying the rest (`data.split(b"\\n", n)` copies
    it whole as its last piece: 89 ms for a 160 MB day file)."""
    found: list[bytes] = []
    start = 0
    while len(found) < lines and start <= len(data):
        end = data.find(b"\n", start)
        if end < 0:
            found.append(data[start:])
            break
        found.append(data[start:end])
        start = end + 1
    return found


def _unknown_keys_of_first_lines(data: bytes, lines: int = 8) -> list[str] | None:
    """Keys beyond the landing fields in the first lines (a crawler that adds a field usually
    adds it to every line); None when one of those lines is not a JSON object."""
    keys: set[str] = set()
    for line in _first_lines(data, lines):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        keys.update(obj)
    return [k for k in keys if k not in FIXED_SCHEMA]


def read_jsonl(landed: LandedFile) -> ParsedFile:
    data, broken = _read_landed_bytes(landed.path)
    fast = _read_fixed_schema(data) if broken is None else None
    if fast is not None:
        return ParsedFile(
            rows=fast[0],
            quarantined=pl.DataFrame(schema=QUARANTINE_ROWS_SCHEMA),
            rows_read=fast[1],
            encoding="utf-8",
            unknown_columns=fast[2],
            rules_pending=True,
        )
    try:
        decoded = decode_bytes(data)
    except FileRejected as exc:
        exc.rows_read = count_nonblank_lines(data)
        raise
    text = decoded.text
    tail: str | None = None
    if broken is not None:
        # The piece after the last newline is a line cut short by the break.
        cut = text.rfind("\n")
        tail, text = text[cut + 1 :], text[: cut + 1]
    body = text[:-1] if text.endswith("\n") else text
    whole = _parse_whole_file(body, data if decoded.encoding == "utf-8" and broken is None else None)
    if whole is not None:
        frames, entries, seen, rows_read, last_line, notes = (
            [whole[0]],
            whole[1],
            whole[2],
            whole[3],
            whole[3],
            [],
        )
    else:
        lines, line_nos = _numbered_lines(body)
        if lines == [""]:
            lines, line_nos = [], []
        frames, entries, seen, notes = [], [], set(), []
        for start in range(0, len(lines), CHUNK_LINES):
            passed, bad, chunk_seen, fast = _parse_chunk(
                lines[start : start + CHUNK_LINES], line_nos[start : start + CHUNK_LINES]
            )
            frames.append(passed)
            entries += bad
            seen |= chunk_seen
            if not fast:
                notes.append("parsed line by line")
        rows_read, last_line = len(lines), (line_nos[-1] if line_nos else 0)
    missing = [c for c in CRAWL_REQUIRED if c not in seen]
    if missing and rows_read:
        raise FileRejected(
            "missing_column",
            f"required field missing from every line: {', '.join(missing)}",
            rows_read=rows_read + (1 if tail and tail.strip() else 0),
            encoding=decoded.encoding,
        )
    if tail is not None and tail.strip():
        rows_read += 1
        entries.append((last_line + 1, "truncated", "line cut off where the gzip stream breaks", tail))
    rows = pl.concat(frames, how="vertical") if frames else None
    return ParsedFile(
        rows=rows if rows is not None else pl.DataFrame(schema=LANDING_SCHEMA),
        quarantined=pl.DataFrame(entries, schema=QUARANTINE_ROWS_SCHEMA, orient="row"),
        rows_read=rows_read,
        encoding=decoded.encoding,
        unknown_columns=sorted(seen - set(CRAWL_FIELDS)),
        partial_reason=broken,
        parse_notes=sorted(set(notes)),
        rules_pending=True,
    )


# --- Parquet -------------------------------------------------------------------------------------


def read_crawl_parquet(landed: LandedFile) -> ParsedFile:
    try:
        parquet = pq.ParquetFile(landed.path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise FileRejected("unreadable", f"not a readable Parquet file ({type(exc).__name__})") from exc
    columns = parquet.schema_arrow.names
    missing = [c for c in CRAWL_REQUIRED if c not in columns]
    if missing:
        raise FileRejected(
            "missing_column",
            f"required column missing: {', '.join(missing)}",
            rows_read=parquet.metadata.num_rows,
            encoding="parquet",
        )
    frames: list[pl.DataFrame] = []
    offset = 0
    try:
        for batch in parquet.iter_batches(batch_size=CHUNK_LINES):
            chunk = pl.from_arrow(batch)
            assert isinstance(chunk, pl.DataFrame)
            line_nos = pl.int_range(offset + 1, offset + chunk.height + 1, dtype=pl.Int64)
            offset += chunk.height
            frames.append(_coerce_frame(chunk.with_columns(line_no=line_nos)))
    except _NeedsLineParsing as exc:
        raise FileRejected("wrong_type", str(exc), rows_read=parquet.metadata.num_rows) from exc
    except Exception as exc:
        raise FileRejected(
            "unreadable", f"Parquet file cannot be read ({type(exc).__name__})", rows_read=offset
        ) from exc
    # Parquet rows have no raw line: the restricted copy records the row number only.
    return ParsedFile(
        rows=pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=LANDING_SCHEMA),
        quarantined=pl.DataFrame(schema=QUARANTINE_ROWS_SCHEMA),
        rows_read=offset,
        encoding="parquet",
        unknown_columns=sorted(c for c in columns if c not in CRAWL_FIELDS),
        rules_pending=True,
    )


def read_crawl_file(landed: LandedFile) -> ParsedFile:
    if landed.path.name.endswith(".parquet"):
        return read_crawl_parquet(landed)
    return read_jsonl(landed)
