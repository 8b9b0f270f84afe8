"""Issue 12: the day as an analyst reads it, stored by OpenCTI exactly as sent."""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest

from tests.support.platform_rules import alterations
from tests.support.runs import FULL_RANGE, day_entry, export
from vigilintel_connector.normalise.content import markdown_to_html

EARLIEST = "2025-04-30"
GENERIC = re.compile(r"^(Generated STIX|Aggregated CTI report|VigilIntel daily threat)", re.I)


@pytest.fixture(scope="module", params=["fr", "fr,en"])
def history(request, sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        env.setenv("VIGILINTEL_LANGUAGE", request.param)
        code, summary = export(out, EARLIEST, FULL_RANGE[1])
    assert code == 0
    days = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("2*.json"))}
    assert len(days) == 38
    return days, summary


def report_of(bundle):
    (report,) = [o for o in bundle["objects"] if o["type"] == "report"]
    return report


class _LiveHtml(HTMLParser):
    """Collects what would run in a browser: script/style/iframe elements, event handlers,
    javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.live: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "iframe", "object", "embed"):
            self.live.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.live.append(f"{tag} {name}={value}")


def live_parts(html: str) -> list[str]:
    parser = _LiveHtml()
    parser.feed(html)
    return parser.live


def test_every_report_has_a_real_summary_the_links_the_content_and_the_file(history, sample_dir):
    days, _ = history
    for day, bundle in days.items():
        report = report_of(bundle)
        assert not GENERIC.match(report["description"]) and len(report["description"]) >= 200, day
        markdown = f"{day[:4]}/{day[5:7]}/{day}-report.md"
        urls = {r["url"] for r in report["external_references"]}
        assert f"https://github.com/kidrek/VigilIntel/blob/main/{markdown}" in urls, day
        assert "<h" in report["x_opencti_content"] and live_parts(report["x_opencti_content"]) == []
        (attached,) = report["x_opencti_files"]
        assert attached["mime_type"] == "text/markdown" and attached["no_trigger_import"] is True
        assert base64.b64decode(attached["data"]) == (sample_dir / markdown).read_bytes()


def test_upstream_html_never_reaches_the_ui_alive(clean_env, sample_copy, tmp_path):
    day = "2026-03-16"
    path = sample_copy / day[:4] / day[5:7] / f"{day}-report.md"
    planted = (
        "\n<script>alert('x')</script>\n<img src=x onerror=alert(1)>\n"
        '[clic](javascript:alert(2)) <a href="javascript:alert(3)">a</a>\n'
        "<iframe src='https://evil.example'></iframe><style>body{}</style>\n"
    )
    path.write_bytes(path.read_bytes() + planted.encode())
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    export(tmp_path / "out", day, day)
    report = report_of(json.loads((tmp_path / "out" / f"{day}.json").read_text()))
    content = report["x_opencti_content"]
    assert live_parts(content) == []
    assert "<script" not in content and "onerror" not in content and "<iframe" not in content
    assert base64.b64decode(report["x_opencti_files"][0]["data"]) == path.read_bytes()


def test_no_report_note_cycle_and_no_note_attached_to_nothing(history):
    days, _ = history
    for bundle in days.values():
        report = report_of(bundle)
        notes = [o for o in bundle["objects"] if o["type"] == "note"]
        assert notes and not set(report["object_refs"]) & {n["id"] for n in notes}
        assert all(report["id"] in n["object_refs"] for n in notes)


def test_every_sample_bundle_is_stored_exactly_as_sent(history):
    """OpenCTI's rules replayed (tests/support/platform_rules.py): nothing altered or rejected."""
    days, _ = history
    found = [a for bundle in days.values() for a in alterations(bundle)]
    assert found == []


def test_values_as_the_platform_stores_them():
    """Lower-case severities, EPSS in percent, joined URLs and a string of labels, repaired."""
    import datetime as dt

    from vigilintel_connector.normalise.stix import normalise_day

    vulnerability = {
        "type": "vulnerability", "id": "vulnerability--1", "name": "CVE-2026-1000",
        "x_opencti_cvss_base_severity": "high", "x_epss_percentile": 95.0,
        "x_opencti_epss_percentile": "95.0", "labels": "rce",
        "external_references": [
            {"source_name": "news", "url": "https://a.example/1, https://b.example/2"},
            {"source_name": "vendor", "url": "BleepingComputer"},
        ],
    }  # fmt: skip
    output = normalise_day(
        [{"type": "bundle", "objects": [vulnerability]}], dt.date(2026, 3, 16), ("fr",)
    )
    (clean,) = [o for o in output.bundle["objects"] if o["type"] == "vulnerability"]
    assert clean["x_opencti_cvss_base_severity"] == "HIGH"
    assert clean["x_opencti_epss_percentile"] == 0.95
    assert clean["labels"] == ["rce"]
    urls = [r.get("url") for r in clean["external_references"]]
    assert urls == ["https://a.example/1", "https://b.example/2", None]
    assert alterations(output.bundle) == []


def test_a_markdown_over_the_cap_is_linked_not_attached_and_said(clean_env, sample_copy, tmp_path):
    day = "2026-03-16"
    path = sample_copy / day[:4] / day[5:7] / f"{day}-report.md"
    path.write_bytes(path.read_bytes() * 200)  # ~5 MB
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    clean_env.setenv("VIGILINTEL_MAX_FILE_SIZE_MB", "1")
    _, summary = export(tmp_path / "out", day, day)
    entry = day_entry(summary, day)
    assert entry["status"] == "imported" and "cap" in entry["message"]
    report = report_of(json.loads((tmp_path / "out" / f"{day}.json").read_text()))
    assert "x_opencti_files" not in report
    urls = {r["url"] for r in report["external_references"]}
    assert f"https://github.com/kidrek/VigilIntel/blob/main/2026/03/{day}-report.md" in urls


def test_the_content_tab_is_the_same_whatever_the_threads(sample_dir):
    """cmark-gfm is not thread-safe: days rendered at once must still render alike."""
    texts = [p.read_text() for p in sorted(sample_dir.glob("20*/*/*-report.md"))]
    alone = [markdown_to_html(t) for t in texts]
    with ThreadPoolExecutor(6) as pool:
        for _ in range(3):
            assert list(pool.map(markdown_to_html, texts)) == alone
