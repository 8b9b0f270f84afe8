"""OpenCTI's own rules, replayed on a bundle: what the platform would reject or store differently.

The rules read from OpenCTI 7.x's and pycti's source (the project's contract notes): pycti's
splitter cuts reference cycles and drops references to objects outside the bundle; the platform
stores enums and scores without a range check, takes an external reference's url as one URL and
labels as a list, checks relationship types and observable syntax, and lets an incoming object
overwrite fields when its confidence is at least the stored one's (so a missing confidence wins).
Each check returns what would be altered or rejected, as one line per object.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from stix2patterns.validator import run_validator

_REF = re.compile(r"_refs?$")
_SEVERITIES = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE"}
_ONE_URL = re.compile(r"https?://[^\s,;|]+")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_ACTORS = {"threat-actor", "intrusion-set", "campaign"}
_CAPABILITIES = {"attack-pattern", "malware", "tool", "infrastructure"}
# (source, relationship type, target) the platform accepts among those the connector sends.
_ALLOWED = {
    "uses": (_ACTORS | {"malware", "incident", "attack-pattern"}, _CAPABILITIES),
    "targets": (
        _ACTORS | {"attack-pattern", "malware", "tool", "incident"},
        {"identity", "location", "vulnerability", "infrastructure"},
    ),
    "attributed-to": ({"campaign", "intrusion-set", "incident"}, _ACTORS),
    "indicates": ({"indicator"}, _ACTORS | _CAPABILITIES | {"incident"}),
    "based-on": ({"indicator"}, {
        "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "software",
    }),
    "subtechnique-of": ({"attack-pattern"}, {"attack-pattern"}),
}  # fmt: skip


def _refs(obj: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key, value in obj.items():
        if key != "id" and _REF.search(key):
            found.extend(value if isinstance(value, list) else [value])
    return found


def alterations(bundle: dict[str, Any]) -> list[str]:
    objects = bundle["objects"]
    by_id = {o["id"]: o for o in objects}
    found: list[str] = []
    for obj in objects:
        oid, kind = obj["id"], obj["type"]
        refs = _refs(obj)
        found += [f"{oid}: dangling reference {r}" for r in refs if r not in by_id]
        found += [
            f"{oid} <-> {r}: reference cycle cut by the splitter"
            for r in obj.get("object_refs", [])
            if oid in by_id.get(r, {}).get("object_refs", [])
        ]
        found += _values(obj)
        if kind == "note" and not obj.get("object_refs"):
            found.append(f"{oid}: note attached to nothing")
        if kind == "attack-pattern" and re.search(r"\bT\d{4}\b", obj.get("name", "")):
            found.append(f"{oid}: named by its ATT&CK code, renames the platform's technique")
        if kind == "relationship":
            rule = _ALLOWED.get(obj["relationship_type"])
            source, target = obj["source_ref"].split("--")[0], obj["target_ref"].split("--")[0]
            if rule and not (source in rule[0] and target in rule[1]):
                found.append(f"{oid}: {source} {obj['relationship_type']} {target} not allowed")
        if (kind == "relationship" or "created_by_ref" in obj) and "confidence" not in obj:
            found.append(f"{oid}: no confidence, would override curated data")
        if kind == "indicator" and run_validator(obj["pattern"], stix_version="2.1"):
            found.append(f"{oid}: invalid pattern")
    return found


def _values(obj: dict[str, Any]) -> list[str]:
    oid, found = obj["id"], []
    severity = obj.get("x_opencti_cvss_base_severity")
    if severity is not None and severity not in _SEVERITIES:
        found.append(f"{oid}: severity {severity!r} outside OpenCTI's vocabulary")
    for key in ("x_opencti_epss_score", "x_opencti_epss_percentile"):
        if key in obj and not 0 <= obj[key] <= 1:
            found.append(f"{oid}: {key} {obj[key]} outside 0..1")
    if "x_opencti_cvss_base_score" in obj and not 0 <= obj["x_opencti_cvss_base_score"] <= 10:
        found.append(f"{oid}: CVSS outside 0..10")
    for ref in obj.get("external_references", []):
        url = ref.get("url")
        if url is not None and not _ONE_URL.fullmatch(url):
            found.append(f"{oid}: external reference url {url!r} is not one URL")
    for key in ("labels", "x_opencti_labels"):
        labels = obj.get(key, [])
        if not isinstance(labels, list) or any(
            not isinstance(x, str) or len(x) < 2 for x in labels
        ):
            found.append(f"{oid}: {key} {labels!r} would be split into letters")
    value, kind = obj.get("value"), obj["type"]
    if isinstance(value, str) and not _valid_observable(kind, value):
        found.append(f"{oid}: {kind} value {value!r} rejected (INCORRECT_OBSERVABLE_FORMAT)")
    return found


def _valid_observable(kind: str, value: str) -> bool:
    if kind in ("ipv4-addr", "ipv6-addr"):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == (4 if kind == "ipv4-addr" else 6)
    if kind == "domain-name":
        return bool(_DOMAIN.fullmatch(value))
    if kind == "url":
        return bool(re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value, re.IGNORECASE))
    if kind == "email-addr":
        return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))
    return True
