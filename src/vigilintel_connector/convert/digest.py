"""A weekly or monthly digest → its parts, in upstream's STIX shape, for the daily normaliser.

The digest JSON (since May 2026) names actors by region, the period's ATT&CK techniques, key
vulnerabilities, breaches, regulation, targeted sectors and countries, trends and
recommendations, with every text in ``{en, fr}``. Its entries are mapped onto the daily report's
entry shapes and go through the same converters (``convert.entries``), then through the same
normaliser and catalogs as a day, so a digest's entities are the daily graph's nodes. The
Markdown digest (alone in April 2026) gives its tables, its CVE and ATT&CK ids and its summary.
"""

from __future__ import annotations

from typing import Any

from vigilintel_connector.convert.builder import Builder
from vigilintel_connector.convert.entries import CONVERTERS, entry_note, threat_actor
from vigilintel_connector.convert.inline import plain
from vigilintel_connector.convert.markdown import synthesis_table
from vigilintel_connector.convert.markdown_tree import parse
from vigilintel_connector.convert.sections import fold
from vigilintel_connector.convert.shared import locations, techniques, texts_of, vulnerability
from vigilintel_connector.normalise.result import Contribution, NoContent
from vigilintel_connector.source.documents import DocumentError, EmptyDocument
from vigilintel_connector.source.periods import Period
from vigilintel_connector.terms import cve_ids

_SUMMARY_TITLES = {"fr": "resume executif", "en": "executive summary"}
_HALVES = {
    "fr": "\N{REGIONAL INDICATOR SYMBOL LETTER F}\N{REGIONAL INDICATOR SYMBOL LETTER R}",
    "en": "\N{REGIONAL INDICATOR SYMBOL LETTER G}\N{REGIONAL INDICATOR SYMBOL LETTER B}",
}
_GEOGRAPHY_TITLES = ("targeted sectors", "secteurs", "geographic", "geographique")


def _section(document: dict[str, Any], *path: str) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _items(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _english_first(value: object) -> str:
    """An entity name from an ``{en, fr}`` field: names are English in the catalogs."""
    if isinstance(value, dict):
        value = value.get("en") or value.get("fr")
    return value.strip() if isinstance(value, str) else ""


def _actors(b: Builder, document: dict[str, Any]) -> list[str]:
    refs = []
    for entry in _items(_section(document, "threats_actors", "details")):
        actor = threat_actor(
            b,
            {
                "name": entry.get("threat_actor_name"),
                "threat_actor_origin": entry.get("origin_country"),
                "threat_actor_type": _english_first(entry.get("type")),
                "modop": entry.get("campaign_or_operation"),
            },
            ("name",),
        )
        if actor is None:
            continue
        refs.append(actor)
        techniques(b, entry.get("mitre_attack_ttps_id"), actor)
        regions = " ".join(texts_of(entry.get("targeted_regions")))
        for location in locations(b, regions):
            b.relate(actor, "targets", location)
    for zone in _items(_section(document, "threats_actors", "geographic_analyse")):
        name = _english_first(zone.get("geographic_zone_name"))  # as the locations are named
        places = locations(b, " ".join(texts_of(zone.get("geographic_zone_name"))))
        analysis = b.text(zone.get("geographic_zone_strategic_analyse"))
        entry_note(b, f"Threats from {name or 'a region'}", [("", analysis)], places, {})
    return refs


def _vulnerabilities(b: Builder, document: dict[str, Any]) -> None:
    for entry in _items(_section(document, "vulnerabilities", "list")):
        CONVERTERS["vulnerabilities"](
            b,
            {
                "cve_id": entry.get("cve_id"),
                "cvss": entry.get("cvss_score"),
                "epss": entry.get("epss_score"),
                "cisa_kev": entry.get("cisa_kev"),
                "product": entry.get("affected_product"),
                "vendor": entry.get("affected_product_vendor"),
                "description": entry.get("vulnerability_description"),
            },
        )
        techniques(b, entry.get("mitre_attack_ttps_id"), None)


def _breaches(b: Builder, document: dict[str, Any]) -> None:
    for entry in _items(document.get("data_breaches")):
        records = entry.get("records_count")
        data = b.text(entry.get("data_types"))
        lines = [f"Records: {records:,}" if isinstance(records, int) else "", data]
        CONVERTERS["breaches"](
            b,
            {
                "victim": entry.get("victim"),
                "threat_actor": entry.get("threat_actor"),
                "sector": str(entry.get("sector") or "").replace("_", " "),
                "country": entry.get("country"),
                "description": "\n".join(line for line in lines if line),
                "sources": entry.get("source_url"),
            },
        )


def _regulation(b: Builder, document: dict[str, Any]) -> None:
    for entry in _items(_section(document, "regulatory", "events")):
        jurisdiction = entry.get("jurisdiction")
        CONVERTERS["regulatory"](
            b,
            {
                "title": entry.get("title"),
                "description": entry.get("description"),
                "organisation": entry.get("issuing_body"),
                "jurisdiction": " ".join(texts_of(jurisdiction)),
                "sources": entry.get("source_url"),
            },
        )


def _targets(b: Builder, document: dict[str, Any]) -> list[str]:
    target = document.get("target") if isinstance(document.get("target"), dict) else {}
    refs = locations(b, " ".join(texts_of(_section(target, "countries", "en") or [])))
    refs += locations(b, " ".join(texts_of(_section(target, "countries", "fr") or [])))
    sectors = _section(target, "sectors", "en") or _section(target, "sectors", "fr") or []
    for sector in texts_of(sectors):
        name = sector.replace("_", " ").strip()
        if name:
            refs.append(b.add("identity", name, name=name, identity_class="class"))
    return refs


def _notes(b: Builder, document: dict[str, Any], refs: list[str]) -> None:
    level = document.get("threat_level") if isinstance(document.get("threat_level"), dict) else {}
    score, label = level.get("score"), b.text(level.get("label"))
    if label or score is not None:
        title = f"Threat level: {label or '?'}" + (f" ({score}/5)" if score is not None else "")
        entry_note(b, title, [("", b.text(level.get("justification")))], refs, {})
    trends = document.get("trends") if isinstance(document.get("trends"), dict) else {}
    trend_refs = techniques(b, trends, None)
    entry_note(
        b, "Trends and weak signals",
        [("Emerging techniques", b.text(trends.get("emerging_techniques"))),
         ("Declining techniques", b.text(trends.get("declining_techniques"))),
         ("Geopolitical context", b.text(trends.get("geopolitical_context")))],
        trend_refs, {},
    )  # fmt: skip
    advice = document.get("recommendations")
    advice = advice if isinstance(advice, dict) else {}
    entry_note(
        b, "Recommendations",
        [("Strategic", _advice(b, advice.get("strategic"))),
         ("Operational", _advice(b, advice.get("operational")))],
        refs, {},
    )  # fmt: skip
    analyses = [
        ("Regulation", b.text(_section(document, "regulatory", "analyse"))),
        ("Techniques", b.text(_section(document, "mitre_attack_ttps", "ttps_strategic_analyse"))),
        ("Vulnerabilities", b.text(_section(document, "vulnerabilities", "analyse"))),
        ("Targets", b.text(_section(document, "target", "narrative"))),
    ]
    entry_note(b, "Analysis of the period", analyses, refs, {})


def _advice(b: Builder, value: object) -> str:
    """Recommendations are ``{en: [{title, detail}], fr: [...]}``: one line each."""
    if not isinstance(value, dict):
        return b.text(value)
    rendered = {
        lang: "\n".join(
            f"- **{item.get('title', '')}**: {item.get('detail', '')}" for item in _items(items)
        )
        for lang, items in value.items()
    }
    return b.text(rendered)


def _prose(paragraphs: list[str]) -> str:
    texts = (plain(p) for p in paragraphs)
    return "\n\n".join(t for t in texts if len(t) > 40)


def digest_json_contribution(
    document: object, period: Period, languages: tuple[str, ...], path: str
) -> Contribution:
    """The digest JSON as the digest's JSON part."""
    if not isinstance(document, dict):
        raise DocumentError(f"{path}: not a VigilIntel digest")
    b = Builder(period.end, languages)
    refs = _actors(b, document)
    for item in _items(_section(document, "mitre_attack_ttps", "ttps_list")):
        techniques(b, item.get("id"), None)
    _vulnerabilities(b, document)
    _breaches(b, document)
    _regulation(b, document)
    refs += _targets(b, document)
    _notes(b, document, refs)
    for cve in dict.fromkeys(c for t in texts_of(document) for c in cve_ids(t)):
        vulnerability(b, cve)
    if not any(o["type"] not in ("note", "relationship") for o in b.objects.values()):
        raise NoContent("digest without intelligence")
    summary = b.text(document.get("executive_summary"))
    return Contribution("json", list(b.objects.values()), b.tally, summary)


def digest_markdown_contribution(
    content: bytes, period: Period, languages: tuple[str, ...], path: str
) -> Contribution:
    """The digest Markdown: its tables, every CVE and technique id, its countries, its summary."""
    if not content.strip():
        raise EmptyDocument(f"{path}: empty file")
    try:
        root = parse(content.decode("utf-8"), path)
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    b = Builder(period.end, ("fr",))
    summaries: dict[str, str] = {}
    openings: dict[str, str] = {}
    for section in root.walk():
        title = fold(section.title)
        for table in section.tables:
            synthesis_table(b, title, table)
        for lang, heading in _SUMMARY_TITLES.items():
            if title.startswith(heading) and not summaries.get(lang):
                summaries[lang] = _prose(section.paragraphs)
        for lang, flag in _HALVES.items():  # some months: the summary opens the language's half
            if flag in section.title and not openings.get(lang):
                openings[lang] = _prose(section.paragraphs)
        if title.startswith(_GEOGRAPHY_TITLES):
            locations(b, section.text())
    whole = root.text()
    for cve in cve_ids(whole):
        vulnerability(b, cve)
    techniques(b, whole, None)
    if not any(o["type"] != "relationship" for o in b.objects.values()):
        raise NoContent("Markdown digest without intelligence")
    summary = ""
    for found in (summaries, openings):
        summary = summary or next((found[lang] for lang in languages if found.get(lang)), "")
        summary = summary or next((text for text in found.values() if text), "")
    return Contribution("markdown", list(b.objects.values()), b.tally, summary, markdown=content)
