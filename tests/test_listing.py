"""Listing upstream: GitHub's tree, a local directory, unsafe paths, and where the token goes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from vigilintel_connector.jobs.build import http_policy
from vigilintel_connector.log import StdLogger
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.http import HttpClient
from vigilintel_connector.source.paths import FileKind, expected_paths, parse_daily_path
from vigilintel_connector.source.upstream import (
    DirectoryUpstream,
    HttpUpstream,
    git_blob_sha,
    parse_tree_listing,
)


def test_directory_listing_computes_the_same_blob_shas_as_github(sample_dir):
    tree = json.loads((sample_dir / "tree.json").read_text())
    github = {e["path"]: e["sha"] for e in tree["tree"] if e["type"] == "blob"}
    days = {dt.date(2025, 11, 1) + dt.timedelta(days=i) for i in range(300)}
    listing = DirectoryUpstream(sample_dir, 1 << 30).list_files(days)
    assert len(listing.files) > 60
    for listed in listing.files:
        assert listed.sha == github[listed.file.path]


def test_a_listing_without_blob_shas_lists_the_same_files_without_reading_them(
    sample_dir, monkeypatch
):
    """The export reads no SHA: its listing of a local copy does not read every file twice."""
    days = {dt.date(2025, 11, 1) + dt.timedelta(days=i) for i in range(300)}
    upstream = DirectoryUpstream(sample_dir, 1 << 30)
    full = upstream.list_files(days)
    monkeypatch.setattr(DirectoryUpstream, "_sha", lambda *_: pytest.fail("a file was read"))
    bare = upstream.list_files(days, blob_shas=False)
    assert [f.file for f in bare.files] == [f.file for f in full.files]
    assert [d.file for d in bare.digests] == [d.file for d in full.digests]
    assert {f.sha for f in bare.files} == {None}


def test_every_sample_file_hashes_to_its_listed_sha(sample_dir):
    tree = json.loads((sample_dir / "tree.json").read_text())
    for entry in tree["tree"]:
        if entry["type"] == "blob" and (sample_dir / entry["path"]).is_file():
            assert git_blob_sha((sample_dir / entry["path"]).read_bytes()) == entry["sha"]


def test_unsafe_and_foreign_paths_are_ignored():
    tree = {
        "truncated": False,
        "tree": [
            {"path": "2026/03/2026-03-16-report-stix.json", "type": "blob", "sha": "a", "size": 1},
            {"path": "../2026/03/2026-03-16-report-stix.json", "type": "blob", "sha": "b"},
            {"path": "/2026/03/2026-03-16-report-stix.json", "type": "blob", "sha": "c"},
            {"path": "2026\\03\\2026-03-16-report-stix.json", "type": "blob", "sha": "d"},
            {"path": "2026/03/../03/2026-03-16-report-stix.json", "type": "blob", "sha": "e"},
            {"path": "2026/04/2026-03-16-report-stix.json", "type": "blob", "sha": "f"},
            {"path": "2026/05/2026-05-w1-report.json", "type": "blob", "sha": "g"},
            {"path": "2026/05/2026-05-report.json", "type": "blob", "sha": "h"},
            {"path": "2026/05/2026-05-01-raw.json", "type": "blob", "sha": "i"},
            {"path": "2026/05/2026-05-01-report.md", "type": "blob", "sha": "j"},
            {"path": "2026/05/2026-05-01-raw.md", "type": "blob", "sha": "m"},
            {"path": "2026/02/2026-02-30-report.json", "type": "blob", "sha": "k"},
            {"path": "last_report.md", "type": "blob", "sha": "l"},
        ],
    }
    listing = parse_tree_listing(tree)
    # Every day file is listed, whatever its name; digests apart; files outside YYYY/MM not.
    assert [(d.file.path, d.file.period.key, d.sha) for d in listing.digests] == [
        ("2026/05/2026-05-w1-report.json", "2026-05-w1", "g"),
        ("2026/05/2026-05-report.json", "2026-05", "h"),
    ]
    assert [(f.file.path, f.sha) for f in listing.files] == [
        ("2026/03/2026-03-16-report-stix.json", "a"),
        ("2026/05/2026-05-01-raw.json", "i"),
        ("2026/05/2026-05-01-report.md", "j"),
        ("2026/05/2026-05-01-raw.md", "m"),
    ]


def test_truncated_or_malformed_listing_is_refused():
    assert parse_tree_listing({"truncated": True, "tree": []}) is None
    assert parse_tree_listing({"message": "API rate limit exceeded"}) is None
    assert parse_tree_listing([]) is None


def test_file_names_of_every_era_are_recognised():
    kinds = {
        "2026/01/2026-01-26-report.stix_fr.json": (FileKind.STIX_PER_LANGUAGE, "fr"),
        "2026/01/2026-01-26-report.stix_en.json": (FileKind.STIX_PER_LANGUAGE, "en"),
        "2026/03/2026-03-10-report-stix.json": (FileKind.STIX_BILINGUAL, None),
        "2026/06/2026-06-27-report.stix.json": (FileKind.STIX_TEMPLATE, None),
        "2026/06/2026-06-27-report.json": (FileKind.JSON_REPORT, None),
        "2026/02/2026-02-03-report-BETA.json": (FileKind.JSON_BETA, None),
        "2025/04/2025-04-30-report.md": (FileKind.MARKDOWN_REPORT, None),
    }
    for path, (kind, language) in kinds.items():
        parsed = parse_daily_path(path)
        assert (parsed.kind, parsed.language) == (kind, language)
    # A name never seen is still a day file; a fr / en token in it gives the language.
    unseen = parse_daily_path("2026/09/2026-09-01-report.stix-v3_en.json")
    assert (unseen.kind, unseen.language, unseen.rank[0]) == (None, "en", len(kinds))
    assert parse_daily_path("2026/09/2026-09-01-frontier.json").language is None
    assert parse_daily_path("2026/09/2026-09-01-report.png") is None
    # Every name probed without a listing is one the listing recognises, and the reverse.
    probed = expected_paths(dt.date(2026, 1, 26))
    assert {parse_daily_path(p).kind for p in probed} == set(FileKind)
    assert {p.rsplit("-26-", 1)[1] for p in kinds if "2026-01-26" in p} <= {
        p.rsplit("-26-", 1)[1] for p in probed
    }
    assert expected_paths(dt.date(2026, 3, 16)) == [
        "2026/03/2026-03-16-report.stix_fr.json",
        "2026/03/2026-03-16-report.stix_en.json",
        "2026/03/2026-03-16-report-stix.json",
        "2026/03/2026-03-16-report.stix.json",
        "2026/03/2026-03-16-report.json",
        "2026/03/2026-03-16-report-BETA.json",
        "2026/03/2026-03-16-report.md",
    ]


def _upstream(listing_url: str, token: str | None) -> HttpUpstream:
    client = HttpClient(http_policy(Settings()))
    return HttpUpstream("https://mirror.example/raw", listing_url, client, StdLogger(), token)


def test_github_token_goes_only_to_the_github_api():
    to_github = _upstream("https://api.github.com/repos/kidrek/VigilIntel/git/trees/main", "ghp_x")
    assert to_github._listing_headers()["Authorization"] == "Bearer ghp_x"
    to_mirror = _upstream("https://mirror.example/tree.json", "ghp_x")
    assert "Authorization" not in to_mirror._listing_headers()
    assert "Authorization" not in to_github.client.session.headers


def test_tls_is_verified_and_the_user_agent_names_the_project():
    client = HttpClient(http_policy(Settings()))
    assert client.session.verify is True
    assert "vigilintel" in client.session.headers["User-Agent"]
