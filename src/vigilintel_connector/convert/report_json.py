"""VigilIntel's daily JSON report → the day's clean bundle.

The JSON report is the document upstream's STIX was generated from, and since 2026-07-31 the only
daily intelligence. Its schema drifted three times (``{EN, FR}`` sections with drifting names; one
bilingual document; the same inside a Markdown fence), so sections are recognised by keyword and
fields by their known variants; anything else is ignored and counted, so the next drift degrades
gracefully instead of failing. The entries become upstream-shaped STIX (``convert.entries``) that
the normaliser then judges like upstream's own bundles.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from vigilintel_connector.convert.builder import Builder
from vigilintel_connector.convert.entries import CONVERTERS
from vigilintel_connector.convert.shared import vulnerability
from vigilintel_connector.normalise.result import Contribution, DayBundle, NoContent
from vigilintel_connector.normalise.stix import normalise_contributions
from vigilintel_connector.select.content import carries_intelligence
from vigilintel_connector.select.report_shape import (
    document_sections,
    has_report_shape,
    section_kind,
)
from vigilintel_connector.source.documents import DocumentError
from vigilintel_connector.terms import CVE_PATTERN_BYTES

# Prose fields of the old {EN, FR} format: with both languages, each keeps both texts.
_PROSE_FIELDS = frozenset(
    {"description", "analyse", "analysis", "recommandations", "recommendations", "modop",
     "modus_operandi", "title", "theme", "secteur", "sector"}
)  # fmt: skip
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def mentioned_cves(source: bytes) -> list[str]:
    """Every distinct CVE id in the file: what the case-insensitive, word-bounded CVE pattern
    finds, scanned over the upper-cased bytes with a literal prefix (no look-around, which would
    disable the regex engine's fast search): ~1 ms per MB instead of ~30."""
    upper = source.upper()
    found: dict[str, None] = {}
    for match in CVE_PATTERN_BYTES.finditer(upper):
        start, end = match.span()
        if (start and upper[start - 1] in _WORD) or (end < len(upper) and upper[end] in _WORD):
            continue
        found[match.group().decode()] = None
    return list(found)


def json_contribution(
    document: object,
    day: dt.date,
    languages: tuple[str, ...],
    source: bytes | None = None,
    path: str = "report.json",
) -> Contribution:
    """One JSON report as the day's JSON part; ``NoContent`` when its sections are empty.

    ``source`` is the file's bytes, scanned for CVE mentions (the document is serialised when
    they are not given)."""
    if not has_report_shape(document):
        raise DocumentError(f"{path}: not a VigilIntel daily report")
    assert isinstance(document, dict)
    b = Builder(day, languages)
    description = _convert_sections(b, document_sections(document, languages), languages)
    if source is None:
        source = json.dumps(document, ensure_ascii=False).encode()
    for cve in mentioned_cves(source):
        vulnerability(b, cve)
    objects = list(b.objects.values())
    # Entities, or notes from its entries (geopolitics, regulation…): a report whose sections
    # are all empty only says that nothing was published.
    if not carries_intelligence({"objects": objects}) and not any(
        o["type"] == "note" for o in objects
    ):
        raise NoContent("JSON report without intelligence")
    return Contribution("json", objects, b.tally, description)


def convert_report(
    document: object,
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
    source: bytes | None = None,
) -> DayBundle:
    """One JSON report alone → a day's clean bundle."""
    part = json_contribution(document, day, languages, source)
    return normalise_contributions([part], day, languages, excluded_hosts)


def _convert_sections(b: Builder, sections: list[dict], languages: tuple[str, ...]) -> str:
    """Every entry of every known section into ``b``; returns the strategic summary."""
    description = ""
    for name, content in sections[0].items():
        kind = section_kind(name)
        paired = [s.get(name) for s in sections[1:]]
        if kind is None:
            b.tally.ignore("section")
            continue
        if kind == "strategic":
            description = _strategic(b, content, paired, languages)
            continue
        for entry in _paired_entries(content, paired, languages):
            CONVERTERS[kind](b, entry)
    return description


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
    b: Builder, content: object, paired: list[object], languages: tuple[str, ...]
) -> str:
    if isinstance(content, dict):
        text = content.get("analyse", content.get("analysis"))
        if isinstance(text, str) and paired and isinstance(paired[0], dict):
            other = paired[0].get("analyse", paired[0].get("analysis"))
            if isinstance(other, str):
                text = {languages[0]: text, languages[-1]: other}
        return b.text(text)
    return b.text(content)
