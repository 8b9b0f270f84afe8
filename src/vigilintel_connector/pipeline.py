"""One day, start to finish: plan candidates, fetch, judge, normalise. No delivery, no state.

The same function serves the export and the connector, so an export shows exactly what the
connector would send.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vigilintel_connector.convert.report_json import (
    has_report_shape,
    normalise_converted,
    report_to_stix,
)
from vigilintel_connector.log import Logger
from vigilintel_connector.normalise.result import DayBundle
from vigilintel_connector.normalise.stix import normalise_day
from vigilintel_connector.select.candidates import Candidate, Format, plan_day
from vigilintel_connector.select.content import carries_intelligence, is_bundle
from vigilintel_connector.source.documents import (
    DocumentError,
    EmptyDocument,
    parse_json_document,
)
from vigilintel_connector.source.http import FetchError
from vigilintel_connector.source.upstream import ListedFile, Listing, git_blob_sha


class DayStatus(StrEnum):
    IMPORTED = "imported"
    NO_CONTENT = "no-content"
    MISSING = "missing"
    ERROR = "error"


@dataclass
class DayResult:
    day: dt.date
    status: DayStatus
    message: str
    format: Format | None = None
    files: list[str] = field(default_factory=list)  # used, or examined when not imported
    shas: dict[str, str] = field(default_factory=dict)
    output: DayBundle | None = None

    @property
    def objects(self) -> int:
        return self.output.object_count if self.output else 0

    @property
    def dropped(self) -> Counter[str]:
        return self.output.dropped if self.output else Counter()

    @property
    def content_key(self) -> str:
        """Identifies exactly what was imported: a rewrite upstream changes it."""
        return "+".join(self.shas[p] for p in self.files)


@dataclass(frozen=True)
class DayOptions:
    languages: tuple[str, ...]
    formats: str = "auto"
    excluded_hosts: frozenset[str] = frozenset()


Fetch = Callable[[str], bytes]


class _NotContent(Exception):
    """The candidate was read fine but carries no intelligence."""


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
    if candidate.format == "json":
        return _convert(candidate.paths[0], documents[0], contents[0], day, opts)
    for path, document in zip(candidate.paths, documents, strict=True):
        if not is_bundle(document):
            raise DocumentError(f"{path}: not a STIX bundle")
    if not any(carries_intelligence(d) for d in documents):
        raise _NotContent("STIX stub without intelligence")
    return normalise_day(documents, day, opts.languages, opts.excluded_hosts)


def _convert(path: str, document: Any, content: bytes, day: dt.date, opts: DayOptions) -> DayBundle:
    if not has_report_shape(document):
        raise DocumentError(f"{path}: not a VigilIntel daily report")
    raw, counts = report_to_stix(document, day, opts.languages, content)
    # Entities, or notes from its entries (geopolitics, regulation…): a report whose sections
    # are all empty only says that nothing was published.
    if not carries_intelligence(raw) and not any(o["type"] == "note" for o in raw["objects"]):
        raise _NotContent("JSON report without intelligence")
    return normalise_converted(raw, counts, day, opts.languages, opts.excluded_hosts)


def process_day(day: dt.date, files: list[ListedFile], fetch: Fetch, opts: DayOptions) -> DayResult:
    """Try the day's candidates best first; a failed candidate never makes the day 'done'."""
    if not files:
        return DayResult(day, DayStatus.MISSING, "nothing published for this day")
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
            return DayResult(day, DayStatus.ERROR, message, files=list(examined), shas=examined)
        except DocumentError as exc:  # a broken file stays broken: try the next candidate
            errors.append(str(exc))
        except _NotContent as exc:
            seen.append(f"{', '.join(candidate.paths)}: {exc}")
        else:
            message = f"{output.object_count} objects from {', '.join(candidate.paths)}"
            if errors:
                message += f" (skipped: {'; '.join(errors)})"
            return DayResult(
                day, DayStatus.IMPORTED, message, candidate.format, candidate.paths, shas, output
            )
        examined.update(shas)
    status = DayStatus.ERROR if errors else DayStatus.NO_CONTENT
    if not errors and not seen:
        seen = [f"{', '.join(f.file.path for f in files)}: no usable file"]
    return DayResult(day, status, "; ".join(errors + seen), files=list(examined), shas=examined)


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
            result = DayResult(day, DayStatus.ERROR, f"internal error: {exc!r}")
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
        "status": str(result.status),
        "files": result.files,
        "objects": result.objects,
        "dropped": dict(result.dropped),
        "detail": result.message,
    }
    if result.status is DayStatus.ERROR:
        logger.error("Day could not be processed", meta)
    elif result.status is DayStatus.MISSING:
        logger.warning("No report published for this day", meta)
    else:
        logger.info("Day processed", meta)
