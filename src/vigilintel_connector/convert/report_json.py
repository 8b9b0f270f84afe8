"""VigilIntel's daily JSON report → raw STIX objects, then the normaliser's clean bundle.

The JSON report is the document upstream's STIX was generated from, and since 2026-07-31 the only
daily intelligence. Its schema drifted three times (``{EN, FR}`` sections with drifting names; one
bilingual document; the same inside a Markdown fence), so sections are recognised by keyword and
fields by their known variants; anything else is ignored and counted, so the next drift degrades
gracefully instead of failing. The output is upstream-shaped STIX that goes through the very same
normaliser as upstream's own bundles: same author, markings, ids, junk rules and languages.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from vigilintel_connector.normalise.observables import refang
from vigilintel_connector.normalise.result import DayBundle
from vigilintel_connector.normalise.stix import REPORT_NAME, normalise_day
from vigilintel_connector.normalise.text import join_languages
from vigilintel_connector.vocabulary import is_placeholder_name

_NAMESPACE = uuid.UUID("7b0c6f1e-5a43-4c8e-9a57-1c1f3d2c9e21")
CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
# Scanned over the raw, ASCII-upper-cased bytes with a literal-prefix pattern (no look-around,
# which would disable the engine's fast search): ~1 ms per MB instead of ~30.
_CVE_BYTES = re.compile(rb"CVE-\d{4}-\d{4,}")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def mentioned_cves(source: bytes) -> list[str]:
    """Every distinct CVE id in the file: what a case-insensitive word-bounded CVE regex finds."""
    upper = source.upper()
    found: dict[str, None] = {}
    for match in _CVE_BYTES.finditer(upper):
        start, end = match.span()
        if (start and upper[start - 1] in _WORD) or (end < len(upper) and upper[end] in _WORD):
            continue
        found[match.group().decode()] = None
    return list(found)


_TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
_SECTIONS = (  # keyword in the folded section name → what it holds
    ("strategic", ("transvers", "cross", "strategic", "strateg")),
    ("actors", ("acteur", "actor", "malicious")),
    ("geopolitics", ("geopolit", "géopolit")),
    ("breaches", ("violation", "breach")),
    ("vulnerabilities", ("vulnerab", "vulnérab")),
    ("regulatory", ("regulat", "réglement", "reglement", "legal")),
    ("threats", ("article", "threat", "menace")),
)
_THREAT_ACTOR_TYPES = frozenset(
    {
        "activist", "competitor", "crime-syndicate", "criminal", "hacker", "insider-accidental",
        "insider-disgruntled", "nation-state", "sensationalist", "spy", "terrorist", "unknown",
    }
)  # fmt: skip
_INDICATOR_KEYS = {
    "url": "url", "ipv4": "ipv4-addr", "ipv6": "ipv6-addr", "domain": "domain-name",
    "email": "email-addr", "hash_md5": "MD5", "hash_sha1": "SHA-1", "hash_sha256": "SHA-256",
    "file_hash_md5": "MD5", "file_hash_sha1": "SHA-1", "file_hash_sha256": "SHA-256",
    "tools": "tool", "cve": "cve", "mitre_att&ck": "ttp", "asn": "asn", "yara_rule": "yara",
}  # fmt: skip
_HASH_LENGTHS = {32: "MD5", 40: "SHA-1", 64: "SHA-256"}
# Prose fields of the old {EN, FR} format: with both languages, each keeps both texts.
_PROSE_FIELDS = frozenset(
    {"description", "analyse", "analysis", "recommandations", "recommendations", "modop",
     "modus_operandi", "title", "theme", "secteur", "sector"}
)  # fmt: skip


class _Builder:
    """Collects raw STIX objects with provisional deterministic ids and linking helpers."""

    def __init__(self, day: dt.date, languages: tuple[str, ...]):
        self.day = day
        self.languages = languages
        self.stamp = f"{day.isoformat()}T00:00:00Z"
        self.objects: dict[str, dict[str, Any]] = {}
        self.counts: Counter[str] = Counter()

    def add(self, kind: str, key: str, **props: Any) -> str:
        oid = f"{kind}--{uuid.uuid5(_NAMESPACE, f'{kind}/{key.lower()}')}"
        existing = self.objects.get(oid)
        if existing is None:
            obj = {"type": kind, "id": oid}
            if kind not in _OBSERVABLES:
                obj.update({"created": self.stamp, "modified": self.stamp})
            obj.update({k: v for k, v in props.items() if v not in (None, "", [], {})})
            self.objects[oid] = obj
        else:
            for field, value in props.items():
                if field == "external_references" and value:
                    existing.setdefault(field, []).extend(value)
                elif value not in (None, "", [], {}) and field not in existing:
                    existing[field] = value
        return oid

    def relate(self, source: str | None, kind: str, target: str | None) -> None:
        if source and target and source != target:
            self.add(
                "relationship", f"{source}/{kind}/{target}",
                relationship_type=kind, source_ref=source, target_ref=target,
            )  # fmt: skip

    def text(self, value: object) -> str:
        """The configured languages' text of a field (a string, an {en, fr} dict, or a list)."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, dict):
            texts = {lang: self.text(value.get(lang)) for lang in self.languages}
            if not any(texts.values()):
                texts = {k: self.text(v) for k, v in value.items() if isinstance(v, (str, list))}
            return join_languages(texts) if len(texts) > 1 else next(iter(texts.values()), "")
        if isinstance(value, list):
            lines = [self.text(v) for v in value]
            return "\n".join(f"- {line}" for line in lines if line)
        return str(value)


_OBSERVABLES = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"})


def _fold(name: str) -> str:
    return name.strip().lower().replace("_", " ")


def _section_kind(name: str) -> str | None:
    folded = _fold(name)
    for kind, keywords in _SECTIONS:
        if any(k in folded for k in keywords):
            return kind
    return None


def _field(entry: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in entry and entry[name] not in (None, "", [], {}):
            return entry[name]
    return None


def _sources(entry: dict[str, Any]) -> list[dict[str, str]]:
    urls = entry.get("sources") or entry.get("source") or []
    if isinstance(urls, str):
        urls = [urls]
    return [
        {"source_name": "VigilIntel source", "url": u.strip()}
        for u in urls if isinstance(u, str) and u.strip().startswith(("http://", "https://"))
    ]  # fmt: skip


def _texts(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)


def document_sections(document: dict[str, Any], languages: tuple[str, ...]) -> list[dict]:
    """The per-language section dicts to convert, primary language first."""
    if any(k in document for k in ("EN", "FR", "en", "fr")) and all(
        isinstance(v, dict) for v in document.values()
    ):
        by_language = {k.lower(): v for k, v in document.items()}
        chosen = [by_language[lang] for lang in languages if lang in by_language]
        return chosen or list(by_language.values())[:1]
    return [document]


def has_report_shape(document: object) -> bool:
    if not isinstance(document, dict):
        return False
    sections = document_sections(document, ("fr", "en"))
    return any(_section_kind(name) for section in sections for name in section)


def convert_report(
    document: dict[str, Any],
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
    source: bytes | None = None,
) -> DayBundle:
    """Convert one JSON report; the result is normalised like any upstream bundle."""
    raw, counts = report_to_stix(document, day, languages, source)
    return normalise_converted(raw, counts, day, languages, excluded_hosts)


def normalise_converted(
    raw: dict[str, Any],
    counts: Counter[str],
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
) -> DayBundle:
    # The raw bundle holds only the chosen languages' text, so the normaliser's language
    # filter keeps all of it.
    result = normalise_day([raw], day, languages, excluded_hosts)
    result.dropped.update(counts)
    return result


def report_to_stix(
    document: dict[str, Any],
    day: dt.date,
    languages: tuple[str, ...],
    source: bytes | None = None,
) -> tuple[dict[str, Any], Counter[str]]:
    """Raw, upstream-shaped STIX (provisional ids) and what the conversion itself skipped.

    ``source`` is the file's bytes, scanned for CVE mentions (the document is serialised when
    they are not given)."""
    sections = document_sections(document, languages)
    primary = sections[0]
    b = _Builder(day, languages)
    description = ""
    for name, content in primary.items():
        kind = _section_kind(name)
        paired = [s.get(name) for s in sections[1:]]
        if kind is None:
            b.counts["ignored:section"] += 1
            continue
        if kind == "strategic":
            description = _strategic(b, content, paired, languages)
            continue
        entries = _paired_entries(content, paired, languages)
        for entry in entries:
            _CONVERTERS[kind](b, entry)
    if source is None:
        source = json.dumps(document, ensure_ascii=False).encode()
    for cve in mentioned_cves(source):
        _vulnerability(b, cve)
    report = {
        "type": "report",
        "id": "report--" + str(uuid.uuid5(_NAMESPACE, f"report/{day}")),
        "name": REPORT_NAME.format(day=day.isoformat()),
        "published": b.stamp,
        "created": b.stamp,
        "modified": b.stamp,
        "description": description,
        "object_refs": list(b.objects),
    }
    bundle = {"type": "bundle", "objects": [*b.objects.values(), report]}
    return bundle, b.counts


def _paired_entries(
    content: object, paired: list[object], languages: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Entries of the primary language; with two languages in the old format, each entry's
    prose carries both languages (the sections list the same entries in the same order)."""
    if not isinstance(content, list):
        return []
    entries = [dict(e) for e in content if isinstance(e, dict)]
    for other in paired:
        if not isinstance(other, list) or len(other) != len(entries):
            continue
        for mine, theirs in zip(entries, other, strict=True):
            if not isinstance(theirs, dict):
                continue
            for key in _PROSE_FIELDS & mine.keys():
                if isinstance(mine[key], str) and isinstance(theirs.get(key), str):
                    mine[key] = {languages[0]: mine[key], languages[-1]: theirs[key]}
    return entries


def _strategic(
    b: _Builder, content: object, paired: list[object], languages: tuple[str, ...]
) -> str:
    if isinstance(content, dict):
        text = content.get("analyse", content.get("analysis"))
        if isinstance(text, str) and paired and isinstance(paired[0], dict):
            other = paired[0].get("analyse", paired[0].get("analysis"))
            if isinstance(other, str):
                text = {languages[0]: text, languages[-1]: other}
        return b.text(text)
    return b.text(content)


def _actor(b: _Builder, entry: dict[str, Any], name_keys: tuple[str, ...]) -> str | None:
    name = _field(entry, *name_keys)
    if not isinstance(name, str) or is_placeholder_name(name):
        if name is not None:
            b.counts["placeholder-actor"] += 1
        return None
    aliases = [a for a in entry.get("threat_actor_aliases") or [] if isinstance(a, str) and a]
    kind = str(entry.get("threat_actor_type") or "").strip().lower().replace(" ", "-")
    origin = entry.get("threat_actor_origin")
    details = []
    if isinstance(origin, str) and origin.strip():
        details.append(f"Origin: {origin.strip()}")
    modop = b.text(_field(entry, "modop", "modus_operandi"))
    return b.add(
        "threat-actor", name.strip(), name=name.strip(),
        aliases=aliases or None,
        threat_actor_types=[kind] if kind in _THREAT_ACTOR_TYPES else None,
        description="\n\n".join([*details, modop]).strip() or None,
    )  # fmt: skip


def _techniques(b: _Builder, value: object, actor: str | None) -> list[str]:
    found = []
    for text in _texts(value):
        for technique in dict.fromkeys(_TECHNIQUE.findall(text)):
            oid = b.add(
                "attack-pattern", technique, name=technique, x_mitre_id=technique,
                external_references=[{"source_name": "mitre-attack", "external_id": technique}],
            )  # fmt: skip
            b.relate(actor, "uses", oid)
            found.append(oid)
    return found


def _vulnerability(b: _Builder, cve: str, **props: Any) -> str:
    cve = cve.upper()
    refs = [{"source_name": "cve", "external_id": cve}, *props.pop("external_references", [])]
    return b.add("vulnerability", cve, name=cve, external_references=refs, **props)


def _classify(value: str) -> tuple[str, str] | None:
    """An untyped IOC's type by its shape (the old format sometimes lists them bare)."""
    value = refang(value.strip())
    if re.fullmatch(r"[0-9a-fA-F]+", value) and len(value) in _HASH_LENGTHS:
        return _HASH_LENGTHS[len(value)], value
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


def _indicators(b: _Builder, iocs: object, actor: str | None) -> list[str]:
    """Observables, and a STIX indicator based on each, for every typed IOC."""
    typed: list[tuple[str, str]] = []
    if isinstance(iocs, dict):
        for key, values in iocs.items():
            kind = _INDICATOR_KEYS.get(str(key).strip().lower())
            for value in values if isinstance(values, list) else [values]:
                if not isinstance(value, str) or not value.strip():
                    continue
                if kind is None:
                    b.counts["ignored:indicator-type"] += 1
                else:
                    typed.append((kind, value.strip()))
    elif isinstance(iocs, list):
        for value in iocs:
            guessed = _classify(value) if isinstance(value, str) else None
            if guessed:
                typed.append(guessed)
            else:
                b.counts["ignored:untyped-indicator"] += 1
    elif isinstance(iocs, str) and iocs.strip():
        b.counts["ignored:free-text-indicators"] += 1
    refs = []
    for kind, value in typed:
        refs.extend(_one_indicator(b, kind, value, actor))
    return refs


def _one_indicator(b: _Builder, kind: str, value: str, actor: str | None) -> list[str]:
    if kind == "tool":
        if is_placeholder_name(value):
            return []
        tool = b.add("tool", value, name=value)
        b.relate(actor, "uses", tool)
        return [tool]
    if kind == "cve":
        return [_vulnerability(b, m) for m in dict.fromkeys(CVE.findall(value))]
    if kind == "ttp":
        return _techniques(b, value, actor)
    if kind in ("asn", "yara"):
        b.counts[f"ignored:{kind}-indicator"] += 1
        return []
    if kind in ("MD5", "SHA-1", "SHA-256"):
        digest = value.lower()
        observable = b.add("file", f"{kind}:{digest}", hashes={kind: digest})
        pattern = f"[file:hashes.'{kind}' = '{digest}']"
    else:
        clean = refang(value)
        observable = b.add(kind, clean, value=clean)
        escaped = clean.replace("\\", "\\\\").replace("'", "\\'")
        pattern = f"[{kind}:value = '{escaped}']"
    indicator = b.add(
        "indicator", pattern, name=refang(value), pattern=pattern, pattern_type="stix",
        valid_from=b.stamp, indicator_types=["malicious-activity"],
    )  # fmt: skip
    b.relate(indicator, "based-on", observable)
    b.relate(indicator, "indicates", actor)
    return [observable, indicator]


def _note(b: _Builder, abstract: str, parts: list[tuple[str, str]], refs: list[str], entry: dict):
    body = "\n\n".join(f"## {title}\n{text}" if title else text for title, text in parts if text)
    if not body.strip():
        return None
    tags = [t for t in entry.get("tags") or [] if isinstance(t, str) and t.strip()]
    return b.add(
        "note", f"{abstract}/{body[:200]}", abstract=abstract, content=body,
        object_refs=list(dict.fromkeys(refs)), labels=tags[:20] or None,
        external_references=_sources(entry),
    )  # fmt: skip


def _convert_threat(b: _Builder, entry: dict[str, Any]) -> None:
    actor = _actor(b, entry, ("threat_actor", "threat_actors", "actor"))
    refs = [actor] if actor else []
    refs += _indicators(b, _field(entry, "indicators", "indicator_of_compromise"), actor)
    refs += _techniques(b, entry.get("mitre_ttps"), actor)
    title = b.text(_field(entry, "title", "titre")) or "Threat"
    _note(
        b, title,
        [("", b.text(entry.get("description"))),
         ("Analysis", b.text(_field(entry, "analyse", "analysis"))),
         ("Recommendations", b.text(_field(entry, "recommandations", "recommendations")))],
        refs, entry,
    )  # fmt: skip


def _convert_actor(b: _Builder, entry: dict[str, Any]) -> None:
    actor = _actor(b, entry, ("nom", "name", "threat_actor"))
    campaign_name = entry.get("campaign")
    if isinstance(campaign_name, str) and not is_placeholder_name(campaign_name):
        campaign = b.add(
            "campaign", campaign_name, name=campaign_name,
            description=b.text(entry.get("campaign_description")) or None,
        )  # fmt: skip
        b.relate(campaign, "attributed-to", actor)
    if actor:
        b.objects[actor].setdefault("external_references", []).extend(_sources(entry))


def _convert_breach(b: _Builder, entry: dict[str, Any]) -> None:
    victim = _field(entry, "victim", "victime")
    actor = _actor(b, entry, ("threat_actor", "actor"))
    description = b.text(entry.get("description"))
    sector = b.text(_field(entry, "sector", "secteur"))
    refs = [actor] if actor else []
    if isinstance(victim, str) and not is_placeholder_name(victim):
        identity = b.add(
            "identity", victim.strip(), name=victim.strip(), identity_class="organization"
        )
        incident = b.add(
            "incident", f"breach/{victim}", name=f"Data breach: {victim.strip()}",
            description="\n\n".join(p for p in (description, sector and f"Sector: {sector}") if p),
            incident_type="data-breach", external_references=_sources(entry),
        )  # fmt: skip
        b.relate(incident, "targets", identity)
        b.relate(incident, "attributed-to", actor)
        refs += [identity, incident]
    refs += _techniques(b, entry.get("mitre_ttps"), actor)
    _note(b, f"Breach: {b.text(victim) or 'unnamed victim'}", [("", description)], refs, entry)


def _convert_vulnerability(b: _Builder, entry: dict[str, Any]) -> None:
    cves = list(dict.fromkeys(m.upper() for m in CVE.findall(str(entry.get("cve_id") or ""))))
    if not cves:
        b.counts["non-cve-vulnerability"] += 1
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
        _vulnerability(
            b, cve, description=description or None, external_references=list(refs),
            x_opencti_cvss_base_score=_number(entry.get("cvss"), 0, 10),
            x_opencti_epss_score=_number(entry.get("epss"), 0, 1),
            x_opencti_cisa_kev=_boolean(entry.get("cisa_kev")),
        )  # fmt: skip


def _convert_geopolitics(b: _Builder, entry: dict[str, Any]) -> None:
    theme = b.text(entry.get("theme")) or "Geopolitics"
    _note(
        b, f"Geopolitics: {theme}",
        [("", b.text(entry.get("description"))),
         ("Sector", b.text(_field(entry, "sector", "secteur"))),
         ("Recommendations", b.text(entry.get("recommandations")))],
        [], entry,
    )  # fmt: skip


def _convert_regulatory(b: _Builder, entry: dict[str, Any]) -> None:
    _note(
        b, f"Regulatory: {b.text(entry.get('title')) or 'update'}",
        [("", b.text(entry.get("description"))),
         ("Organisation", b.text(entry.get("organisation"))),
         ("Jurisdiction", b.text(entry.get("jurisdiction")))],
        [], entry,
    )  # fmt: skip


_CONVERTERS = {
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
