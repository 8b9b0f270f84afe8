"""One digest, start to finish: read its files, judge whether it is final, convert, normalise.

A digest is rolling (rewritten every day of its period), so it is only built once its period
has ended and its version is final: written on the period's last day or later (its Markdown
says when), or older than the grace window. No delivery, no state: the export and the
connector share this, as they share ``pipeline`` for days.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vigilintel_connector.convert.digest import (
    digest_json_contribution,
    digest_markdown_contribution,
)
from vigilintel_connector.day_workers import DayWorkers, Pending, WorkerLost
from vigilintel_connector.log import Logger
from vigilintel_connector.normalise.result import Contribution, NoContent
from vigilintel_connector.normalise.stix import ReportFrame, normalise_contributions
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.pipeline import DayOptions, read_files, read_from
from vigilintel_connector.select.recognise import Kind
from vigilintel_connector.source.documents import DocumentError
from vigilintel_connector.source.http import FetchError
from vigilintel_connector.source.periods import Period, generated_on
from vigilintel_connector.source.upstream import ListedDigest, git_blob_sha

Fetch = Callable[[str], bytes]


def digest_frame(period: Period) -> ReportFrame:
    """``VigilIntel weekly 2026-07-w4``, published on the period's last day."""
    span = f"{period.start.isoformat()} to {period.end.isoformat()}"
    return ReportFrame(
        day=period.end,
        name=f"VigilIntel {period.kind} {period.key}",
        key=period.key,
        fallback=f"VigilIntel {period.kind} threat-intelligence digest of {span}.",
        attachment=f"{period.key}-report.md",
        labels=("vigilintel", f"vigilintel-{period.kind}"),
    )


@dataclass
class _Files:
    json: tuple[str, bytes, object] | None = None
    markdown: tuple[str, bytes] | None = None
    shas: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)


def _read(files: list[ListedDigest], fetch: Fetch) -> _Files:
    found = _Files()
    for path, content, recognised in read_files(sorted(f.file.path for f in files), fetch):
        if not recognised.oversize:
            found.shas[path] = git_blob_sha(content)
        if recognised.kind is Kind.DIGEST and found.json is None:
            found.json = (path, content, recognised.document)
        elif recognised.kind is Kind.MARKDOWN_REPORT and found.markdown is None:
            found.markdown = (path, content)
        elif recognised.kind in (Kind.BROKEN, Kind.EMPTY):
            found.problems.append(recognised.reason)
        else:
            found.unrecognised.append(path)
    return found


def _final(found: _Files, period: Period, today: dt.date, grace_days: int) -> str | None:
    """Why this version is final, or None while upstream may still rewrite it."""
    written = generated_on(found.markdown[1]) if found.markdown else None
    if written is not None and written >= period.end:
        return f"written on {written}"
    if (today - period.end).days > grace_days:
        if written is not None:  # upstream never wrote it again: a partial digest, said so
            return (
                f"partial: written on {written}, before its period ended on {period.end}; "
                "no later version was published"
            )
        return f"{grace_days} days after the period; when it was written is not known"
    return None


def process_digest(
    period: Period,
    files: list[ListedDigest],
    fetch: Fetch,
    opts: DayOptions,
    today: dt.date,
    grace_days: int,
    rolling: bool = False,
) -> DayResult:
    """The digest's JSON and Markdown merged into one bundle around the digest's report.

    A version that is not final yet is ``pending``; with ``rolling`` (the export, a snapshot)
    it is built all the same, and its message says it is not final.
    """

    def result(outcome: DayOutcome, message: str, **more: Any) -> DayResult:
        return DayResult(period.end, outcome, message, period=period, **more)

    if today <= period.end and not rolling:
        return result(DayOutcome.PENDING, f"period in progress until {period.end}")
    if not files:
        return result(DayOutcome.MISSING, "no digest published for this period")
    try:
        found = _read(files, fetch)
    except FetchError as exc:
        return result(DayOutcome.ERROR, str(exc))
    common: dict[str, Any] = {
        "paths": list(found.shas), "blob_shas": found.shas, "unrecognised": found.unrecognised,
    }  # fmt: skip
    why_final = _final(found, period, today, grace_days) if today > period.end else None
    if why_final is None:
        if not rolling:
            message = "written before its period ended: waiting for the final version"
            return result(DayOutcome.PENDING, message, **common)
        why_final = f"not final: period in progress until {period.end}"
        if today > period.end:
            why_final = "not final: written before its period ended"
    parts: list[Contribution] = []
    problems = list(found.problems)
    if found.json and "json" in opts.artefacts:
        path, _, document = found.json
        try:
            parts.append(digest_json_contribution(document, period, opts.languages, path))
        except (DocumentError, NoContent) as exc:
            problems.append(f"{path}: {exc}")
    if found.markdown and "markdown" in opts.artefacts:
        path, content = found.markdown
        try:
            parts.append(digest_markdown_contribution(content, period, opts.languages, path))
        except (DocumentError, NoContent) as exc:
            problems.append(f"{path}: {exc}")
    if not parts:
        outcome = DayOutcome.UNRECOGNISED if found.unrecognised else DayOutcome.NO_CONTENT
        return result(outcome, "; ".join(problems) or "no usable digest file", **common)
    documents = [file[0] for file in (found.json, found.markdown) if file is not None]
    try:
        output = normalise_contributions(
            parts, period.end, opts.languages, opts.excluded_hosts, opts.confidence,
            documents, digest_frame(period),
        )  # fmt: skip
    except DocumentError as exc:
        return result(DayOutcome.ERROR, str(exc), **common)
    message = f"{output.object_count} objects from {', '.join(documents)} ({why_final})"
    if problems:
        message += f" (skipped: {'; '.join(problems)})"
    common["paths"] = documents
    return result(
        DayOutcome.IMPORTED, message, format=parts[0].artefact, output=output,
        artefacts=[p.artefact for p in parts], **common,
    )  # fmt: skip


def process_digests(
    wanted: list[tuple[Period, list[ListedDigest]]],
    fetch: Fetch,
    opts: DayOptions,
    today: dt.date,
    grace_days: int,
    workers: DayWorkers | None = None,
) -> Iterator[tuple[Period, DayResult]]:
    """Each period's digest (rolling: a snapshot, as ``process_digest``), in order. With
    ``workers`` this process reads the files and the workers convert, one digest each and one
    more waiting, as for days; a worker that ends leaves the rest to this process."""
    pending: deque[tuple[Period, Pending | DayResult]] = deque()
    for period, files in wanted:
        contents: dict[str, bytes | Exception] = {}
        for listed in files:
            try:
                contents[listed.file.path] = fetch(listed.file.path)
            except Exception as exc:  # raised again where the digest reads it
                contents[listed.file.path] = exc
        task = (period, files, contents, opts, today, grace_days)
        answer: Pending | DayResult | None = None
        if workers is not None:
            try:
                answer = workers.submit(_digest_read, *task)
            except WorkerLost:
                workers = None
        pending.append((period, answer if answer is not None else _digest_read(*task)))
        if len(pending) > (workers.count if workers else 0):
            yield _answer(*pending.popleft())
    while pending:
        yield _answer(*pending.popleft())


def _digest_read(
    period: Period,
    files: list[ListedDigest],
    contents: dict[str, bytes | Exception],
    opts: DayOptions,
    today: dt.date,
    grace_days: int,
) -> DayResult:
    """``process_digest`` from files already read, where a bug on one digest's data is an error
    of that digest only (as ``pipeline`` does for a day)."""
    fetch = read_from(contents)
    try:
        result = process_digest(period, files, fetch, opts, today, grace_days, rolling=True)
    except Exception as exc:
        return DayResult(period.end, DayOutcome.ERROR, f"internal error: {exc!r}", period=period)
    return result.serialised()


def _answer(period: Period, pending: Pending | DayResult) -> tuple[Period, DayResult]:
    if isinstance(pending, DayResult):
        return period, pending
    try:
        return period, pending.result()
    except Exception as exc:  # a worker process that ended (killed for memory, say)
        message = f"internal error: {exc!r}"
        return period, DayResult(period.end, DayOutcome.ERROR, message, period=period)


def log_digest(logger: Logger, result: DayResult) -> None:
    """What became of a digest, and each of its files of no known kind (a WARNING)."""
    meta = {"digest": result.label, "status": str(result.outcome), "detail": result.message}
    logger.debug("Digest processed", meta)
    for path in result.unrecognised:
        logger.warning("A digest file was not understood", {"file": path})
