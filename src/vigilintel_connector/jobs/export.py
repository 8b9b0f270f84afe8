"""``vigilintel-connector export``: every day of a range to a directory, no platform needed.

The days go through the very pipeline the connector uses, so an export shows exactly what the
connector would send.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path

from vigilintel_connector.clock import now_utc
from vigilintel_connector.deliver.export import write_day, write_summary
from vigilintel_connector.jobs.build import ExitCode, build_upstream, day_options
from vigilintel_connector.log import StdLogger
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.pipeline import process_days
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.upstream import SourceUnreachable


def _progress(result: DayResult) -> None:
    files = ", ".join(result.paths) or "-"
    print(
        f"{result.day}  {result.outcome:<10}  {result.format or '-':<4}  "
        f"{result.objects:>4} objects  {files}",
        file=sys.stderr,
        flush=True,
    )


def _print_table(results: list[DayResult]) -> None:
    counts = Counter(str(r.outcome) for r in results)
    dropped: Counter[str] = Counter()
    for r in results:
        dropped.update(r.tally.dropped)
    print("\nstatus       days", file=sys.stderr)
    for status in ("imported", "no-content", "missing", "error"):
        print(f"{status:<12} {counts.get(status, 0):>4}", file=sys.stderr)
    print(f"{'total':<12} {len(results):>4}", file=sys.stderr)
    print(f"objects      {sum(r.objects for r in results):>4}", file=sys.stderr)
    if dropped:
        print(
            "dropped: " + ", ".join(f"{k}={v}" for k, v in sorted(dropped.items())), file=sys.stderr
        )
    for r in results:
        if r.outcome is DayOutcome.ERROR:
            print(f"error {r.day}: {r.message}", file=sys.stderr)


def export(settings: Settings, out: Path, since: dt.date | None, until: dt.date | None) -> ExitCode:
    logger = StdLogger(level=settings.connector.log_level)
    for notice in settings.notices:
        logger.warning(notice)
    until = until or now_utc().date()
    since = since or (until - dt.timedelta(days=settings.vigilintel.lookback_days))
    if since > until:
        print(f"error: --since {since} is after --until {until}", file=sys.stderr)
        return ExitCode.CONFIG
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    out.mkdir(parents=True, exist_ok=True)
    upstream = build_upstream(settings, logger)
    print(f"exporting {since} … {until} from {upstream.description} to {out}", file=sys.stderr)
    try:
        listing = upstream.list_files(days)
    except SourceUnreachable as exc:
        print(f"error: source unreachable: {exc}", file=sys.stderr)
        return ExitCode.UNREACHABLE
    results = []
    for result in process_days(
        days,
        listing,
        upstream.fetch,
        day_options(settings),
        logger,
        concurrency=settings.vigilintel.http_concurrency,
    ):
        write_day(out, result)
        _progress(result)
        results.append(result)
    write_summary(out, results, upstream.description, settings.vigilintel.language)
    _print_table(results)
    print(f"summary: {out / 'summary.json'}", file=sys.stderr)
    return ExitCode.OK
