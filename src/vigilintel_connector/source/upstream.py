"""Where upstream lives: a GitHub-like HTTP mirror or a local directory (e.g. a ``git clone``).

Both answer the same two questions: which daily files exist (with a git blob SHA when it can be
known without downloading) and what bytes a file holds. Everything past this module works on those
answers only, so tests and mirrors need no GitHub.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from vigilintel_connector.log import Logger
from vigilintel_connector.source.http import FetchError, HttpClient
from vigilintel_connector.source.paths import DailyFile, expected_paths, parse_daily_path
from vigilintel_connector.source.periods import (
    DigestFile,
    Period,
    expected_digest_paths,
    parse_digest_path,
)

GITHUB_API_HOSTS = frozenset({"api.github.com"})


class SourceUnreachable(Exception):
    """Neither the listing nor any file could be reached: nothing can be said about any day."""


@dataclass(frozen=True, slots=True)
class ListedFile:
    file: DailyFile
    sha: str | None  # git blob SHA; None when only probed, or when not asked for


@dataclass(frozen=True, slots=True)
class ListedDigest:
    file: DigestFile
    sha: str | None


@dataclass(frozen=True)
class Listing:
    """The daily files upstream holds for the days asked about, and the digests of the periods
    that overlap them."""

    files: tuple[ListedFile, ...]
    digests: tuple[ListedDigest, ...] = ()
    # Without a listing, only the days and periods HEAD-probed are known; None: all of them.
    probed_days: frozenset[dt.date] | None = None
    probed_periods: frozenset[Period] | None = None

    @classmethod
    def of(cls, entries: Iterable[tuple[str, str | None]]) -> Listing:
        """The day files and digests among ``(path, blob SHA)`` entries; other paths are left
        out."""
        files: list[ListedFile] = []
        digests: list[ListedDigest] = []
        for path, sha in entries:
            if (daily := parse_daily_path(path)) is not None:
                files.append(ListedFile(daily, sha))
            elif (digest := parse_digest_path(path)) is not None:
                digests.append(ListedDigest(digest, sha))
        return cls(tuple(files), tuple(digests))

    def for_day(self, day: dt.date) -> list[ListedFile]:
        return list(self._by_day.get(day, ()))

    @cached_property
    def _by_day(self) -> dict[dt.date, list[ListedFile]]:
        """The files by day, in listing order: a backfill asks for each of hundreds of days."""
        by_day: dict[dt.date, list[ListedFile]] = {}
        for listed in self.files:
            by_day.setdefault(listed.file.day, []).append(listed)
        return by_day

    def for_period(self, period: Period) -> list[ListedDigest]:
        return [d for d in self.digests if d.file.period == period]

    def knows_day(self, day: dt.date) -> bool:
        """Whether this listing can tell what a day's files are (an unprobed day: unknown)."""
        return self.probed_days is None or day in self.probed_days

    def knows_period(self, period: Period) -> bool:
        return self.probed_periods is None or period in self.probed_periods

    def within(self, days: Iterable[dt.date]) -> Listing:
        wanted = set(days)
        if not wanted:
            return Listing(())
        since, until = min(wanted), max(wanted)
        return Listing(
            tuple(f for f in self.files if f.file.day in wanted),
            tuple(d for d in self.digests if d.file.period.overlaps(since, until)),
        )


def _blob_digest(size: int) -> Any:
    """git's SHA-1 of a blob of ``size`` bytes, before its content is fed in."""
    return hashlib.sha1(b"blob %d\x00" % size, usedforsecurity=False)


def git_blob_sha(content: bytes) -> str:
    """The SHA GitHub reports for a file, so a rewrite is noticed whatever the source."""
    digest = _blob_digest(len(content))
    digest.update(content)
    return digest.hexdigest()


def parse_tree_listing(document: object) -> Listing | None:
    """Read GitHub's git-trees answer (every file); None when it is not one or GitHub
    truncated it."""
    if not isinstance(document, dict) or document.get("truncated") is True:
        return None
    tree = document.get("tree")
    if not isinstance(tree, list):
        return None
    blobs = [e for e in tree if isinstance(e, dict) and e.get("type") == "blob"]
    return Listing.of(
        (e["path"], e.get("sha") if isinstance(e.get("sha"), str) else None)
        for e in blobs
        if isinstance(e.get("path"), str)
    )


class Upstream(Protocol):
    description: str

    def list_files(
        self,
        days: Iterable[dt.date],
        probe_days: Iterable[dt.date] | None = None,
        probe_periods: Iterable[Period] = (),
        blob_shas: bool = True,
    ) -> Listing:
        """The files of ``days`` and the digests of ``probe_periods``. ``blob_shas=False``: a
        listing whose SHAs nobody reads (the export's) may leave them out, where they would
        cost reading every file once more (a local copy)."""
        ...

    def fetch(self, path: str) -> bytes: ...


class DirectoryUpstream:
    """A local copy laid out like the repository."""

    def __init__(self, root: Path, max_bytes: int):
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self.description = str(self.root)

    def list_files(
        self,
        days: Iterable[dt.date],
        probe_days: Iterable[dt.date] | None = None,
        probe_periods: Iterable[Period] = (),
        blob_shas: bool = True,
    ) -> Listing:
        wanted = set(days)
        entries: list[tuple[str, str | None]] = []
        for month in sorted({(d.year, d.month) for d in wanted}):
            folder = self.root / f"{month[0]:04d}" / f"{month[1]:02d}"
            if not folder.is_dir():
                continue
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if not entry.is_file(follow_symlinks=False):
                    continue
                path = f"{month[0]:04d}/{month[1]:02d}/{entry.name}"
                daily = parse_daily_path(path)
                if (daily is None or daily.day not in wanted) and parse_digest_path(path) is None:
                    continue  # not read: only what is listed needs its SHA
                entries.append((path, self._sha(Path(entry.path)) if blob_shas else None))
        return Listing.of(entries).within(wanted)

    def _sha(self, file: Path) -> str:
        """The file's git blob SHA, read in blocks; a file over the size cap is not read (its
        download is refused anyway): its size and time stand in, so a change is still seen."""
        stat = file.stat()
        if stat.st_size > self.max_bytes:
            return f"over-cap:{stat.st_size}:{stat.st_mtime_ns}"
        digest = _blob_digest(stat.st_size)
        with file.open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()

    def fetch(self, path: str) -> bytes:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise FetchError(f"{path}: outside the source directory")
        try:
            size = target.stat().st_size
            if size > self.max_bytes:
                raise FetchError(
                    f"{path} is {size} bytes, over the {self.max_bytes}-byte cap", oversize=True
                )
            with target.open("rb") as stream:  # at most the cap, even if the file grows now
                content = stream.read(self.max_bytes + 1)
            if len(content) > self.max_bytes:
                raise FetchError(f"{path} exceeds the {self.max_bytes}-byte cap", oversize=True)
            return content
        except FileNotFoundError:
            raise FetchError(f"{path}: not found", status=404) from None
        except OSError as exc:
            raise FetchError(f"{path}: {exc.strerror}") from None


class HttpUpstream:
    """An HTTP mirror with GitHub's raw layout, listed by a git-trees document."""

    def __init__(
        self,
        base_url: str,
        listing_url: str,
        client: HttpClient,
        logger: Logger,
        github_token: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.listing_url = listing_url
        self.client = client
        self.logger = logger
        self.github_token = github_token
        self.description = self.base_url

    def _listing_headers(self) -> dict[str, str]:
        host = (urlsplit(self.listing_url).hostname or "").lower()
        headers = {"Accept": "application/vnd.github+json"}
        if self.github_token and host in GITHUB_API_HOSTS:
            headers["Authorization"] = f"Bearer {self.github_token}"
        return headers

    def list_files(
        self,
        days: Iterable[dt.date],
        probe_days: Iterable[dt.date] | None = None,
        probe_periods: Iterable[Period] = (),
        blob_shas: bool = True,
    ) -> Listing:
        """One listing request for every day and digest; without it, HEAD-probe the known names
        of ``probe_days`` (default: every day) and ``probe_periods`` only, since probing costs
        seven requests a day and two a digest."""
        days = sorted(set(days))
        reason: str
        try:
            body = self.client.get(self.listing_url, headers=self._listing_headers())
            listing = parse_tree_listing(json.loads(body))
            if listing is not None:
                return listing.within(days)
            reason = "the listing is truncated or not a git-trees document"
        except FetchError as exc:
            reason = str(exc)
        except (ValueError, RecursionError):
            reason = "the listing is not valid JSON"
        to_probe = days if probe_days is None else sorted(set(probe_days))
        self.logger.warning(
            "Repository listing unavailable; checking each day's known file names instead",
            {"listing_url": self.listing_url, "reason": reason, "days": len(to_probe)},
        )
        return self._probe(to_probe, sorted(set(probe_periods), key=lambda p: p.key))

    def _probe(self, days: list[dt.date], periods: list[Period]) -> Listing:
        found: list[tuple[str, str | None]] = []
        answered = False
        paths = [p for day in days for p in expected_paths(day)]
        paths += [p for period in periods for p in expected_digest_paths(period)]
        for path in paths:
            try:
                status = self.client.head(self.url_for(path))
            except FetchError as exc:
                if not exc.unreachable:
                    answered = True
                elif not answered:  # nothing ever answered: do not retry every name
                    raise SourceUnreachable(
                        f"neither {self.listing_url} nor {self.base_url} answered ({exc})"
                    ) from None
                continue
            answered = True
            if status == 200:
                found.append((path, None))
        if paths and not answered:
            raise SourceUnreachable(f"neither {self.listing_url} nor {self.base_url} answered")
        return replace(
            Listing.of(found), probed_days=frozenset(days), probed_periods=frozenset(periods)
        )

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{quote(path)}"

    def fetch(self, path: str) -> bytes:
        return self.client.get(self.url_for(path))
