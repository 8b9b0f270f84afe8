"""Issue 14: a day's files are recognised by what they hold, so an upstream rename loses no day,
and a file of a kind never seen is reported instead of silently ignored."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pytest

from tests.support.runs import by_status, day_entry, export
from tests.test_importer import RecordingSender, at, make_importer
from vigilintel_connector.select.candidates import Examined, plan_day
from vigilintel_connector.select.recognise import Kind, recognise
from vigilintel_connector.source.paths import parse_daily_path
from vigilintel_connector.source.upstream import ListedFile

SAMPLE_RANGE = ("2025-04-30", "2026-08-08")
_KIND_BY_NAME = {
    "report.stix_fr.json": Kind.STIX_BUNDLE,
    "report.stix_en.json": Kind.STIX_BUNDLE,
    "report-stix.json": Kind.STIX_BUNDLE,
    "report.stix.json": Kind.STIX_BUNDLE,
    "report.json": Kind.JSON_REPORT,
    "report-BETA.json": Kind.JSON_REPORT,
    "report.md": Kind.MARKDOWN_REPORT,
    "raw.json": Kind.RAW_COLLECTION,
    "raw.md": Kind.RAW_COLLECTION,
}
_EMPTY_FILES = {"2026/03/2026-03-10-report.json", "2026/06/2026-06-02-report.json"}


def _day_files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.glob("20*/*/*")
        if parse_daily_path(p.relative_to(root).as_posix())
    )


def renamed_copy(sample_dir: Path, dest: Path) -> dict[str, str]:
    """The sample with every day file renamed: same date prefix and extension, a name upstream
    never used (no ``fr``/``en`` token either). Returns new path → original path."""
    shutil.copytree(sample_dir, dest, ignore=shutil.ignore_patterns("tree.json", "revisions"))
    renamed: dict[str, str] = {}
    for old in _day_files(dest):
        folder, name = old.rsplit("/", 1)
        token = hashlib.sha256(name.encode()).hexdigest()[:10]
        new = f"{folder}/{name[:10]}-{token}.{name.rsplit('.', 1)[1]}"
        (dest / old).rename(dest / new)
        renamed[new] = old
    return renamed


def test_every_sample_file_is_recognised_by_what_it_holds(sample_dir):
    for path in _day_files(sample_dir):
        found = recognise(path, (sample_dir / path).read_bytes())
        expected = Kind.EMPTY if path in _EMPTY_FILES else _KIND_BY_NAME[path[19:]]
        assert found.kind is expected, path
        if "stix_" in path:  # era A: the language is read from the text as well
            assert found.language == path[-7:-5], path
        elif found.kind is Kind.STIX_BUNDLE:
            assert found.language is None, path  # bilingual (era B), or a template


def test_prompts_and_unknown_shapes_are_told_apart():
    prompt_md = "Tu es un analyste CTI. Résume les articles suivants :\n\n{{ articles }}\n"
    assert recognise("2026/07/2026-07-01-p.md", prompt_md.encode()).kind is Kind.PROMPT
    prompt_json = {"model": "x", "messages": [{"role": "system", "content": "You are…"}]}
    assert recognise("a.json", json.dumps(prompt_json).encode()).kind is Kind.PROMPT
    assert recognise("a.json", b'{"items": [1, 2]}').kind is Kind.UNRECOGNISED
    assert recognise("a.json", b"{not json").kind is Kind.BROKEN
    assert recognise("a.md", b"just one line of text").kind is Kind.UNRECOGNISED
    assert recognise("a.json", b"  \n").kind is Kind.EMPTY


def _normalised(bundle_file: Path, renamed: dict[str, str]) -> str:
    text = bundle_file.read_text()
    for new, old in renamed.items():
        text = text.replace(new, old)
    return text


@pytest.mark.parametrize(
    ("language", "since", "until"),
    [
        ("fr", *SAMPLE_RANGE),
        ("fr,en", "2026-01-26", "2026-03-16"),
        ("en", "2026-01-26", "2026-02-04"),
    ],
)
def test_a_renamed_copy_exports_the_same_days_and_bundles(
    clean_env, sample_dir, tmp_path, language, since, until
):
    """The bundles are byte-identical once the renamed paths in the report's links to GitHub
    are mapped back; nothing else in a bundle depends on a file name."""
    renamed = renamed_copy(sample_dir, tmp_path / "renamed")
    clean_env.setenv("VIGILINTEL_LANGUAGE", language)
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    _, original = export(tmp_path / "original", since, until)
    clean_env.setenv("VIGILINTEL_SOURCE", str(tmp_path / "renamed"))
    _, copy = export(tmp_path / "copy", since, until)
    assert by_status(copy) == by_status(original)
    assert len(by_status(original)["imported"]) > 5
    for entry in original["days"]:
        twin = day_entry(copy, entry["date"])
        assert [renamed[p] for p in twin["files"]] == entry["files"]
        assert (twin["format"], twin["artefacts"]) == (entry["format"], entry["artefacts"])
        assert twin["unrecognised"] == []
        if entry["status"] == "imported":
            name = f"{entry['date']}.json"
            ours = _normalised(tmp_path / "copy" / name, renamed)
            assert ours == (tmp_path / "original" / name).read_text(), entry["date"]


def test_an_unknown_json_file_is_reported_beside_an_imported_day(
    clean_env, sample_copy, tmp_path, caplog
):
    planted = "2026/08/2026-08-08-report-v3.json"
    (sample_copy / planted).write_text(json.dumps({"items": [{"cve": "CVE-2026-0001"}]}))
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    clean_env.setenv("CONNECTOR_LOG_LEVEL", "warning")
    logger = logging.getLogger("vigilintel")
    logger.addHandler(caplog.handler)
    try:
        _, summary = export(tmp_path / "out", "2026-08-08", "2026-08-08")
    finally:
        logger.removeHandler(caplog.handler)
    entry = day_entry(summary, "2026-08-08")
    assert entry["status"] == "imported"
    assert entry["unrecognised"] == [planted]
    assert planted in entry["message"]
    assert any(planted in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_an_unknown_file_alone_keeps_the_day_unsettled_until_understood(clean_env, sample_copy):
    for name in ("report.json", "report.md", "raw.json", "report.stix.json"):
        (sample_copy / f"2026/08/2026-08-01-{name}").unlink()
    planted = sample_copy / "2026/08/2026-08-01-report.yaml.json"
    planted.write_text(json.dumps({"version": 4, "entries": []}))
    sender = RecordingSender()
    importer, store = make_importer(
        clean_env, sample_copy, at("2026-08-20"), sender,
        VIGILINTEL_START_DATE="2026-08-01", VIGILINTEL_SOURCE_FORMATS="stix,json,markdown",
    )  # fmt: skip
    importer.run()
    record = store.state["days"]["2026-08-01"]
    assert record["status"] == "unrecognised"  # well past the grace window, and still not settled
    assert store.state["last_processed_date"] is None
    importer.run()
    assert store.state["days"]["2026-08-01"]["status"] == "unrecognised"
    planted.unlink()  # once the file is gone (or understood), the day settles
    importer.run()
    assert store.state["days"]["2026-08-01"]["status"] == "missing"
    assert store.state["last_processed_date"] == "2026-08-16"  # then the 3-day grace window


def test_raw_collections_and_prompts_are_known_and_never_flagged(clean_env, sample_copy, tmp_path):
    day = sample_copy / "2026/07"
    (day / "2026-07-31-report-prompt.md").write_text(
        "# Consignes\n\nTu es un analyste en cybersécurité. Rédige le rapport du jour.\n"
    )
    (day / "2026-07-31-report-prompt.json").write_text(
        json.dumps({"messages": [{"role": "user", "content": "Summarise {{articles}}"}]})
    )
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    _, summary = export(tmp_path / "out", "2026-06-01", "2026-08-08")
    assert all(d["unrecognised"] == [] for d in summary["days"])
    assert day_entry(summary, "2026-07-31")["status"] == "imported"
    assert day_entry(summary, "2026-06-02")["status"] == "imported"  # raw.json beside it


def _examined(path: str, content: bytes) -> Examined:
    listed = ListedFile(parse_daily_path(path), None)
    return Examined(listed, content, recognise(path, content))


def test_content_orders_a_days_candidates_whatever_the_names(sample_dir):
    """Renamed files sort in any order: the report still comes before look-alikes."""
    day = "2026/03/2026-03-10"
    report = (sample_dir / f"{day}-report.md").read_bytes()
    notes = b"## Collected article\n\nText.\n\n# A heading further down\n\nMore text.\n"
    files = [_examined(f"{day}-aaa.md", notes), _examined(f"{day}-zzz.md", report)]
    assert [f.kind for f in files] == [Kind.MARKDOWN_REPORT, Kind.MARKDOWN_REPORT]
    (markdown,) = plan_day(files, ("fr",), ("markdown",))
    assert markdown[0].paths == [f"{day}-zzz.md"]
    beta = (sample_dir / "2026/02/2026-02-04-report-BETA.json").read_bytes()
    legacy = (sample_dir / "2026/02/2026-02-04-report.json").read_bytes()
    day = "2026/02/2026-02-04"
    files = [_examined(f"{day}-aaa.json", beta), _examined(f"{day}-zzz.json", legacy)]
    (json_plan,) = plan_day(files, ("fr",), ("json",))
    assert [c.paths for c in json_plan] == [[f"{day}-zzz.json"], [f"{day}-aaa.json"]]
