"""Upstream's weekly and monthly digests: which period a file covers, and when it is final.

Since April 2026 upstream publishes, beside the daily reports, ``YYYY/MM/YYYY-MM-wN-*`` (week
N of the month: days 1 to 7, 8 to 14, 15 to 21, 22 to 28, then w5 for the rest) and
``YYYY/MM/YYYY-MM-*`` (the whole month). A digest is rolling: rewritten every day of its
period, final once written on its last day or later.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from vigilintel_connector.source.paths import is_safe_path

DigestKind = Literal["weekly", "monthly"]
DIGEST_KINDS: tuple[DigestKind, ...] = ("weekly", "monthly")

_DIGEST = re.compile(
    r"(\d{4})/(\d{2})/(\d{4})-(\d{2})(?:-w([1-5]))?-([A-Za-z][A-Za-z0-9._-]*\.(?:json|md))"
)
_GENERATED = re.compile(rb"(?:Generated on|G\xc3\xa9n\xc3\xa9r\xc3\xa9 le)\s+(\d{4}-\d{2}-\d{2})")
# The names upstream gives its digests: probed when no listing can be had.
_SUFFIXES = ("report.json", "report.md")


@dataclass(frozen=True)
class Period:
    year: int
    month: int
    week: int | None = None  # None: the whole month

    @property
    def kind(self) -> DigestKind:
        return "monthly" if self.week is None else "weekly"

    @property
    def key(self) -> str:
        """``2026-07-w4`` or ``2026-07``, as upstream names it."""
        month = f"{self.year:04d}-{self.month:02d}"
        return month if self.week is None else f"{month}-w{self.week}"

    @property
    def exists(self) -> bool:
        """False for a w5 in a 28-day February."""
        return (
            self.week is None or 7 * self.week - 6 <= calendar.monthrange(self.year, self.month)[1]
        )

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1 if self.week is None else 7 * self.week - 6)

    @property
    def end(self) -> dt.date:
        last = calendar.monthrange(self.year, self.month)[1]
        return dt.date(self.year, self.month, last if self.week in (None, 5) else 7 * self.week)

    def overlaps(self, since: dt.date, until: dt.date) -> bool:
        return self.start <= until and self.end >= since


@dataclass(frozen=True, slots=True)
class DigestFile:
    path: str
    period: Period


def parse_digest_path(path: str) -> DigestFile | None:
    """The digest a repository path is, or None."""
    if not is_safe_path(path):
        return None
    match = _DIGEST.fullmatch(path)
    if not match:
        return None
    folder_year, folder_month, year, month, week, _ = match.groups()
    if (folder_year, folder_month) != (year, month) or not 1 <= int(month) <= 12:
        return None
    period = Period(int(year), int(month), int(week) if week else None)
    if not period.exists:
        return None
    return DigestFile(path, period)


def periods_between(since: dt.date, until: dt.date, kinds: tuple[DigestKind, ...]) -> list[Period]:
    """Every period of the given kinds that overlaps ``since`` … ``until``."""
    found: list[Period] = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        candidates = [Period(year, month)] if "monthly" in kinds else []
        if "weekly" in kinds:
            candidates += [Period(year, month, week) for week in range(1, 6)]
        found += [p for p in candidates if p.exists and p.overlaps(since, until)]
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(found, key=lambda p: (p.end, p.week is None))


def expected_digest_paths(period: Period) -> list[str]:
    return [f"{period.start:%Y/%m}/{period.key}-{suffix}" for suffix in _SUFFIXES]


def generated_on(content: bytes) -> dt.date | None:
    """The date a digest's Markdown says it was generated (``> Generated on 2026-05-07 …``)."""
    match = _GENERATED.search(content[:2000])
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1).decode())
    except ValueError:
        return None
