"""One day, start to finish: plan candidates, fetch, judge, normalise. No delivery, no state.

The same function serves the export and the connector, so an export shows exactly what the
connector would send.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from vigilintel_connector import limits
from vigilintel_connector.convert.markdown import markdown_contribution
from vigilintel_connector.convert.report_json import json_contribution
from vigilintel_connector.day_workers import DayWorkers, Pending, WorkerLost
from vigilintel_connector.log import Logger
from vigilintel_connector.normalise.context import DEFAULT_CONFIDENCE
from vigilintel_connector.normalise.result import Contribution, NoContent
from vigilintel_connector.normalise.stix import normalise_contributions, stix_contribution
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.select.candidates import (
    Artefact,
    Candidate,
    Examined,
    plan_day,
    reading_documents,
)
from vigilintel_connector.select.recognise import REPORT_KINDS, Kind, Recognised, recognise
from vigilintel_connector.source.documents import DocumentError
from vigilintel_connector.source.http import FetchError
from vigilintel_connector.source.paths import FileKind
from vigilintel_connector.source.read_ahead import ReadAhead
from vigilintel_connector.source.upstream import ListedFile, Listing, git_blob_sha


@dataclass(frozen=True)
class DayOptions:
    languages: tuple[str, ...]
    artefacts: tuple[Artefact, ...]
    excluded_hosts: frozenset[str] = frozenset()
    confidence: int = DEFAULT_CONFIDENCE
    seconds: float = limits.DAY_SECONDS  # to convert and normalise a day, once its files are read


Fetch = Callable[[str], bytes]
_READABLE_NAMES = frozenset({FileKind.JSON_REPORT, FileKind.MARKDOWN_REPORT})


@dataclass
class _Reading:
    """What reading a day's files found, besides the report files themselves."""

    examined: list[Examined] = field(default_factory=list)
    shas: dict[str, str] = field(default_factory=dict)  # of every file read
    errors: list[str] = field(default_factory=list)  # broken or oversize files
    oversize: list[ListedFile] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # empty files, stubs
    unrecognised: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_files(paths: list[str], fetch: Fetch) -> Iterator[tuple[str, bytes, Recognised]]:
    """Download and recognise each file in turn. A file over the size cap comes back empty,
    marked ``oversize`` (no retry will shrink it); any other fetch failure propagates."""
    for path in paths:
        try:
            content = fetch(path)
        except FetchError as exc:
            if not exc.oversize:
                raise
            yield path, b"", Recognised(Kind.BROKEN, reason=str(exc), oversize=True)
            continue
        yield path, content, recognise(path, content)


def _read(files: list[ListedFile], fetch: Fetch) -> _Reading:
    """Every file of the day, read and sorted by kind (the day is retried rather than settled
    from fewer files when one cannot be fetched)."""
    found = _Reading()
    by_path = {f.file.path: f for f in sorted(files, key=lambda f: f.file.rank)}
    for path, content, recognised in read_files(list(by_path), fetch):
        if recognised.oversize:
            found.errors.append(recognised.reason)
            found.oversize.append(by_path[path])
            continue
        found.shas[path] = git_blob_sha(content)
        found.warnings.extend(recognised.notes)
        if recognised.kind in REPORT_KINDS:
            found.examined.append(Examined(by_path[path], content, recognised))
        elif recognised.kind is Kind.BROKEN:
            found.errors.append(recognised.reason)
        elif recognised.kind is Kind.EMPTY:
            found.seen.append(recognised.reason)
        elif recognised.kind is Kind.UNRECOGNISED:
            found.unrecognised.append(path)
            found.warnings.append(f"{recognised.reason}: not a kind of file upstream publishes")
    return found


def _documents(found: _Reading) -> list[str]:
    """What the report links to: the day's reports, and those too large to read (by name)."""
    documents = reading_documents(found.examined)
    documents += [f.file.path for f in found.oversize if f.file.kind in _READABLE_NAMES]
    return sorted(documents, key=lambda path: path.endswith(".md"))


def _contribution(candidate: Candidate, day: dt.date, opts: DayOptions) -> Contribution:
    first = candidate.files[0]
    if candidate.artefact == "markdown":
        return markdown_contribution(first.content, day, first.path)
    if candidate.artefact == "json":
        return json_contribution(first.document, day, opts.languages, first.content, first.path)
    return stix_contribution([f.document for f in candidate.files], candidate.paths, opts.languages)


def process_day(day: dt.date, files: list[ListedFile], fetch: Fetch, opts: DayOptions) -> DayResult:
    """Each artefact's first candidate that holds intelligence, merged into one bundle.

    A file that cannot be fetched makes the day an error (retried later rather than settled
    from fewer artefacts); a broken or empty file is skipped and said in the message; a file
    of an unknown kind keeps the day unsettled unless a report was imported.
    """
    if not files:
        return DayResult(day, DayOutcome.MISSING, "nothing published for this day")
    try:
        found = _read(files, fetch)
    except FetchError as exc:
        return DayResult(day, DayOutcome.ERROR, str(exc))
    errors, seen = found.errors, found.seen
    unrecognised = found.unrecognised
    common = {"paths": list(found.shas), "blob_shas": found.shas, "unrecognised": unrecognised,
              "warnings": found.warnings}  # fmt: skip
    used: list[tuple[Candidate, Contribution]] = []
    started = time.monotonic()
    for candidates in plan_day(found.examined, opts.languages, opts.artefacts):
        for candidate in candidates:
            if over := _over_budget(started, opts, candidate.paths):
                return DayResult(day, DayOutcome.ERROR, over, **common)
            try:
                part = _contribution(candidate, day, opts)
            except DocumentError as exc:  # a broken file stays broken: try the next candidate
                errors.append(str(exc))
            except NoContent as exc:
                seen.append(f"{', '.join(candidate.paths)}: {exc}")
            else:
                used.append((candidate, part))
                break
    notice = f"not recognised: {', '.join(unrecognised)}" if unrecognised else ""
    if not used:
        status = DayOutcome.NO_CONTENT
        if errors:
            status = DayOutcome.ERROR
        elif unrecognised:
            status = DayOutcome.UNRECOGNISED
        if not errors and not seen and not unrecognised:
            seen = [f"{', '.join(f.file.path for f in files)}: no report among these files"]
        message = "; ".join([*errors, *seen, *([notice] if notice else [])])
        return DayResult(day, status, message, **common)
    parts = [part for _, part in used]
    paths = [p for candidate, _ in used for p in candidate.paths]
    if over := _over_budget(started, opts, paths):
        return DayResult(day, DayOutcome.ERROR, over, **common)
    try:
        output = normalise_contributions(
            parts, day, opts.languages, opts.excluded_hosts, opts.confidence,
            _documents(found),
        )  # fmt: skip
    except DocumentError as exc:
        return DayResult(day, DayOutcome.ERROR, str(exc), **common)
    message = f"{output.object_count} objects from {', '.join(paths)}"
    if output.fallback_language:
        message += f" (in French, lang {output.fallback_language}: no English published that day)"
    if errors:
        message += f" (skipped: {'; '.join(errors)})"
    if notice:
        message += f" ({notice})"
    common.update(paths=paths, warnings=[*found.warnings, *(w for p in parts for w in p.warnings)])
    return DayResult(
        day, DayOutcome.IMPORTED, message, parts[0].artefact, output=output,
        artefacts=[p.artefact for p in parts], **common,
    )  # fmt: skip


def _over_budget(started: float, opts: DayOptions, paths: list[str]) -> str | None:
    """Why the day stops here, when its conversion has taken longer than its budget."""
    if time.monotonic() - started <= opts.seconds:
        return None
    return (
        f"{', '.join(paths)}: the day went over its {opts.seconds:.0f} s budget; "
        "tried again on the next run"
    )


def process_days(
    days: Iterable[dt.date],
    listing: Listing,
    fetch: Fetch,
    opts: DayOptions,
    logger: Logger,
    concurrency: int = 1,
    workers: DayWorkers | None = None,
) -> Iterator[DayResult]:
    """Process days in parallel, yielding results in date order.

    Every file of a day is read (its content says what it is), so a download pool of
    ``concurrency`` threads fetches them ahead while the days are converted: by ``workers``,
    processes that this one feeds with each day's files, or else in one thread of this
    process (Python runs one thread at a time: more converting *threads* were only slower,
    hence processes). Downloads look a bounded number of days ahead, and only while the files
    read ahead stay under ``limits.PREFETCH_BYTES``; one day more than there are converters is
    in flight. A year-long backfill holds a few days' files and bundles, whatever its length.
    A day's result keeps its serialised bundle and counts, not its objects.
    """
    ordered = sorted(days)
    slots = workers.count if workers else 1
    with (
        ThreadPoolExecutor(concurrency, thread_name_prefix="download") as downloads,
        ThreadPoolExecutor(1, thread_name_prefix="day") as here,
    ):
        files = ReadAhead(fetch, downloads, limits.PREFETCH_BYTES)
        away = workers

        def convert_here(day: dt.date) -> DayResult:
            listed = listing.for_day(day)
            result = _convert_day(day, listed, files.take, opts)
            for each in listed:  # a file the day did not read
                files.let_go(each.file.path)
            return result.serialised()

        def convert(day: dt.date) -> Future[DayResult] | Pending:
            nonlocal away
            if away is None:
                return here.submit(convert_here, day)
            listed = listing.for_day(day)
            contents = _taken(files, listed)
            try:
                return away.submit(_convert_read, day, listed, contents, opts)
            except WorkerLost as exc:
                logger.error("A converting process stopped; days go on in this one", {
                    "error": repr(exc)})  # fmt: skip
                away = None
                return here.submit(_convert_read, day, listed, contents, opts)

        next_prefetch = 0
        pending: deque[tuple[dt.date, Future[DayResult] | Pending]] = deque()
        try:
            for index, day in enumerate(ordered):
                window = min(index + 4 * concurrency, len(ordered))
                while next_prefetch < window and (
                    next_prefetch <= index + slots or files.has_room()
                ):
                    for listed in listing.for_day(ordered[next_prefetch]):  # all are read
                        files.start(listed.file.path)
                    next_prefetch += 1
                pending.append((day, convert(day)))
                # A day for each converter, and one more: done, or handed to whichever
                # worker finishes first.
                if len(pending) > slots:
                    yield _finished(*pending.popleft(), logger)
            while pending:
                yield _finished(*pending.popleft(), logger)
        except BaseException:  # Ctrl-C, SIGTERM, a failed write: no new work is started
            for _, future in pending:
                future.cancel()
            for pool in (downloads, here):
                pool.shutdown(wait=False, cancel_futures=True)
            raise


def _convert_day(
    day: dt.date, files: list[ListedFile], fetch: Fetch, opts: DayOptions
) -> DayResult:
    """``process_day``, where a bug on one day's data is an error of that day only."""
    try:
        return process_day(day, files, fetch, opts)
    except Exception as exc:
        return DayResult(day, DayOutcome.ERROR, f"internal error: {exc!r}")


def _convert_read(
    day: dt.date, files: list[ListedFile], contents: dict[str, bytes | Exception], opts: DayOptions
) -> DayResult:
    """A day from the files already read for it (in a worker process: the parent reads)."""
    return _convert_day(day, files, read_from(contents), opts).serialised()


def read_from(contents: dict[str, bytes | Exception]) -> Fetch:
    """A fetch that answers from files already read (or raises why one could not be)."""

    def fetch(path: str) -> bytes:
        found = contents[path]
        if isinstance(found, Exception):
            raise found
        return found

    return fetch


def _taken(files: ReadAhead, listed: list[ListedFile]) -> dict[str, bytes | Exception]:
    """Each of the day's files, or why it could not be had (raised again where it is read)."""
    contents: dict[str, bytes | Exception] = {}
    for each in listed:
        try:
            contents[each.file.path] = files.take(each.file.path)
        except Exception as exc:
            contents[each.file.path] = exc
    return contents


def _finished(day: dt.date, future: Future[DayResult] | Pending, logger: Logger) -> DayResult:
    try:
        result = future.result()
    except Exception as exc:  # a worker process that ended (killed for memory, say)
        result = DayResult(day, DayOutcome.ERROR, f"internal error: {exc!r}")
    for warning in result.warnings:
        logger.warning("Part of a day's files was not understood", {"detail": warning})
    _log_result(logger, result)
    return result


def _log_result(logger: Logger, result: DayResult) -> None:
    meta = {
        "day": str(result.day),
        "status": str(result.outcome),
        "files": result.paths,
        "objects": result.objects,
        "dropped": dict(result.tally.dropped),
        "detail": result.message,
    }
    # Imported days are told when delivered, days with nothing published once per run (see
    # the jobs): here only what needs an operator's eye is above debug.
    if result.outcome is DayOutcome.ERROR:
        logger.error("Day could not be processed", meta)
    elif result.outcome is DayOutcome.UNRECOGNISED:
        logger.warning("No report recognised among this day's files", meta)
    else:
        logger.debug("Day processed", meta)
