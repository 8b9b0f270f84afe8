"""``vigilintel-connector export``: every day of a range to a directory, no platform needed.

The days go through the very pipeline the connector uses, so an export shows exactly what the
connector would send.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from functools import partial
from pathlib import Path

from vigilintel_connector.clock import now_utc
from vigilintel_connector.day_workers import DayWorkers, start_workers
from vigilintel_connector.deliver.export import OutputError, write_day, write_summary
from vigilintel_connector.digests import log_digest, process_digests
from vigilintel_connector.jobs.build import (
    ExitCode,
    Stopped,
    build_upstream,
    day_options,
    signals_held,
    stopped_by_sigterm,
)
from vigilintel_connector.log import Logger, StdLogger
from vigilintel_connector.normalise.result import PROPERTY_TYPE
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.pipeline import process_days
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.paths import UPSTREAM_FIRST_DAY
from vigilintel_connector.source.periods import Period, periods_between
from vigilintel_connector.source.upstream import Listing, SourceUnreachable, Upstream

# What the most frequent removal reasons mean, for the closing lines (summary.json keeps codes).
_REASONS = {
    "merged-duplicate": "duplicates merged into one object",
    "note-relationship": "links to notes (a note already names what it is about)",
    "report-relationship": "links to the report (the report already lists its objects)",
    "relationship-to-removed": "links to removed objects",
    "placeholder-name": "placeholder names (Unknown, N/A…)",
    "placeholder-actor": "placeholder actors",
    "replaced-marking": "upstream markings (replaced by TLP:CLEAR and PAP:CLEAR)",
    "replaced-author": "upstream author identities (replaced by one VigilIntel author)",
    "replaced-daily-report": "upstream daily reports (rebuilt from the file's date)",
    "extension-definition": "extension definitions OpenCTI does not use",
    "attack-pattern-tactic": "ATT&CK tactics posing as techniques",
    "unknown-technique": "ATT&CK ids the catalog does not know",
    "version-like-ipv4": "version numbers written as IP addresses",
    "non-global-ip": "private or reserved IP addresses",
    "reference-site": "sites the articles were read on (references, not IoCs)",
    "concatenated-domain": "domains glued together",
    "invalid-email": "malformed email addresses",
    "invalid-domain": "malformed domains",
    "file-name-domain": "file names read as domains (libfoo.so, install.sh, a.zip)",
    "benign-by-remark": "indicators of values their own remark calls the victim's or legitimate",
    "av-verdict-domain": "antivirus verdicts read as domains (Trojan.AndroidOS.Agent.sm)",
    "government-domain": "government domains (reporters and victims, not attackers)",
    "closed-tld-domain": "domains under brand TLDs nobody else can register (fraud.read)",
    "malformed-object": "objects whose type or id is not text",
}


def _reason(code: str) -> str:
    if code.startswith("warninglist:"):
        return f"indicators of values MISP's {code.split(':', 1)[1]} list knows as benign"
    if code.startswith(PROPERTY_TYPE):
        return f"{code.removeprefix(PROPERTY_TYPE)} values of the wrong type"
    return _REASONS.get(code, code)


class _Console:
    """One line per imported, empty or failed day; consecutive missing days on one line."""

    def __init__(self) -> None:
        self.missing: list[dt.date] = []

    def day(self, result: DayResult) -> None:
        if result.outcome is DayOutcome.MISSING:
            self.missing.append(result.day)
            return
        self.flush()
        files = ", ".join(result.paths) or "-"
        detail = f"{result.objects:>4} objects  {files}"
        if result.outcome is not DayOutcome.IMPORTED:
            detail = result.message
        _say(f"{result.day}  {result.outcome:<10}  {result.format or '-':<8}  {detail}")

    def flush(self) -> None:
        if self.missing:
            first, last = self.missing[0], self.missing[-1]
            span = f"{first}" if first == last else f"{first} … {last}"
            _say(f"{span}  missing ({len(self.missing)} days with nothing published)")
            self.missing = []


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _closing(results: list[DayResult], summary_path: Path, digests: list[DayResult]) -> None:
    counts = Counter(r.outcome for r in results)
    sent = sum(r.objects for r in results)
    _say(
        f"\n{counts[DayOutcome.IMPORTED]} days imported ({sent:,} objects), "
        f"{counts[DayOutcome.NO_CONTENT]} without intelligence, "
        f"{counts[DayOutcome.MISSING]} with nothing published, "
        f"{counts[DayOutcome.ERROR]} in error, out of {len(results)}."
    )
    if digests:
        done = sum(1 for d in digests if d.outcome is DayOutcome.IMPORTED)
        _say(f"{done} of {len(digests)} digests imported, in {summary_path.parent / 'digests'}.")
    unknown = [path for r in results for path in r.unrecognised]
    if unknown:
        _say(
            f"{len(unknown)} files of no known kind (see the README, 'When upstream changes'): "
            + ", ".join(unknown[:5])
            + (" …" if len(unknown) > 5 else "")
        )
    dropped: Counter[str] = Counter()
    for r in results:
        dropped.update(r.tally.dropped)
    if dropped:
        top = dropped.most_common(5)
        words = "; ".join(f"{n:,} {_reason(reason)}" for reason, n in top)
        rest = len(dropped) - len(top)
        _say(f"Removed on the way, most frequent first: {words}" + (
            f"; and {rest} other reasons" if rest > 0 else ""
        ) + ".")  # fmt: skip
    for r in [*results, *digests]:
        if r.outcome is DayOutcome.ERROR:
            _say(f"error {r.label}: {r.message}")
    _say(f"Details for every day: {summary_path}")


def _writable(out: Path) -> str | None:
    """Why ``--out`` cannot take the export, or None."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"--out {out} is a file, not a directory"
    except OSError as exc:
        return f"--out {out} cannot be created ({exc.strerror})"
    if not os.access(out, os.W_OK | os.X_OK):
        return f"--out {out} is not writable"
    return None


def _range_problem(since: dt.date | None, until: dt.date | None, today: dt.date) -> str | None:
    for flag, day in (("--since", since), ("--until", until)):
        if day is not None and day > today:
            return f"{flag} {day} is in the future (today is {today}, UTC)"
        if day is not None and day < UPSTREAM_FIRST_DAY:
            return f"{flag} {day} is before upstream's first day, {UPSTREAM_FIRST_DAY}"
    if since and until and since > until:
        return f"--since {since} is after --until {until}"
    return None


def export(settings: Settings, out: Path, since: dt.date | None, until: dt.date | None) -> ExitCode:
    # The console lines say what each day did; the log adds warnings and errors (and, at
    # debug, every step).
    level = settings.connector.log_level
    logger = StdLogger(level="warn" if level == "info" else level)
    for notice in settings.notices:
        logger.warning(notice)
    today = now_utc().date()
    problem = _range_problem(since, until, today)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return ExitCode.CONFIG
    until = until or today
    since = since or max(
        until - dt.timedelta(days=settings.vigilintel.lookback_days), UPSTREAM_FIRST_DAY
    )
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    problem = _writable(out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return ExitCode.CONFIG
    upstream = build_upstream(settings, logger)
    # Before any thread starts; no more workers than days (a one-day export converts here).
    workers = start_workers(min(settings.vigilintel.workers, len(days)), logger)
    try:
        return _export(settings, out, days, since, until, upstream, workers, logger)
    finally:
        if workers is not None:
            workers.close()


def _export(
    settings: Settings,
    out: Path,
    days: list[dt.date],
    since: dt.date,
    until: dt.date,
    upstream: Upstream,
    workers: DayWorkers | None,
    logger: Logger,
) -> ExitCode:
    print(f"exporting {since} … {until} from {upstream.description} to {out}", file=sys.stderr)
    periods = periods_between(since, until, settings.vigilintel.digest_kinds)
    try:
        listing = upstream.list_files(days, probe_periods=periods, blob_shas=False)
    except SourceUnreachable as exc:
        print(
            f"error: source unreachable: {exc}. Check the network access to GitHub, or set "
            "VIGILINTEL_SOURCE to a local clone (offline: tests/data/vigilintel-sample).",
            file=sys.stderr,
        )
        return ExitCode.UNREACHABLE
    results: list[DayResult] = []
    digests: list[DayResult] = []
    console = _Console()
    summary = partial(
        write_summary, out, results, upstream.description, settings.vigilintel.language, digests
    )
    try:
        with stopped_by_sigterm():
            for result in process_days(
                days, listing, upstream.fetch, day_options(settings), logger,
                concurrency=settings.vigilintel.http_concurrency, workers=workers,
            ):  # fmt: skip
                with signals_held():
                    write_day(out, result)
                    results.append(_released(result))
                console.day(result)
            console.flush()
            _digests(settings, listing, periods, upstream.fetch, out, logger, digests, workers)
            summary()
    except OutputError as exc:
        console.flush()
        _say(f"error: {exc}")
        with suppress(OutputError):  # what was done, where the disk still allows it
            summary(interrupted=True)
        return ExitCode.OUTPUT
    except (KeyboardInterrupt, Stopped) as exc:
        console.flush()
        with suppress(OutputError):
            summary(interrupted=True)
        code = exc.code if isinstance(exc, Stopped) else ExitCode.INTERRUPTED
        _say(f"interrupted: {len(results)} days done, listed in {out / 'summary.json'}")
        return code
    _closing(results, out / "summary.json", digests)
    return ExitCode.OK


def _released(result: DayResult) -> DayResult:
    """What the summary and the closing lines need of a written day: not its bundle."""
    return replace(result, output=result.output.released()) if result.output else result


def _digests(
    settings: Settings,
    listing: Listing,
    periods: list[Period],
    fetch: Callable[[str], bytes],
    out: Path,
    logger: Logger,
    results: list[DayResult],
    workers: DayWorkers | None,
) -> None:
    """The digests of the range's periods that upstream published, as they are today (a
    snapshot: a digest not final yet is written too, and its message says so), each added to
    ``results`` as it is written."""
    wanted = [(period, files) for period in periods if (files := listing.for_period(period))]
    for period, result in process_digests(
        wanted, fetch, day_options(settings), now_utc().date(),
        settings.vigilintel.missing_grace_days, workers,
    ):  # fmt: skip
        log_digest(logger, result)
        released = _released(result)
        with signals_held():
            write_day(out, result)
            results.append(released)
        result = released
        detail = f"{result.objects:>4} objects" if result.output else result.message
        _say(f"{period.key:<10}  {result.outcome:<10}  {period.kind:<8}  {detail}")
