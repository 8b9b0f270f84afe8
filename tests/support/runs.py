"""Run the export in-process the way a user would, and read what it wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vigilintel_connector.cli import main

FULL_RANGE = ("2025-11-14", "2026-08-08")

# The 16 sample days whose STIX carries intelligence (issue 2, from the data notes).
STIX_DAYS = {
    "2026-01-26", "2026-01-27", "2026-01-28", "2026-01-29", "2026-01-30", "2026-02-01",
    "2026-02-02", "2026-02-03", "2026-02-04", "2026-03-09", "2026-03-10", "2026-03-16",
    "2026-05-01", "2026-05-02", "2026-06-01", "2026-06-06",
}  # fmt: skip
# Sample days whose only intelligence is the daily JSON report (issue 5).
JSON_DAYS = {
    "2025-11-14", "2025-11-15", "2026-01-24", "2026-01-25", "2026-03-11", "2026-03-12",
    "2026-06-27", "2026-07-06", "2026-07-31", "2026-08-01", "2026-08-08",
}  # fmt: skip
# Sample days whose only intelligence is the Markdown report (issue 10): one per layout before
# the first JSON report, then days whose JSON and STIX are empty or absent.
MARKDOWN_DAYS = {
    "2025-04-30", "2025-05-20", "2025-06-16", "2025-07-15", "2025-08-12", "2025-09-16",
    "2025-10-14", "2025-11-05", "2025-12-16", "2026-06-02", "2026-06-04",
}  # fmt: skip
CONTENT_DAYS = STIX_DAYS | JSON_DAYS | MARKDOWN_DAYS


def use_http(env: pytest.MonkeyPatch, server: Any, **extra: str) -> None:
    env.setenv("VIGILINTEL_SOURCE", server.source_url)
    env.setenv("VIGILINTEL_LISTING_URL", server.listing_url)
    env.setenv("VIGILINTEL_HTTP_BACKOFF_FACTOR", "0.01")
    env.setenv("VIGILINTEL_HTTP_TIMEOUT", "2")
    for key, value in extra.items():
        env.setenv(key, value)


def export(out: Path, since: str, until: str, *extra: str) -> tuple[int, dict[str, Any] | None]:
    code = main(["export", "--out", str(out), "--since", since, "--until", until, *extra])
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    return code, summary


def by_status(summary: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for day in summary["days"]:
        found.setdefault(day["status"], set()).add(day["date"])
    return found


def day_entry(summary: dict[str, Any], date: str) -> dict[str, Any]:
    return next(d for d in summary["days"] if d["date"] == date)
