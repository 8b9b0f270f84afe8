"""Command line: ``export`` (no OpenCTI needed) and ``run`` (the connector)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from vigilintel_connector import __version__
from vigilintel_connector.jobs.build import ExitCode, Stopped
from vigilintel_connector.memory import return_freed_memory
from vigilintel_connector.settings import ConfigError, load_settings

DEFAULT_EXPORT_DIR = Path("vigilintel-export")

_EXIT_CODES = """exit status:
  0    done (days in error, if any, are listed at the end and in summary.json)
  1    the source (export) or the OpenCTI platform (run) could not be used
  2    a configuration or argument mistake: the message names it
  3    the export could not write its directory (full, read-only, permission)
  70   an unexpected error: one line, and the path of a file with the traceback
  130  interrupted (Ctrl-C), 143 stopped (SIGTERM): summary.json lists the days done"""
_SETTINGS = """settings (environment variables, or the same keys nested in config.yml):
  VIGILINTEL_SOURCE          base URL of a mirror, or a local clone (default: GitHub)
  VIGILINTEL_LANGUAGE        fr (default), en, or fr,en
  VIGILINTEL_LOOKBACK_DAYS   default range: today - N … today (default 7)
  VIGILINTEL_SOURCE_FORMATS  artefacts merged per day (default stix,json,markdown)
  VIGILINTEL_DIGESTS         weekly,monthly (default), one of them, or empty for none
  all of them, with types and defaults: vigilintel-connector settings"""


class _Parser(argparse.ArgumentParser):
    """A mistake in the arguments is one line, not the usage text: ``--help`` has that."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.CONFIG, f"{self.prog}: error: {message} (see --help)\n")


def _out_dir(value: str) -> Path:
    if not value.strip():
        raise argparse.ArgumentTypeError("expected a directory, got an empty value")
    return Path(value)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS,
        help="YAML configuration file (default: ./config.yml when it exists)",
    )  # fmt: skip
    parser = _Parser(
        prog="vigilintel-connector",
        description="Import the daily VigilIntel reports into OpenCTI, or export them to files.",
        parents=[config],
        epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    export = commands.add_parser(
        "export", parents=[config], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write each day's STIX bundle to a directory (no OpenCTI needed)",
        description="Fetch, clean and merge each day of VigilIntel in a range, and write one "
        "STIX 2.1 bundle per imported day (DIR/YYYY-MM-DD.json), one per weekly or monthly "
        "digest of the range (DIR/digests/PERIOD.json) and DIR/summary.json.",
        epilog=f"{_SETTINGS}\n\n{_EXIT_CODES}",
    )  # fmt: skip
    export.add_argument(
        "--out", type=_out_dir, default=DEFAULT_EXPORT_DIR, metavar="DIR",
        help=f"output directory, created if needed (default: ./{DEFAULT_EXPORT_DIR})",
    )  # fmt: skip
    export.add_argument(
        "--since", type=_date, metavar="YYYY-MM-DD",
        help="first day (default: --until minus VIGILINTEL_LOOKBACK_DAYS)",
    )  # fmt: skip
    export.add_argument(
        "--until", type=_date, metavar="YYYY-MM-DD", help="last day (default: today, UTC)"
    )
    commands.add_parser(
        "settings", help="print every setting, its type, default and meaning (Markdown)",
        description="Every environment variable (or config.yml key) the connector reads.",
    )  # fmt: skip
    commands.add_parser(
        "run", parents=[config], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run the OpenCTI connector on its schedule",
        description="Register with OpenCTI and import every day not yet imported, then again "
        "every CONNECTOR_DURATION_PERIOD (once with CONNECTOR_RUN_AND_TERMINATE=true). Needs "
        "OPENCTI_URL, OPENCTI_TOKEN and CONNECTOR_ID (a UUIDv4).",
        epilog=f"{_SETTINGS}\n\n{_EXIT_CODES}",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
    except KeyboardInterrupt:  # before or after the export's own handling; the connector's
        code = ExitCode.INTERRUPTED
    except Stopped as stopped:
        code = stopped.code
    except Exception as exc:
        code = _unexpected(exc)
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(code)  # a download in flight would otherwise hold the exit for its deadline
    return code


def _unexpected(exc: Exception) -> ExitCode:
    """One line on the console; the traceback in a file for the bug report."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    log = Path(tempfile.gettempdir()) / f"vigilintel-connector-{stamp}-{os.getpid()}.log"
    try:
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = f"traceback in {log}"
    except OSError:
        where = "no traceback written: the temporary directory is not writable"
    print(f"error: unexpected {type(exc).__name__}: {exc} ({where})", file=sys.stderr)
    return ExitCode.INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    return_freed_memory()
    if args.command == "settings":
        from vigilintel_connector.config_schema import build_doc

        print(build_doc(), end="")
        return ExitCode.OK
    try:
        settings = load_settings(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    if args.command == "export":
        from vigilintel_connector.jobs.export import export

        return export(settings, args.out, args.since, args.until)
    from vigilintel_connector.jobs.connector import run_connector

    return run_connector(settings)
