"""Small-count suppression for the public report, with complementary suppression.

Every count the report publishes is a *fact* with a key, e.g. ("cases_opened", "2026Q3", "440000", "MPS").
The same fact may appear in several tables (a province's cases are a row total of the enforcement
matrix and a column of the province table); it is suppressed everywhere or nowhere, so no table
can undo another's suppression.

A *line* is an additive relation between facts that the report shows: `total = part_1 + … + part_n`
(a row or column of a table with its total). If exactly one fact of a line is hidden, it is the
total minus the rest, so it must not stay alone. The algorithm:

1. primary suppression: every fact with 1 ≤ value < min_count (a total that is itself small too);
2. complementary suppression: while some line has exactly one suppressed fact, also suppress the
   smallest positive part of that line (a zero part only when no positive part is left, the total only
   when no part is left); repeat to a fixed point (it terminates: each round suppresses one more fact).

A true zero is published: that nobody was counted discloses nothing about a person.

Known limit: the rule makes every line hold 0 or ≥ 2 suppressed facts, which defeats solving line by
line. It does not compute the feasible interval of each hidden cell (a hidden pair in a tiny table may
still be bounded tightly), which full cell-suppression solvers (e.g. tau-ARGUS) do.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

Key = Hashable
SUPPRESSED_MARK = "[c]"


@dataclass
class Line:
    total: Key
    parts: list[Key]

    @property
    def keys(self) -> list[Key]:
        return [self.total, *self.parts]


@dataclass
class Disclosure:
    """The register of published counts and the additive lines between them."""

    facts: dict[Key, float | int | None] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    suppressed: set[Key] = field(default_factory=set)
    primary: set[Key] = field(default_factory=set)
    # the same fact read from two marts with two values: kept first, reported in the data-quality section
    conflicts: list[str] = field(default_factory=list)

    def fact(self, key: Key, value: float | int | None) -> Key:
        """Register a count under its key (the first value wins; a disagreeing one is a conflict)."""
        value = None if value is None else int(value)
        if key in self.facts and self.facts[key] != value:
            self.conflicts.append(f"{key!r}: {self.facts[key]} vs {value}")
            return key
        self.facts[key] = value
        return key

    def line(self, total: Key, parts: Iterable[Key]) -> None:
        parts = [p for p in parts if p != total]
        if parts:
            self.lines.append(Line(total, parts))

    def is_suppressed(self, *keys: Key) -> bool:
        return any(k in self.suppressed for k in keys if k is not None)

    def solve(self, min_count: int) -> set[Key]:
        self.primary = {k for k, v in self.facts.items() if v is not None and 0 < v < min_count}
        self.suppressed = complementary_suppression(self.facts, self.lines, self.primary)
        return self.suppressed


def _value(facts: dict[Key, float | int | None], key: Key) -> float:
    value = facts.get(key)
    return 0 if value is None else value


def _complement_for(line: Line, facts: dict[Key, float | int | None], suppressed: set[Key]) -> Key | None:
    open_parts = [k for k in line.parts if k not in suppressed]
    positive = [k for k in open_parts if _value(facts, k) > 0]
    for pool in (positive, open_parts):
        if pool:
            # smallest value loses least information; ties broken by the line's own order
            return min(pool, key=lambda k: _value(facts, k))
    return line.total if line.total not in suppressed else None


def complementary_suppression(
    facts: dict[Key, float | int | None], lines: list[Line], primary: set[Key]
) -> set[Key]:
    """Primary cells plus complements until no line has exactly one suppressed fact."""
    suppressed = set(primary)
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [k for k in line.keys if k in suppressed]
            if len(hidden) != 1:
                continue
            complement = _complement_for(line, facts, suppressed)
            if complement is not None:
                suppressed.add(complement)
                changed = True
    return suppressed
