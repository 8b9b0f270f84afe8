"""One scheduled import: read the state, plan the days, process, deliver, record — day by day.

The rules that make state trustworthy live here: a day is recorded as done only after its bundle
reached the platform; a day with nothing published stays pending until the grace window has
passed; an unchanged day is never sent again and a rewritten one always is; state is saved after
every day so that a crash loses at most the day in flight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from vigilintel_connector.deliver.opencti import DeliveryError, Sender, StateStore
from vigilintel_connector.log import Logger
from vigilintel_connector.pipeline import DayResult, DayStatus, process_days
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.upstream import SourceUnreachable, Upstream
from vigilintel_connector.state import (
    ConnectorState,
    DayRecord,
    DayState,
    decide,
    fingerprint,
    load_state,
)
from vigilintel_connector.wiring import day_options


@dataclass
class RunReport:
    """What one run did, for logs, metrics and tests."""

    planned: int = 0
    processed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    objects_sent: int = 0
    reachable: bool = True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Importer:
    def __init__(
        self,
        settings: Settings,
        upstream: Upstream,
        store: StateStore,
        sender: Sender,
        logger: Logger,
        metrics: Any = None,
        now: Any = _now,
    ):
        self.settings = settings
        self.vi = settings.vigilintel
        self.upstream = upstream
        self.store = store
        self.sender = sender
        self.logger = logger
        self.metrics = metrics
        self.now = now
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
        try:
            listing = self.upstream.list_files(days, probe_days=worth_probing)
        except SourceUnreachable as exc:
            report.reachable = False
            self.logger.error("Upstream unreachable; nothing imported", {"error": str(exc)})
            self._count("error_count")
            return report
        files_now: dict[dt.date, str | None] = {}
        for day in days:
            listed = listing.for_day(day)
            files_now[day] = fingerprint([(f.file.path, f.sha) for f in listed])
            decision = decide(state.days.get(day), files_now[day], day, today, grace)
            if decision.process:
                self.logger.debug("Day planned", {"day": str(day), "reason": decision.reason})
            else:
                del files_now[day]
        for result in process_days(
            list(files_now), listing, self.upstream.fetch, self.options, self.logger,
            concurrency=self.vi.http_concurrency,
        ):  # fmt: skip
            report.processed.append(str(result.day))
            previous = state.days.get(result.day)
            record = self._settle(result, previous, files_now[result.day], today, report)
            state.days[result.day] = record
            if previous != record:
                self._save(state, today)
        state.last_run = started.isoformat().replace("+00:00", "Z")
        state.prune()
        self._save(state, today)
        self._count("run_count")
        self.logger.info(
            "Import run finished",
            {"processed": len(report.processed), "sent": report.sent, "failed": report.failed,
             "objects_sent": report.objects_sent,
             "last_processed_date": str(state.last_processed_date)},
        )  # fmt: skip
        return report

    def _save(self, state: ConnectorState, today: dt.date) -> None:
        state.settle_cursor(today)
        self.store.save(state.to_dict())

    def _settle(
        self,
        result: DayResult,
        previous: DayRecord | None,
        files: str | None,
        today: dt.date,
        report: RunReport,
    ) -> DayRecord:
        stamp = self.now().isoformat(timespec="seconds").replace("+00:00", "Z")
        sent_before = previous.sent if previous else None
        if result.status is DayStatus.IMPORTED:
            key = result.content_key
            if key == sent_before:
                self.logger.info("Day unchanged since it was delivered", {"day": str(result.day)})
                return DayRecord(DayState.IMPORTED, files, key, stamp)
            try:
                self._deliver(result)
            except DeliveryError as exc:
                report.failed.append(str(result.day))
                self._count("error_count")
                self.logger.error(
                    "Day not delivered; it will be retried next run",
                    {"day": str(result.day), "files": result.files, "error": str(exc)},
                )
                return DayRecord(DayState.ERROR, None, sent_before, stamp)
            report.sent.append(str(result.day))
            report.objects_sent += result.objects
            return DayRecord(DayState.IMPORTED, files, key, stamp)
        if result.status is DayStatus.NO_CONTENT:
            return DayRecord(DayState.NO_CONTENT, files, sent_before, stamp)
        if result.status is DayStatus.MISSING:
            age = (today - result.day).days
            status = DayState.MISSING if age > self.vi.missing_grace_days else DayState.PENDING
            return DayRecord(status, files, sent_before, stamp)
        report.failed.append(str(result.day))
        self._count("error_count")
        return DayRecord(DayState.ERROR, None, sent_before, stamp)

    def _deliver(self, result: DayResult) -> None:
        assert result.output is not None
        dropped = result.output.dropped
        removed = result.output.removed_count
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(dropped.items()))
        message = (
            f"{result.objects} objects sent from {', '.join(result.files)}; "
            f"{removed} upstream objects dropped or merged ({reasons or 'none'})"
        )
        name = f"VigilIntel {result.day} ({self.vi.language})"
        chunks = self.sender.send(name, result.output.bundle, message)
        self._count("record_send", chunks or result.objects)
        self.logger.info(
            "Bundle sent",
            {"day": str(result.day), "files": result.files, "sha": result.content_key,
             "objects": result.objects, "dropped": dict(dropped)},
        )  # fmt: skip

    def _count(self, name: str, n: int = 1) -> None:
        if self.metrics is not None:
            self.metrics.inc(name, n)
