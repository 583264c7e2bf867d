"""The fixed-schema JSON Lines fast path (crawl.py `_read_fixed_schema`) gives exactly what the
exact path gives, or declines; and discovery reuses the audit's content hashes."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from isal import isal_zlib
from polars.testing import assert_frame_equal

from landing import crawl_record, json_line, jsonl_bytes, land
from waybill_watch.ingest import crawl, discover
from waybill_watch.ingest.discover import LandedFile


def _landed(path: Path) -> LandedFile:
    return LandedFile(path, path.name, "crawl", path.stat().st_size, dt.datetime(2026, 3, 5), "x")


def _exact(landed: LandedFile, monkeypatch: pytest.MonkeyPatch) -> crawl.ParsedFile:
    with monkeypatch.context() as patched:
        patched.setattr(crawl, "_read_fixed_schema", lambda data: None)
        return crawl.read_jsonl(landed)


PLAIN = [
    crawl_record(listing_id=f"L-{i}", price_amount=0.04 * i, price_per_records=1, http_status=200)
    for i in range(1, 6)
]
TAKEN = {
    "plain": PLAIN,
    "numbers in text fields": [crawl_record(listing_id=12.0), crawl_record(listing_id=2900000078)],
    "numbers given as text": [crawl_record(price_amount=" 0.04 ", http_status="404")],
    "null values and missing optional keys": [
        crawl_record(seller=None, sample_records=None),
        {k: v for k, v in crawl_record().items() if k not in ("title", "seller")},
    ],
    "an unknown key on the first lines": [crawl_record(channel_members=10) for _ in range(3)],
    "empty and mixed sample lists": [
        crawl_record(sample_records=[]),
        crawl_record(sample_records=[1, None, "x"]),
    ],
}
DECLINED = {
    "an unknown key first seen later": [*PLAIN[:4] * 3, crawl_record(late_key="x")],
    "a list in a required field": [crawl_record(url=["https://x"])],
    "an object in a text field": [crawl_record(title={"a": 1})],
    "a boolean": [crawl_record(site=True)],
    "a key and its colon apart": None,
    "a duplicated key": None,
    "a required field never given": [{k: v for k, v in crawl_record().items() if k != "run_id"}],
    "a required field null on every line": [crawl_record(run_id=None)],
    "samples given as one text": [crawl_record(sample_records="one")],
}


@pytest.mark.parametrize("case", sorted(TAKEN))
def test_fast_path_equals_exact_path(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = land(tmp_path / "a.jsonl", jsonl_bytes([json_line(r) for r in TAKEN[case]]), 1)
    assert crawl._read_fixed_schema(path.read_bytes()) is not None, "fast path expected"
    fast, exact = crawl.read_jsonl(_landed(path)), _exact(_landed(path), monkeypatch)
    assert_frame_equal(fast.rows, exact.rows)
    assert (fast.rows_read, fast.encoding, fast.unknown_columns) == (
        exact.rows_read,
        exact.encoding,
        exact.unknown_columns,
    )
    assert fast.quarantined.height == exact.quarantined.height == 0


@pytest.mark.parametrize("case", sorted(DECLINED))
def test_fast_path_declines_what_it_cannot_prove(case: str, tmp_path: Path) -> None:
    records = DECLINED[case]
    if case == "a key and its colon apart":
        lines = [
            json_line(crawl_record()),
            json.dumps(crawl_record(), ensure_ascii=False).replace('"url":', '"url" :'),
        ]
    elif case == "a duplicated key":
        lines = [json_line(crawl_record())[:-1] + ', "site": "other.example"}']
    else:
        assert records is not None
        lines = [json_line(r) for r in records]
    assert crawl._read_fixed_schema(jsonl_bytes(lines)) is None


@pytest.mark.parametrize(
    "data",
    [
        jsonl_bytes([json_line(crawl_record())], encoding="gb18030").replace(b"\xe5", b"\xff", 1),
        b"\xef\xbb\xbf" + jsonl_bytes([json_line(crawl_record())]),
        jsonl_bytes([json_line(crawl_record()), "", json_line(crawl_record())]),
        jsonl_bytes([json_line(crawl_record()), "{not json"]),
        jsonl_bytes([json_line(crawl_record()), "[1, 2]"]),
        b"",
    ],
    ids=["not utf-8", "bom", "blank line", "malformed line", "not an object", "empty"],
)
def test_fast_path_leaves_odd_files_to_the_exact_path(data: bytes) -> None:
    assert crawl._read_fixed_schema(data) is None


def test_bad_lines_are_found_by_halving_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file polars cannot read whole is halved until the pieces that still fail are small,
    and only those are parsed line by line: the same rows, quarantine entries and notes as
    parsing every line of the file in Python, with ~1 % of its lines parsed that way."""
    lines = [
        json_line(crawl_record(listing_id=f"L-{i}", price_amount=0.01 * (i % 7), http_status=200))
        for i in range(5_000)
    ]
    lines[3] = "{not json"
    lines[2_500] = json_line(crawl_record(url=["https://x"]))  # a list in a required text field
    lines[4_999] = "[1, 2]"
    lines[4_000] = json_line(crawl_record(listing_id=12.0, channel_members=3))
    path = land(tmp_path / "a.jsonl", jsonl_bytes(lines), 1)

    parsed_by_python: list[int] = []
    parse_lines = crawl._parse_lines

    def counted(chunk: list[str], line_nos: list[int]) -> tuple:
        parsed_by_python.append(len(chunk))
        return parse_lines(chunk, line_nos)

    monkeypatch.setattr(crawl, "_parse_lines", counted)
    halved = crawl.read_jsonl(_landed(path))
    assert 0 < sum(parsed_by_python) <= 3 * crawl.LINE_PARSING_MAX_LINES

    monkeypatch.setattr(crawl, "LINE_PARSING_MAX_LINES", len(lines))
    parsed_by_python.clear()
    every_line = crawl.read_jsonl(_landed(path))
    assert parsed_by_python == [len(lines)]

    assert_frame_equal(halved.rows, every_line.rows)
    assert_frame_equal(halved.quarantined, every_line.quarantined)
    assert halved.quarantined.get_column("line_no").to_list() == [4, 5_000]
    failed = crawl.split_required(halved.rows)[1].select("line_no", "_rule", "_reason").rows()
    assert failed == [(2_501, "wrong_type", "url is a list, expected text")]
    assert halved.rows.filter(pl.col("line_no") == 4_001).get_column("listing_id").item() == "12"
    assert (
        (halved.rows_read, halved.unknown_columns, halved.parse_notes)
        == (
            every_line.rows_read,
            every_line.unknown_columns,
            every_line.parse_notes,
        )
        == (5_000, ["channel_members"], ["parsed line by line"])
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "url is true/false, expected text"),
        (["https://x"], "url is a list, expected text"),
        ({"href": "https://x"}, "url is an object, expected text"),
    ],
)
def test_a_non_text_in_a_required_field_among_texts_is_a_wrong_type(
    value: object, reason: str, tmp_path: Path
) -> None:
    """polars reads a true/false, list or object given among texts as its JSON text (`true`
    passed as a url until session 17); the line parser names it, whichever path reads the file."""
    lines = [json_line(crawl_record(listing_id=f"L-{i}")) for i in range(5)]
    lines[2] = json_line(crawl_record(url=value))
    path = land(tmp_path / "a.jsonl", jsonl_bytes(lines), 1)
    parsed = crawl.read_jsonl(_landed(path))
    passed, failed = crawl.split_required(parsed.rows)
    assert failed.select("line_no", "_rule", "_reason").rows() == [(3, "wrong_type", reason)]
    assert passed.get_column("line_no").to_list() == [1, 2, 4, 5]


def test_discovery_hashes_only_new_or_changed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    first = land(raw / "crawl" / "2026-03-05" / "a.jsonl", jsonl_bytes([json_line(crawl_record())]), 1)
    land(raw / "crawl" / "2026-03-05" / "b.jsonl", jsonl_bytes([json_line(crawl_record(listing_id="2"))]), 2)
    files = discover.discover_files(raw)
    known = {(f.rel_path, f.size, f.mtime): f.content_hash for f in files}
    hashed: list[Path] = []
    original = discover.file_sha256
    monkeypatch.setattr(discover, "file_sha256", lambda path: hashed.append(path) or original(path))
    assert discover.discover_files(raw, known) == files
    assert hashed == []
    land(first, jsonl_bytes([json_line(crawl_record(listing_id="3"))]), 3)  # changed: new size and mtime
    again = {f.rel_path: f.content_hash for f in discover.discover_files(raw, known)}
    assert hashed == [first]
    assert (
        again["crawl/2026-03-05/a.jsonl"]
        == original(first)
        != known[(files[0].rel_path, files[0].size, files[0].mtime)]
    )
    assert pl.Series(list(again.values())).n_unique() == 2


GZIP_MEMBER = gzip.compress(b'{"a": 1}\n' * 500)
GZIP_STREAMS = {
    "one member": GZIP_MEMBER,
    "two members, zero padding between": GZIP_MEMBER + b"\x00" * 8 + gzip.compress(b'{"b": 2}\n'),
    "cut short": GZIP_MEMBER[: len(GZIP_MEMBER) // 2],
    "second member cut short": GZIP_MEMBER + GZIP_MEMBER[:30],
    "corrupt block": GZIP_MEMBER[:12] + b"\xff" * 40 + GZIP_MEMBER[52:],
}


@pytest.mark.parametrize("case", GZIP_STREAMS)
def test_gunzip_reads_as_zlib_reads(case: str) -> None:
    """ISA-L reads intact streams; a broken one is read by zlib, which says where it stops."""
    data = GZIP_STREAMS[case]
    by_zlib = crawl._gunzip_with(zlib, data)
    by_isal = crawl._gunzip_with(isal_zlib, data)
    assert crawl._gunzip(data) == by_zlib
    assert (by_isal[1] is None) == (by_zlib[1] is None)
    if by_zlib[1] is None:
        assert by_isal == by_zlib


@pytest.mark.parametrize("chunk", [1, 3, 4, 1 << 20])
def test_byte_counts_across_chunk_boundaries(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawl, "BYTE_COUNT_CHUNK", chunk)
    data = b'{"a": [1]}\n{"b": 2}\n\n{"c": [3, [4]]}'
    buffer = np.frombuffer(data, dtype=np.uint8)
    # counted by hand: 3 newlines, 3 opening braces, 3 opening brackets
    assert [crawl._byte_count(buffer, byte) for byte in (b"\n", b"{", b"[")] == [3, 3, 3]
    assert crawl._byte_count(np.frombuffer(b"", dtype=np.uint8), b"\n") == 0


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"", [b""]),
        (b"a", [b"a"]),
        (b"a\nb\n", [b"a", b"b", b""]),
        (b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10", [b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8"]),
        (b"\n\nx", [b"", b"", b"x"]),
    ],
)
def test_first_lines_are_those_split_gives(data: bytes, lines: list[bytes]) -> None:
    assert crawl._first_lines(data, 8) == lines == data.split(b"\n", 8)[:8]


KEY_COLON_CASES = {
    # (bytes, (`":` pairs, of which followed by null) counted by hand, or None: declined)
    "compact": (b'{"a":"x:y","b":null}\n{"a":1}', (3, 1)),
    "a space after each colon": (b'{"a": "x", "b": null}\n{"c": [1]}', (3, 1)),
    "a colon inside a value, escaped quote before it": (b'{"a":"say \\":\\" ok"}', (2, 0)),
    "no keys": (b"[1, 2]\n3", (0, 0)),
    "space before a colon": (b'{"a" :1}', None),
    "tab before a colon": (b'{"a"\t:1}', None),
    "two spaces before a value": (b'{"a":  1}', None),
    "a tab before a value": (b'{"a":\t1}', None),
    "true": (b'{"a":null,"b":true}', None),
    "false after a space": (b'{"a": false}', None),
    # declined although harmless (the check is of bytes, not of JSON)
    "a space before a colon in a value": (b'{"a":"x :y"}', None),
}


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 17])
@pytest.mark.parametrize("case", KEY_COLON_CASES)
def test_key_colons_across_chunk_boundaries(case: str, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawl, "KEY_SCAN_CHUNK", chunk)
    data, expected = KEY_COLON_CASES[case]
    assert crawl._key_colons(np.frombuffer(data, dtype=np.uint8)) == expected
