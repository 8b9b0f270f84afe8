"""What one day's normalisation needs to know, and what it has decided so far."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vigilintel_connector.normalise.result import Tally
from vigilintel_connector.normalise.text import midnight

# How much OpenCTI should trust LLM-generated intelligence (0-100): below what curated sources
# (ATT&CK, analysts) carry, so an upsert from VigilIntel never overwrites their fields.
DEFAULT_CONFIDENCE = 30


class DayContext:
    """Shared by every cleaning step of a day: its settings, the tally, and the id map that lets
    relationships and notes follow their targets to their new ids (or learn they are gone)."""

    def __init__(
        self,
        day: dt.date,
        languages: tuple[str, ...],
        excluded: frozenset[str],
        confidence: int = DEFAULT_CONFIDENCE,
    ) -> None:
        self.day = day
        self.confidence = confidence
        self.languages = languages
        self.excluded = excluded
        self.fallback = midnight(day)
        self.tally = Tally()
        self.new_ids: dict[str, str | None] = {}  # upstream id → emitted id (None: removed)
        self.source_urls: frozenset[str] = frozenset()
        self.origins: dict[str, set[str]] = {}  # emitted id → artefacts that named it
        # Upstream id → the texts of the articles (notes, topic reports) that name it.
        self.articles: dict[str, list[str]] = {}
        # Victims' names, folded to letters and digits: their own domains indicate nothing.
        self.victims: frozenset[str] = frozenset()
        self.urls: frozenset[str] = frozenset()  # the day's URLs, past their scheme
        self.domains: frozenset[str] = frozenset()  # the day's domain names
        # Every article of the day once, for names their own articles do not type.
        self.day_texts: list[str] = []
        # Upstream ids of generic names replaced by their country: links from them say nothing.
        self.stand_ins: set[str] = set()

    def remove(self, obj: dict[str, Any], reason: str) -> None:
        self.tally.drop(reason)
        self.new_ids[obj.get("id", "")] = None

    def changed(self, reason: str, n: int = 1) -> None:
        self.tally.change(reason, n)
