"""Placeholder normaliser: passes the first bundle through."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vigilintel_connector.normalise.result import DayBundle


def normalise_day(
    bundles: list[dict[str, Any]],
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
) -> DayBundle:
    return DayBundle(bundles[0])
