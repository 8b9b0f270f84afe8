"""The connector state: read safely whatever the platform holds, decide days from listings alone."""

from __future__ import annotations

import datetime as dt

import pytest

from vigilintel_connector.outcome import DayOutcome
from vigilintel_connector.state import (
    MAX_DAY_RECORDS,
    DayRecord,
    decide,
    fingerprint,
    load_state,
)

TODAY = dt.date(2026, 8, 8)
FIRST = dt.date(2026, 8, 1)


def test_no_state_is_a_first_run_from_the_backfill_start():
    state, warnings = load_state(None, TODAY, FIRST)
    assert state.start_date == FIRST
    assert state.last_processed_date is None
    assert warnings == []
    assert state.planned_days(TODAY)[0] == FIRST and len(state.planned_days(TODAY)) == 8


@pytest.mark.parametrize("garbage", ["not json", 42, ["a"], {"unexpected": True}])
def test_garbage_state_warns_and_backfills_instead_of_crashing(garbage):
    state, warnings = load_state(garbage, TODAY, FIRST)
    assert state.start_date == FIRST
    assert warnings


def test_the_briefs_state_format_continues_after_its_last_processed_date():
    state, warnings = load_state(
        {"last_processed_date": "2026-07-30", "last_run": "2026-07-31T01:00:00Z"}, TODAY, FIRST
    )
    assert state.start_date == dt.date(2026, 7, 31)
    assert state.last_processed_date == dt.date(2026, 7, 30)
    assert any("older format" in w for w in warnings)


def test_a_state_from_the_future_is_not_trusted():
    state, warnings = load_state({"last_processed_date": "2031-01-01"}, TODAY, FIRST)
    assert state.start_date == FIRST
    assert state.last_processed_date is None
    assert any("future" in w for w in warnings)


def test_unreadable_day_records_are_dropped_with_a_warning():
    raw = {
        "start_date": "2026-08-01",
        "days": {
            "2026-08-01": {"status": "imported", "files": "x"},
            "garbage": {},
            "2026-08-02": 3,
        },
    }
    state, warnings = load_state(raw, TODAY, FIRST)
    assert list(state.days) == [dt.date(2026, 8, 1)]
    assert len(warnings) == 2


def test_round_trip_and_cursor_stops_at_the_first_unsettled_day():
    state, _ = load_state(None, TODAY, FIRST)
    for i, status in enumerate([DayOutcome.IMPORTED, DayOutcome.MISSING, DayOutcome.ERROR]):
        state.days[FIRST + dt.timedelta(days=i)] = DayRecord(status, "fp")
    state.days[FIRST + dt.timedelta(days=3)] = DayRecord(DayOutcome.NO_CONTENT, "fp")
    state.settle_cursor(TODAY)
    assert state.last_processed_date == dt.date(2026, 8, 2)
    again, warnings = load_state(state.to_dict(), TODAY, FIRST)
    assert warnings == []
    assert again.days == state.days
    assert again.last_processed_date == dt.date(2026, 8, 2)
    assert list(state.to_dict())[:2] == ["last_processed_date", "last_run"]


def test_state_size_is_bounded_and_unsettled_days_are_never_forgotten():
    start = dt.date(2024, 1, 1)
    today = start + dt.timedelta(days=MAX_DAY_RECORDS + 99)
    state, _ = load_state(None, today, start)
    for day in state.planned_days(today):
        state.days[day] = DayRecord(DayOutcome.IMPORTED, "fp")
    state.days[start + dt.timedelta(days=10)] = DayRecord(DayOutcome.ERROR, None)
    state.prune()
    assert len(state.days) == MAX_DAY_RECORDS + 100 - 10
    assert state.start_date == start + dt.timedelta(days=10)
    state.days[start + dt.timedelta(days=10)] = DayRecord(DayOutcome.IMPORTED, "fp")
    state.prune()
    assert len(state.days) == MAX_DAY_RECORDS
    state.settle_cursor(today)
    assert state.last_processed_date == today
    reloaded, _ = load_state(state.to_dict(), today, start)
    assert reloaded.last_processed_date == today


def test_decisions_come_from_the_listing_alone():
    day = dt.date(2026, 7, 1)
    settled = DayRecord(DayOutcome.IMPORTED, "abc", "key")
    assert not decide(settled, "abc", day, TODAY, 3).process
    assert decide(settled, "changed", day, TODAY, 3).process
    assert decide(None, "abc", day, TODAY, 3).process
    assert decide(DayRecord(DayOutcome.PENDING, ""), "", day, TODAY, 3).process
    assert decide(DayRecord(DayOutcome.ERROR, None), "abc", day, TODAY, 3).process
    # Without a listing (probing), old settled days are not downloaded again; recent ones are.
    assert not decide(settled, None, day, TODAY, 3).process
    assert decide(settled, None, TODAY, TODAY, 3).process


def test_fingerprint_depends_on_paths_and_contents_not_order():
    a = fingerprint([("x", "1"), ("y", "2")])
    assert a == fingerprint([("y", "2"), ("x", "1")])
    assert a != fingerprint([("x", "1"), ("y", "3")])
    assert fingerprint([("x", None)]) is None
    assert fingerprint([]) is not None


def test_records_of_the_first_release_are_read_and_written_under_their_new_names():
    raw = {
        "start_date": "2026-08-01",
        "days": {"2026-08-01": {"status": "imported", "files": "fp1", "sent": "sha1", "at": "t"}},
    }
    state, warnings = load_state(raw, TODAY, FIRST)
    assert warnings == []
    record = state.days[dt.date(2026, 8, 1)]
    assert (record.fingerprint, record.sent_key) == ("fp1", "sha1")
    written = state.to_dict()["days"]["2026-08-01"]
    assert written == {"status": "imported", "at": "t", "fingerprint": "fp1", "sent_key": "sha1"}
    assert load_state(state.to_dict(), TODAY, FIRST)[0].days == state.days


def test_digest_records_round_trip_and_a_bad_one_is_dropped_with_a_warning():
    raw = {
        "start_date": "2026-07-01",
        "days": {},
        "digests": {
            "2026-07-w4": {"status": "imported", "fingerprint": "f", "sent_key": "k", "at": "t"},
            "2026-07": {"status": "pending", "fingerprint": "g"},
            "2026-06": {"status": "no-such-status"},
        },
    }
    state, warnings = load_state(raw, TODAY, FIRST)
    assert set(state.digests) == {"2026-07-w4", "2026-07"}
    assert state.digests["2026-07-w4"] == DayRecord(DayOutcome.IMPORTED, "f", "k", "t")
    assert warnings == ["Connector state: dropped an unreadable digest record for '2026-06'"]
    assert state.to_dict()["digests"]["2026-07"] == {
        "status": "pending",
        "at": "",
        "fingerprint": "g",
    }
    # The brief's keys come first; the digests follow the days.
    assert list(state.to_dict()) == [
        "last_processed_date",
        "last_run",
        "start_date",
        "days",
        "digests",
    ]
