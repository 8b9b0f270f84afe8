"""What became of a day: the one vocabulary shared by the pipeline, delivery and the state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from vigilintel_connector.normalise.result import DayBundle, Tally
from vigilintel_connector.select.candidates import Artefact


class DayOutcome(StrEnum):
    IMPORTED = "imported"
    NO_CONTENT = "no-content"  # files were published, none holds intelligence
    MISSING = "missing"  # nothing published (the state: and older than the grace window)
    PENDING = "pending"  # the state only: nothing published yet, checked again next run
    ERROR = "error"  # failed: retried next run

    @property
    def settled(self) -> bool:
        """A settled day is not looked at again unless upstream's files for it change."""
        return self in (DayOutcome.IMPORTED, DayOutcome.NO_CONTENT, DayOutcome.MISSING)


@dataclass
class DayResult:
    """One day through the pipeline: its outcome and, when imported, the bundle."""

    day: dt.date
    outcome: DayOutcome
    message: str
    format: Artefact | None = None  # the richest structured artefact used
    paths: list[str] = field(default_factory=list)  # used, or examined when not imported
    blob_shas: dict[str, str] = field(default_factory=dict)  # of every file read
    output: DayBundle | None = None
    artefacts: list[str] = field(default_factory=list)  # every artefact merged into the bundle
    warnings: list[str] = field(default_factory=list)

    @property
    def objects(self) -> int:
        return self.output.object_count if self.output else 0

    @property
    def tally(self) -> Tally:
        return self.output.tally if self.output else Tally()

    @property
    def sent_key(self) -> str:
        """Identifies exactly what was imported: a rewrite upstream changes it."""
        return "+".join(self.blob_shas[p] for p in self.paths)
