"""Helpers to hand-make landing files (SPEC §3) for the ingest tests."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

BASE_MTIME = 1_772_668_800  # 2026-03-05 00:00:00 UTC: files "land" in a known order


def crawl_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "run_id": "run-001",
        "fetched_at": "2026-03-05T10:00:00+08:00",
        "site": "xianyu.com",
        "listing_id": "L-1",
        "url": "https://xianyu.com/item/L-1",
        "crawler": "alpha",
        "title": "快递单号出售 当天新单",
        "seller": "seller_one",
        "seller_contact": "wx_seller_one",
        "price_text": "0.04元/条",
        "quantity_text": "库存10万条",
        "location_text": "广东省深圳市",
        "carrier_text": "中通",
        "freshness_text": "当天",
        "sample_records": ["张** 138****1234 深圳市***"],
        "status": "active",
        "http_status": 200,
    }
    record.update(overrides)
    return record


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def land(path: Path, data: bytes, order: int) -> Path:
    """Write the bytes and set the modification time: `order` fixes the landing order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (BASE_MTIME + order, BASE_MTIME + order))
    return path


def jsonl_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def truncated_gzip(complete_lines: list[str], cut_line: str) -> bytes:
    """A gzip stream that breaks off: the complete lines, then part of one more, then nothing
    (no end-of-stream marker, no trailer) — what an interrupted transfer leaves behind."""
    text = "".join(line + "\n" for line in complete_lines) + cut_line
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
    return compressor.compress(text.encode("utf-8")) + compressor.flush(zlib.Z_FULL_FLUSH)


def gzip_bytes(lines: list[str]) -> bytes:
    return gzip.compress(jsonl_bytes(lines), mtime=0)


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
