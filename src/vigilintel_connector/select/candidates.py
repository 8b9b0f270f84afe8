"""Which of a day's recognised files may hold its intelligence, per artefact, best first (a pure
function of what the files hold; their names only break ties)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from vigilintel_connector.select.recognise import Kind, Recognised
from vigilintel_connector.source.upstream import ListedFile

Artefact = Literal["stix", "json", "markdown"]
ARTEFACTS: tuple[Artefact, ...] = ("stix", "json", "markdown")


@dataclass(frozen=True, slots=True)
class Examined:
    """One of a day's files, downloaded and recognised."""

    listed: ListedFile
    content: bytes
    recognised: Recognised

    @property
    def path(self) -> str:
        return self.listed.file.path

    @property
    def kind(self) -> Kind:
        return self.recognised.kind

    @property
    def document(self) -> Any:
        return self.recognised.document

    @property
    def language(self) -> str | None:
        """A ``fr`` / ``en`` token in the name wins over what the text looks like."""
        return self.listed.file.language or self.recognised.language


@dataclass(frozen=True, slots=True)
class Candidate:
    """Files to read together (era A: one per language) as one artefact of the day."""

    files: tuple[Examined, ...]
    artefact: Artefact

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]


def _of_kind(files: list[Examined], kind: Kind) -> list[Examined]:
    return sorted((f for f in files if f.kind is kind), key=lambda f: f.listed.file.rank)


def _stix(files: list[Examined], languages: tuple[str, ...]) -> list[Candidate]:
    """Era A's one-language bundles first (the configured languages', else the other one), then
    each bilingual bundle; stubs and era C's empty template are rejected when converted."""
    bundles = _of_kind(files, Kind.STIX_BUNDLE)
    by_language: dict[str, Examined] = {}
    for f in bundles:
        if f.language is not None:
            by_language.setdefault(f.language, f)
    chosen = tuple(by_language[lang] for lang in languages if lang in by_language)
    if not chosen:
        chosen = tuple(by_language[lang] for lang in sorted(by_language))[:1]
    found = [Candidate(chosen, "stix")] if chosen else []
    found.extend(Candidate((f,), "stix") for f in bundles if f.language is None)
    return found


def _json(files: list[Examined]) -> list[Candidate]:
    """The daily report before the BETA one: BETA was only published while the report had its
    first, ``{FR, EN}`` format, and has a ``malicious_actors_analyse`` section of its own."""
    reports = sorted(
        _of_kind(files, Kind.JSON_REPORT),
        key=lambda f: ("malicious_actors_analyse" in f.document, not _per_language(f.document)),
    )
    return [Candidate((f,), "json") for f in reports]


def _per_language(document: dict[str, Any]) -> bool:
    return any(key in document for key in ("FR", "EN", "fr", "en"))


_FIRST_HEADING = re.compile(rb"^ {0,3}(#{1,6})[ \t]", re.MULTILINE)


def _markdown(files: list[Examined]) -> list[Candidate]:
    """A report that opens on a level-1 heading (every daily layout) before any other."""

    def opening(f: Examined) -> int:
        first = _FIRST_HEADING.search(f.content)
        return len(first.group(1)) if first else 7

    reports = sorted(_of_kind(files, Kind.MARKDOWN_REPORT), key=opening)
    return [Candidate((f,), "markdown") for f in reports]


def plan_day(
    files: list[Examined], languages: tuple[str, ...], artefacts: tuple[Artefact, ...]
) -> list[list[Candidate]]:
    """For each artefact to use, in the given order, its candidates best first: the day takes
    the first candidate of each artefact that holds intelligence."""
    plans = {
        "stix": lambda: _stix(files, languages),
        "json": lambda: _json(files),
        "markdown": lambda: _markdown(files),
    }
    return [plans[artefact]() for artefact in artefacts]


def reading_documents(files: list[Examined]) -> list[str]:
    """The files a person reads, linked from the day's report: the preferred JSON report, then
    the Markdown report."""
    return [plan[0].paths[0] for plan in (_json(files), _markdown(files)) if plan]
