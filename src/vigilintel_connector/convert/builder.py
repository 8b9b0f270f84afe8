"""Collects a converted day's objects in upstream's STIX shape, each under a provisional id.

Converters speak upstream's language so that one normaliser judges every route the same way:
the ids, junk rules, author and markings of a converted day are those of a STIX day.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from vigilintel_connector.normalise import ids
from vigilintel_connector.normalise.result import Tally
from vigilintel_connector.normalise.text import join_languages, midnight, timestamp
from vigilintel_connector.terms import is_empty, without_empty

_SERIALS = itertools.count()


class Builder:
    """Objects keyed by type and a natural key: adding the same entity twice enriches it."""

    def __init__(self, day: dt.date, languages: tuple[str, ...]):
        self.day = day
        self.languages = languages
        self.stamp = timestamp(None, midnight(day))
        self.objects: dict[str, dict[str, Any]] = {}
        self.tally = Tally()
        # Provisional ids are replaced by the normaliser: they only have to be unique within
        # the day, so a builder's serial number and a count do (hashing each key cost 4%).
        self._prefix = f"{next(_SERIALS) & 0xFFFFFFFF:08x}-0000-4000-8000-"
        self._ids: dict[tuple[str, str], str] = {}

    def _id(self, kind: str, key: str) -> str:
        """The provisional id of ``kind`` under ``key`` (case-insensitive)."""
        folded = (kind, key.lower())
        oid = self._ids.get(folded)
        if oid is None:
            oid = self._ids[folded] = f"{kind}--{self._prefix}{len(self._ids):012x}"
        return oid

    def add(self, kind: str, key: str, **props: Any) -> str:
        oid = self._id(kind, key)
        existing = self.objects.get(oid)
        if existing is None:
            obj = {"type": kind, "id": oid}
            if kind not in ids.OBSERVABLE_TYPES:
                obj.update({"created": self.stamp, "modified": self.stamp})
            obj.update(without_empty(props))
            self.objects[oid] = obj
        else:
            for field, value in props.items():
                if field == "external_references" and value:
                    existing.setdefault(field, []).extend(value)
                elif not is_empty(value) and field not in existing:
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
