"""One scheduled import: read the state, plan the days, process, deliver, record — day by day.

The rules that make state trustworthy live here: a day is recorded as done only after its bundle
reached the platform; a day with nothing published stays pending until the grace window has
passed; an unchanged day is never sent again and a rewritten one always is; state is saved after
every day so that a crash loses at most the day in flight. Digests follow the days, each its own
work and state record, sent once their period has ended and again only when upstream rewrites
them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from vigilintel_connector.clock import iso_utc, now_utc
from vigilintel_connector.day_workers import DayWorkers
from vigilintel_connector.deliver.opencti import DeliveryError, Sender, StateStore
from vigilintel_connector.digests import log_digest, process_digest
from vigilintel_connector.jobs.build import day_options
from vigilintel_connector.log import Logger
from vigilintel_connector.outcome import DayOutcome, DayResult
from vigilintel_connector.pipeline import process_days
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.periods import Period, periods_between
from vigilintel_connector.source.upstream import Listing, SourceUnreachable, Upstream
from vigilintel_connector.state import (
    ConnectorState,
    DayRecord,
    decide,
    fingerprint,
    load_state,
)

_PROBED_DAYS = 35


@dataclass
class RunReport:
    """What one run did, for logs, metrics and tests."""

    planned: int = 0
    processed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    objects_sent: int = 0
    reachable: bool = True


class Importer:
    def __init__(
        self,
        settings: Settings,
        upstream: Upstream,
        store: StateStore,
        sender: Sender,
        logger: Logger,
        metrics: Any = None,
        now: Any = now_utc,
        workers: DayWorkers | None = None,
    ):
        self.vi = settings.vigilintel
        self.upstream = upstream
        self.store = store
        self.sender = sender
        self.logger = logger
        self.metrics = metrics
        self.now = now
        self.workers = workers
        self.options = day_options(settings)

    def _first_day(self, today: dt.date) -> dt.date:
        return self.vi.start_date or today - dt.timedelta(days=self.vi.lookback_days)

    def run(self) -> RunReport:
        started = self.now()
        today = started.date()
        report = RunReport()
        state, warnings = load_state(self.store.load(), today, self._first_day(today))
        for warning in warnings:
            self.logger.warning(warning)
        days = state.planned_days(today)
        report.planned = len(days)
        self.logger.info(
            "Import run started",
            {"from": str(state.start_date), "to": str(today), "days": len(days),
             "last_processed_date": str(state.last_processed_date)},
        )  # fmt: skip
        grace = self.vi.missing_grace_days
        # Without a listing, a settled day older than the grace window is not looked at again.
        worth_probing = [
            d for d in days
            if decide(state.days.get(d), None, d, today, grace).process
        ]  # fmt: skip
        periods = self._digest_periods(state, today)
        # The same for digests; and only recent periods: a digest exists from its period's
        # first day, so an older one would have been listed by an earlier run.
        periods_worth_probing = [
            p for p in periods
            if decide(state.digests.get(p.key), None, p.end, today, grace).process
            and (today - p.end).days <= _PROBED_DAYS
        ]  # fmt: skip
        try:
            listing = self.upstream.list_files(
                days, probe_days=worth_probing, probe_periods=periods_worth_probing
            )
        except SourceUnreachable as exc:
            report.reachable = False
            self.logger.error("Upstream unreachable; nothing imported", {"error": str(exc)})
            self._count("error_count")
            return report
        to_process: dict[dt.date, str | None] = {}  # day → fingerprint of its files now
        for day in days:
            listed = listing.for_day(day)
            now = fingerprint([(f.file.path, f.sha) for f in listed])
            if not listing.knows_day(day):
                now = None  # not probed: its files are unknown, not absent
            decision = decide(state.days.get(day), now, day, today, grace)
            if decision.process:
                to_process[day] = now
                self.logger.debug("Day planned", {"day": str(day), "reason": decision.reason})
        for result in process_days(
            list(to_process), listing, self.upstream.fetch, self.options, self.logger,
            concurrency=self.vi.http_concurrency, workers=self.workers,
        ):  # fmt: skip
            report.processed.append(str(result.day))
            previous = state.days.get(result.day)
            record = self._settle(result, previous, to_process[result.day], today, report)
            state.days[result.day] = record
            if previous != record:
                self._save(state, today)
        self._digests(state, listing, periods, today, report)
        state.last_run = iso_utc(started)
        state.prune()
        self._save(state, today)
        self._count("run_count")
        waiting = sorted(d for d, r in state.days.items() if r.status is DayOutcome.PENDING)
        self.logger.info(
            f"Import run finished: {len(report.sent)} imported, {len(report.failed)} failed, "
            f"{len(waiting)} with nothing published yet"
            + (f" ({waiting[0]} … {waiting[-1]})" if waiting else ""),
            {"processed": len(report.processed), "sent": report.sent, "failed": report.failed,
             "objects_sent": report.objects_sent,
             "last_processed_date": str(state.last_processed_date)},
        )  # fmt: skip
        return report

    def _digest_periods(self, state: ConnectorState, today: dt.date) -> list[Period]:
        """The digests in scope: of the chosen kinds, ended, ending on or after the first
        planned day."""
        kinds = self.vi.digest_kinds
        if not kinds:
            return []
        within = periods_between(state.start_date, today, kinds)
        return [p for p in within if state.start_date <= p.end < today]

    def _digests(
        self,
        state: ConnectorState,
        listing: Listing,
        periods: list[Period],
        today: dt.date,
        report: RunReport,
    ) -> None:
        for period in periods:
            files = listing.for_period(period)
            previous = state.digests.get(period.key)
            if not files and previous is None:  # none published (before 2026-04): no record
                continue
            now = fingerprint([(f.file.path, f.sha) for f in files])
            if not listing.knows_period(period):
                now = None
            if not decide(previous, now, period.end, today, self.vi.missing_grace_days).process:
                continue
            result = process_digest(
                period, files, self.upstream.fetch, self.options, today,
                self.vi.missing_grace_days,
            )  # fmt: skip
            log_digest(self.logger, result)
            report.processed.append(result.label)
            record = self._settle(result, previous, now, today, report)
            state.digests[period.key] = record
            if previous != record:
                self._save(state, today)

    def _save(self, state: ConnectorState, today: dt.date) -> None:
        state.settle_cursor(today)
        self.store.save(state.to_dict())

    def _settle(
        self,
        result: DayResult,
        previous: DayRecord | None,
        fingerprint_now: str | None,
        today: dt.date,
        report: RunReport,
    ) -> DayRecord:
        stamp = iso_utc(self.now())
        sent_before = previous.sent_key if previous else None
        if result.outcome is DayOutcome.IMPORTED:
            key = result.sent_key
            if key == sent_before:
                self.logger.debug("Unchanged since it was delivered", {"day": result.label})
                return DayRecord(DayOutcome.IMPORTED, fingerprint_now, key, stamp)
            try:
                self._deliver(result)
            except DeliveryError as exc:
                report.failed.append(result.label)
                self._count("error_count")
                self.logger.error(
                    "Not delivered; it will be retried next run",
                    {"day": result.label, "files": result.paths, "error": str(exc)},
                )
                return DayRecord(DayOutcome.ERROR, None, sent_before, stamp)
            report.sent.append(result.label)
            report.objects_sent += result.objects
            return DayRecord(DayOutcome.IMPORTED, fingerprint_now, key, stamp)
        if result.outcome in (DayOutcome.NO_CONTENT, DayOutcome.UNRECOGNISED, DayOutcome.PENDING):
            return DayRecord(result.outcome, fingerprint_now, sent_before, stamp)
        if result.outcome is DayOutcome.MISSING:
            age = (today - result.day).days
            pending = age <= self.vi.missing_grace_days
            status = DayOutcome.PENDING if pending else DayOutcome.MISSING
            return DayRecord(status, fingerprint_now, sent_before, stamp)
        report.failed.append(result.label)
        self._count("error_count")
        return DayRecord(DayOutcome.ERROR, None, sent_before, stamp)

    def _deliver(self, result: DayResult) -> None:
        assert result.output is not None
        dropped = result.tally.dropped
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(dropped.items()))
        message = (
            f"{result.objects} objects sent from {', '.join(result.paths)}; "
            f"{result.output.dropped_count} upstream objects dropped or merged "
            f"({reasons or 'none'})"
        )
        if result.unrecognised:
            message += f"; files of no known kind, not imported: {', '.join(result.unrecognised)}"
        if result.output.fallback_language:
            message += "; text in French (lang fr): upstream published no English that day"
        if result.warnings:
            message += "; warnings: " + " | ".join(result.warnings)
        name = f"VigilIntel {result.label} ({self.vi.language})"
        chunks = self.sender.send(name, result.output, message)
        self._count("record_send", chunks or result.objects)
        self.logger.info(
            f"Imported {result.label}: {result.objects} objects",
            {"day": result.label, "files": result.paths, "sha": result.sent_key,
             "objects": result.objects, "dropped": dict(dropped), "warnings": result.warnings},
        )  # fmt: skip

    def _count(self, name: str, n: int = 1) -> None:
        if self.metrics is not None:
            self.metrics.inc(name, n)
