"""Personal-data patterns (SPEC §8), pseudonymization and masking.

One definition of what counts as personal data, used by ingest (to mask and flag) and by
the tests that scan every table past the boundary (to prove nothing got through).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import warnings

import numpy as np

from waybill_watch.config import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV
from waybill_watch.errors import WaybillWatchError

# Digit boundaries keep a pattern from matching inside a longer number.
MOBILE = r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"
MOBILE_COMPACT = r"(?<!\d)1[3-9]\d{9}(?!\d)"
ID_NUMBER = r"(?<!\d)[1-9]\d{16}[\dXx](?![\dA-Za-z])"
WAYBILL_PATTERNS = (
    r"(?<![A-Za-z0-9])SF\d{12,13}(?!\d)",
    r"(?<![A-Za-z0-9])YT\d{13}(?!\d)",
    r"(?<![A-Za-z0-9])JT\d{13}(?!\d)",
    r"(?<!\d)7[3-8]\d{10,13}(?!\d)",
    # UPU S10: two letters, 8 digits + check digit, two-letter country.
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{9}[A-Z]{2}(?![A-Za-z0-9])",
)
PERSONAL_DATA_RE = re.compile("|".join((MOBILE, ID_NUMBER, *WAYBILL_PATTERNS)))
# What the SPEC §8 scan looks for in stored tables (compact forms).
SCAN_RE = re.compile("|".join((MOBILE_COMPACT, ID_NUMBER, *WAYBILL_PATTERNS)))
LONG_DIGIT_RUN_RE = re.compile(r"\d{7,}")
BASE32_DIGITS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)


def _without_lookarounds(pattern: str) -> str:
    return re.sub(r"\(\?<?[!=][^()]*\)", "", pattern)


# A superset of PERSONAL_DATA_RE in the syntax of polars' regex engine (no look-around):
# ingest uses it to pick the few values that need the exact (Python) check, so that masking
# stays fast on millions of rows while this module remains the one definition.
PERSONAL_DATA_PREFILTER = "|".join(_without_lookarounds(p) for p in (MOBILE, ID_NUMBER, *WAYBILL_PATTERNS))
LONG_DIGIT_RUN_PREFILTER = LONG_DIGIT_RUN_RE.pattern
# Keys we write ourselves: base32 pseudonyms, hex hashes, listing keys ("4" and 15 hex digits,
# docs/dbt/listings.md) and bronze file names (16 hex digits of the content hash + .parquet,
# docs/bronze.md). A hash can contain an 11-digit run by chance, so a value that is wholly a key is
# not scanned as text.
KEY_VALUE_RE = re.compile(r"^(?:[a-z2-7]{52}|[0-9a-f]{32}|[0-9a-f]{64}|4[0-9a-f]{15}|[0-9a-f]{16}\.parquet)$")


def pseudonym_key(strict: bool = False) -> bytes:
    """The HMAC key from the environment; the documented demo key (with a warning) when unset."""
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if key and key != DEMO_PSEUDONYM_KEY:
        return key.encode("utf-8")
    if strict:
        raise WaybillWatchError(
            f"--strict needs a real pseudonym key: set {PSEUDONYM_KEY_ENV} (the demo key is refused)"
        )
    warnings.warn(
        f"{PSEUDONYM_KEY_ENV} is not set: using the public demo key; pseudonyms are not secret",
        stacklevel=2,
    )
    return DEMO_PSEUDONYM_KEY.encode("utf-8")


def canonical_identifier(value: str | None) -> str | None:
    """Handles and contacts compare trimmed and case-folded (SPEC §5 Seller)."""
    if value is None:
        return None
    text = value.strip().casefold()
    return text or None


def pseudonymize(value: str | None, key: bytes) -> str | None:
    """Keyed hash (HMAC-SHA256) as lower-case base32: no long digit runs to trip the scans."""
    text = canonical_identifier(value)
    if text is None:
        return None
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def pseudonymize_all(values: list[str | None], key: bytes) -> list[str | None]:
    """pseudonymize() of each value, the same strings, made in bulk: Python's base32 of one value
    at a time was half the ingest time of a day's new identifiers (184k at 100M: 2.4 s)."""
    texts = [canonical_identifier(value) for value in values]
    digests = b"".join(hmac.digest(key, text.encode("utf-8"), "sha256") for text in texts if text is not None)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32), axis=1)
    # 256 bits, zero-filled to 260, are 52 base32 digits of 5 bits (the unpadded encoding)
    digits = np.pad(bits, ((0, 0), (0, 4))).reshape(-1, 52, 5) @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    encoded = BASE32_DIGITS[digits].tobytes().decode("ascii")
    keys = iter(encoded[i : i + 52] for i in range(0, len(encoded), 52))
    return [next(keys) if text is not None else None for text in texts]


def mask_personal_data(text: str | None) -> str | None:
    """Replace mobile, ID and waybill numbers with asterisks of the same length."""
    if text is None:
        return None
    return PERSONAL_DATA_RE.sub(lambda m: "*" * len(m.group(0)), text)


def mask_long_digit_runs(text: str | None) -> str | None:
    """Free text keeps no digit run of 7 or more (SPEC §8)."""
    if text is None:
        return None
    return LONG_DIGIT_RUN_RE.sub(lambda m: "*" * len(m.group(0)), mask_personal_data(text) or "")


def has_personal_data(text: str | None) -> bool:
    """True when the text holds a full mobile, 18-digit ID or waybill number."""
    return bool(text) and PERSONAL_DATA_RE.search(text) is not None


def scan_hits(value: object) -> list[str]:
    """SPEC §8 scan of one stored value: the personal-data matches it holds."""
    if value is None:
        return []
    text = str(value)
    if KEY_VALUE_RE.match(text):
        return []
    return [m.group(0) for m in SCAN_RE.finditer(text)]
