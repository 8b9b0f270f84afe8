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

from vigilintel_connector.convert.markdown import markdown_contribution
from vigilintel_connector.convert.report_json import json_contribution
from vigilintel_connector.log import Logger
from vigilintel_connector.normalise.context import DEFAULT_CONFIDENCE
from vigilintel_connector.normalise.result import Contribution, NoContent
from vigilintel_connector.normalise.stix import normalise_contributions, stix_contribution
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.select.candidates import Artefact, Candidate, plan_day
from vigilintel_connector.source.documents import (
    DocumentError,
    EmptyDocument,
    parse_json_document,
)
from vigilintel_connector.source.http import FetchError
from vigilintel_connector.source.paths import FileKind
from vigilintel_connector.source.upstream import ListedFile, Listing, git_blob_sha


@dataclass(frozen=True)
class DayOptions:
    languages: tuple[str, ...]
    artefacts: tuple[Artefact, ...]
    excluded_hosts: frozenset[str] = frozenset()
    confidence: int = DEFAULT_CONFIDENCE


Fetch = Callable[[str], bytes]
# The day's files a person reads; the report links to them on GitHub.
_DOCUMENTS = frozenset({FileKind.MARKDOWN_REPORT, FileKind.JSON_REPORT})


def _contribution(
    candidate: Candidate, fetch: Fetch, shas: dict[str, str], day: dt.date, opts: DayOptions
) -> Contribution:
    """Fetch, parse and convert one candidate; ``shas`` records every file actually read."""
    contents = []
    for path in candidate.paths:
        content = fetch(path)
        shas[path] = git_blob_sha(content)
        contents.append(content)
    path = candidate.paths[0]
    if candidate.artefact == "markdown":
        return markdown_contribution(contents[0], day, path)
    documents = [parse_json_document(c, p) for c, p in zip(contents, candidate.paths, strict=True)]
    if candidate.artefact == "json":
        return json_contribution(documents[0], day, opts.languages, contents[0], path)
    return stix_contribution(documents, candidate.paths, opts.languages)


def process_day(day: dt.date, files: list[ListedFile], fetch: Fetch, opts: DayOptions) -> DayResult:
    """Each artefact's first candidate that holds intelligence, merged into one bundle.

    A file that cannot be fetched makes the day an error (retried later rather than settled
    from fewer artefacts); a broken or empty file is skipped and said in the message.
    """
    if not files:
        return DayResult(day, DayOutcome.MISSING, "nothing published for this day")
    errors: list[str] = []
    seen: list[str] = []
    shas: dict[str, str] = {}
    used: list[tuple[Candidate, Contribution]] = []
    for candidates in plan_day(files, opts.languages, opts.artefacts):
        for candidate in candidates:
            try:
                part = _contribution(candidate, fetch, shas, day, opts)
            except EmptyDocument as exc:
                seen.append(str(exc))
            except FetchError as exc:
                if exc.oversize:  # no retry will shrink it: do without that file
                    errors.append(str(exc))
                    continue
                message = "; ".join([*errors, str(exc), *seen])
                return DayResult(day, DayOutcome.ERROR, message, paths=list(shas), blob_shas=shas)
            except DocumentError as exc:  # a broken file stays broken: try the next candidate
                errors.append(str(exc))
            except NoContent as exc:
                seen.append(f"{', '.join(candidate.paths)}: {exc}")
            else:
                used.append((candidate, part))
                break
    if not used:
        status = DayOutcome.ERROR if errors else DayOutcome.NO_CONTENT
        if not errors and not seen:
            seen = [f"{', '.join(f.file.path for f in files)}: no usable file"]
        message = "; ".join(errors + seen)
        return DayResult(day, status, message, paths=list(shas), blob_shas=shas)
    parts = [part for _, part in used]
    documents = [f.file.path for f in files if f.file.kind in _DOCUMENTS]
    output = normalise_contributions(
        parts, day, opts.languages, opts.excluded_hosts, opts.confidence, documents
    )
    paths = [p for candidate, _ in used for p in candidate.paths]
    message = f"{output.object_count} objects from {', '.join(paths)}"
    if errors:
        message += f" (skipped: {'; '.join(errors)})"
    return DayResult(
        day, DayOutcome.IMPORTED, message, parts[0].artefact, paths, shas, output,
        artefacts=[p.artefact for p in parts],
        warnings=[w for p in parts for w in p.warnings],
    )  # fmt: skip


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
        for warning in result.warnings:
            logger.warning("Part of a day's files was not understood", {"detail": warning})
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
                plans = plan_day(listing.for_day(day), opts.languages, opts.artefacts)
                for path in (p for plan in plans if plan for p in plan[0].paths):
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
