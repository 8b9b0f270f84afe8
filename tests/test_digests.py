"""Issue 13: the weekly and monthly digests become their own reports, joined to the daily graph,
sent once their period has ended and again only when upstream rewrites them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from tests.support.platform_rules import alterations
from tests.support.runs import export
from tests.support.stix_checks import referenced_ids
from tests.test_importer import RecordingSender, at, make_importer
from vigilintel_connector.convert.markdown_fields import boolean
from vigilintel_connector.digests import process_digest, process_digests
from vigilintel_connector.pipeline import DayOptions
from vigilintel_connector.select.candidates import ARTEFACTS
from vigilintel_connector.source.periods import Period, parse_digest_path, periods_between
from vigilintel_connector.source.upstream import DirectoryUpstream

SAMPLE_DIGESTS = {
    "2026-04-w2": ["markdown"], "2026-04": ["markdown"],
    "2026-05-w1": ["json", "markdown"], "2026-05": ["json", "markdown"],
    "2026-06-w2": ["json", "markdown"],
}  # fmt: skip
CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)


def test_periods_are_upstream_weeks_of_the_month_and_months():
    w4, w5, month = Period(2026, 7, 4), Period(2026, 7, 5), Period(2026, 7)
    assert (w4.key, w4.start, w4.end) == ("2026-07-w4", dt.date(2026, 7, 22), dt.date(2026, 7, 28))
    assert (w5.start, w5.end) == (dt.date(2026, 7, 29), dt.date(2026, 7, 31))
    assert (month.key, month.kind, month.end) == ("2026-07", "monthly", dt.date(2026, 7, 31))
    assert not Period(2026, 2, 5).exists and Period(2028, 2, 5).exists
    assert parse_digest_path("2026/07/2026-07-w4-report.json").period == w4
    assert parse_digest_path("2026/07/2026-07-report.md").period == month
    assert parse_digest_path("2026/07/2026-07-28-report.md") is None  # a day's file
    assert parse_digest_path("2026/06/2026-07-report.md") is None  # in another month's folder
    between = periods_between(dt.date(2026, 7, 20), dt.date(2026, 8, 8), ("weekly", "monthly"))
    assert [p.key for p in between] == [
        "2026-07-w3", "2026-07-w4", "2026-07-w5", "2026-07", "2026-08-w1", "2026-08-w2",
        "2026-08",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def exported(sample_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("digests") / "out"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        code, _ = export(out, "2026-04-01", "2026-06-30")
    assert code == 0
    return out


def _report(bundle: dict) -> dict:
    return next(o for o in bundle["objects"] if o["type"] == "report")


def test_each_sample_digest_is_one_report_named_after_its_period(exported):
    summary = json.loads((exported / "summary.json").read_text())
    entries = {d["period"]: d for d in summary["digests"]}
    assert set(entries) == set(SAMPLE_DIGESTS)
    day_fields = set(summary["days"][0])
    for key, artefacts in SAMPLE_DIGESTS.items():
        entry = entries[key]
        assert set(entry) == day_fields | {"period"}
        assert (entry["status"], entry["artefacts"]) == ("imported", artefacts), key
        bundle = json.loads((exported / "digests" / f"{key}.json").read_text())
        reports = [o for o in bundle["objects"] if o["type"] == "report"]
        assert len(reports) == 1
        report = reports[0]
        period = parse_digest_path(f"{key[:4]}/{key[5:7]}/{key}-report.md").period
        assert report["name"] == f"VigilIntel {period.kind} {key}"
        assert report["published"] == f"{period.end.isoformat()}T00:00:00.000Z"
        assert report["report_types"] == ["threat-report"]
        assert len(report["description"]) >= 200 and "digest of" not in report["description"]
        assert report["x_opencti_files"][0]["name"] == f"{key}-report.md"
        links = {r["url"] for r in report["external_references"]}
        assert (
            f"https://github.com/kidrek/VigilIntel/blob/main/2026/{key[5:7]}/{key}-report.md"
            in links
        )
        ids = {o["id"] for o in bundle["objects"]}
        assert all(r in ids for o in bundle["objects"] for r in referenced_ids(o)), key
        assert alterations(bundle) == [], key


def test_a_digest_names_what_its_markdown_names(exported, sample_dir):
    for key in SAMPLE_DIGESTS:
        markdown = (sample_dir / key[:4] / key[5:7] / f"{key}-report.md").read_text()
        named = {c.upper() for c in CVE.findall(markdown)}
        bundle = json.loads((exported / "digests" / f"{key}.json").read_text())
        found = {o["name"] for o in bundle["objects"] if o["type"] == "vulnerability"}
        assert named <= found, key
        kinds = {o["type"] for o in bundle["objects"]}
        assert {"attack-pattern", "location"} <= kinds, key
        assert kinds & {"intrusion-set", "threat-actor"}, key
    notes = json.loads((exported / "digests" / "2026-05-w1.json").read_text())["objects"]
    abstracts = {o["abstract"] for o in notes if o["type"] == "note"}
    assert {
        "Threat level: Critique (4/5)",
        "Trends and weak signals",
        "Recommendations",
    } <= abstracts


def test_digests_and_days_meet_on_the_same_entities(exported):
    """A CVE, technique or actor named by a digest and by a day is one node in OpenCTI."""
    day_objects = {}
    for path in exported.glob("2026-*.json"):
        for obj in json.loads(path.read_text())["objects"]:
            day_objects[obj["id"]] = obj
    shared = 0
    for path in (exported / "digests").glob("*.json"):
        for obj in json.loads(path.read_text())["objects"]:
            if obj["type"] in ("vulnerability", "attack-pattern", "intrusion-set", "location"):
                twin = day_objects.get(obj["id"])
                if twin is not None:
                    assert twin["name"] == obj["name"]
                    shared += 1
    assert shared >= 50


def _digest(sample: Path, key: str, today: str, rolling: bool = False) -> object:
    period = parse_digest_path(f"{key[:4]}/{key[5:7]}/{key}-report.md").period
    upstream = DirectoryUpstream(sample, 1 << 30)
    files = upstream.list_files([period.end]).for_period(period)
    opts = DayOptions(("fr",), ARTEFACTS)
    date = dt.date.fromisoformat(today)
    return process_digest(period, files, upstream.fetch, opts, date, 3, rolling=rolling)


def test_a_bug_on_one_digest_costs_that_digest_only(sample_dir):
    """A digest whose reading fails unexpectedly is an error of its own; the next is built."""
    upstream = DirectoryUpstream(sample_dir, 1 << 30)
    periods = [parse_digest_path(f"2026/0{m}/2026-0{m}-report.md").period for m in (4, 5)]
    listing = upstream.list_files([p.end for p in periods], probe_periods=periods)
    wanted = [(p, listing.for_period(p)) for p in periods]

    def fetch(path: str) -> bytes:
        if path.startswith("2026/04/"):
            raise RuntimeError("a bug")
        return upstream.fetch(path)

    opts = DayOptions(("fr",), ARTEFACTS)
    found = dict(process_digests(wanted, fetch, opts, dt.date(2026, 8, 9), 3))
    april, may = (found[p] for p in periods)
    assert april.outcome == "error" and "internal error" in april.message
    assert may.outcome == "imported"


def test_a_period_in_progress_or_not_final_is_not_sent(sample_copy):
    assert _digest(sample_copy, "2026-05", "2026-05-20").outcome == "pending"  # in progress
    assert _digest(sample_copy, "2026-05", "2026-05-31").outcome == "pending"  # its last day
    # Written on its last day: final the day after.
    assert _digest(sample_copy, "2026-05", "2026-06-01").outcome == "imported"
    # Written before the period ended: final only once the grace window has passed.
    path = sample_copy / "2026/05/2026-05-report.md"
    path.write_text(path.read_text().replace("Generated on 2026-05-31", "Generated on 2026-05-26"))
    assert _digest(sample_copy, "2026-05", "2026-06-02").outcome == "pending"
    assert _digest(sample_copy, "2026-05", "2026-06-04").outcome == "imported"


def test_the_export_is_a_snapshot_of_rolling_digests_too(sample_dir):
    """What upstream holds today is exported, said not final; the connector holds it back."""
    snapshot = _digest(sample_dir, "2026-05", "2026-05-20", rolling=True)
    assert snapshot.outcome == "imported" and snapshot.output is not None
    assert "not final: period in progress until 2026-05-31" in snapshot.message


def test_the_connector_sends_each_digest_once_and_a_rewrite_once_more(clean_env, sample_copy):
    sender = RecordingSender()
    importer, store = make_importer(
        clean_env, sample_copy, at("2026-06-20"), sender, VIGILINTEL_START_DATE="2026-05-05"
    )
    importer.run()
    digests = [label for label in sender.sent if not label[0].isdigit()]
    # 2026-05-w1 ends 05-07, after the first planned day; 2026-06-w2 was written on 06-14.
    assert digests == ["weekly 2026-05-w1", "monthly 2026-05", "weekly 2026-06-w2"]
    assert store.state["digests"]["2026-05"]["status"] == "imported"
    sender.sent.clear()
    importer.run()
    assert sender.sent == []
    path = sample_copy / "2026/05/2026-05-report.json"
    path.write_text(path.read_text().replace("Critical", "High", 1))
    importer.run()
    assert sender.sent == ["monthly 2026-05"]
    sender.sent.clear()
    importer.run()
    assert sender.sent == []


@pytest.mark.parametrize(("setting", "sent"), [("", []), ("monthly", ["monthly 2026-05"])])
def test_vigilintel_digests_chooses_what_to_import(clean_env, sample_copy, setting, sent):
    sender = RecordingSender()
    importer, _ = make_importer(
        clean_env, sample_copy, at("2026-06-05"), sender,
        VIGILINTEL_START_DATE="2026-05-20", VIGILINTEL_DIGESTS=setting,
    )  # fmt: skip
    importer.run()
    assert [label for label in sender.sent if not label[0].isdigit()] == sent


def test_the_digest_tables_kev_marks_are_read():
    """July's digests write CISA KEV as ``✅ Yes`` / ``No``."""
    assert [boolean(v) for v in ("✅ Yes", "No", "TRUE", "unknown")] == [True, False, True, None]
