"""Command line: ``export`` (no OpenCTI needed) and ``run`` (the connector)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from vigilintel_connector.deliver.export import write_day, write_summary
from vigilintel_connector.log import StdLogger
from vigilintel_connector.pipeline import DayResult, process_days
from vigilintel_connector.settings import ConfigError, Settings, load_settings
from vigilintel_connector.source.upstream import SourceUnreachable
from vigilintel_connector.wiring import build_upstream, day_options

EXIT_OK, EXIT_UNREACHABLE, EXIT_CONFIG = 0, 1, 2
DEFAULT_EXPORT_DIR = Path("vigilintel-export")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigilintel-connector",
        description="Import the daily VigilIntel reports into OpenCTI, or export them to files.",
    )
    parser.add_argument("--config", type=Path, help="YAML configuration (default: ./config.yml)")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write each day's bundle to a directory")
    export.add_argument("--out", type=Path, default=DEFAULT_EXPORT_DIR, help="output directory")
    export.add_argument("--since", type=_date, help="first day (default: today - lookback)")
    export.add_argument("--until", type=_date, help="last day (default: today, UTC)")
    commands.add_parser("run", help="run the OpenCTI connector on its schedule")
    return parser


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _progress(result: DayResult) -> None:
    files = ", ".join(result.files) or "-"
    print(
        f"{result.day}  {result.status:<10}  {result.format or '-':<4}  "
        f"{result.objects:>4} objects  {files}",
        file=sys.stderr,
        flush=True,
    )


def _print_table(results: list[DayResult]) -> None:
    counts = Counter(str(r.status) for r in results)
    dropped: Counter[str] = Counter()
    for r in results:
        dropped.update(r.dropped)
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
        if r.status == "error":
            print(f"error {r.day}: {r.message}", file=sys.stderr)


def export(settings: Settings, out: Path, since: dt.date | None, until: dt.date | None) -> int:
    logger = StdLogger(level=settings.connector.log_level)
    for notice in settings.notices:
        logger.warning(notice)
    until = until or today_utc()
    since = since or (until - dt.timedelta(days=settings.vigilintel.lookback_days))
    if since > until:
        print(f"error: --since {since} is after --until {until}", file=sys.stderr)
        return EXIT_CONFIG
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    out.mkdir(parents=True, exist_ok=True)
    upstream = build_upstream(settings, logger)
    print(f"exporting {since} … {until} from {upstream.description} to {out}", file=sys.stderr)
    try:
        listing = upstream.list_files(days)
    except SourceUnreachable as exc:
        print(f"error: source unreachable: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
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
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "export":
        return export(settings, args.out, args.since, args.until)
    from vigilintel_connector.deliver.connector import run_connector

    return run_connector(settings)
