"""Issue 11: entities resolved against the field's catalogs, shown with real upstream names."""

from __future__ import annotations

import json
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from tests.support.runs import FULL_RANGE, day_entry, export
from vigilintel_connector.normalise.observables import registered
from vigilintel_connector.resolve import attack, entities, places, warninglists

EARLIEST = "2025-04-30"


@pytest.fixture(scope="module")
def history(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("entities")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        code, summary = export(out, EARLIEST, FULL_RANGE[1])
    assert code == 0
    days = {p.stem: json.loads(p.read_text())["objects"] for p in sorted(out.glob("2*.json"))}
    return days, summary


def named(days, kind):
    found = defaultdict(set)
    for day, objects in days.items():
        for obj in objects:
            if obj["type"] == kind:
                found[obj["name"]].add((obj["id"], day))
    return found


def test_an_alias_laden_group_is_one_entity_across_days(history):
    days, _ = history
    # Upstream writes "APT28 (Fancy Bear, Pawn Storm, Strontium, etc.)", "APT28 (UAC-0001 /
    # Fancy Bear)", "APT28"…: one intrusion-set, MITRE's name, one id on every day.
    apt28 = named(days, "intrusion-set")["APT28"]
    assert len({day for _, day in apt28}) >= 3
    assert len({oid for oid, _ in apt28}) == 1
    assert not any("APT28" in name for name in named(days, "threat-actor"))
    first = next(o for o in days["2025-04-30"] if o.get("name") == "APT28")
    assert {"Fancy Bear", "Pawn Storm", "Strontium"} <= set(first["aliases"])


def test_a_family_named_as_an_actor_or_a_tool_becomes_malware(history):
    days, summary = history
    malware = named(days, "malware")
    assert {"Venom RAT", "BlackCat"} <= set(malware)
    assert all(o["is_family"] for objs in days.values() for o in objs if o["type"] == "malware")
    for kind in ("threat-actor", "tool", "intrusion-set"):
        assert not {"Venom RAT", "BlackCat"} & set(named(days, kind))
    assert day_entry(summary, "2025-11-14")["changed"]["retyped:malware"] >= 1


def test_a_comma_list_of_actors_is_split_and_remarks_never_reach_a_name():
    members = entities.resolve("threat-actor", "Kratos, PhantomEnigma, Kali365", []).entities
    assert [m.name for m in members] == ["Kratos", "PhantomEnigma", "Kali365"]
    (mustang,) = entities.resolve(
        "threat-actor", "Mustang Panda (aka HoneyMyte / Bronze President)", []
    ).entities
    assert (mustang.kind, mustang.name) == ("intrusion-set", "Mustang Panda")
    assert {"HoneyMyte", "Bronze President"} <= set(mustang.aliases)
    (lockbit,) = entities.resolve("threat-actor", "LockBit (et autres groupes RaaS)", []).entities
    assert lockbit.aliases == ()
    assert entities.resolve("threat-actor", "Non applicable", []).entities == []
    assert entities.resolve("threat-actor", "Groupe cybercriminel (non nommé)", []).entities == []


def test_the_split_is_counted(history):
    _, summary = history
    assert sum(d.get("changed", {}).get("split:threat-actor-list", 0) for d in summary["days"])


def test_countries_become_locations_with_their_iso_code(history):
    days, _ = history
    france = [o for objs in days.values() for o in objs if o.get("country") == "FR"]
    assert france and all(o["type"] == "location" and o["name"] == "France" for o in france)
    assert all(o["x_opencti_location_type"] == "Country" for o in france)
    with_locations = [d for d, objs in days.items() if any(o["type"] == "location" for o in objs)]
    assert len(with_locations) >= 0.8 * len(days)
    assert [c.iso for c in places.countries_in("Attaques en Allemagne et aux États-Unis")] == [
        "DE",
        "US",
    ]


def test_a_benign_value_keeps_its_observable_but_loses_its_indicator(history):
    days, summary = history
    assert warninglists.benign_list("domain-name", "unit42.paloaltonetworks.com")
    patterns = {o["pattern"] for objs in days.values() for o in objs if o["type"] == "indicator"}
    urls = [p.split("'")[1] for p in patterns if p.startswith("[url:")]
    # A page its users publish on a listed site ("https://sites.google.com/view/…") stays an IoC.
    listed = [u for u in urls if warninglists.benign_list("url", u)]
    hosts = [urlsplit(u).hostname or "" for u in listed]
    assert all(warninglists.users_host(h, registered(h)) for h in hosts)
    counted = sum(
        n for d in summary["days"] for k, n in d["dropped"].items() if k.startswith("warninglist:")
    )
    assert counted > 0
    indicators = [o for objs in days.values() for o in objs if o["type"] == "indicator"]
    assert all(
        o["x_opencti_score"] == 50 and o["valid_until"] > o["valid_from"] for o in indicators
    )


def test_confidence_is_on_every_sdo_and_relationship(history):
    days, _ = history
    for objects in days.values():
        for obj in objects:
            if "created_by_ref" in obj or obj["type"] == "relationship":
                assert obj["confidence"] == 30, obj


def test_ics_techniques_take_attack_for_ics_names_and_phases():
    """The April 2026 digests name PLC attacks by ATT&CK for ICS ids (T08xx)."""
    found = attack.technique("T0814")
    assert (found.name, found.kill_chain) == ("Denial of Service", "mitre-ics-attack")
    assert found.phases == ("inhibit-response-function",)
    assert attack.technique_named("Denial of Service") is None  # enterprise names only
    assert attack.technique("T1078").kill_chain == "mitre-attack"


def kinds(kind, name, aliases=(), context=(), day=()):
    found = entities.resolve(kind, name, list(aliases), list(context), list(day))
    return [(e.kind, e.name) for e in found.entities], found.dropped


def test_families_come_before_the_generic_tool_galaxy_and_keep_their_own_name():
    # MISP's "tool" galaxy lists Qakbot as a synonym of Akbot: malpedia's QakBot is its name.
    assert kinds("tool", "Qakbot")[0] == [("malware", "QakBot")]
    assert kinds("tool", "ShadowPad")[0] == [("malware", "ShadowPad")]
    # Dual-use software is a tool whatever a family catalog says (the rat galaxy lists AnyDesk).
    assert kinds("malware", "AnyDesk")[0] == [("tool", "AnyDesk")]
    assert kinds("malware", "Pegasus")[0] == [("malware", "Pegasus")]  # not Chrysaor


def test_products_and_common_words_need_the_words_around_them():
    assert kinds("tool", "Python") == ([], ["product-name"])
    assert kinds("tool", "Grok") == ([], ["product-name"])
    assert kinds("threat-actor", "Malicious Android application")[0] == []
    # A common word is not looked up in the catalogs (Kraken is not Anubis Loader) …
    assert kinds("tool", "Kraken")[0] == [("tool", "Kraken")]
    # … unless upstream writes a malware word next to it.
    assert kinds("tool", "Kraken", context=["le botnet Kraken"])[0][0][0] == "malware"


def test_unknown_names_are_typed_by_their_own_words_and_the_words_around_them():
    assert kinds("threat-actor", "RondoDox", context=["Le botnet RondoDox exploite"])[0] == [
        ("malware", "RondoDox")
    ]
    assert kinds("threat-actor", "PhantomRaven", day=['La campagne "PhantomRaven"'])[0] == [
        ("campaign", "PhantomRaven")
    ]
    assert kinds("threat-actor", "UNC6040")[0] == [("intrusion-set", "UNC6040")]
    assert kinds("threat-actor", "Clop ransomware gang")[0] == [("intrusion-set", "Clop")]
    assert kinds("threat-actor", "Opération ENDGAME")[0] == [("campaign", "Operation ENDGAME")]
    assert kinds("threat-actor", "GlassWorm")[0] == [("malware", "GlassWorm")]
    person = entities.resolve("threat-actor", "Maksim Yakubets", [], ["Maksim Yakubets, inculpé"])
    assert person.entities[0].individual


def test_generic_names_are_dropped_and_their_country_kept():
    generic = (
        "États-Unis", "SOC analysts", "Articles pédagogiques", "Non communiqué", "Opérateurs",
        "Groupe APT Iranien", "Acteurs utilisant Atomic Stealer",
    )  # fmt: skip
    for name in generic:
        assert kinds("threat-actor", name)[0] == [], name
    found = entities.resolve("threat-actor", "Acteurs iraniens présumés", [])
    assert (found.dropped, found.countries) == (["generic-name"], ["IR"])


def test_an_alias_that_would_merge_two_entities_is_left_out():
    assert kinds("threat-actor", "HAFNIUM", ["APT27"]) == (
        [("intrusion-set", "HAFNIUM")],
        ["alias:other-entry"],
    )
    opal = entities.resolve("threat-actor", "Opal Sleet", ["Kimsuky", "North Korea"])
    assert opal.entities[0].aliases == ()
    assert sorted(opal.dropped) == ["alias:country", "alias:other-entry"]
    conti = entities.resolve("malware", "Conti", ["Ryuk"])
    assert conti.entities[0].aliases == () and conti.dropped == ["alias:other-entry"]


def test_a_revoked_technique_is_its_successor():
    assert attack.technique("T1086").mitre_id == "T1059.001"
    assert attack.technique("T1574.002").mitre_id != "T1574.002"
    assert attack.is_revoked("T1192") and not attack.is_revoked("T1059.001")


def test_no_two_entities_of_one_type_share_a_name_or_an_alias(history):
    days, _ = history
    for objects in days.values():
        for kind in ("intrusion-set", "threat-actor", "malware", "tool", "campaign"):
            names = [
                entities.key(n)
                for o in objects if o["type"] == kind
                for n in (o["name"], *o.get("aliases", []))
            ]  # fmt: skip
            assert len(names) == len(set(names)), kind
