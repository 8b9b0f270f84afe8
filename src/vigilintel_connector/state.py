"""The connector state kept in OpenCTI: which days are settled, and by what content.

A day is *settled* when it was imported, holds no intelligence, or stayed unpublished past the
grace window. Each settled day records a fingerprint of upstream's files for that day (their git
blob SHAs) and, when imported, the key of what was sent; a later run compares fingerprints from the
listing alone, so an unchanged day costs no download and a rewritten file is imported again.
Everything here is pure: the runner reads and writes the platform's state around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from vigilintel_connector.outcome import DayOutcome
from vigilintel_connector.source.paths import UPSTREAM_FIRST_DAY

MAX_DAY_RECORDS = 500  # ~16 months of days: bounds the state the platform stores and pings
MAX_DIGEST_RECORDS = 120  # ~20 months of weekly and monthly digests


@dataclass
class DayRecord:
    status: DayOutcome
    fingerprint: str | None  # of the day's listed files; None when unknown (probing)
    sent_key: str | None = None  # what was last delivered for this day (``DayResult.sent_key``)
    at: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": str(self.status), "at": self.at}
        if self.fingerprint is not None:
            data["fingerprint"] = self.fingerprint
        if self.sent_key is not None:
            data["sent_key"] = self.sent_key
        return data


@dataclass
class ConnectorState:
    start_date: dt.date  # first day this state plans; earlier days are out of scope
    done_until: dt.date | None = None  # days before start_date known done (older state, pruning)
    last_processed_date: dt.date | None = None
    last_run: str | None = None
    days: dict[dt.date, DayRecord] = field(default_factory=dict)
    digests: dict[str, DayRecord] = field(default_factory=dict)  # by period: 2026-07-w4, 2026-07

    def to_dict(self) -> dict[str, Any]:
        """The brief's keys first (``last_processed_date``, ``last_run``), then ours."""
        return {
            "last_processed_date": _iso(self.last_processed_date),
            "last_run": self.last_run,
            "start_date": self.start_date.isoformat(),
            "days": {d.isoformat(): r.to_dict() for d, r in sorted(self.days.items())},
            "digests": {k: r.to_dict() for k, r in sorted(self.digests.items())},
        }

    def planned_days(self, today: dt.date) -> list[dt.date]:
        span = (today - self.start_date).days + 1
        return [self.start_date + dt.timedelta(days=i) for i in range(span)]

    def settle_cursor(self, today: dt.date) -> None:
        """``last_processed_date``: the newest day such that every day up to it is settled."""
        cursor = self.done_until
        for day in self.planned_days(today):
            record = self.days.get(day)
            if record is None or not record.status.settled:
                break
            cursor = day
        self.last_processed_date = cursor

    def prune(self) -> None:
        """Keep the newest records only; the start moves past what is forgotten, which must be
        settled (an unsettled day is never forgotten, so it is never lost)."""
        for key in sorted(self.digests)[: max(0, len(self.digests) - MAX_DIGEST_RECORDS)]:
            if self.digests[key].status.settled:
                del self.digests[key]
        if len(self.days) <= MAX_DAY_RECORDS:
            return
        ordered = sorted(self.days)
        for day in ordered[: len(ordered) - MAX_DAY_RECORDS]:
            if not self.days[day].status.settled:
                break
            del self.days[day]
            self.start_date = day + dt.timedelta(days=1)
            self.done_until = day


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def fingerprint(files: list[tuple[str, str | None]]) -> str | None:
    """One short value for the set of a day's files and their contents; None if a SHA is unknown."""
    if any(sha is None for _, sha in files):
        return None
    text = "\n".join(sorted(f"{path} {sha}" for path, sha in files))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load_state(raw: object, today: dt.date, first_day: dt.date) -> tuple[ConnectorState, list[str]]:
    """Read what the platform holds, tolerating every shape it may have; warnings say what was
    assumed. ``first_day`` is where a backfill starts (start date or today - lookback).

    A state that cannot be used at all never stops the connector: whatever it holds (dates out
    of any range, nesting deeper than Python recurses, values of the wrong type), the answer is
    a warning and a fresh backfill, not a failure on every run until an admin resets it."""
    try:
        return _load_state(raw, today, first_day)
    except (ArithmeticError, RecursionError, ValueError, TypeError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
        return ConnectorState(start_date=first_day), [
            f"Connector state could not be used ({reason}); starting a backfill from {first_day}"
        ]


def _load_state(
    raw: object, today: dt.date, first_day: dt.date
) -> tuple[ConnectorState, list[str]]:
    if raw is None or raw == {}:
        return ConnectorState(start_date=first_day), []
    if not isinstance(raw, dict):
        return ConnectorState(start_date=first_day), [
            f"Connector state is not an object ({type(raw).__name__}); starting a backfill "
            f"from {first_day}"
        ]
    warnings: list[str] = []
    last = _parse_day(raw.get("last_processed_date"))
    if raw.get("last_processed_date") is not None and last is None:
        warnings.append("Connector state has an unreadable last_processed_date; ignored")
    if last is not None and last > today:
        warnings.append(
            f"Connector state's last_processed_date {last} is in the future; "
            f"ignored, backfilling from {first_day}"
        )
        last = None
    days: dict[dt.date, DayRecord] = {}
    raw_days = raw.get("days")
    if raw_days is not None and not isinstance(raw_days, dict):
        warnings.append("Connector state's day records are unreadable; ignored")
        raw_days = {}
    for key, value in (raw_days or {}).items():
        record = _parse_record(key, value, today)
        if record is None:
            warnings.append(f"Connector state: dropped an unreadable record for {key!r}")
            continue
        days[record[0]] = record[1]
    digests: dict[str, DayRecord] = {}
    raw_digests = raw.get("digests")
    for key, value in (raw_digests if isinstance(raw_digests, dict) else {}).items():
        digest = _record(value)
        if digest is None:
            warnings.append(f"Connector state: dropped an unreadable digest record for {key!r}")
            continue
        digests[str(key)] = digest
    start = _parse_day(raw.get("start_date"))
    if start is not None and start > today:
        start = None
    if start is None:
        if days:
            start = min(days)
        elif last is not None:
            # The brief's format: every day up to last_processed_date was done.
            start = last + dt.timedelta(days=1)
            warnings.append(
                f"Connector state from an older format: days up to {last} are taken as done"
            )
        else:
            if raw.get("last_processed_date") is None and raw.get("days") is None:
                warnings.append(f"Connector state is not recognised; backfilling from {first_day}")
            start = first_day
    floor = start - dt.timedelta(days=1)
    state = ConnectorState(
        start_date=start,
        done_until=floor if last is not None and last >= floor else None,
        last_run=_text(raw.get("last_run")),
        days=days,
        digests=digests,
    )
    state.settle_cursor(today)
    return state, warnings


def _parse_day(value: object) -> dt.date | None:
    """A stored date, or None when unreadable or before upstream's first report (a date such as
    0001-01-01 would plan hundreds of thousands of days, then overflow)."""
    if not isinstance(value, str):
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    return day if day >= UPSTREAM_FIRST_DAY - dt.timedelta(days=1) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _parse_record(key: object, value: object, today: dt.date) -> tuple[dt.date, DayRecord] | None:
    day = _parse_day(key)
    if day is None or day > today:
        return None
    record = _record(value)
    return (day, record) if record else None


def _record(value: object) -> DayRecord | None:
    if not isinstance(value, dict):
        return None
    try:
        status = DayOutcome(value.get("status"))
    except ValueError:
        return None
    # "files" and "sent" are the names the first release wrote.
    fingerprint = value.get("fingerprint", value.get("files"))
    sent_key = value.get("sent_key", value.get("sent"))
    return DayRecord(
        status=status,
        fingerprint=_text(fingerprint),
        sent_key=_text(sent_key),
        at=_text(value.get("at")) or "",
    )


@dataclass(frozen=True)
class Decision:
    process: bool
    reason: str


def decide(
    record: DayRecord | None,
    fingerprint_now: str | None,
    day: dt.date,
    today: dt.date,
    grace_days: int,
) -> Decision:
    """Whether a day needs work this run, from the listing alone (no download)."""
    if record is None:
        return Decision(True, "new day")
    if not record.status.settled:
        return Decision(True, f"previously {record.status}")
    if fingerprint_now is not None and fingerprint_now == record.fingerprint:
        return Decision(False, "unchanged")
    if fingerprint_now is None and (today - day).days > grace_days:
        return Decision(False, "settled; contents unknown without a listing")
    return Decision(True, "upstream files changed")
