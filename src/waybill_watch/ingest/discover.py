"""Find landed files under RAW (SPEC §3) and describe each: feed, path, hash, size, mtime."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CRAWL_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
CRAWL_FOLDER_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class LandedFile:
    path: Path
    rel_path: str  # relative to RAW, '/'-separated
    feed: str  # crawl | incidents | cases | sites
    size: int
    mtime: dt.datetime  # naive UTC
    content_hash: str  # SHA-256 hex of the bytes as landed
    crawl_folder_date: dt.date | None = None

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _crawl_folder_date(name: str) -> dt.date | None:
    if not CRAWL_FOLDER_RE.match(name):
        return None
    try:
        return dt.date.fromisoformat(name)
    except ValueError:
        return None


def _candidates(raw_dir: Path) -> list[tuple[Path, str, dt.date | None]]:
    """(path, feed, crawl folder date) of every file the landing contract names; the rest is ignored."""
    found: list[tuple[Path, str, dt.date | None]] = []
    crawl = raw_dir / "crawl"
    if crawl.is_dir():
        for folder in sorted(p for p in crawl.iterdir() if p.is_dir()):
            folder_date = _crawl_folder_date(folder.name)
            if folder_date is None:
                continue
            found += [
                (p, "crawl", folder_date)
                for p in sorted(folder.iterdir())
                if p.is_file() and p.name.endswith(CRAWL_SUFFIXES) and not p.name.startswith(".")
            ]
    for feed in ("incidents", "cases"):
        folder = raw_dir / feed
        if folder.is_dir():
            found += [
                (p, feed, None)
                for p in sorted(folder.iterdir())
                if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith(".")
            ]
    sites = raw_dir / "sites.csv"
    if sites.is_file():
        found.append((sites, "sites", None))
    return found


# (path relative to RAW, size, mtime) of a file already hashed → its content hash
KnownFiles = dict[tuple[str, int, dt.datetime], str]


def discover_files(raw_dir: Path, known: KnownFiles | None = None) -> list[LandedFile]:
    """Every landed file, ordered as it landed: modification time, then path.

    A file whose path, size and modification time are in `known` (from the audit) is not read
    again: its recorded content hash is taken. Only new or changed files are hashed, so a re-run
    over a landing zone of thousands of ingested files costs a `stat` per file."""
    known = known or {}
    files = []
    for path, feed, folder_date in _candidates(raw_dir):
        stat = path.stat()
        rel_path = path.relative_to(raw_dir).as_posix()
        mtime = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(tzinfo=None)
        content_hash = known.get((rel_path, stat.st_size, mtime)) or file_sha256(path)
        files.append(
            LandedFile(
                path=path,
                rel_path=rel_path,
                feed=feed,
                size=stat.st_size,
                mtime=mtime,
                content_hash=content_hash,
                crawl_folder_date=folder_date,
            )
        )
    return sorted(files, key=lambda f: (f.mtime, f.rel_path))
