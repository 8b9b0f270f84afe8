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


def test_nationalities_name_their_country_but_not_in_a_free_description():
    found = places.places_in("forces de l'ordre espagnoles, estoniennes et américaines")
    assert [p.name for p in found] == ["Spain", "Estonia", "United States of America"]
    assert [p.name for p in places.places_in("Iranian hackers")] == ["Iran (Islamic Republic of)"]
    assert places.places_in("un groupe pro-russe", nationalities=False) == []
    assert places.places_in("des locales anglaises, un texte en anglais") == []  # languages


def _markdown_day(text: str) -> list[dict]:
    import datetime as dt

    from vigilintel_connector.convert.markdown import markdown_contribution
    from vigilintel_connector.normalise.stix import normalise_contributions

    day = dt.date(2026, 4, 14)
    contribution = markdown_contribution(text.encode(), day, "2026/04/2026-04-14-report.md")
    return normalise_contributions([contribution], day, ("fr",)).bundle["objects"]


_ARTICLES = """# ARTICLES

## L'Allemagne accuse APT28
L'Allemagne accuse le groupe APT28 d'une cyberattaque contre son contrôle aérien.

| Indicateurs | Descriptions |
|:---|:---|
| Groupe ou acteur malveillant | APT28 |
| Observables & Indicateurs de compromission | ```* IP: 45.135.180.38 <br/> \
* gateway[.]itstgate[.]com (système interne affecté) <br/> * hooks/vm.tf``` |

### Source (url) du ou des articles
* https://www.bleepingcomputer.com/news/security/germany-apt28/

<br>
<br>
<div id="exploitation-de-react2shell-cve-2025-55182"></div>

## Exploitation de React2Shell (CVE-2025-55182)
Des groupes liés à la Chine exploitent CVE-2025-55182. \
Certificat (Serial: 4deb2644a5ad1488f98f6a8d6bca1fab).

### Source (url) du ou des articles
* https://securityonline.info/react2shell/
"""


def test_an_articles_indicator_table_gives_its_iocs_and_its_actor_nothing_of_the_next():
    objects = _markdown_day(_ARTICLES)
    patterns = sorted(o["pattern"] for o in objects if o["type"] == "indicator")
    assert patterns == ["[ipv4-addr:value = '45.135.180.38']"]  # not the victim's, not a file
    values = {o.get("value") for o in objects}
    assert "gateway.itstgate.com" in values  # the observable stays; only the claim is withheld
    by_id = {o["id"]: o for o in objects}
    targeted = {
        by_id[r["target_ref"]].get("name")
        for r in objects
        if r["type"] == "relationship" and by_id[r["source_ref"]].get("name") == "APT28"
    }
    assert "CVE-2025-55182" not in targeted  # the next article's anchor is no text of this one
    assert not any(o["type"] == "file" for o in objects)  # a certificate serial is no MD5


def test_the_geopolitics_table_names_places():
    text = """## Synthèse de l'actualité géopolitique
| Secteur d'activité | Thème | Description | Source |
|:---|:---|:---|:---|
| Gouvernemental | Blocus | Les États-Unis bloquent les ports iraniens. | x |
"""
    names = {o["name"] for o in _markdown_day(text) if o["type"] == "location"}
    assert names == {"United States of America", "Iran (Islamic Republic of)"}


@pytest.mark.parametrize(
    ("raw", "name"),
    [("Storm 1516", "Storm 1516"), ("APT 28", "APT 28"), ("LockBit 5.0", "LockBit")],
)
def test_an_id_is_no_version(raw, name):
    from vigilintel_connector.resolve.names import read_name

    assert (read_name(raw).name, read_name(raw).generic) == (name, False)


def test_file_names_and_products_are_no_tools():
    from vigilintel_connector.resolve.entities import resolve

    assert resolve("tool", "syncobs.exe", []).dropped == ["file-name"]
    assert resolve("tool", "VPNs commerciaux", []).dropped == ["product-name"]
    assert resolve("tool", 'Chercheur "Chaotic Eclipse"', []).dropped == ["generic-name"]


@pytest.mark.parametrize(
    "text",
    ["**Firmware affecté :** Versions antérieures à 1.0.7.81",
     "Appliquer le firmware 1.0.7.81 (ou version ultérieure)"],
)  # fmt: skip
def test_a_version_is_no_ip_address(text):
    from vigilintel_connector.convert.markdown_fields import iocs_in

    assert iocs_in(text) == []


def test_a_victims_own_site_gets_no_indicator():
    text = """## Synthèse des violations de données
| Secteur d'activité | Victime | Description de la menace/incident | Source |
|:---|:---|:---|:---|
| Gouvernement | Moldovan Portals (cariere.gov[.]md) | Fuite de données du portail. | x |

# ARTICLES

## Fuites de données sur les portails moldaves
Des données du portail `cariere.gov[.]md` ont fuité.

### Indicateurs de compromission (IoCs)
*   **DOMAIN**: `cariere[.]gov[.]md`

### Source (url) du ou des articles
* https://databreaches.net/moldova/
"""
    objects = _markdown_day(text)
    victim = next(
        o for o in objects if o.get("identity_class") == "organization" and "Moldovan" in o["name"]
    )
    assert (victim["name"], victim["contact_information"]) == ("Moldovan Portals", "cariere.gov.md")
    assert not [o for o in objects if o["type"] == "indicator"]
    assert "Republic of Moldova" in {o["name"] for o in objects if o["type"] == "location"}


def test_a_url_with_the_next_word_glued_beside_the_right_one_is_no_indicator():
    import datetime as dt

    from vigilintel_connector.normalise.stix import normalise_day

    def url(value: str) -> list[dict]:
        tail = f"{len(value):08d}-0000-4000-8000-000000000000"
        stamp = "2026-02-20T00:00:00Z"
        return [
            {"type": "url", "spec_version": "2.1", "id": f"url--{tail}", "value": value},
            {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{tail}",
             "pattern": f"[url:value = '{value}']", "pattern_type": "stix",
             "valid_from": stamp, "created": stamp, "modified": stamp},
        ]  # fmt: skip

    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
              "objects": url("https://arkanix.pw/api/session/create")
              + url("http://arkanix.pw/api/session/createto")}  # fmt: skip
    out = normalise_day([bundle], dt.date(2026, 2, 20), ("fr",)).bundle["objects"]
    patterns = [o["pattern"] for o in out if o["type"] == "indicator"]
    assert patterns == ["[url:value = 'https://arkanix.pw/api/session/create']"]


def test_french_adjectives_are_no_family_and_described_victims_no_organisation():
    import datetime as dt

    from vigilintel_connector.convert.builder import Builder
    from vigilintel_connector.convert.shared import victim_identity
    from vigilintel_connector.resolve.entities import resolve

    assert resolve("malware", "Rust-basé", []).dropped == ["generic-name"]
    b = Builder(dt.date(2026, 3, 3), ("fr",))
    assert victim_identity(b, "Des centaines de jeunes femmes", "") is None
    assert victim_identity(b, "Utilisateurs d'infostealer malware", "") is None
    assert victim_identity(b, "Police néerlandaise", "") is not None
