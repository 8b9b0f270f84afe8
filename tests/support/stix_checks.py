"""The clean-STIX contract, as reusable assertions over one emitted bundle."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from typing import Any

import pycti
import stix2
from stix2validator import ValidationOptions, validate_string

from vigilintel_connector.normalise.observables import is_defanged
from vigilintel_connector.vocabulary import is_placeholder_name

_VALIDATOR = ValidationOptions(version="2.1", strict=False)
_REF_KEYS = re.compile(r"_refs?$")
TECHNIQUE_ID = re.compile(r"\bT\d{4}\b")


def referenced_ids(obj: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key, value in obj.items():
        if key == "id" or not _REF_KEYS.search(key):
            continue
        found.extend(value if isinstance(value, list) else [value])
    return found


def validator_errors(bundle: dict[str, Any]) -> list[str]:
    result = validate_string(json.dumps(bundle), _VALIDATOR)
    return [str(e) for e in result.errors]


def assert_clean_bundle(bundle: dict[str, Any], day: dt.date) -> None:
    objects = bundle["objects"]
    stix2.parse(bundle, allow_custom=True)
    assert validator_errors(bundle) == []
    by_id = {o["id"]: o for o in objects}
    assert len(by_id) == len(objects), "duplicate ids"
    for obj in objects:
        for ref in referenced_ids(obj):
            assert ref in by_id, f"{obj['id']} references {ref}, not in the bundle"

    reports = [o for o in objects if o["type"] == "report"]
    assert len(reports) == 1
    report = reports[0]
    published = f"{day.isoformat()}T00:00:00.000Z"
    assert report["published"] == published
    assert report["id"] == pycti.Report.generate_id(report["name"], published)
    assert day.isoformat() in report["name"]
    contained = {
        o["id"] for o in objects if o["type"] not in ("report", "marking-definition", "note")
    }
    assert set(report["object_refs"]) == contained
    for note in (o for o in objects if o["type"] == "note"):
        assert report["id"] in note["object_refs"], "a note names the report it belongs to"

    for obj in objects:
        kind = obj["type"]
        if kind in ("marking-definition", "relationship"):
            continue
        if "name" in obj and kind not in ("report", "software", "file"):
            assert not is_placeholder_name(obj["name"]), obj
        if kind == "attack-pattern":
            assert not re.match(r"^TA\d{4}", obj["name"]), obj
            assert re.fullmatch(r"T\d{4}(\.\d{3})?", obj["x_mitre_id"]), obj
            assert not TECHNIQUE_ID.search(obj["name"]), "named by ATT&CK, never by its code"
        if "created_by_ref" in obj or kind == "relationship":
            assert isinstance(obj.get("confidence"), int) and 0 <= obj["confidence"] <= 100, obj
        if kind in ("ipv4-addr", "ipv6-addr"):
            assert ipaddress.ip_address(obj["value"]).is_global, obj
        for key in ("value", "pattern"):
            if key in obj:
                assert not is_defanged(obj[key]), obj
        if kind not in ("marking-definition",) and "created" in obj:
            assert obj["created"] <= obj["modified"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj["created"])
