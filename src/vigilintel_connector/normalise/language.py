"""Which language each text is in (STIX ``lang``), so that a team that asked for English can see,
and filter, what upstream only published in French.

The Markdown reports are French only: before 2025-11-14 they are the whole day, and afterwards
they add notes. Reports and notes named only by French-only artefacts are ``fr``; the others are
in the first configured language, which the bilingual artefacts (STIX, JSON) were read in. OpenCTI
stores ``lang`` on reports and notes (pycti sends it with both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vigilintel_connector.normalise.result import Contribution

FRENCH_ONLY = frozenset({"markdown"})
_TEXTS = frozenset({"report", "note"})


def tell_languages(
    emitted: dict[str, dict[str, Any]],
    report: dict[str, Any],
    origins: dict[str, set[str]],
    contributions: Sequence[Contribution],
    languages: tuple[str, ...],
) -> str | None:
    """Set ``lang`` on the reports and notes; returns "fr" when French stands in for the first
    language asked for (an English export of a Markdown-only day), else None."""
    primary = languages[0]
    french = {
        oid for oid, obj in emitted.items()
        if obj.get("type") in _TEXTS and origins.get(oid) and origins[oid] <= FRENCH_ONLY
    }  # fmt: skip
    for oid, obj in emitted.items():
        if obj.get("type") in _TEXTS:
            obj["lang"] = "fr" if oid in french else primary
    french_summaries = {c.description for c in contributions if c.artefact in FRENCH_ONLY}
    described_in_french = bool(report.get("description")) and (
        report.get("description") in french_summaries
    )
    report["lang"] = "fr" if described_in_french else primary
    if primary != "fr" and (french or described_in_french):
        return "fr"
    return None
