"""Quarter labels (`2026Q3`) and their arithmetic."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from waybill_watch.errors import WaybillWatchError

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`2026Q3` (also `2026q3`, `2026-Q3`); anything else is a user error with an example."""
        match = _QUARTER.match(text or "")
        if not match:
            raise WaybillWatchError(
                f"bad quarter {text!r}: write the year and quarter number like 2026Q3 (quarters are Q1 to Q4)"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.number - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    @property
    def previous(self) -> Quarter:
        return self.shift(-1)

    @property
    def year_ago(self) -> Quarter:
        return self.shift(-4)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the quarter (exclusive bound)."""
        return self.shift(1).start

    @property
    def label_zh(self) -> str:
        return f"{self.year}年第{'一二三四'[self.number - 1]}季度"
