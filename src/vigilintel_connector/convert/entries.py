"""One entry of the daily JSON report → upstream-shaped STIX objects in a ``Builder``.

Threats, actors, breaches, vulnerabilities, geopolitics and regulation each have their converter;
fields are read by their known variants (French and English names, strings or lists) because
upstream's schema drifts.
"""

from __future__ import annotations

import re
from typing import Any

from stix2.v21.vocab import THREAT_ACTOR_TYPE

from vigilintel_connector.convert.builder import Builder
from vigilintel_connector.convert.shared import (
    classify,
    exploiter,
    locations,
    mentioned_malware,
    observable_with_indicator,
    sectors,
    techniques,
    texts_of,
    the_family,
    uses,
    victim_identity,
    victim_name,
    vulnerability,
)
from vigilintel_connector.terms import CVE, cve_ids, hash_algorithm, is_empty
from vigilintel_connector.vocabulary import is_placeholder_name

_THREAT_ACTOR_TYPES = frozenset(THREAT_ACTOR_TYPE)  # STIX 2.1's open vocabulary
# Indicator keys of the JSON report that are not hashes (those are named after their algorithm).
_INDICATOR_KEYS = {
    "url": "url", "ipv4": "ipv4-addr", "ipv6": "ipv6-addr", "domain": "domain-name",
    "email": "email-addr", "tools": "tool", "cve": "cve", "mitre_att&ck": "ttp", "asn": "asn",
    "yara_rule": "yara",
}  # fmt: skip


def _indicator_kind(key: object) -> str | None:
    folded = str(key).strip().lower()
    if folded in _INDICATOR_KEYS:
        return _INDICATOR_KEYS[folded]
    if folded.startswith(("hash_", "file_hash_")):
        return hash_algorithm(folded.rsplit("hash_", 1)[1])
    return None


def _field(entry: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in entry and not is_empty(entry[name]):
            return entry[name]
    return None


def _listed(value: Any) -> list[Any]:
    """Upstream's list, or none where it wrote a number or a mapping instead."""
    return value if isinstance(value, list) else []


def _sources(entry: dict[str, Any]) -> list[dict[str, str]]:
    urls = entry.get("sources") or entry.get("source") or []
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list):  # a number, a mapping: no URL
        return []
    return [
        {"source_name": "VigilIntel source", "url": u.strip()}
        for u in urls if isinstance(u, str) and u.strip().startswith(("http://", "https://"))
    ]  # fmt: skip


def threat_actor(b: Builder, entry: dict[str, Any], name_keys: tuple[str, ...]) -> str | None:
    name = _field(entry, *name_keys)
    if not isinstance(name, str) or is_placeholder_name(name):
        if name is not None:
            b.tally.drop("placeholder-actor")
        return None
    listed = entry.get("threat_actor_aliases")
    aliases = [a for a in _listed(listed) if isinstance(a, str) and a]
    kind = str(entry.get("threat_actor_type") or "").strip().lower().replace(" ", "-")
    origin = entry.get("threat_actor_origin")
    details = []
    if isinstance(origin, str) and not is_placeholder_name(origin):
        details.append(f"Origin: {origin.strip()}")
    modop = b.text(_field(entry, "modop", "modus_operandi"))
    return b.add(
        "threat-actor", name.strip(), name=name.strip(),
        aliases=aliases or None,
        threat_actor_types=[kind] if kind in _THREAT_ACTOR_TYPES else None,
        description="\n\n".join([*details, modop]).strip() or None,
    )  # fmt: skip


def _indicators(
    b: Builder, iocs: object, actor: str | None, indicated: str | None = None
) -> list[str]:
    """Observables, and a STIX indicator based on each, for every typed IOC."""
    typed: list[tuple[str, str]] = []
    if isinstance(iocs, dict):
        for key, values in iocs.items():
            kind = _indicator_kind(key)
            for value in values if isinstance(values, list) else [values]:
                if not isinstance(value, str) or not value.strip():
                    continue
                if kind is None:
                    b.tally.ignore("indicator-type")
                else:
                    typed.append((kind, value.strip()))
    elif isinstance(iocs, list):
        for value in iocs:
            guessed = classify(value) if isinstance(value, str) else None
            if guessed:
                typed.append(guessed)
            else:
                b.tally.ignore("untyped-indicator")
    elif isinstance(iocs, str) and iocs.strip():
        b.tally.ignore("free-text-indicators")
    refs = []
    for kind, value in typed:
        refs.extend(_one_indicator(b, kind, value, actor, indicated or actor))
    return refs


def _one_indicator(
    b: Builder, kind: str, value: str, actor: str | None, indicated: str | None
) -> list[str]:
    if kind == "tool":
        if is_placeholder_name(value):
            return []
        tool = b.add("tool", value, name=value)
        b.relate(actor, "uses", tool)
        return [tool]
    if kind == "cve":
        return [vulnerability(b, m) for m in dict.fromkeys(CVE.findall(value))]
    if kind == "ttp":
        return techniques(b, value, actor)
    if kind in ("asn", "yara"):
        b.tally.ignore(f"{kind}-indicator")
        return []
    return observable_with_indicator(b, kind, value, indicated)


def entry_note(
    b: Builder, abstract: str, parts: list[tuple[str, str]], refs: list[str], entry: dict
):
    body = "\n\n".join(f"## {title}\n{text}" if title else text for title, text in parts if text)
    if not body.strip():
        return None
    tags = entry.get("tags") or []
    tags = tags.split(",") if isinstance(tags, str) else tags  # "geopolitique, …": one text
    tags = [t for t in _listed(tags) if isinstance(t, str) and len(t.strip()) > 1]
    return b.add(
        "note", f"{abstract}/{body[:200]}", abstract=abstract, content=body,
        object_refs=list(dict.fromkeys(refs)), labels=tags[:20] or None,
        external_references=_sources(entry),
    )  # fmt: skip


def _targets(b: Builder, entry: dict[str, Any], actor: str | None) -> list[str]:
    """The sectors and places an entry's target fields name, targeted by its actor: the entry
    pairs them ("threat_actor" with its "sector" and "targeted_regions"), nothing else does."""
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    target = entry.get("target") if isinstance(entry.get("target"), dict) else {}
    sector_value = _field(entry, "sector", "secteur", "sectors", "targeted_sectors") or _field(
        {**details, **target}, "targeted_sectors", "sectors", "sector"
    )
    place_value = _field(entry, "targeted_regions", "targeted_countries", "target_countries")
    place_value = place_value or _field({**details, **target}, "targeted_regions", "regions")
    found = sectors(b, sector_value)
    found += locations(b, " , ".join(texts_of(place_value)))
    for target_id in found:
        b.relate(actor, "targets", target_id)
    return found


def _convert_threat(b: Builder, entry: dict[str, Any]) -> None:
    actor = threat_actor(b, entry, ("threat_actor", "threat_actors", "actor"))
    refs = [actor] if actor else []
    refs += _targets(b, entry, actor)
    title = b.text(_field(entry, "title", "titre")) or "Threat"
    named = mentioned_malware(b, f"{title}\n{b.text(entry.get('description'))}")
    for one in named:
        uses(b, actor, one)  # the entry's one actor and the families it describes
    refs += named
    iocs = _field(entry, "indicators", "indicator_of_compromise")
    found = _indicators(b, iocs, actor, the_family(named))
    attacker = exploiter(b.text(entry.get("description")), actor, the_family(named))
    for vulnerable in (r for r in found if r.startswith("vulnerability--")):
        b.relate(attacker, "targets", vulnerable)  # the entry says its actor exploits it
    refs += found
    refs += techniques(b, entry.get("mitre_ttps"), actor)
    refs += locations(b, f"{title}\n{b.text(entry.get('description'))}")
    entry_note(
        b, title,
        [("", b.text(entry.get("description"))),
         ("Analysis", b.text(_field(entry, "analyse", "analysis"))),
         ("Recommendations", b.text(_field(entry, "recommandations", "recommendations")))],
        refs, entry,
    )  # fmt: skip


def _convert_actor(b: Builder, entry: dict[str, Any]) -> None:
    actor = threat_actor(b, entry, ("nom", "name", "threat_actor"))
    _targets(b, entry, actor)
    campaign_name = entry.get("campaign")
    if isinstance(campaign_name, str) and not is_placeholder_name(campaign_name):
        campaign = b.add(
            "campaign", campaign_name, name=campaign_name,
            description=b.text(entry.get("campaign_description")) or None,
        )  # fmt: skip
        b.relate(campaign, "attributed-to", actor)
    if actor:
        b.objects[actor].setdefault("external_references", []).extend(_sources(entry))
    for named in mentioned_malware(b, b.text(_field(entry, "modop", "modus_operandi"))):
        uses(b, actor, named)


def _convert_breach(b: Builder, entry: dict[str, Any]) -> None:
    victim = _field(entry, "victim", "victime")
    actor = threat_actor(b, entry, ("threat_actor", "actor"))
    description = b.text(entry.get("description"))
    sector_value = _field(entry, "sector", "secteur")
    sector = b.text(sector_value)
    refs = [actor] if actor else []
    if isinstance(victim, str) and not is_placeholder_name(victim):
        name, remark = victim_name(victim)
        identity = victim_identity(b, name, remark)
        incident = b.add(
            "incident", f"breach/{name}", name=f"Data breach: {name}",
            description="\n\n".join(p for p in (description, sector and f"Sector: {sector}") if p),
            incident_type="data-breach", external_references=_sources(entry),
        )  # fmt: skip
        b.relate(incident, "targets", identity)
        b.relate(incident, "attributed-to", actor)
        refs += [ref for ref in (identity, incident) if ref]
        found = locations(b, f"{remark}\n{sector}")  # "(Corée du Sud)": the victim's own
        found += locations(b, description, nationalities=False)
        found += locations(b, b.text(entry.get("country")))
        for location in dict.fromkeys(found):
            b.relate(incident, "targets", location)
            refs.append(location)
        for sector_id in sectors(b, sector_value):
            b.relate(incident, "targets", sector_id)
            refs.append(sector_id)
    refs += techniques(b, entry.get("mitre_ttps"), actor)
    entry_note(b, f"Breach: {b.text(victim) or 'unnamed victim'}", [("", description)], refs, entry)


def _convert_vulnerability(b: Builder, entry: dict[str, Any]) -> None:
    cves = cve_ids(str(entry.get("cve_id") or ""))
    if not cves:
        b.tally.drop("non-cve-vulnerability")
        return
    product, vendor = b.text(entry.get("product")), b.text(entry.get("vendor"))
    affected = " / ".join(p for p in (vendor, product) if p and not is_placeholder_name(p))
    description = b.text(entry.get("description"))
    if affected:
        description = f"{description}\n\nAffected: {affected}".strip()
    refs = _sources(entry)
    euvd = entry.get("euvd_id")
    if isinstance(euvd, str) and re.fullmatch(r"EUVD-\d{4}-\d+", euvd.strip()):
        refs.append({"source_name": "euvd", "external_id": euvd.strip()})
    for cve in cves:
        vulnerability(
            b, cve, description=description or None, external_references=list(refs),
            x_opencti_cvss_base_score=_number(entry.get("cvss"), 0, 10),
            x_opencti_epss_score=_number(entry.get("epss"), 0, 1),
            x_opencti_cisa_kev=_boolean(entry.get("cisa_kev")),
        )  # fmt: skip


def _convert_geopolitics(b: Builder, entry: dict[str, Any]) -> None:
    theme = b.text(entry.get("theme")) or "Geopolitics"
    description = b.text(entry.get("description"))
    entry_note(
        b, f"Geopolitics: {theme}",
        [("", description),
         ("Sector", b.text(_field(entry, "sector", "secteur"))),
         ("Recommendations", b.text(entry.get("recommandations")))],
        locations(b, f"{theme}\n{description}") + sectors(b, _field(entry, "sector", "secteur")),
        entry,
    )  # fmt: skip


def _convert_regulatory(b: Builder, entry: dict[str, Any]) -> None:
    entry_note(
        b, f"Regulatory: {b.text(entry.get('title')) or 'update'}",
        [("", b.text(entry.get("description"))),
         ("Organisation", b.text(entry.get("organisation"))),
         ("Jurisdiction", b.text(entry.get("jurisdiction")))],
        [], entry,
    )  # fmt: skip


CONVERTERS = {
    "actors": _convert_actor,
    "geopolitics": _convert_geopolitics,
    "breaches": _convert_breach,
    "vulnerabilities": _convert_vulnerability,
    "regulatory": _convert_regulatory,
    "threats": _convert_threat,
}


def _number(value: object, low: float, high: float) -> float | None:
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    return None
