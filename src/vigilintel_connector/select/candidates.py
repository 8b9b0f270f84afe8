"""Which of a day's files may hold its intelligence, per artefact, best first (a pure function
of the listing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vigilintel_connector.source.paths import FileKind
from vigilintel_connector.source.upstream import ListedFile

Artefact = Literal["stix", "json", "markdown"]
ARTEFACTS: tuple[Artefact, ...] = ("stix", "json", "markdown")


@dataclass(frozen=True, slots=True)
class Candidate:
    """Files to read together (era A: one per language) as one artefact of the day."""

    files: tuple[ListedFile, ...]
    artefact: Artefact

    @property
    def paths(self) -> list[str]:
        return [f.file.path for f in self.files]


def _of_kind(files: list[ListedFile], kind: FileKind) -> list[ListedFile]:
    return [f for f in files if f.file.kind is kind]


def _per_language(files: list[ListedFile], languages: tuple[str, ...]) -> Candidate | None:
    """Era A: the configured languages' files; the other language's file if those are absent."""
    by_language = {f.file.language: f for f in _of_kind(files, FileKind.STIX_PER_LANGUAGE)}
    chosen = tuple(by_language[lang] for lang in languages if lang in by_language)
    if not chosen:
        chosen = tuple(by_language[lang] for lang in sorted(by_language))[:1]
    return Candidate(chosen, "stix") if chosen else None


def _stix(files: list[ListedFile], languages: tuple[str, ...]) -> list[Candidate]:
    """The template (era C) is never a candidate: it is always empty, whatever its size."""
    found: list[Candidate] = []
    per_language = _per_language(files, languages)
    if per_language:
        found.append(per_language)
    found.extend(Candidate((f,), "stix") for f in _of_kind(files, FileKind.STIX_BILINGUAL))
    return found


def _json(files: list[ListedFile]) -> list[Candidate]:
    """The daily report first: BETA only existed while report.json had the older format."""
    return [
        Candidate((f,), "json")
        for kind in (FileKind.JSON_REPORT, FileKind.JSON_BETA)
        for f in _of_kind(files, kind)
    ]


def _markdown(files: list[ListedFile]) -> list[Candidate]:
    return [Candidate((f,), "markdown") for f in _of_kind(files, FileKind.MARKDOWN_REPORT)]


def plan_day(
    files: list[ListedFile], languages: tuple[str, ...], artefacts: tuple[Artefact, ...]
) -> list[list[Candidate]]:
    """For each artefact to use, in the given order, its candidates best first: the day takes
    the first candidate of each artefact that holds intelligence."""
    plans = {
        "stix": lambda: _stix(files, languages),
        "json": lambda: _json(files),
        "markdown": lambda: _markdown(files),
    }
    return [plans[artefact]() for artefact in artefacts]
