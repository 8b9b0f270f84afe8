"""One day, start to finish: plan candidates, fetch, judge, normalise. No delivery, no state.

The same function serves the export and the connector, so an export shows exactly what the
connector would send.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from vigilintel_connector.convert.report_json import convert_report
from vigilintel_connector.log import Logger
from vigilintel_connector.normalise.result import DayBundle, NoContent
from vigilintel_connector.normalise.stix import normalise_stix_files
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.select.candidates import Candidate, plan_day
from vigilintel_connector.source.documents import (
    DocumentError,
    EmptyDocument,
    parse_json_document,
)
from vigilintel_connector.source.http import FetchError
from vigilintel_connector.source.upstream import ListedFile, Listing, git_blob_sha


@dataclass(frozen=True)
class DayOptions:
    languages: tuple[str, ...]
    formats: str
    excluded_hosts: frozenset[str] = frozenset()


Fetch = Callable[[str], bytes]


def _read(
    candidate: Candidate, fetch: Fetch, shas: dict[str, str]
) -> tuple[list[Any], list[bytes]]:
    """Fetch and parse; ``shas`` records every file actually read, even if a later one fails."""
    documents, contents = [], []
    for listed in candidate.files:
        content = fetch(listed.file.path)
        shas[listed.file.path] = git_blob_sha(content)
        documents.append(parse_json_document(content, listed.file.path))
        contents.append(content)
    return documents, contents


def _build(
    candidate: Candidate,
    documents: list[Any],
    contents: list[bytes],
    day: dt.date,
    opts: DayOptions,
) -> DayBundle:
    """The candidate's converter: the finished bundle, or ``NoContent`` / ``DocumentError``."""
    if candidate.format == "json":
        return convert_report(
            documents[0], day, opts.languages, opts.excluded_hosts, contents[0],
            path=candidate.paths[0],
        )  # fmt: skip
    return normalise_stix_files(
        documents, candidate.paths, day, opts.languages, opts.excluded_hosts
    )


def process_day(day: dt.date, files: list[ListedFile], fetch: Fetch, opts: DayOptions) -> DayResult:
    """Try the day's candidates best first; a failed candidate never makes the day 'done'."""
    if not files:
        return DayResult(day, DayOutcome.MISSING, "nothing published for this day")
    errors: list[str] = []
    seen: list[str] = []
    examined: dict[str, str] = {}
    for candidate in plan_day(files, opts.languages, opts.formats):
        shas: dict[str, str] = {}
        try:
            documents, contents = _read(candidate, fetch, shas)
            output = _build(candidate, documents, contents, day, opts)
        except EmptyDocument as exc:
            seen.append(str(exc))
        except FetchError as exc:
            # Possibly transient: retry the day later rather than settle it from a lesser file.
            examined.update(shas)
            message = "; ".join([*errors, str(exc), *seen])
            return DayResult(
                day, DayOutcome.ERROR, message, paths=list(examined), blob_shas=examined
            )
        except DocumentError as exc:  # a broken file stays broken: try the next candidate
            errors.append(str(exc))
        except NoContent as exc:
            seen.append(f"{', '.join(candidate.paths)}: {exc}")
        else:
            message = f"{output.object_count} objects from {', '.join(candidate.paths)}"
            if errors:
                message += f" (skipped: {'; '.join(errors)})"
            return DayResult(
                day, DayOutcome.IMPORTED, message, candidate.format, candidate.paths, shas, output
            )
        examined.update(shas)
    status = DayOutcome.ERROR if errors else DayOutcome.NO_CONTENT
    if not errors and not seen:
        seen = [f"{', '.join(f.file.path for f in files)}: no usable file"]
    return DayResult(
        day, status, "; ".join(errors + seen), paths=list(examined), blob_shas=examined
    )


def process_days(
    days: Iterable[dt.date],
    listing: Listing,
    fetch: Fetch,
    opts: DayOptions,
    logger: Logger,
    concurrency: int = 1,
) -> Iterator[DayResult]:
    """Process days in parallel, yielding results in date order.

    Each day's first candidate is known from the listing alone, so a download pool fetches it
    ahead while earlier days are being normalised; later candidates (after a stub) are fetched
    on demand. Both pools look a bounded number of days ahead: a year-long backfill never holds
    every file or bundle in memory.
    """
    ordered = sorted(days)
    prefetched: dict[str, Future[bytes]] = {}
    lock = threading.Lock()

    def fetch_once(path: str) -> bytes:
        with lock:
            future = prefetched.pop(path, None)
        return future.result() if future is not None else fetch(path)

    def one(day: dt.date) -> DayResult:
        try:
            result = process_day(day, listing.for_day(day), fetch_once, opts)
        except Exception as exc:  # a bug on one day's data must not stop the others
            logger.error(
                "Unexpected failure processing a day", {"day": str(day), "error": repr(exc)}
            )
            result = DayResult(day, DayOutcome.ERROR, f"internal error: {exc!r}")
        _log_result(logger, result)
        return result

    with (
        ThreadPoolExecutor(concurrency, thread_name_prefix="download") as downloads,
        ThreadPoolExecutor(concurrency, thread_name_prefix="day") as workers,
    ):
        next_prefetch = 0

        def prefetch_until(limit: int) -> None:
            nonlocal next_prefetch
            while next_prefetch < min(limit, len(ordered)):
                day = ordered[next_prefetch]
                plan = plan_day(listing.for_day(day), opts.languages, opts.formats)
                for path in plan[0].paths if plan else []:
                    with lock:
                        prefetched[path] = downloads.submit(fetch, path)
                next_prefetch += 1

        pending: deque[Future[DayResult]] = deque()
        for index, day in enumerate(ordered):
            prefetch_until(index + 4 * concurrency)
            pending.append(workers.submit(one, day))
            if len(pending) >= 2 * concurrency:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _log_result(logger: Logger, result: DayResult) -> None:
    meta = {
        "day": str(result.day),
        "status": str(result.outcome),
        "files": result.paths,
        "objects": result.objects,
        "dropped": dict(result.tally.dropped),
        "detail": result.message,
    }
    if result.outcome is DayOutcome.ERROR:
        logger.error("Day could not be processed", meta)
    elif result.outcome is DayOutcome.MISSING:
        logger.warning("No report published for this day", meta)
    else:
        logger.info("Day processed", meta)
