"""Issue 5: the days without STIX are converted from VigilIntel's daily JSON report."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.support.runs import (
    FULL_RANGE,
    JSON_DAYS,
    STIX_DAYS,
    by_status,
    day_entry,
    export,
)
from tests.support.stix_checks import assert_clean_bundle
from vigilintel_connector.convert.report_json import convert_report, json_contribution
from vigilintel_connector.normalise import ids
from vigilintel_connector.resolve import sectors as sectors_module
from vigilintel_connector.source.documents import parse_json_document

CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)

SECTOR_NAMES = sectors_module.names()


def report_path(sample: Path, day: str) -> Path:
    return sample / day[:4] / day[5:7] / f"{day}-report.json"


def load_report(sample: Path, day: str):
    path = report_path(sample, day)
    return parse_json_document(path.read_bytes(), str(path))


@pytest.fixture(scope="module")
def json_export(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("json-export")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        code, summary = export(out, *FULL_RANGE)
    assert code == 0
    return out, summary


def test_auto_imports_stix_days_from_stix_and_the_others_from_their_json_report(json_export):
    _, summary = json_export
    imported = by_status(summary)["imported"]
    assert imported >= STIX_DAYS | JSON_DAYS
    for day in JSON_DAYS:
        entry = day_entry(summary, day)
        assert entry["format"] == "json"
        assert entry["files"][0] == f"{day[:4]}/{day[5:7]}/{day}-report.json"
        assert entry["artefacts"] == ["json", "markdown"]
    for day in STIX_DAYS:
        assert day_entry(summary, day)["format"] == "stix"


@pytest.mark.parametrize("languages", [("fr",), ("en",), ("fr", "en")], ids=",".join)
@pytest.mark.parametrize("day", sorted(JSON_DAYS))
def test_every_converted_day_passes_the_clean_stix_checks(sample_dir, day, languages):
    document = load_report(sample_dir, day)
    result = convert_report(document, dt.date.fromisoformat(day), languages)
    assert_clean_bundle(result.bundle, dt.date.fromisoformat(day))


@pytest.mark.parametrize("day", sorted(JSON_DAYS))
def test_converted_cves_are_exactly_the_valid_cves_of_the_source(sample_dir, day):
    document = load_report(sample_dir, day)
    source = report_path(sample_dir, day).read_text()
    expected = {m.upper() for m in CVE.findall(source)}
    result = convert_report(document, dt.date.fromisoformat(day), ("fr",))
    emitted = {o["name"] for o in result.bundle["objects"] if o["type"] == "vulnerability"}
    assert emitted == expected


def test_vulnerability_scores_reach_the_properties_opencti_reads(sample_dir):
    result = convert_report(load_report(sample_dir, "2026-07-31"), dt.date(2026, 7, 31), ("en",))
    vulns = [o for o in result.bundle["objects"] if o["type"] == "vulnerability"]
    scored = [v for v in vulns if "x_opencti_cvss_base_score" in v]
    assert len(scored) > 100
    assert all(isinstance(v["x_opencti_cvss_base_score"], float) for v in scored)
    assert any(isinstance(v.get("x_opencti_epss_score"), float) for v in vulns)
    kev = [v["x_opencti_cisa_kev"] for v in vulns if "x_opencti_cisa_kev" in v]
    assert kev and all(isinstance(k, bool) for k in kev)
    assert True in kev and False in kev, "upstream's strings and booleans both become booleans"


def test_threat_indicators_become_refanged_observables_with_indicators(sample_dir):
    result = convert_report(load_report(sample_dir, "2026-08-08"), dt.date(2026, 8, 8), ("en",))
    objects = result.bundle["objects"]
    values = {o.get("value") for o in objects}
    assert "zbtctl.epplink.net" in values
    assert "47.100.190.96" in values
    based_on = [o for o in objects if o.get("relationship_type") == "based-on"]
    assert based_on
    # Upstream's "Shenzhen Zhibotong Electronics (Zbtlink)": the remark becomes an alias.
    actor = next(o for o in objects if o.get("name") == "Shenzhen Zhibotong Electronics")
    assert actor["aliases"] == ["Zbtlink"]
    uses = {o["target_ref"] for o in objects if o.get("relationship_type") == "uses"
            and o["source_ref"] == actor["id"]}  # fmt: skip
    techniques = {
        o["x_mitre_id"] for o in objects if o["id"] in uses and o["type"] == "attack-pattern"
    }
    assert {"T1543", "T1071", "T1571"} <= techniques


def test_breaches_become_victim_identities_and_incidents(sample_dir):
    result = convert_report(load_report(sample_dir, "2026-01-24"), dt.date(2026, 1, 24), ("en",))
    objects = result.bundle["objects"]
    incidents = [o for o in objects if o["type"] == "incident"]
    assert incidents
    victims = {o["id"] for o in objects if o.get("identity_class") == "organization"}
    victims.discard(ids.AUTHOR_ID)
    targets = [
        o for o in objects if o.get("relationship_type") == "targets" and o["target_ref"] in victims
    ]  # fmt: skip
    # Each named victim is an organisation the incident targets; "Customers of Okta, …" and
    # "Users of Roblox, …" describe victims and make none.
    described = [
        i for i in incidents if i["name"].split(": ", 1)[1].startswith(("Customers", "Users"))
    ]
    assert len(described) == 2 and len(targets) == len(incidents) - len(described)
    # Each breach's sector is OpenCTI's own sector, targeted by the incident.
    sectors = {o["id"]: o["name"] for o in objects if o.get("identity_class") == "class"}
    assert sectors and set(sectors.values()) <= SECTOR_NAMES
    assert any(
        o.get("relationship_type") == "targets" and o["target_ref"] in sectors
        and o["source_ref"].startswith("incident--")
        for o in objects
    )  # fmt: skip


def test_the_old_format_in_both_languages_makes_one_report_with_both_texts(sample_dir):
    document = load_report(sample_dir, "2026-01-24")
    one = convert_report(document, dt.date(2026, 1, 24), ("fr",)).bundle["objects"]
    both = convert_report(document, dt.date(2026, 1, 24), ("fr", "en")).bundle["objects"]
    assert sum(o["type"] == "report" for o in both) == 1
    assert sum(o["type"] == "note" for o in both) == sum(o["type"] == "note" for o in one)
    assert any("**FR:**" in n.get("content", "") and "**EN:**" in n.get("content", "")
               for n in both if n["type"] == "note")  # fmt: skip


def test_fenced_json_is_read_and_unknown_sections_are_counted(sample_dir):
    raw = report_path(sample_dir, "2026-03-11").read_bytes()
    assert raw.lstrip().startswith(b"```")
    document = parse_json_document(raw, "x")
    document["new_section_from_the_future"] = [{"whatever": 1}]
    part = json_contribution(document, dt.date(2026, 3, 11), ("fr",))
    assert part.tally.ignored == {"section": 1}


def test_json_mode_converts_the_stix_days_from_their_report(clean_env, sample_dir, tmp_path):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    clean_env.setenv("VIGILINTEL_SOURCE_FORMATS", "json")
    _, summary = export(tmp_path / "out", "2026-03-09", "2026-03-16")
    assert day_entry(summary, "2026-03-09")["format"] == "json"
    assert day_entry(summary, "2026-03-09")["files"] == ["2026/03/2026-03-09-report.json"]
    assert day_entry(summary, "2026-03-16")["format"] == "json"
    # 03-10's report.json is empty: with the JSON report alone, the day holds nothing.
    assert day_entry(summary, "2026-03-10")["status"] == "no-content"
    assert "empty file" in day_entry(summary, "2026-03-10")["message"]


@pytest.mark.parametrize(
    ("content", "status", "reason"),
    [
        (b"", "no-content", "empty file"),
        (b"   \n", "no-content", "empty file"),
        (b'{"unexpected": "shape"}', "unrecognised", "not recognised: 2026/08/2026-08-08-report"),
        (b"[1, 2, 3]", "unrecognised", "not recognised: 2026/08/2026-08-08-report.json"),
        (b'{"EN": {}, "FR": {}}', "unrecognised", "not recognised: 2026/08/2026-08-08-report"),
        (b'{"EN": ', "error", "invalid JSON"),
        (b'{"vulnerabilities_analyse": [], "threats_analyse": []}', "no-content",
         "JSON report without intelligence"),
    ],
    ids=["empty", "blank", "foreign-object", "array", "no-sections", "truncated", "empty-sections"],
)  # fmt: skip
def test_empty_or_foreign_json_reports_never_crash(
    clean_env, sample_copy, tmp_path, content, status, reason
):
    """Empty is settled as no-content; a broken file is an error and a file of another shape is
    unrecognised: both are retried later."""
    target = sample_copy / "2026/08/2026-08-08-report.json"
    target.write_bytes(content)
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    clean_env.setenv("VIGILINTEL_SOURCE_FORMATS", "stix,json")
    code, summary = export(tmp_path / "out", "2026-08-08", "2026-08-08")
    assert code == 0
    entry = day_entry(summary, "2026-08-08")
    assert entry["status"] == status
    assert reason in entry["message"]
