"""Issue 22: memory that does not grow with the range, and the same bundles however fast."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from vigilintel_connector.normalise.content import markdown_to_html


def _rss_mb() -> float:
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("reads the resident set size from Linux's /proc")
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_rendering_reports_does_not_grow_memory(sample_dir):
    """Every parsed tree and rendered page is freed: cmarkgfm's own wrapper kept both, and a
    whole-history export grew by ~290 MB."""
    largest = max(sample_dir.rglob("*.md"), key=lambda p: p.stat().st_size)
    text = largest.read_text(encoding="utf-8") * 3  # ~0.9 MB: a leak would be ~10 MB a call
    html = markdown_to_html(text)
    gc.collect()
    before = _rss_mb()
    for _ in range(30):
        assert markdown_to_html(text) == html
    gc.collect()
    assert _rss_mb() - before < 40
