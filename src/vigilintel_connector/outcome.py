"""What became of a day: the one vocabulary shared by the pipeline, delivery and the state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from vigilintel_connector.normalise.result import DayBundle, Tally
from vigilintel_connector.select.candidates import Artefact
from vigilintel_connector.source.periods import Period


class DayOutcome(StrEnum):
    IMPORTED = "imported"
    NO_CONTENT = "no-content"  # files were published, none holds intelligence
    MISSING = "missing"  # nothing published (the state: and older than the grace window)
    PENDING = "pending"  # nothing published yet, or a digest not final yet: checked next run
    ERROR = "error"  # failed: retried next run
    UNRECOGNISED = "unrecognised"  # nothing imported, and a file of an unknown kind: retried

    @property
    def settled(self) -> bool:
        """A settled day is not looked at again unless upstream's files for it change."""
        return self in (DayOutcome.IMPORTED, DayOutcome.NO_CONTENT, DayOutcome.MISSING)


@dataclass
class DayResult:
    """One day (or digest) through the pipeline: its outcome and, when imported, the bundle."""

    day: dt.date
    outcome: DayOutcome
    message: str
    format: Artefact | None = None  # the richest structured artefact used
    paths: list[str] = field(default_factory=list)  # used, or examined when not imported
    blob_shas: dict[str, str] = field(default_factory=dict)  # of every file read
    output: DayBundle | None = None
    artefacts: list[str] = field(default_factory=list)  # every artefact merged into the bundle
    warnings: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)  # files of no known kind
    period: Period | None = None  # a digest's; ``day`` is then the period's last day

    @property
    def label(self) -> str:
        """What it is about, in work names and logs: ``2026-07-28``, ``weekly 2026-07-w4``."""
        return f"{self.period.kind} {self.period.key}" if self.period else self.day.isoformat()

    @property
    def objects(self) -> int:
        return self.output.object_count if self.output else 0

    @property
    def tally(self) -> Tally:
        return self.output.tally if self.output else Tally()

    def serialised(self) -> DayResult:
        """This result with its bundle in serialised form only (``DayBundle.serialised``)."""
        return replace(self, output=self.output.serialised()) if self.output else self

    @property
    def sent_key(self) -> str:
        """Identifies exactly what was imported: a rewrite upstream changes it."""
        return "+".join(self.blob_shas[p] for p in self.paths)
