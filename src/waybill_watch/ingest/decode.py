"""Text encodings of landed files: UTF-8, UTF-8 with a byte-order mark, GB18030/GBK.

GBK is a subset of GB18030, so one GB18030 decoder reads both. Detection is by strict
decoding, UTF-8 first (valid UTF-8 is almost never meaningful GB18030); a file that
decodes cleanly as neither is rejected with its reason, never read with a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
# Characters no real export holds; their presence means the GB18030 reading is a guess
# (random bytes often "decode" into private-use or control characters).
IMPLAUSIBLE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ue000-\uf8ff\ufffd]")


class FileRejected(Exception):
    """A landed file that cannot be read at all: quarantined whole, with its reason."""

    def __init__(self, rule: str, reason: str, rows_read: int = 0, encoding: str | None = None) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
        self.rows_read = rows_read
        self.encoding = encoding


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # utf-8 | utf-8-sig | gb18030

    def utf8(self) -> bytes:
        return self.text.encode("utf-8")


def decode_bytes(data: bytes) -> Decoded:
    """The file's text and the encoding it was found in; FileRejected when neither fits."""
    if data.startswith(UTF8_BOM):
        try:
            return Decoded(data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding", f"starts with a UTF-8 byte-order mark but is not UTF-8 (byte {exc.start})"
            ) from exc
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding",
                f"neither UTF-8 (invalid byte at {utf8_error.start}) nor GB18030 "
                f"(invalid byte at {exc.start})",
            ) from exc
        bad = IMPLAUSIBLE_RE.search(text)
        if bad is not None:
            raise FileRejected(
                "bad_encoding",
                f"not UTF-8 (invalid byte at {utf8_error.start}); as GB18030 it holds control or "
                f"private-use characters (U+{ord(bad.group(0)):04X}), so the encoding is unknown",
            ) from utf8_error
        return Decoded(text, "gb18030")
