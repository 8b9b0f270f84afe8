"""What a daily JSON report looks like, in all of its formats: sections named by keyword.

Shared by the recogniser (is this file a daily report?) and the converter (what does each section
hold?), so a new section name is learnt in one place.
"""

from __future__ import annotations

from typing import Any

_SECTIONS = (  # keyword in the folded section name → what it holds
    ("strategic", ("transvers", "cross", "strategic", "strateg")),
    ("actors", ("acteur", "actor", "malicious")),
    ("geopolitics", ("geopolit", "géopolit")),
    ("breaches", ("violation", "breach")),
    ("vulnerabilities", ("vulnerab", "vulnérab")),
    ("regulatory", ("regulat", "réglement", "reglement", "legal")),
    ("threats", ("article", "threat", "menace")),
)


def section_kind(name: str) -> str | None:
    folded = name.strip().lower().replace("_", " ")
    for kind, keywords in _SECTIONS:
        if any(k in folded for k in keywords):
            return kind
    return None


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
    return any(section_kind(name) for section in sections for name in section)
