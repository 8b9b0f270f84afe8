"""The import run's rules, in-process with a fixed clock: grace window, retries, dry run."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.connector_runs import replace_upstream_file, work_label
from tests.support.upstream_server import Fault
from vigilintel_connector.deliver.opencti import DeliveryError, DryRunSender, MemoryStateStore
from vigilintel_connector.jobs.build import build_upstream
from vigilintel_connector.jobs.importer import Importer
from vigilintel_connector.log import StdLogger
from vigilintel_connector.normalise.result import DayBundle
from vigilintel_connector.settings import load_settings


class RecordingSender:
    def __init__(self, fail_on: set[str] | None = None):
        self.sent: list[str] = []
        self.fail_on = fail_on or set()

    def send(self, work_name: str, output: DayBundle, message: str) -> int:
        day = work_label(work_name)  # a day, or a digest: "weekly 2026-05-w1"
        if day in self.fail_on:
            raise DeliveryError("broker down")
        self.sent.append(day)
        return output.object_count


def make_importer(clean_env, source, now: dt.datetime, sender, store=None, **env: str):
    clean_env.setenv("VIGILINTEL_SOURCE", str(source))
    for key, value in env.items():
        clean_env.setenv(key, value)
    settings = load_settings()
    logger = StdLogger()
    store = store or MemoryStateStore(None)
    upstream = build_upstream(settings, logger)
    return Importer(settings, upstream, store, sender, logger, now=lambda: now), store


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(6), dt.UTC)


def test_an_unpublished_day_stays_pending_through_the_grace_window(clean_env, sample_copy):
    sender = RecordingSender()
    importer, store = make_importer(
        clean_env, sample_copy, at("2026-08-10"), sender, VIGILINTEL_START_DATE="2026-08-07"
    )
    importer.run()
    days = store.state["days"]
    assert sender.sent == ["2026-08-08"]
    assert days["2026-08-07"]["status"] == "pending"  # 3 days old: still inside the window
    assert days["2026-08-10"]["status"] == "pending"
    assert store.state["last_processed_date"] is None
    late, store = make_importer(clean_env, sample_copy, at("2026-08-11"), sender, store=store)
    late.run()
    assert store.state["days"]["2026-08-07"]["status"] == "missing"
    assert store.state["last_processed_date"] == "2026-08-08"


def test_a_day_published_within_the_grace_window_is_delivered(clean_env, sample_copy):
    sender = RecordingSender()
    content = (sample_copy / "2026/08/2026-08-08-report.json").read_bytes()
    for suffix in ("report.json", "report.stix.json", "report.md", "raw.json"):
        replace_upstream_file(sample_copy, f"2026/08/2026-08-08-{suffix}", None)
    importer, store = make_importer(
        clean_env, sample_copy, at("2026-08-09"), sender, VIGILINTEL_START_DATE="2026-08-08"
    )
    importer.run()
    assert store.state["days"]["2026-08-08"]["status"] == "pending"
    replace_upstream_file(sample_copy, "2026/08/2026-08-08-report.json", content)
    importer.run()
    assert sender.sent == ["2026-08-08"]
    assert store.state["days"]["2026-08-08"]["status"] == "imported"


def test_a_failed_send_is_retried_and_never_recorded_as_done(clean_env, sample_copy):
    sender = RecordingSender(fail_on={"2026-07-31"})
    importer, store = make_importer(
        clean_env, sample_copy, at("2026-08-09"), sender, VIGILINTEL_START_DATE="2026-07-30"
    )
    report = importer.run()
    assert report.failed == ["2026-07-31"]
    assert store.state["days"]["2026-07-31"]["status"] == "error"
    assert store.state["last_processed_date"] == "2026-07-30"
    sender.fail_on.clear()
    importer.run()
    assert sender.sent == ["2026-08-01", "2026-08-08", "2026-07-31"]
    assert store.state["last_processed_date"] == "2026-08-05"


def test_dry_run_reports_what_it_would_send_and_keeps_state_in_memory_only(clean_env, sample_copy):
    store = MemoryStateStore({"last_processed_date": "2026-07-30"})  # a dry run's store
    importer, _ = make_importer(
        clean_env, sample_copy, at("2026-08-09"), DryRunSender(StdLogger(level="info")),
        store=store,
    )  # fmt: skip
    report = importer.run()
    assert report.sent == ["2026-07-31", "2026-08-01", "2026-08-08"]
    assert report.objects_sent > 0
    assert store.state["days"]["2026-08-08"]["status"] == "imported"


@pytest.mark.parametrize("period", ["PT24H", "P1D"])
def test_duration_period_is_iso_8601(clean_env, period):
    clean_env.setenv("CONNECTOR_DURATION_PERIOD", period)
    assert load_settings().connector.duration_period == dt.timedelta(days=1)


def test_without_a_listing_settled_days_are_not_probed_again(clean_env, upstream):
    upstream.fault("tree.json", Fault("status", status=403))  # e.g. GitHub's rate limit
    clean_env.setenv("VIGILINTEL_LISTING_URL", upstream.listing_url)
    clean_env.setenv("VIGILINTEL_HTTP_RETRIES", "0")
    sender = RecordingSender()
    importer, store = make_importer(
        clean_env, upstream.source_url, at("2026-08-10"), sender,
        VIGILINTEL_START_DATE="2026-07-25",
    )  # fmt: skip
    importer.run()
    assert sender.sent == ["2026-07-31", "2026-08-01", "2026-08-08"]
    first_heads = sum(1 for method, _ in upstream.requests if method == "HEAD")
    # Every known name of each day, and of the 4 digests that ended (07-w4, 07-w5, 07, 08-w1).
    assert first_heads == 17 * 7 + 4 * 2
    upstream.requests.clear()
    importer.run()
    heads = {path[:18] for method, path in upstream.requests if method == "HEAD"}
    # Only the days inside the grace window (08-07 … 08-10) are checked again, and the recent
    # digests, none of which was ever published.
    digests = {
        "2026/07/2026-07-w4",
        "2026/07/2026-07-w5",
        "2026/07/2026-07-re",
        "2026/08/2026-08-w1",
    }
    assert heads == {f"2026/08/2026-08-{d:02d}" for d in range(7, 11)} | digests
    assert sender.sent == ["2026-07-31", "2026-08-01", "2026-08-08"]
    # A day not probed is unknown, not empty: it keeps what it was settled as.
    days = store.state["days"]
    assert [days[d]["status"] for d in ("2026-07-31", "2026-08-01")] == ["imported"] * 2
