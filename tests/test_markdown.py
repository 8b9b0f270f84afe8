"""Issue 10: the Markdown report is a source, and a day is the merge of all its artefacts."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.support.runs import (
    FULL_RANGE,
    JSON_DAYS,
    MARKDOWN_DAYS,
    STIX_DAYS,
    by_status,
    day_entry,
    export,
)
from tests.support.stix_checks import assert_clean_bundle
from vigilintel_connector.convert.markdown import markdown_contribution
from vigilintel_connector.normalise.result import NoContent
from vigilintel_connector.normalise.stix import normalise_contributions
from vigilintel_connector.resolve import attack
from vigilintel_connector.resolve.index import key
from vigilintel_connector.source.documents import DocumentError

CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
EARLIEST = "2025-04-30"


def markdown_path(sample, day: str):
    return sample / day[:4] / day[5:7] / f"{day}-report.md"


def bundle_of(sample, day: str) -> list[dict]:
    path = markdown_path(sample, day)
    part = markdown_contribution(path.read_bytes(), dt.date.fromisoformat(day), str(path))
    return normalise_contributions([part], dt.date.fromisoformat(day), ("fr",)).bundle["objects"]


@pytest.fixture(scope="module")
def exports(sample_dir, tmp_path_factory):
    """The whole sample exported with each artefact alone, and with all three merged."""
    found = {}
    for formats in ("auto", "stix", "json", "markdown"):
        out = tmp_path_factory.mktemp(f"export-{formats}")
        with pytest.MonkeyPatch.context() as env:
            env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
            env.setenv("VIGILINTEL_SOURCE_FORMATS", formats)
            code, summary = export(out, EARLIEST, FULL_RANGE[1])
        assert code == 0
        found[formats] = (out, summary)
    return found


def objects(exports, formats: str, day: str) -> list[dict]:
    out, _ = exports[formats]
    path = out / f"{day}.json"
    return json.loads(path.read_text())["objects"] if path.exists() else []


@pytest.mark.parametrize("day", sorted(MARKDOWN_DAYS))
def test_markdown_only_days_are_imported_with_their_cves_techniques_iocs_and_sources(
    exports, sample_dir, day
):
    text = markdown_path(sample_dir, day).read_text()
    entry = day_entry(exports["auto"][1], day)
    assert (entry["status"], entry["format"], entry["artefacts"]) == (
        "imported", "markdown", ["markdown"]
    )  # fmt: skip
    found = objects(exports, "auto", day)
    out, _ = exports["auto"]
    assert_clean_bundle(json.loads((out / f"{day}.json").read_text()), dt.date.fromisoformat(day))
    names = {o["name"] for o in found if o["type"] == "vulnerability"}
    assert names == {c.upper() for c in CVE.findall(text)}
    techniques = {o["x_mitre_id"] for o in found if o["type"] == "attack-pattern"}
    # A revoked id (T1574.002) stands for the technique that revoked it.
    named = {known.mitre_id for t in TECHNIQUE.findall(text) if (known := attack.technique(t))}
    parents = {t.split(".")[0] for t in named}
    assert named <= techniques <= named | parents
    notes = [o for o in found if o["type"] == "note"]
    if "http" in text or "hxxp" in text:
        assert any(r.get("url") for n in notes for r in n.get("external_references", []))


def test_each_layout_yields_articles_actors_and_refanged_iocs(exports):
    early = objects(exports, "auto", "2025-05-20")  # "Category :" layout, defanged IoCs
    values = {o.get("value") for o in early}
    assert {"keegass.com", "185.228.19.244"} <= values
    assert all("[.]" not in str(v) for v in values)
    indicators = {o["pattern"] for o in early if o["type"] == "indicator"}
    assert "[ipv4-addr:value = '185.228.19.244']" in indicators
    groups = [
        o for o in objects(exports, "auto", "2025-09-16")
        if o["type"] in ("threat-actor", "intrusion-set")
    ]  # fmt: skip
    actors = {o["name"] for o in groups}
    # "Shiny Hunters", "MURKY PANDA (China-nexus, Silk Typhoon…)": under MITRE's names.
    assert {"ShinyHunters", "HAFNIUM", "RomCom", "UNC6040"} <= actors
    assert not any("spécifi" in a.lower() or "(" in a for a in actors)
    hafnium = next(o for o in groups if o["name"] == "HAFNIUM")
    assert {"MURKY PANDA", "Silk Typhoon"} <= set(hafnium["aliases"])
    # Upstream also lists VANGUARD PANDA there: Volt Typhoon's name in the catalogs. As an
    # alias it would make the platform merge the two groups; it is left out and counted.
    assert "VANGUARD PANDA" not in hafnium["aliases"]
    assert day_entry(exports["auto"][1], "2025-09-16")["dropped"]["alias:other-entry"] >= 1
    sources = {
        r["url"] for o in objects(exports, "auto", "2025-07-15") if o["type"] == "note"
        for r in o.get("external_references", [])
    }  # fmt: skip
    assert any(u.startswith("https://www.bleepingcomputer.com/") for u in sources), sources


def test_synthesis_tables_give_cvss_epss_and_kev(exports):
    vulns = {o["name"]: o for o in objects(exports, "markdown", "2026-07-06")
             if o["type"] == "vulnerability"}  # fmt: skip
    langflow = vulns["CVE-2026-33017"]
    assert langflow["x_opencti_cvss_base_score"] == 9.3
    assert langflow["x_opencti_epss_score"] == pytest.approx(0.9841)
    assert langflow["x_opencti_cisa_kev"] is True
    assert vulns["CVE-2026-9085"]["x_opencti_cisa_kev"] is False


_NAMED = ("intrusion-set", "threat-actor", "malware", "tool", "campaign", "identity", "location")


def _what(obj: dict, by_id: dict) -> tuple:
    """What an object says, whatever type the day's evidence gave it: a name for entities (one
    artefact alone may call "RondoDox" an actor that the day's other articles call a botnet),
    the two named ends for a relationship, the id for everything else."""
    if obj["type"] in _NAMED:
        return ("named", key(obj["name"]))
    if obj["type"] == "relationship":
        ends = (by_id.get(obj["source_ref"]), by_id.get(obj["target_ref"]))
        return ("link", *(_what(e, by_id) if e else None for e in ends))
    return ("id", obj["id"])


@pytest.mark.parametrize("day", sorted(STIX_DAYS | JSON_DAYS))
def test_the_merged_day_holds_at_least_what_each_artefact_gave_alone(exports, day):
    merged_objects = objects(exports, "auto", day)
    merged_ids = {o["id"]: o for o in merged_objects}
    merged = {_what(o, merged_ids) for o in merged_objects}
    for formats in ("stix", "json", "markdown"):
        found = [o for o in objects(exports, formats, day) if o["type"] not in ("bundle", "report")]
        by_id = {o["id"]: o for o in found}
        alone = {_what(o, by_id) for o in found}
        assert alone <= merged, (formats, sorted(map(str, alone - merged))[:5])
    provenance = day_entry(exports["auto"][1], day)["provenance"]
    assert sum(provenance.values()) == len(merged_objects) - 4  # all but author, markings, report


def test_merging_is_deterministic(sample_dir, tmp_path, clean_env):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    for run in ("a", "b"):
        assert export(tmp_path / run, "2026-03-09", "2026-03-16")[0] == 0
    for path in (tmp_path / "a").glob("2*.json"):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


@pytest.mark.parametrize(
    "content",
    [b"", b"# Rapport\n\nAucun article fourni aujourd'hui.\n"],
    ids=["empty", "stub"],
)
def test_an_empty_or_stub_markdown_is_no_content(clean_env, sample_copy, tmp_path, content):
    day = "2025-12-16"
    markdown_path(sample_copy, day).write_bytes(content)
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    _, summary = export(tmp_path / "out", day, day)
    assert by_status(summary) == {"no-content": {day}}


def test_an_unknown_layout_still_yields_its_cves_with_one_warning(tmp_path, caplog):
    text = (
        "Bulletin du jour\n\nLa faille CVE-2026-1234 est exploitée (T1190) ; voir "
        "https://vendor.example.org/advisory et le domaine `evil-c2[.]net`.\n"
    )
    part = markdown_contribution(text.encode(), dt.date(2026, 9, 1), "2026/09/x-report.md")
    assert len(part.warnings) == 1 and "2026/09/x-report.md" in part.warnings[0]
    names = {o.get("name") for o in part.objects}
    assert {"CVE-2026-1234", "T1190"} <= names
    assert "evil-c2.net" in {o.get("value") for o in part.objects}


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\x00\x01binary\xff", "not UTF-8"), (b"# T\x00\n", "binary")],
    ids=["not-utf8", "nul-bytes"],
)
def test_a_broken_markdown_is_skipped_and_the_other_artefacts_import(
    clean_env, sample_copy, tmp_path, content, reason
):
    day = "2026-03-16"
    markdown_path(sample_copy, day).write_bytes(content)
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    _, summary = export(tmp_path / "out", day, day)
    entry = day_entry(summary, day)
    assert entry["status"] == "imported"
    assert entry["artefacts"] == ["stix", "json"]
    assert reason in entry["message"]
    with pytest.raises(DocumentError):
        markdown_contribution(content, dt.date(2026, 3, 16), "x.md")


def test_nothing_is_invented(exports, sample_dir):
    """Every CVE of a merged day is named in that day's files."""
    for day in sorted(STIX_DAYS | JSON_DAYS | MARKDOWN_DAYS):
        folder = sample_dir / day[:4] / day[5:7]
        text = " ".join(p.read_text() for p in folder.glob(f"{day}-*"))
        named = {c.upper() for c in CVE.findall(text)}
        cves = {o["name"] for o in objects(exports, "auto", day) if o["type"] == "vulnerability"}
        assert cves <= named, (day, cves - named)


def test_a_stub_alone_is_no_content():
    with pytest.raises(NoContent):
        markdown_contribution(b"# Titre\n\nRien.\n", dt.date(2026, 1, 1), "x.md")
