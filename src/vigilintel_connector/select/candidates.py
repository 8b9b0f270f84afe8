"""Which of a day's files may hold its intelligence, best first (a pure function of the listing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vigilintel_connector.source.paths import FileKind
from vigilintel_connector.source.upstream import ListedFile

Format = Literal["stix", "json"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """Files to read together (era A: one per language) and the format they are in."""

    files: tuple[ListedFile, ...]
    format: Format

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


def stix_candidates(files: list[ListedFile], languages: tuple[str, ...]) -> list[Candidate]:
    """The template (era C) is never a candidate: it is always empty, whatever its size."""
    found: list[Candidate] = []
    per_language = _per_language(files, languages)
    if per_language:
        found.append(per_language)
    found.extend(Candidate((f,), "stix") for f in _of_kind(files, FileKind.STIX_BILINGUAL))
    return found


def json_candidates(files: list[ListedFile]) -> list[Candidate]:
    """The daily report first: BETA only existed while report.json had the older format."""
    return [
        Candidate((f,), "json")
        for kind in (FileKind.JSON_REPORT, FileKind.JSON_BETA)
        for f in _of_kind(files, kind)
    ]


def plan_day(
    files: list[ListedFile], languages: tuple[str, ...], formats: str = "auto"
) -> list[Candidate]:
    """Candidates in the order to try them; an empty plan with files present means no content.

    ``stix`` uses STIX only; ``json`` prefers the (richer) JSON report but still takes the STIX
    of a day whose report is missing or empty, so that no day with intelligence is lost.
    """
    if formats == "stix":
        return stix_candidates(files, languages)
    if formats == "json":
        return json_candidates(files) + stix_candidates(files, languages)
    return stix_candidates(files, languages) + json_candidates(files)
