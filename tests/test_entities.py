"""Issue 11: entities resolved against the field's catalogs, shown with real upstream names."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tests.support.runs import FULL_RANGE, day_entry, export
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
    assert not any(warninglists.benign_list("url", p.split("'")[1]) for p in patterns
                   if p.startswith("[url:"))  # fmt: skip
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
