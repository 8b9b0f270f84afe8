"""Issue 2: find, select and export every day's STIX report, over HTTP and from a directory."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.support.runs import (
    CONTENT_DAYS,
    FULL_RANGE,
    JSON_DAYS,
    MARKDOWN_DAYS,
    STIX_DAYS,
    by_status,
    day_entry,
    export,
    use_http,
)
from tests.support.upstream_server import Fault
from vigilintel_connector.source.periods import periods_between

ALL_DAYS = {
    (dt.date(2025, 11, 14) + dt.timedelta(days=i)).isoformat()
    for i in range((dt.date(2026, 8, 8) - dt.date(2025, 11, 14)).days + 1)
}


def assert_full_history(summary: dict) -> None:
    statuses = by_status(summary)
    assert statuses["imported"] == CONTENT_DAYS & ALL_DAYS
    assert statuses["missing"] == ALL_DAYS - CONTENT_DAYS
    assert "error" not in statuses and "no-content" not in statuses
    assert [d["date"] for d in summary["days"]] == sorted(ALL_DAYS)
    for day in summary["days"]:
        date = day["date"]
        expected = (
            "stix" if date in STIX_DAYS else "json" if date in JSON_DAYS
            else "markdown" if date in MARKDOWN_DAYS else None
        )  # fmt: skip
        assert day["format"] == expected, day
        assert day["artefacts"][:1] == ([expected] if expected else []), day


def test_http_export_imports_exactly_the_days_with_stix_intelligence(clean_env, upstream, tmp_path):
    use_http(clean_env, upstream)
    code, summary = export(tmp_path / "out", *FULL_RANGE)
    assert code == 0
    assert_full_history(summary)
    assert upstream.count("tree.json") == 1
    written = sorted(p.stem for p in (tmp_path / "out").glob("2*.json"))
    assert written == sorted(CONTENT_DAYS & ALL_DAYS)
    for date in CONTENT_DAYS & ALL_DAYS:
        bundle = json.loads((tmp_path / "out" / f"{date}.json").read_text())
        assert bundle["type"] == "bundle"
        assert len(bundle["objects"]) == day_entry(summary, date)["objects"] > 0


def test_directory_source_gives_the_same_result(clean_env, sample_dir, tmp_path):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    code, summary = export(tmp_path / "out", *FULL_RANGE)
    assert code == 0
    assert_full_history(summary)


def test_listing_failure_falls_back_to_probing_known_names(clean_env, upstream, tmp_path):
    upstream.fault("tree.json", Fault("status", status=503))
    use_http(clean_env, upstream, VIGILINTEL_HTTP_RETRIES="1")
    code, summary = export(tmp_path / "out", *FULL_RANGE)
    assert code == 0
    assert_full_history(summary)
    # Each day's 7 known names, and the 2 of each weekly and monthly digest of the range.
    periods = periods_between(dt.date(2025, 11, 14), dt.date(2026, 8, 8), ("weekly", "monthly"))
    heads = sum(1 for m, _ in upstream.requests if m == "HEAD")
    assert heads == len(ALL_DAYS) * 7 + len(periods) * 2
    assert len(summary["digests"]) == 5


def test_truncated_listing_falls_back_to_probing(clean_env, upstream, sample_copy, tmp_path):
    """(The JSON reports of 03-11 and 03-12 are imported too; 03-10's is empty.)"""
    listing = json.loads((sample_copy / "tree.json").read_text())
    listing["truncated"] = True
    upstream.fault("tree.json", Fault("body", body=json.dumps(listing).encode()))
    use_http(clean_env, upstream)
    code, summary = export(tmp_path / "out", "2026-03-09", "2026-03-12")
    assert code == 0
    assert by_status(summary)["imported"] == {
        "2026-03-09",
        "2026-03-10",
        "2026-03-11",
        "2026-03-12",
    }
    assert upstream.count("2026/03/2026-03-10-report-stix.json", "HEAD") == 1


@pytest.mark.parametrize("language", ["fr", "en"])
def test_era_a_picks_the_configured_language_file(clean_env, upstream, tmp_path, language):
    use_http(clean_env, upstream, VIGILINTEL_LANGUAGE=language)
    code, summary = export(tmp_path / "out", "2026-01-26", "2026-01-27")
    assert code == 0
    for date in ("2026-01-26", "2026-01-27"):
        files = day_entry(summary, date)["files"]
        assert files[0] == f"2026/01/{date}-report.stix_{language}.json"
        assert not any("stix_" in f for f in files[1:])
    # The other language's file is read (its content says what it is), never used.
    other = "en" if language == "fr" else "fr"
    assert upstream.count(f"2026/01/2026-01-26-report.stix_{other}.json") == 1


def test_stub_and_template_are_not_content_whatever_their_size(clean_env, sample_dir, tmp_path):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    clean_env.setenv("VIGILINTEL_SOURCE_FORMATS", "stix")
    _, summary = export(tmp_path / "out", "2026-07-06", "2026-07-06")
    entry = day_entry(summary, "2026-07-06")
    assert entry["status"] == "no-content"
    assert "2026/07/2026-07-06-report-stix.json: STIX stub" in entry["message"]
    assert "2026/07/2026-07-06-report.stix.json: STIX stub" in entry["message"]  # the template


def test_429_with_retry_after_is_waited_for_then_imported(clean_env, upstream, tmp_path):
    path = "2026/03/2026-03-16-report-stix.json"
    upstream.fault(path, Fault("status", status=429, headers={"Retry-After": "1"}, times=1))
    use_http(clean_env, upstream)
    started = dt.datetime.now()
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    waited = (dt.datetime.now() - started).total_seconds()
    assert code == 0
    assert day_entry(summary, "2026-03-16")["status"] == "imported"
    assert upstream.count(path, "GET") == 2
    assert waited >= 1.0


def test_500_then_200_is_retried_and_imported(clean_env, upstream, tmp_path):
    path = "2026/03/2026-03-16-report-stix.json"
    upstream.fault(path, Fault("status", status=500, times=2))
    use_http(clean_env, upstream)
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    assert code == 0
    assert day_entry(summary, "2026-03-16")["status"] == "imported"
    assert upstream.count(path, "GET") == 3


def test_persistent_500_makes_that_day_an_error_and_the_run_goes_on(clean_env, upstream, tmp_path):
    path = "2026/03/2026-03-10-report-stix.json"
    upstream.fault(path, Fault("status", status=500))
    use_http(clean_env, upstream, VIGILINTEL_HTTP_RETRIES="2")
    code, summary = export(tmp_path / "out", "2026-03-09", "2026-03-16")
    assert code == 0
    assert day_entry(summary, "2026-03-10")["status"] == "error"
    assert "2026-03-10-report-stix.json" in day_entry(summary, "2026-03-10")["message"]
    assert upstream.count(path, "GET") == 3
    assert by_status(summary)["imported"] == {
        "2026-03-09",
        "2026-03-11",
        "2026-03-12",
        "2026-03-16",
    }
    assert not (tmp_path / "out" / "2026-03-10.json").exists()


def test_read_timeout_is_an_error_for_that_day_only(clean_env, upstream, tmp_path):
    path = "2026/03/2026-03-10-report-stix.json"
    upstream.fault(path, Fault("sleep", seconds=3))
    use_http(clean_env, upstream, VIGILINTEL_HTTP_TIMEOUT="0.5", VIGILINTEL_HTTP_RETRIES="1")
    code, summary = export(tmp_path / "out", "2026-03-09", "2026-03-16")
    assert code == 0
    entry = day_entry(summary, "2026-03-10")
    assert entry["status"] == "error"
    assert "timed out" in entry["message"].lower()
    assert day_entry(summary, "2026-03-16")["status"] == "imported"


def test_connection_reset_then_success_is_retried(clean_env, upstream, tmp_path):
    path = "2026/03/2026-03-16-report-stix.json"
    upstream.fault(path, Fault("reset", times=1))
    use_http(clean_env, upstream)
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    assert code == 0
    assert day_entry(summary, "2026-03-16")["status"] == "imported"


@pytest.mark.parametrize(("formats", "status"), [("stix", "error"), ("auto", "imported")])
def test_oversize_body_is_refused_while_streaming(clean_env, upstream, tmp_path, formats, status):
    """Over the cap, the file is done without: the day's other artefacts still import."""
    path = "2026/03/2026-03-16-report-stix.json"
    upstream.fault(path, Fault("stream", size=50 * 1024 * 1024))
    use_http(clean_env, upstream, VIGILINTEL_SOURCE_FORMATS=formats)  # the default 20 MB cap
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    assert code == 0
    entry = day_entry(summary, "2026-03-16")
    assert entry["status"] == status
    assert "cap" in entry["message"]
    assert path not in entry["files"]


@pytest.mark.parametrize(
    ("body", "reason", "status"),
    [
        (b'{"type": "bundle", "objects": [{"type": "identity"', "invalid JSON", "error"),
        (b"<!DOCTYPE html><html><body>Rate limited</body></html>", "HTML page", "error"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply", "error"),
        (b'{"type": "not-a-bundle"}', "not recognised: 2026/03/2026-03-10", "unrecognised"),
    ],
    ids=["truncated-json", "html-page", "deep-nesting", "not-a-bundle"],
)
def test_bad_body_with_status_200_is_an_error_with_its_reason(
    clean_env, upstream, tmp_path, body, reason, status
):
    """A broken file is an error; a readable file of no known kind is unrecognised: neither
    day is settled."""
    path = "2026/03/2026-03-10-report-stix.json"
    upstream.fault(path, Fault("body", body=body))
    use_http(clean_env, upstream, VIGILINTEL_SOURCE_FORMATS="stix")
    code, summary = export(tmp_path / "out", "2026-03-10", "2026-03-16")
    assert code == 0
    entry = day_entry(summary, "2026-03-10")
    assert entry["status"] == status
    assert reason in entry["message"]
    assert day_entry(summary, "2026-03-16")["status"] == "imported"


def test_a_listed_file_answering_404_is_an_error_not_a_silent_skip(clean_env, upstream, tmp_path):
    upstream.fault("2026/03/2026-03-16-report-stix.json", Fault("status", status=404))
    use_http(clean_env, upstream)
    _, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    entry = day_entry(summary, "2026-03-16")
    assert entry["status"] == "error"
    assert "404" in entry["message"]


def test_unreachable_source_exits_1(clean_env, tmp_path):
    clean_env.setenv("VIGILINTEL_SOURCE", "http://127.0.0.1:9/raw")
    clean_env.setenv("VIGILINTEL_LISTING_URL", "http://127.0.0.1:9/tree.json")
    clean_env.setenv("VIGILINTEL_HTTP_RETRIES", "0")
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-17")
    assert code == 1
    assert summary is None


def test_default_range_is_lookback_days_up_to_today(clean_env, sample_dir, tmp_path):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    clean_env.setenv("VIGILINTEL_LOOKBACK_DAYS", "2")
    from vigilintel_connector.cli import main

    assert main(["export", "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    today = dt.datetime.now(dt.UTC).date()
    assert [d["date"] for d in summary["days"]] == [
        (today - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]


def test_summary_lists_every_field_other_tools_read(clean_env, sample_dir, tmp_path):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    _, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    assert set(summary) == {
        "generated_at", "source", "language", "interrupted", "days", "digests", "earlier",
    }  # fmt: skip
    assert set(summary["days"][0]) == {
        "date", "status", "files", "format", "artefacts", "objects", "provenance",
        "language_fallback", "dropped", "changed", "ignored", "unrecognised", "warnings",
        "message",
    }  # fmt: skip
    assert summary["interrupted"] is False and summary["earlier"] == []
    entry = summary["days"][0]
    assert entry["dropped"]["replaced-author"] == 1, "removals are counted under dropped"
    assert entry["changed"]["pipeline-label"] > 0, "rewrites are counted apart"
    assert not any(":" in reason for reason in entry["dropped"])
    assert summary["language"] == "fr"


def test_progress_and_summary_table_go_to_stderr(clean_env, sample_dir, tmp_path, capsys):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    export(tmp_path / "out", "2026-03-15", "2026-03-16")
    err = capsys.readouterr().err
    assert "2026-03-16  imported" in err
    assert "2026-03-15  missing (1 days" in err
    assert "1 days imported" in err
    assert Path(tmp_path / "out" / "summary.json").exists()


def test_listing_host_down_falls_back_to_probing(clean_env, upstream, tmp_path):
    use_http(clean_env, upstream, VIGILINTEL_HTTP_RETRIES="1")
    clean_env.setenv("VIGILINTEL_LISTING_URL", "http://127.0.0.1:9/tree.json")
    code, summary = export(tmp_path / "out", "2026-03-09", "2026-03-16")
    assert code == 0
    assert by_status(summary)["imported"] == {
        "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-16"
    }  # fmt: skip
    assert upstream.count("tree.json") == 0
    assert upstream.count("2026/03/2026-03-16-report-stix.json", "HEAD") == 1


def test_unsafe_listing_paths_are_never_requested(clean_env, upstream, sample_copy, tmp_path):
    listing = json.loads((sample_copy / "tree.json").read_text())
    hostile = [
        "../../etc/passwd", "/etc/passwd", "2026\\03\\2026-03-16-report-stix.json",
        "2026/03/../../2026-03-16-report-stix.json", "2026/03/2026-03-16-report-stix.json/../x",
    ]  # fmt: skip
    listing["tree"] += [{"path": p, "type": "blob", "sha": "0" * 40, "size": 1} for p in hostile]
    upstream.fault("tree.json", Fault("body", body=json.dumps(listing).encode()))
    use_http(clean_env, upstream)
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    assert code == 0
    assert day_entry(summary, "2026-03-16")["status"] == "imported"
    requested = {path for _, path in upstream.requests}
    assert not requested & {p.lstrip("/") for p in hostile}
    assert all(".." not in path and "\\" not in path for path in requested)
