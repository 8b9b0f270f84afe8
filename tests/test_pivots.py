"""Issue 20: the analyst's pivots. Countries, regions and sectors under OpenCTI's own names;
actors that target what their own entry names and use the families it names; reference URLs and
labels the platform stores as sent."""

from __future__ import annotations

import json

import pytest

from tests.support.platform_rules import alterations
from tests.support.runs import export
from vigilintel_connector.normalise.properties import repair_url
from vigilintel_connector.resolve import places, sectors

DATASETS = places.files(places.__package__).joinpath("data/opencti")


def _dataset(name: str) -> list[dict]:
    return json.loads(DATASETS.joinpath(name).read_text("utf-8"))["objects"]


COUNTRIES = {o["name"] for o in _dataset("geography.json") if o.get("x_opencti_location_type")}
SECTORS = sectors.names()


@pytest.fixture(scope="module")
def days(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("pivots")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        code, _ = export(out, "2025-04-30", "2026-08-08")
    assert code == 0
    return {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("2*.json"))}


def test_places_take_the_datasets_names_types_and_iso_aliases():
    russia = places.place_named("Russie")
    assert (russia.name, russia.kind, russia.aliases) == (
        "Russian Federation",
        "Country",
        ("RUS", "RU"),
    )
    assert places.place_named("North Korea").name == "Democratic People's Republic of Korea"
    assert places.place_named("Moyen-Orient") == places.Place("Middle East", "Region")
    assert places.place_named("Europe").kind == "Region"  # Europe is not a country
    found = places.places_in("ciblant l'Afrique du Sud, l'Europe de l'Est et les États-Unis")
    assert [p.name for p in found] == ["South Africa", "Eastern Europe", "United States of America"]


def test_sector_words_map_to_the_datasets_sectors_and_nothing_is_invented():
    assert sectors.sectors_in("Institutions financières (distributeurs)") == [
        "Banking institutions"
    ]
    assert sectors.sectors_in("Healthcare_and_Life_Sciences") == ["Health"]
    assert sectors.sectors_in("Militaire, Gouvernement (Ukraine)") == [
        "Defense", "Government and administrations",
    ]  # fmt: skip
    assert sectors.sectors_in("Réseaux d'entreprise (ESXi)") == []


def test_every_place_and_sector_of_the_sample_is_the_platforms_own(days):
    for day, bundle in days.items():
        for obj in bundle["objects"]:
            if obj["type"] == "location" and obj.get("x_opencti_location_type"):
                assert obj["name"] in COUNTRIES, (day, obj["name"])
            if obj.get("identity_class") == "class":
                assert obj["name"] in SECTORS, (day, obj["name"])


def test_actors_target_what_their_own_row_names_and_use_what_it_describes(days):
    objects = days["2025-10-14"]["objects"]
    by_id = {o["id"]: o for o in objects}
    targets = {
        (by_id[o["source_ref"]]["name"], by_id[o["target_ref"]]["name"])
        for o in objects if o.get("relationship_type") == "targets"
    }  # fmt: skip
    # "| Medusa ransomware group | Santé (SimonMed Imaging) | …" in the actor table.
    assert ("Medusa", "Health") in targets
    uses = [o for d in days.values() for o in d["objects"] if o.get("relationship_type") == "uses"]
    assert any(o["target_ref"].startswith("malware--") for o in uses)


def test_reference_urls_are_one_url_each():
    assert repair_url("https://x.com/a-e\nvolves-b") == "https://x.com/a-evolves-b"
    assert repair_url("https://https://x.com/a") == "https://x.com/a"
    assert repair_url("https://x.com/a@https://y.com/b") == "https://x.com/a"
    assert (
        repair_url("https://x.com/rootkit,infostealer/") == "https://x.com/rootkit%2Cinfostealer/"
    )
    archived = "https://web.archive.org/web/2020/https://x.com/"
    assert repair_url(archived) == archived


def test_the_platform_alters_nothing_on_the_sample(days):
    assert [a for bundle in days.values() for a in alterations(bundle)] == []


def test_an_actor_targets_the_vulnerabilities_its_article_says_it_exploits(days):
    exploited = [
        (o["source_ref"].split("--")[0], o["target_ref"])
        for bundle in days.values() for o in bundle["objects"]
        if o.get("relationship_type") == "targets" and o["target_ref"].startswith("vulnerability--")
    ]  # fmt: skip
    assert exploited
    assert {source for source, _ in exploited} <= {
        "threat-actor", "intrusion-set", "malware", "campaign",
    }  # fmt: skip
