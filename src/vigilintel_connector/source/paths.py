"""What upstream's file names say, and what they cannot.

Upstream renamed its daily STIX file twice and publishes several other artefacts per day (see the
project's data notes). A day's file is any ``YYYY/MM/YYYY-MM-DD-<name>.json|.md``: what it holds is
decided by its content (``select.recognise``). The names we know only order a day's files, give
the language of era A's bundles and are what HEAD-probing asks for when no listing can be had.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum


class FileKind(StrEnum):
    STIX_PER_LANGUAGE = "stix-per-language"  # era A: report.stix_fr.json / report.stix_en.json
    STIX_BILINGUAL = "stix-bilingual"  # era B: report-stix.json
    STIX_TEMPLATE = "stix-template"  # era C: report.stix.json, always an empty template
    JSON_REPORT = "json-report"  # report.json, the source STIX was generated from
    JSON_BETA = "json-beta"  # report-BETA.json
    MARKDOWN_REPORT = "markdown-report"  # report.md, the human-readable report


_SUFFIXES: dict[str, tuple[FileKind, str | None]] = {
    "report.stix_fr.json": (FileKind.STIX_PER_LANGUAGE, "fr"),
    "report.stix_en.json": (FileKind.STIX_PER_LANGUAGE, "en"),
    "report-stix.json": (FileKind.STIX_BILINGUAL, None),
    "report.stix.json": (FileKind.STIX_TEMPLATE, None),
    "report.json": (FileKind.JSON_REPORT, None),
    "report-BETA.json": (FileKind.JSON_BETA, None),
    "report.md": (FileKind.MARKDOWN_REPORT, None),
}

_DAILY = re.compile(r"(\d{4})/(\d{2})/(\d{4})-(\d{2})-(\d{2})-([A-Za-z0-9._-]+\.(?:json|md))")
_LANGUAGE_TOKEN = re.compile(r"(?<![a-z])(fr|en)(?![a-z])")


@dataclass(frozen=True, slots=True)
class DailyFile:
    """One upstream file that may carry a day's intelligence."""

    path: str
    day: dt.date
    kind: FileKind | None  # what its name says; None for a name we have never seen
    language: str | None  # a ``fr`` / ``en`` token in its name

    @property
    def rank(self) -> tuple[int, str]:
        """Known names first, in the order of ``_SUFFIXES``; then the others by name."""
        suffix = self.path.rsplit("/", 1)[-1][11:]
        order = list(_SUFFIXES)
        return (order.index(suffix) if suffix in _SUFFIXES else len(order), self.path)


UPSTREAM_BLOB = "https://github.com/kidrek/VigilIntel/blob/main/"
# Upstream's first daily report: no date before it can mean anything to this connector.
UPSTREAM_FIRST_DAY = dt.date(2025, 4, 30)


def permalink(path: str) -> str:
    """Where a person reads the file on GitHub."""
    return UPSTREAM_BLOB + path


def is_safe_path(path: str) -> bool:
    """Reject listing entries that could escape the repository or the output folder."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def parse_daily_path(path: str) -> DailyFile | None:
    """The day file a repository path is, or None for anything else (digests, images, paths
    that could escape the repository)."""
    if not is_safe_path(path):
        return None
    match = _DAILY.fullmatch(path)
    if not match:
        return None
    folder_year, folder_month, year, month, day, suffix = match.groups()
    if (folder_year, folder_month) != (year, month):
        return None
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    kind, language = _SUFFIXES.get(suffix, (None, None))
    if language is None:
        tokens = _LANGUAGE_TOKEN.findall(suffix.lower())
        language = tokens[-1] if len(set(tokens)) == 1 else None
    return DailyFile(path=path, day=date, kind=kind, language=language)


def expected_paths(day: dt.date) -> list[str]:
    """Every name a day's data file has had; probed when no listing can be had."""
    prefix = f"{day:%Y/%m}/{day.isoformat()}-"
    return [prefix + suffix for suffix in _SUFFIXES]
