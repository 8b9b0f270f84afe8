"""Wall-clock times as the state and the summary write them: ISO 8601, UTC, with ``Z``."""

from __future__ import annotations

import datetime as dt


def iso_utc(moment: dt.datetime, timespec: str = "seconds") -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
