"""One upstream object → its clean form under its deterministic id, or a counted removal.

Entities, observables and indicators; the links between them (notes, relationships) wait until
every target has its new id (see ``normalise.links``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from vigilintel_connector.normalise import ids
from vigilintel_connector.normalise.context import DayContext
from vigilintel_connector.normalise.observables import (
    VALUE_TYPES,
    WEBMAIL,
    canonical_value,
    check_value,
    glued_to,
    is_placeholder_hash,
    normalise_hashes,
    owner_label,
    refang,
    registered,
)
from vigilintel_connector.normalise.patterns import is_valid_pattern
from vigilintel_connector.normalise.properties import common
from vigilintel_connector.normalise.result import ALIAS, PART
from vigilintel_connector.normalise.text import parse_time, timestamp
from vigilintel_connector.resolve import attack, entities, places, warninglists
from vigilintel_connector.terms import CVE, TACTIC, TECHNIQUE
from vigilintel_connector.vocabulary import is_placeholder_name, is_upstream_author

NAMED_TYPES = frozenset(
    {
        "identity", "threat-actor", "intrusion-set", "vulnerability", "attack-pattern", "tool",
        "malware", "campaign", "infrastructure", "incident", "course-of-action", "location",
    }
)  # fmt: skip
_RESOLVED_TYPES = frozenset({"threat-actor", "intrusion-set", "tool", "malware"})
# What an actor or software keeps when the catalog gives it another type.
_SHARED_PROPERTIES = frozenset(
    {"id", "created", "modified", "name", "description", "labels", "external_references",
     "object_marking_refs", "created_by_ref", "confidence", "first_seen", "last_seen"}
)  # fmt: skip
_CPE23 = re.compile(r"cpe:2\.3:[aho*\-](?::(?:[^:\s\\]|\\.)+){10}")
_SIMPLE_PATTERN = re.compile(r"^\[\s*([a-z0-9-]+):value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]$")
_GLUED_TAIL = re.compile(r"(?<=[a-z0-9])(?:to|and|or)$")
_HASH_PATTERN = re.compile(r"^\[file:hashes\.'[A-Za-z0-9-]+'\s*=\s*'([0-9a-fA-F]+)'\]$")
INDICATOR_VALIDITY = dt.timedelta(days=90)
INDICATOR_SCORE = 50
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def clean_object(obj: dict[str, Any], ctx: DayContext) -> list[dict[str, Any]]:
    """Everything but the links and the daily report; empty when removed or replaced. An actor
    or software name may stand for several entities (a comma list): one object each."""
    if obj.get("type") in _RESOLVED_TYPES and isinstance(obj.get("name"), str):
        return _resolved(obj, ctx)
    named = isinstance(obj.get("name"), str)
    if obj.get("type") == "campaign" and named and (why := entities.campaign_problem(obj["name"])):
        ctx.remove(obj, why)
        return []
    clean = _clean_one(obj, ctx)
    return [clean] if clean is not None else []


def _resolved(obj: dict[str, Any], ctx: DayContext) -> list[dict[str, Any]]:
    """Actors and software under the catalogs' canonical names and types, typed by evidence;
    a generic name gives way to the country it carried, if any."""
    aliases = [a for a in obj.get("aliases") or [] if isinstance(a, str)]
    context = [str(obj.get("description") or ""), *ctx.articles.get(obj.get("id"), ())]
    found = entities.resolve(obj["type"], obj["name"], aliases, context, ctx.day_texts)
    names = [r for r in found.dropped if not r.startswith(ALIAS)]
    for reason in found.dropped:
        if reason.startswith(ALIAS):
            ctx.tally.drop(reason)
    emitted = [clean for member in found.entities if (clean := _member(obj, member, ctx))]
    if len(found.entities) > 1:
        ctx.changed(f"split:{obj['type']}-list")
    places = [] if emitted else [p for iso in found.countries if (p := _country(iso, obj, ctx))]
    if not emitted and not places:  # the object itself is gone, for its (first) name's reason
        ctx.remove(obj, names[0] if names else "placeholder-name")
        names = names[1:]
    for reason in names:
        ctx.tally.drop(f"{PART}{reason}")
    if not emitted:
        ctx.new_ids[obj.get("id", "")] = places[0]["id"] if places else None
        ctx.stand_ins.add(obj.get("id", ""))
        return places
    ctx.new_ids[obj.get("id", "")] = emitted[0]["id"]
    ctx.changed("added:split-member", len(emitted) - 1)
    return emitted


def _member(
    obj: dict[str, Any], member: entities.Resolved, ctx: DayContext
) -> dict[str, Any] | None:
    shell = dict(obj)
    if member.kind != obj["type"]:
        shell = {k: v for k, v in obj.items() if k in _SHARED_PROPERTIES}
        ctx.changed(f"retyped:{member.kind}")
    shell.update({"type": member.kind, "name": member.name, "aliases": list(member.aliases)})
    if member.kind == "malware":
        shell["is_family"] = True
    if member.kind == "identity":  # a company upstream named as an actor
        shell["identity_class"] = "organization"
        shell.pop("aliases")
    if member.individual:
        shell["resource_level"] = "individual"
        ctx.changed("typed:individual")
    if member.from_catalog:
        ctx.changed(f"resolved:{member.kind}")
    return _clean_named(shell, ctx)


def _country(iso: str, obj: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    """The country a generic actor name carried ("acteurs iraniens"), kept as the article's."""
    known = places.country(iso)
    if known is None:
        return None
    shell = {
        "type": "location", "id": f"location--{iso}", "name": known.name, "country": iso,
        "x_opencti_location_type": known.kind, "x_opencti_aliases": list(known.aliases),
        "created": obj.get("created"), "modified": obj.get("modified"),
    }  # fmt: skip
    ctx.changed("generic-name-to-location")
    return _clean_named(shell, ctx)


def _clean_one(obj: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    kind = obj.get("type")
    if kind == "marking-definition":
        ctx.remove(obj, "replaced-marking")
        _map_marking(obj, ctx)
        return None
    if kind == "extension-definition":
        ctx.remove(obj, "extension-definition")
        return None
    if kind == "report":  # the daily report: rebuilt from the file's date at the end
        ctx.remove(obj, "replaced-daily-report")
        return None
    if kind == "identity" and is_upstream_author(obj.get("name")):
        ctx.tally.drop("replaced-author")
        ctx.new_ids[obj["id"]] = ids.AUTHOR_ID
        return None
    if kind in ids.OBSERVABLE_TYPES:
        return _clean_observable(obj, ctx)
    if kind == "indicator":
        return _clean_indicator(obj, ctx)
    if kind in NAMED_TYPES:
        return _clean_named(obj, ctx)
    ctx.remove(obj, "unsupported-type")
    return None


def _map_marking(obj: dict[str, Any], ctx: DayContext) -> None:
    text = str(obj.get("name", "")) + str(obj.get("definition", "")) + str(obj.get("extensions"))
    if "pap" in text.lower():
        ctx.new_ids[obj["id"]] = ids.PAP_CLEAR["id"]
    elif "tlp" in text.lower() or obj.get("definition_type") == "tlp":
        ctx.new_ids[obj["id"]] = ids.TLP_CLEAR["id"]


def _clean_named(obj: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    name = obj.get("name")
    if is_placeholder_name(name):
        ctx.remove(obj, "placeholder-name")
        return None
    clean = common(obj, ctx, sdo=True)
    clean["name"] = re.sub(r"\s+", " ", name).strip()
    kind = obj["type"]
    if kind == "attack-pattern" and (reason := _technique(clean, ctx)):
        ctx.remove(obj, reason)
        return None
    if kind == "vulnerability":
        if CVE.fullmatch(clean["name"]):
            clean["name"] = clean["name"].upper()
        elif re.match(r"CVE-", clean["name"], re.IGNORECASE):
            ctx.remove(obj, "malformed-cve")
            return None
    if kind == "identity":
        clean.setdefault("identity_class", "organization")
    if kind == "location" and (reason := _place(clean, ctx)):
        ctx.remove(obj, reason)
        return None
    return identified(clean, ids.sdo_id(clean), obj, ctx)


def _place(clean: dict[str, Any], ctx: DayContext) -> str | None:
    """A country or region under OpenCTI's own name, type and aliases ("Russia" is the
    platform's "Russian Federation"); the reason to drop one no dataset knows. Cities and
    other places are kept as upstream names them."""
    kind = clean.get("x_opencti_location_type", places.COUNTRY)
    if kind not in (places.COUNTRY, places.REGION):
        return None
    known = places.place_named(clean["name"], clean.get("country"))
    if known is None:
        return "unknown-place"
    if known.name != clean["name"] or known.kind != kind:
        ctx.changed("resolved:location")
    clean.update(name=known.name, x_opencti_location_type=known.kind)
    if known.kind == places.COUNTRY:
        clean.update(country=known.iso, x_opencti_aliases=list(known.aliases))
        clean.pop("region", None)
    else:
        clean.update(region=known.name)
        clean.pop("country", None)
        clean.pop("x_opencti_aliases", None)
    return None


def _technique(clean: dict[str, Any], ctx: DayContext) -> str | None:
    """An ATT&CK technique under ATT&CK's own name and phases; the reason to drop it (a tactic,
    or an id the catalog does not know) otherwise."""
    texts = [clean["name"]] + [
        str(r.get("external_id", "")) for r in clean.get("external_references", [])
    ]
    mitre_id = next((m.group(1) for t in texts if (m := TECHNIQUE.search(t))), None)
    if mitre_id is None and any(TACTIC.search(t) for t in texts):
        return "attack-pattern-tactic"
    known = attack.technique(mitre_id) if mitre_id else attack.technique_named(clean["name"])
    if known is None:
        return "unknown-technique"
    if mitre_id and attack.is_revoked(mitre_id):
        ctx.changed("revoked-technique")
    elif clean["name"] != known.name:
        ctx.changed("resolved:attack-pattern")
    clean["name"] = known.name
    clean["x_mitre_id"] = known.mitre_id
    if known.phases:
        clean["kill_chain_phases"] = [
            {"kill_chain_name": known.kill_chain, "phase_name": phase} for phase in known.phases
        ]
    others = [r for r in clean.get("external_references", []) if r["source_name"] != "mitre-attack"]
    mitre = {"source_name": "mitre-attack", "external_id": known.mitre_id, "url": known.url}
    clean["external_references"] = [mitre, *others]
    return None


def parent_technique(child: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    """The technique a sub-technique belongs to, as ATT&CK names it."""
    known = attack.technique(child["x_mitre_id"])
    parent = attack.technique(known.parent) if known and known.parent else None
    if parent is None:
        return None
    shell = {
        "type": "attack-pattern", "id": f"attack-pattern--parent-{parent.mitre_id}",
        "name": parent.name, "created": child["created"], "modified": child["modified"],
        "external_references": [{"source_name": "mitre-attack", "external_id": parent.mitre_id}],
    }  # fmt: skip
    return _clean_named(shell, ctx)


def _clean_observable(obj: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    kind = obj["type"]
    clean = common(obj, ctx, sdo=False)
    for key in ("created", "modified", "created_by_ref", "labels", "external_references"):
        value = clean.pop(key, None)
        if key == "labels" and value:
            clean["x_opencti_labels"] = value
    clean.update(x_opencti_created_by_ref=ids.AUTHOR_ID)
    if kind in VALUE_TYPES:
        raw = obj.get("value")
        if not isinstance(raw, str):
            ctx.remove(obj, "invalid-value")
            return None
        value = canonical_value(kind, raw)
        if value != raw.strip():
            ctx.changed("refanged" if refang(raw) != raw else "canonical-value")
        reason = check_value(kind, value, ctx.excluded, ctx.source_urls)
        if reason:
            ctx.remove(obj, reason)
            return None
        clean["value"] = value
    elif kind == "file":
        hashes, refused = normalise_hashes(obj.get("hashes", {}))
        ctx.changed("invalid-hash", refused)
        if hashes:
            clean["hashes"] = hashes
        else:
            clean.pop("hashes", None)
        if not hashes and not clean.get("name"):
            ctx.remove(obj, "invalid-hash")
            return None
    elif kind == "software":
        if is_placeholder_name(obj.get("name")):
            ctx.remove(obj, "placeholder-name")
            return None
        cpe = clean.get("cpe")
        if cpe is not None and not (isinstance(cpe, str) and _CPE23.fullmatch(cpe)):
            del clean["cpe"]
            ctx.changed("invalid-cpe")
    return identified(clean, ids.observable_id(clean), obj, ctx)


def identified(
    clean: dict[str, Any], new_id: str | None, upstream: dict[str, Any], ctx: DayContext
) -> dict[str, Any] | None:
    """The object under its deterministic id; removed when its type has no id scheme."""
    if new_id is None:
        ctx.remove(upstream, "unsupported-type")
        return None
    clean["id"] = new_id
    return clean


def _benign(kind: str, value: str, host: str) -> str | None:
    """The list that makes a value benign: a top site's own host or page, or its staff's
    address (not a webmail user's, not a page its users publish: ``warninglists.USER_CONTENT``),
    else the chosen MISP warning lists, which a user's page on a listed site escapes."""
    if kind == "email-addr":
        domain = value.rpartition("@")[2].lower()
        if domain not in WEBMAIL and registered(domain) not in WEBMAIL:
            top = warninglists.popular(domain) or warninglists.popular(registered(domain))
            if top:
                return top
    elif host:
        if top := warninglists.popular_host(host, registered(host)):
            return top
        if kind == "url" and warninglists.users_host(host, registered(host)):
            return None
    return warninglists.benign_list(kind, value)


def _clean_indicator(obj: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        ctx.remove(obj, "invalid-pattern")
        return None
    refanged = _QUOTED.sub(lambda m: "'" + refang(m.group(1)) + "'", pattern)
    if refanged != pattern:
        ctx.changed("refanged")
    simple = _SIMPLE_PATTERN.match(refanged)
    if simple and simple.group(1) in VALUE_TYPES:
        kind, value = simple.group(1), canonical_value(simple.group(1), simple.group(2))
        reason = check_value(kind, value, ctx.excluded, ctx.source_urls)
        if reason:
            ctx.remove(obj, reason)
            return None
        beyond = value.partition("://")[2]
        trimmed = _GLUED_TAIL.sub("", beyond)
        if (kind == "domain-name" and glued_to(value, ctx.domains)) or (
            kind == "url" and trimmed != beyond and trimmed in ctx.urls
        ):  # "withsol-coin.xyz" beside "sol-coin.xyz", ".../createto" beside ".../create"
            ctx.remove(obj, "concatenated-domain")
            return None
        refanged = f"[{kind}:value = '{value}']"
        host = {"domain-name": value, "url": urlsplit(value).hostname or ""}.get(kind, "")
        listed = _benign(kind, value, host)
        mine = owner_label(value) in ctx.victims or host.removeprefix("www.") in ctx.victims
        if kind in ("domain-name", "url") and mine:
            ctx.remove(obj, "victim-domain")  # the victim's own site: the observable stays
            return None
    else:
        hashed = _HASH_PATTERN.match(refanged)
        if hashed and is_placeholder_hash(hashed.group(1)):
            ctx.remove(obj, "placeholder-value")
            return None
        listed = warninglists.benign_list("file", hashed.group(1)) if hashed else None
    if listed:
        ctx.remove(obj, f"warninglist:{listed}")  # the observable stays; no indicator
        return None
    if not is_valid_pattern(refanged):
        ctx.remove(obj, "invalid-pattern")
        return None
    clean = common(obj, ctx, sdo=True)
    clean["pattern"] = refanged
    clean.setdefault("pattern_type", "stix")
    clean["valid_from"] = timestamp(obj.get("valid_from"), ctx.fallback)
    # News IoCs go stale: valid for a while from the day they were reported, scored as such.
    until = (parse_time(clean["valid_from"]) or ctx.fallback) + INDICATOR_VALIDITY
    clean["valid_until"] = timestamp(None, until)
    clean.setdefault("x_opencti_score", INDICATOR_SCORE)
    for field in ("name", "description"):
        if isinstance(clean.get(field), str):
            clean[field] = refang(clean[field])
    clean["id"] = ids.sdo_id(clean)
    return clean
