"""Issue 3: the connector delivers every day once, through a real broker, with honest state.

Each test runs the real connector process against a private RabbitMQ node, a stand-in for
OpenCTI's GraphQL API and an HTTP server over the upstream sample, then reads the push queue.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.connector_runs import (
    GITHUB_TOKEN,
    OPENCTI_TOKEN,
    Connector,
    replace_upstream_file,
    today,
)
from tests.support.opencti_standin import StandIn, StandInServer
from tests.support.rabbitmq import RabbitMQ
from tests.support.runs import CONTENT_DAYS
from tests.support.upstream_server import Fault, serving
from vigilintel_connector.pipeline import DayOptions, process_day
from vigilintel_connector.source.upstream import DirectoryUpstream

REWRITTEN = "2026/01/2026-01-28-report.stix_fr.json"
START = "2026-01-20"  # the runs' VIGILINTEL_START_DATE
DELIVERED = {day for day in CONTENT_DAYS if day >= START}


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[RabbitMQ]:
    node = RabbitMQ(tmp_path_factory.mktemp("rabbitmq"))
    node.start()
    yield node
    node.stop()


@pytest.fixture
def connector(broker, sample_copy) -> Iterator[Connector]:
    standin = StandIn(broker)
    with StandInServer(standin) as api, serving(sample_copy) as upstream:
        yield Connector(standin, api.url, upstream)


def expected_ids(sample: Path, day: str) -> set[str]:
    """What the export computes for that day: the connector must deliver exactly that."""
    date = dt.date.fromisoformat(day)
    upstream = DirectoryUpstream(sample, 1 << 30)
    files = upstream.list_files([date]).for_day(date)
    result = process_day(date, files, upstream.fetch, DayOptions(("fr",)))
    return {o["id"] for o in result.output.bundle["objects"]}


def test_first_run_delivers_each_day_once_and_records_every_settled_day(connector, sample_copy):
    run = connector.run()
    assert run.returncode == 0, run.output
    assert run.work_days == sorted(DELIVERED)
    assert all(w.status == "complete" and not w.in_error for w in run.new_works)
    assert all("objects sent" in w.message for w in run.new_works)
    delivered = run.objects_by_day(connector.standin)
    assert set(delivered) == DELIVERED
    for day in DELIVERED:
        assert delivered[day] == expected_ids(sample_copy, day), day

    state = connector.standin.state
    grace_start = today() - dt.timedelta(days=3)
    assert state["last_processed_date"] == (grace_start - dt.timedelta(days=1)).isoformat()
    assert state["last_run"]
    days = state["days"]
    assert {d for d, r in days.items() if r["status"] == "imported"} == DELIVERED
    assert days["2026-06-04"]["status"] == "no-content"
    assert days["2026-02-10"]["status"] == "missing"
    assert days[today().isoformat()]["status"] == "pending"
    assert len(days) == (today() - dt.date(2026, 1, 20)).days + 1


def test_second_run_sends_nothing_and_opens_no_work(connector):
    assert connector.run().returncode == 0
    second = connector.run()
    assert second.returncode == 0, second.output
    assert second.messages == []
    assert second.new_works == []


def test_a_rewritten_file_is_sent_again_and_only_that_day(connector, sample_copy, sample_dir):
    assert connector.run().returncode == 0
    first_version = (sample_dir / "revisions" / "v1" / REWRITTEN).read_bytes()
    replace_upstream_file(sample_copy, REWRITTEN, first_version)
    again = connector.run()
    assert again.returncode == 0, again.output
    assert again.work_days == ["2026-01-28"]
    assert again.messages and {m["work_id"] for m in again.messages} == {again.new_works[0].id}


def test_a_day_published_after_a_run_is_picked_up(connector, sample_copy):
    late = ["2026/03/2026-03-16-report-stix.json", "2026/03/2026-03-16-report.json"]
    contents = {path: (sample_copy / path).read_bytes() for path in late}
    for path in late:
        replace_upstream_file(sample_copy, path, None)
    first = connector.run()
    assert "2026-03-16" not in first.work_days
    assert connector.standin.state["days"]["2026-03-16"]["status"] == "missing"
    for path in late:
        replace_upstream_file(sample_copy, path, contents[path])
    second = connector.run()
    assert second.work_days == ["2026-03-16"]


def test_a_refused_work_leaves_the_day_undone_until_a_later_run(connector):
    connector.standin.refuse_work_names = {"2026-03-10"}
    first = connector.run()
    assert first.returncode == 0
    assert "2026-03-10" not in first.work_days
    assert connector.standin.state["days"]["2026-03-10"]["status"] == "error"
    assert connector.standin.state["last_processed_date"] < "2026-03-10"
    assert "Day not delivered" in first.output
    assert set(first.work_days) == DELIVERED - {"2026-03-10"}, "the other days went on"
    connector.standin.refuse_work_names = set()
    second = connector.run()
    assert second.work_days == ["2026-03-10"]
    assert connector.standin.state["days"]["2026-03-10"]["status"] == "imported"


def test_broker_stopped_mid_day_closes_the_work_in_error_and_a_later_run_delivers(
    connector, broker
):
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


def test_resetting_the_state_makes_the_next_run_backfill_again(connector):
    assert connector.run().returncode == 0
    connector.standin.state = None
    again = connector.run()
    assert again.work_days == sorted(DELIVERED)


def test_kill_9_mid_backfill_then_restart_delivers_every_day_and_none_twice(connector):
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
    assert saved < DELIVERED
    restarted = connector.run()
    assert restarted.returncode == 0, restarted.output
    assert not set(restarted.work_days) & saved, "a day was delivered again after being saved"
    assert set(restarted.work_days) | saved == DELIVERED
    assert {d for d, r in connector.standin.state["days"].items() if r["status"] == "imported"} == (
        DELIVERED
    )


@pytest.mark.parametrize(
    ("stored", "warning", "expected_days"),
    [
        ("{not json at all", "not an object", "all"),
        ({"last_processed_date": "2026-06-30", "last_run": "2026-07-01T02:00:00Z"},
         "older format", "after"),
        ({"last_processed_date": "2099-01-01"}, "in the future", "all"),
    ],
    ids=["garbage", "brief-format", "future"],
)  # fmt: skip
def test_unusual_states_are_warned_about_and_read_safely(connector, stored, warning, expected_days):
    connector.standin.state = stored
    run = connector.run()
    assert run.returncode == 0, run.output
    assert warning in run.output
    if expected_days == "all":
        assert run.work_days == sorted(DELIVERED)
    else:
        assert run.work_days == sorted(d for d in DELIVERED if d > "2026-06-30")
    assert connector.standin.state["version"] == 2


def test_tokens_never_appear_in_the_logs_even_at_debug_level(connector):
    run = connector.run(CONNECTOR_LOG_LEVEL="debug")
    assert run.returncode == 0
    assert "Day planned" in run.output and "Bundle sent" in run.output
    assert OPENCTI_TOKEN not in run.output
    assert GITHUB_TOKEN not in run.output


def test_an_upstream_failure_leaves_the_day_undone_and_a_later_run_delivers_it(connector):
    path = "2026/06/2026-06-06-report-stix.json"
    connector.upstream.fault(path, Fault("status", status=503))
    first = connector.run()
    assert first.returncode == 0, first.output
    assert "2026-06-06" not in first.work_days
    assert set(first.work_days) == DELIVERED - {"2026-06-06"}
    assert connector.standin.state["days"]["2026-06-06"]["status"] == "error"
    assert connector.standin.state["last_processed_date"] < "2026-06-06"
    assert '"ERROR"' in first.output and "2026-06-06" in first.output
    connector.upstream.faults.clear()
    second = connector.run()
    assert second.work_days == ["2026-06-06"]
    assert connector.standin.state["days"]["2026-06-06"]["status"] == "imported"
