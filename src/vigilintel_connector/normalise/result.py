"""What normalisation and conversion hand to delivery, and how they say a day holds nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any


class NoContent(Exception):
    """The artefact was read fine but carries no intelligence (a stub, an empty report)."""


PROPERTY = "property:"  # the prefix of a dropped property's reason
ALIAS = "alias:"  # an alias left out of an entity
PART = "part:"  # one name of a comma list, or a generic name replaced by its country
PROPERTY_TYPE = "property-type:"  # a value not of the type STIX gives its property
# Reasons that count parts of objects, not objects.
_PARTS = (PROPERTY, ALIAS, PART, PROPERTY_TYPE)


@dataclass
class Tally:
    """Everything upstream gave that did not reach the bundle as it was, by reason.

    Kept apart because they mean different things to a reader: ``dropped`` objects are gone
    (removed as junk or merged into another), ``changed`` ones were rewritten (a refanged value,
    a normalised name), ``ignored`` input never became an object (an unknown section or type).
    """

    dropped: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def change(self, reason: str, n: int = 1) -> None:
        if n:
            self.changed[reason] += n

    def ignore(self, reason: str, n: int = 1) -> None:
        self.ignored[reason] += n

    def update(self, other: Tally) -> None:
        self.dropped.update(other.dropped)
        self.changed.update(other.changed)
        self.ignored.update(other.ignored)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            "dropped": dict(sorted(self.dropped.items())),
            "changed": dict(sorted(self.changed.items())),
            "ignored": dict(sorted(self.ignored.items())),
        }


@dataclass
class Contribution:
    """One artefact's part of a day (its STIX bundle, JSON report or Markdown report), in
    upstream's STIX shape with provisional ids, before the day is normalised as a whole."""

    artefact: str  # "stix", "json" or "markdown"
    objects: list[dict[str, Any]]
    tally: Tally = field(default_factory=Tally)
    description: str = ""  # the artefact's own summary of the day, if it has one
    warnings: list[str] = field(default_factory=list)
    markdown: bytes | None = None  # the Markdown report itself, for the report's content


@dataclass
class DayBundle:
    """A day's bundle, ready to send, and the tally of what the way there removed or changed;
    ``provenance`` counts the emitted objects by the artefacts that named them. ``payload`` is
    the bundle as strict JSON in UTF-8, serialised once for every way out (export file,
    platform). Bytes, not text: a worker process hands them back, and an export writes them,
    as they are (a text is encoded to be sent and decoded again on arrival, then encoded
    again to be written: a second of the whole history's export, in the main process)."""

    bundle: dict[str, Any]
    tally: Tally = field(default_factory=Tally)
    provenance: Counter[str] = field(default_factory=Counter)
    payload: bytes = b""
    fallback_language: str | None = None  # "fr" when French stands in for the language asked
    count: int | None = None  # the objects a released bundle held

    def serialised(self) -> DayBundle:
        """This bundle as it leaves the pipeline: the serialised form that every way out uses,
        and its counts; the objects, as large again, are let go (or never pickled back from a
        worker process)."""
        return replace(self, bundle={}, count=self.object_count)

    def released(self) -> DayBundle:
        """This bundle's record once written or sent: its counts, not its objects (a range of
        days then costs a record per day, not a bundle per day)."""
        return replace(self, bundle={}, payload=b"", count=self.object_count)

    @property
    def object_count(self) -> int:
        return self.count if self.count is not None else len(self.bundle.get("objects", []))

    @property
    def dropped_count(self) -> int:
        """Objects dropped (dropped properties, aliases and names of a list are counted under
        their own reasons)."""
        return sum(n for k, n in self.tally.dropped.items() if not k.startswith(_PARTS))
