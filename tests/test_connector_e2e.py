"""Issue 3: the connector delivers every day once, through a real broker, with honest state.

Each test runs the real connector process against a private RabbitMQ node, a stand-in for
OpenCTI's GraphQL API and an HTTP server over the upstream sample, then reads the push queue.

One full backfill of the sample (2026-01-20 … today) is run once for the module; the cases that
continue from it start from the state it left. Cases that need a first run of their own (faults,
kills, resets) run over the March 2026 files only, from 2026-03-01: the same situations with a
tenth of the bundles.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.connector_runs import (
    GITHUB_TOKEN,
    OPENCTI_TOKEN,
    Connector,
    ConnectorRun,
    keep_only,
    replace_upstream_file,
    today,
)
from tests.support.opencti_standin import StandIn, StandInServer
from tests.support.rabbitmq import RabbitMQ
from tests.support.runs import CONTENT_DAYS
from tests.support.upstream_server import Fault, copy_sample, serving
from vigilintel_connector.digests import process_digest
from vigilintel_connector.pipeline import DayOptions, process_day
from vigilintel_connector.select.candidates import ARTEFACTS
from vigilintel_connector.source.periods import parse_digest_path
from vigilintel_connector.source.upstream import DirectoryUpstream

REWRITTEN = "2026/01/2026-01-28-report.stix_fr.json"
START = "2026-01-20"  # the full backfill's VIGILINTEL_START_DATE
DELIVERED = {day for day in CONTENT_DAYS if day >= START}
MARCH = {day for day in CONTENT_DAYS if day.startswith("2026-03")}
DIGESTS = {"weekly 2026-04-w2", "monthly 2026-04", "weekly 2026-05-w1", "monthly 2026-05",
           "weekly 2026-06-w2"}  # fmt: skip


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[RabbitMQ]:
    node = RabbitMQ(tmp_path_factory.mktemp("rabbitmq"))
    node.start()
    yield node
    node.stop()


@pytest.fixture
def connector(broker, sample_copy) -> Iterator[Connector]:
    """A connector over the whole sample, backfilling from START."""
    standin = StandIn(broker)
    with StandInServer(standin) as api, serving(sample_copy) as upstream:
        yield Connector(standin, api.url, upstream, env={"VIGILINTEL_START_DATE": START})


@pytest.fixture
def march(broker, sample_copy) -> Iterator[Connector]:
    """A connector over the March 2026 files only, backfilling from 2026-03-01."""
    keep_only(sample_copy, "2026/03/")
    standin = StandIn(broker)
    with StandInServer(standin) as api, serving(sample_copy) as upstream:
        yield Connector(standin, api.url, upstream, env={"VIGILINTEL_START_DATE": "2026-03-01"})


@dataclass
class FirstRun:
    run: ConnectorRun
    delivered: dict[str, set[str]]
    state: dict
    sample: Path


@pytest.fixture(scope="module")
def first_run(broker, sample_dir, tmp_path_factory) -> FirstRun:
    """The full backfill, run once: later cases continue from the state it left."""
    sample = copy_sample(sample_dir, tmp_path_factory.mktemp("first-run") / "upstream")
    standin = StandIn(broker)
    with StandInServer(standin) as api, serving(sample) as upstream:
        connector = Connector(standin, api.url, upstream, env={"VIGILINTEL_START_DATE": START})
        run = connector.run()
        return FirstRun(run, run.objects_by_day(standin), copy.deepcopy(standin.state), sample)


def continuing(connector: Connector, first: FirstRun) -> Connector:
    """The platform holds what the first run left: the next run starts from there."""
    connector.standin.state = copy.deepcopy(first.state)
    return connector


def expected_ids(sample: Path, day: str) -> set[str]:
    """What the export computes for that day: the connector must deliver exactly that."""
    date = dt.date.fromisoformat(day)
    upstream = DirectoryUpstream(sample, 1 << 30)
    files = upstream.list_files([date]).for_day(date)
    result = process_day(date, files, upstream.fetch, DayOptions(("fr",), ARTEFACTS))
    return {o["id"] for o in result.output.bundle["objects"]}


def expected_digest_ids(sample: Path, label: str) -> set[str]:
    key = label.split()[1]
    period = parse_digest_path(f"{key[:4]}/{key[5:7]}/{key}-report.md").period
    upstream = DirectoryUpstream(sample, 1 << 30)
    files = upstream.list_files([period.end]).for_period(period)
    result = process_digest(
        period, files, upstream.fetch, DayOptions(("fr",), ARTEFACTS), today(), 3
    )
    return {o["id"] for o in result.output.bundle["objects"]}


def test_first_run_delivers_each_day_once_and_records_every_settled_day(first_run):
    run = first_run.run
    assert run.returncode == 0, run.output
    assert run.work_days == sorted(DELIVERED)
    assert all(w.status == "complete" and not w.in_error for w in run.new_works)
    assert all("objects sent" in w.message for w in run.new_works)
    delivered = first_run.delivered
    assert {label for label in delivered if " " not in label} == DELIVERED
    for day in DELIVERED:
        assert delivered[day] == expected_ids(first_run.sample, day), day

    state = first_run.state
    grace_start = today() - dt.timedelta(days=3)
    assert state["last_processed_date"] == (grace_start - dt.timedelta(days=1)).isoformat()
    assert state["last_run"]
    days = state["days"]
    assert {d for d, r in days.items() if r["status"] == "imported"} == DELIVERED
    assert days["2026-06-04"]["status"] == "imported", "its Markdown report is its content"
    assert days["2026-02-10"]["status"] == "missing"
    assert days[today().isoformat()]["status"] == "pending"
    assert len(days) == (today() - dt.date(2026, 1, 20)).days + 1


def test_first_run_opens_one_work_per_digest_with_its_report(first_run):
    """Issue 13: every sample digest ended long ago: each is sent once, in its own work."""
    run = first_run.run
    assert run.work_digests == sorted(DIGESTS)
    names = {w.name for w in run.new_works}
    assert "VigilIntel weekly 2026-04-w2 (fr)" in names
    assert "VigilIntel monthly 2026-05 (fr)" in names
    for label in DIGESTS:
        assert first_run.delivered[label] == expected_digest_ids(first_run.sample, label), label
    records = first_run.state["digests"]
    assert set(records) == {label.split()[1] for label in DIGESTS}
    assert all(r["status"] == "imported" and r["sent_key"] for r in records.values())


def test_second_run_sends_nothing_and_opens_no_work(connector, first_run):
    second = continuing(connector, first_run).run()
    assert second.returncode == 0, second.output
    assert second.messages == []
    assert second.new_works == []


def test_a_rewritten_file_is_sent_again_and_only_that_day(
    connector, first_run, sample_copy, sample_dir
):
    continuing(connector, first_run)
    first_version = (sample_dir / "revisions" / "v1" / REWRITTEN).read_bytes()
    replace_upstream_file(sample_copy, REWRITTEN, first_version)
    again = connector.run()
    assert again.returncode == 0, again.output
    assert again.work_days == ["2026-01-28"]
    assert again.messages and {m["work_id"] for m in again.messages} == {again.new_works[0].id}


def test_a_day_published_after_a_run_is_picked_up(march, sample_copy):
    late = [
        f"2026/03/2026-03-16-{name}" for name in ("report-stix.json", "report.json", "report.md")
    ]
    contents = {path: (sample_copy / path).read_bytes() for path in late}
    for path in late:
        replace_upstream_file(sample_copy, path, None)
    first = march.run()
    assert first.work_days == sorted(MARCH - {"2026-03-16"})
    assert march.standin.state["days"]["2026-03-16"]["status"] == "missing"
    for path in late:
        replace_upstream_file(sample_copy, path, contents[path])
    second = march.run()
    assert second.work_days == ["2026-03-16"]


def test_a_refused_work_leaves_the_day_undone_until_a_later_run(march):
    march.standin.refuse_work_names = {"2026-03-10"}
    first = march.run()
    assert first.returncode == 0
    assert "2026-03-10" not in first.work_days
    assert march.standin.state["days"]["2026-03-10"]["status"] == "error"
    assert march.standin.state["last_processed_date"] < "2026-03-10"
    assert "Not delivered; it will be retried next run" in first.output
    assert set(first.work_days) == MARCH - {"2026-03-10"}, "the other days went on"
    march.standin.refuse_work_names = set()
    second = march.run()
    assert second.work_days == ["2026-03-10"]
    assert march.standin.state["days"]["2026-03-10"]["status"] == "imported"


def test_broker_stopped_mid_day_closes_the_work_in_error_and_a_later_run_delivers(march, broker):
    connector = march

    def stop_broker_during(work):
        if "2026-03-16" in work.name:
            broker.stop_app()

    connector.standin.on_expectations = stop_broker_during
    try:
        first = connector.run(after_process=broker.start_app)
    finally:
        connector.standin.on_expectations = None
    assert first.returncode == 0, first.output
    failed = {w.name.split()[1]: w for w in first.new_works if w.in_error}
    assert "2026-03-16" in failed
    assert all(w.status == "complete" for w in first.new_works)
    delivered_before = {w.name.split()[1] for w in first.new_works if not w.in_error}
    assert connector.standin.state["days"]["2026-03-16"]["status"] == "error"
    second = connector.run()
    assert second.returncode == 0
    assert "2026-03-16" in second.work_days
    assert not set(second.work_days) & delivered_before, "a delivered day was sent twice"
    assert connector.standin.state["days"]["2026-03-16"]["status"] == "imported"


def test_resetting_the_state_makes_the_next_run_backfill_again(march):
    assert march.run().work_days == sorted(MARCH)
    assert march.run().work_days == []
    march.standin.state = None
    again = march.run()
    assert again.work_days == sorted(MARCH)


def test_kill_9_mid_backfill_then_restart_delivers_every_day_and_none_twice(connector, sample_copy):
    keep_only(sample_copy, "2026/01/", "2026/02/", "2026/03/")  # 18 days to deliver
    expected = {day for day in DELIVERED if day < "2026-04"}
    before = set(connector.standin.works)
    process = connector.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = [w for w in connector.standin.works.values() if w.status == "complete"]
        if len(done) >= 6:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    killed = connector.collect(before, process)
    assert killed.returncode == -signal.SIGKILL
    saved = {
        day for day, record in (connector.standin.state or {}).get("days", {}).items()
        if record["status"] == "imported"
    }  # fmt: skip
    assert saved, "state was saved before the kill"
    assert saved < expected
    restarted = connector.run()
    assert restarted.returncode == 0, restarted.output
    assert not set(restarted.work_days) & saved, "a day was delivered again after being saved"
    assert set(restarted.work_days) | saved == expected
    imported = connector.standin.state["days"].items()
    assert {d for d, r in imported if r["status"] == "imported"} == expected


@pytest.mark.parametrize(
    ("stored", "warning", "expected_days"),
    [
        ("{not json at all", "not an object", "all"),
        ({"last_processed_date": "2026-03-10", "last_run": "2026-03-11T02:00:00Z"},
         "older format", "after"),
        ({"last_processed_date": "2099-01-01"}, "in the future", "all"),
    ],
    ids=["garbage", "brief-format", "future"],
)  # fmt: skip
def test_unusual_states_are_warned_about_and_read_safely(march, stored, warning, expected_days):
    connector = march
    connector.standin.state = stored
    run = connector.run()
    assert run.returncode == 0, run.output
    assert warning in run.output
    if expected_days == "all":
        assert run.work_days == sorted(MARCH)
    else:
        assert run.work_days == sorted(d for d in MARCH if d > "2026-03-10")
    days = connector.standin.state["days"]
    assert all(days[d]["status"] == "imported" and days[d]["sent_key"] for d in run.work_days)


def test_tokens_never_appear_in_the_logs_even_at_debug_level(march):
    run = march.run(CONNECTOR_LOG_LEVEL="debug")
    assert run.returncode == 0
    assert "Day planned" in run.output and "Imported 2026-03-" in run.output
    assert OPENCTI_TOKEN not in run.output
    assert GITHUB_TOKEN not in run.output


def test_an_upstream_failure_leaves_the_day_undone_and_a_later_run_delivers_it(march):
    connector = march
    path = "2026/03/2026-03-12-report.json"
    connector.upstream.fault(path, Fault("status", status=503))
    first = connector.run()
    assert first.returncode == 0, first.output
    assert "2026-03-12" not in first.work_days
    assert set(first.work_days) == MARCH - {"2026-03-12"}
    assert connector.standin.state["days"]["2026-03-12"]["status"] == "error"
    assert connector.standin.state["last_processed_date"] < "2026-03-12"
    assert '"ERROR"' in first.output and "2026-03-12" in first.output
    connector.upstream.faults.clear()
    second = connector.run()
    assert second.work_days == ["2026-03-12"]
    assert connector.standin.state["days"]["2026-03-12"]["status"] == "imported"
