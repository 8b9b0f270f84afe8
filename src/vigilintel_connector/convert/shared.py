"""Objects both converters make the same way: CVEs, ATT&CK techniques and typed IoCs.

The JSON report and the Markdown report name the same things; building them here once is what
lets the day's artefacts meet on the same ids.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from vigilintel_connector.convert.builder import Builder
from vigilintel_connector.convert.markdown_fields import iocs_in
from vigilintel_connector.normalise.observables import refang
from vigilintel_connector.resolve.mentions import campaign_mentions, malware_mentions
from vigilintel_connector.resolve.places import COUNTRY, Place, places_in
from vigilintel_connector.resolve.sectors import sectors_in
from vigilintel_connector.terms import HASH_BY_LENGTH, HASH_LENGTHS, TECHNIQUE
from vigilintel_connector.vocabulary import is_placeholder_name


def texts_of(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts_of(item)


def mentioned_malware(b: Builder, text: str) -> list[str]:
    """The families and campaigns an article's prose names next to the word that says so."""
    found = [b.add("malware", name, name=name, is_family=True) for name in malware_mentions(text)]
    return found + [b.add("campaign", name, name=name) for name in campaign_mentions(text)]


def uses(b: Builder, actor: str | None, named: str) -> None:
    """An actor uses a family its own entry, row or article names; a campaign named there is
    attributed to it. Never across entries: one article's ten actors are not all its malware's."""
    if named.startswith("campaign--"):
        b.relate(named, "attributed-to", actor)
    else:
        b.relate(actor, "uses", named)


# ``\b`` checked behind the first letter, as in ``terms.CVE``: twice as fast on long articles.
EXPLOITS_ENDINGS = r"(?:e|ent|é|ée|és|ées|ait|aient|ant|ation|s|ed|ing)?"
_EXPLOITS = re.compile(rf"e(?<=\be)xploit{EXPLOITS_ENDINGS}\b", re.I)


def exploiter(text: str, actor: str | None, family: str | None) -> str | None:
    """Who exploits the vulnerabilities an article names: its one family, else its one actor,
    when the article says they are exploited ("exploite", "exploited")."""
    return (family or actor) if _EXPLOITS.search(text) else None


def the_family(named: list[str]) -> str | None:
    """The one family an entry or article names, if it names exactly one."""
    families = [n for n in named if n.startswith("malware--")]
    return families[0] if len(families) == 1 else None


def techniques(b: Builder, value: object, actor: str | None) -> list[str]:
    found = []
    for text in texts_of(value):
        for technique in dict.fromkeys(TECHNIQUE.findall(text)):
            oid = b.add(
                "attack-pattern", technique, name=technique, x_mitre_id=technique,
                external_references=[{"source_name": "mitre-attack", "external_id": technique}],
            )  # fmt: skip
            b.relate(actor, "uses", oid)
            found.append(oid)
    return found


def locations(b: Builder, text: str, nationalities: bool = True) -> list[str]:
    """A location for each country or region the text names (English or French), under the
    name, type and aliases of OpenCTI's own datasets (see ``places_in``)."""
    return [location(b, place) for place in places_in(text, nationalities)]


_REMARKED = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<remark>[^()]*)\)$")


def victim_name(raw: str) -> tuple[str, str]:
    """A victim as upstream writes it, "Coupang (Corée du Sud)": its name and its remark, whose
    places are the victim's."""
    match = _REMARKED.match(raw.strip())
    if match and match.group("name").strip():
        return match.group("name").strip(), match.group("remark")
    return raw.strip(), ""


# First words of victims upstream describes rather than names.
_DESCRIBED = frozenset(
    {"des", "les", "plusieurs", "certains", "certaines", "utilisateurs", "users", "clients",
     "customers", "milliers", "centaines", "dizaines", "thousands", "hundreds", "multiple",
     "various", "divers", "diverses", "several", "unnamed", "unknown", "inconnu", "inconnue"}
)  # fmt: skip


def victim_identity(b: Builder, name: str, remark: str) -> str | None:
    """The victim organisation; the sites its remark names ("Moldovan Portals (cariere.gov[.]md)")
    are its own, kept as its contact information so that no indicator is made of them. None
    when upstream described victims instead of naming one ("Des centaines de jeunes femmes")."""
    if name.split(maxsplit=1)[0].lower() in _DESCRIBED:
        return None
    sites = [v for k, v in iocs_in(remark) if k == "domain-name"]
    return b.add(
        "identity", name, name=name, identity_class="organization",
        contact_information=", ".join(sites) or None,
    )  # fmt: skip


def location(b: Builder, place: Place) -> str:
    if place.kind == COUNTRY:
        return b.add(
            "location", place.iso, name=place.name, country=place.iso,
            x_opencti_location_type=COUNTRY, x_opencti_aliases=list(place.aliases) or None,
        )  # fmt: skip
    return b.add(
        "location", f"region/{place.name}", name=place.name, region=place.name,
        x_opencti_location_type=place.kind,
    )  # fmt: skip


def sectors(b: Builder, value: object) -> list[str]:
    """The sectors a sector field names, as OpenCTI's datasets name them; a field that names
    none is counted (``unmapped-sector``), never turned into a sector of its own."""
    text = " ".join(texts_of(value)).strip()
    if not text:
        return []
    found = sectors_in(text)
    if not found and not is_placeholder_name(text):
        b.tally.ignore("unmapped-sector")
    return [
        b.add("identity", f"sector/{name}", name=name, identity_class="class") for name in found
    ]


def vulnerability(b: Builder, cve: str, **props: Any) -> str:
    cve = cve.upper()
    refs = [{"source_name": "cve", "external_id": cve}, *props.pop("external_references", [])]
    return b.add("vulnerability", cve, name=cve, external_references=refs, **props)


def classify(value: str) -> tuple[str, str] | None:
    """An untyped IOC's type by its shape (the old format sometimes lists them bare)."""
    value = refang(value.strip())
    if re.fullmatch(r"[0-9a-fA-F]+", value) and len(value) in HASH_BY_LENGTH:
        return HASH_BY_LENGTH[len(value)], value
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        return "url", value
    if "@" in value:
        return "email-addr", value
    try:
        address = ipaddress.ip_address(value)
        return ("ipv4-addr" if address.version == 4 else "ipv6-addr"), value
    except ValueError:
        pass
    if re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", value):
        return "domain-name", value
    return None


def observable_with_indicator(
    b: Builder, kind: str, value: str, actor: str | None, benign: bool = False
) -> list[str]:
    """An IoC upstream presents as such: the observable, and an indicator based on it unless
    upstream's own remark says the value is the victim's or legitimate (``benign``)."""
    if kind in HASH_LENGTHS:
        digest = value.lower()
        observable = b.add("file", f"{kind}:{digest}", hashes={kind: digest})
        pattern = f"[file:hashes.'{kind}' = '{digest}']"
    else:
        clean = refang(value)
        observable = b.add(kind, clean, value=clean)
        escaped = clean.replace("\\", "\\\\").replace("'", "\\'")
        pattern = f"[{kind}:value = '{escaped}']"
    if benign:
        b.tally.drop("benign-by-remark")
        return [observable]
    indicator = b.add(
        "indicator", pattern, name=refang(value), pattern=pattern, pattern_type="stix",
        valid_from=b.stamp, indicator_types=["malicious-activity"],
    )  # fmt: skip
    b.relate(indicator, "based-on", observable)
    b.relate(indicator, "indicates", actor)
    return [observable, indicator]
