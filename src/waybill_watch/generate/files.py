"""Deterministic file writing: fixed gzip headers, fixed modification times, a ledger of files."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

SHANGHAI = timezone(timedelta(hours=8))


def local_epoch(when: datetime) -> float:
    """A naive Asia/Shanghai wall time as a POSIX timestamp (for os.utime)."""
    return when.replace(tzinfo=SHANGHAI).timestamp()


@dataclass
class FileLedger:
    """Every file written, with the mtime it must carry; mtimes order versions (SPEC §3)."""

    root: Path
    files: dict[str, float] = field(default_factory=dict)

    def write_bytes(self, rel: str, data: bytes, mtime: datetime) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.stamp(rel, mtime)
        return path

    def write_gzip(self, rel: str, data: bytes, mtime: datetime) -> Path:
        # mtime=0 and no file name in the header: same bytes in, same bytes out.
        return self.write_bytes(rel, gzip.compress(data, compresslevel=6, mtime=0), mtime)

    def stamp(self, rel: str, mtime: datetime) -> None:
        ts = local_epoch(mtime)
        os.utime(self.root / rel, (ts, ts))
        self.files[rel] = ts

    def copy(self, src: str, dst: str, mtime: datetime) -> None:
        (self.root / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.root / src, self.root / dst)
        self.stamp(dst, mtime)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)
