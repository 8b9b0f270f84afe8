"""Command line: ``export`` (no OpenCTI needed) and ``run`` (the connector)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from vigilintel_connector.jobs.build import ExitCode
from vigilintel_connector.settings import ConfigError, load_settings

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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    if args.command == "export":
        from vigilintel_connector.jobs.export import export

        return export(settings, args.out, args.since, args.until)
    from vigilintel_connector.jobs.connector import run_connector

    return run_connector(settings)
