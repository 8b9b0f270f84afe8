"""Upstream objects whose properties hold the wrong type of value: a real day (2026-06-01: STIX,
JSON report and Markdown) with one property of every STIX object, or one key of every JSON
report entry, given a list, a mapping, a number or null. Each of these once made the whole day
an error, on every run, losing its other files too; the day must now import with the bad
values removed and counted. ``python -m tests.support.wrong_types DAY`` probes every key of
every file of a day with more kinds of wrong value."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.support.hostile import month_copy
from tests.support.wrong_types import with_everywhere
from vigilintel_connector.pipeline import DayOptions, process_day
from vigilintel_connector.source.upstream import DirectoryUpstream

DAY = dt.date(2026, 6, 1)
STIX = "2026/06/2026-06-01-report-stix.json"
REPORT_JSON = "2026/06/2026-06-01-report.json"
WRONG = [["a list"], {"a": "mapping"}, 3, None]


@pytest.fixture(scope="module")
def source(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return month_copy(sample_dir, tmp_path_factory.mktemp("upstream"), "2026/06")


def _day_with(source: Path, path: str, key: str, value: object):
    original = (source / path).read_text(encoding="utf-8")
    changed = with_everywhere(json.loads(original), key, value)
    (source / path).write_text(json.dumps(changed), encoding="utf-8")
    try:
        upstream = DirectoryUpstream(source, 1 << 30)
        files = upstream.list_files([DAY]).for_day(DAY)
        opts = DayOptions(("fr",), ("stix", "json", "markdown"))
        return process_day(DAY, files, upstream.fetch, opts)
    finally:
        (source / path).write_text(original, encoding="utf-8")


@pytest.mark.parametrize("value", WRONG, ids=["list", "mapping", "number", "null"])
@pytest.mark.parametrize(
    "key",
    ["id", "type", "source_ref", "target_ref", "object_refs", "description", "abstract",
     "identity_class", "external_references", "external_id", "source_name", "aliases"],
)  # fmt: skip
def test_a_stix_property_of_the_wrong_type_costs_that_property_only(source, key, value):
    result = _day_with(source, STIX, key, value)
    assert str(result.outcome) == "imported", result.message
    assert result.output is not None and result.output.payload
    if key == "type":  # the bundle's own type too: the file is no STIX bundle, the rest stays
        assert result.artefacts == ["json", "markdown"]
        assert f"not recognised: {STIX}" in result.message
        return
    assert result.artefacts == ["stix", "json", "markdown"]
    if key == "id" and value is not None:
        assert result.tally.dropped["malformed-object"] > 100
    elif key in ("source_ref", "target_ref", "object_refs") and isinstance(value, (dict, int)):
        assert result.tally.dropped[f"property-type:{key}"] > 0


@pytest.mark.parametrize("value", WRONG, ids=["list", "mapping", "number", "null"])
@pytest.mark.parametrize("key", ["sources", "tags", "threat_actor_aliases", "title", "summary"])
def test_a_json_report_value_of_the_wrong_type_costs_that_value_only(source, key, value):
    result = _day_with(source, REPORT_JSON, key, value)
    assert str(result.outcome) == "imported", result.message
    assert "json" in result.artefacts


def test_a_relationship_with_a_null_end_is_removed_and_the_rest_kept(source):
    bundle = json.loads((source / STIX).read_text(encoding="utf-8"))
    relationships = [o for o in bundle["objects"] if o["type"] == "relationship"]
    relationships[0]["source_ref"] = None
    relationships[1]["target_ref"] = ["indicator--a", "malware--b"]
    relationships[2]["description"] = 42
    expected = [o for o in bundle["objects"] if o["type"] == "vulnerability"]
    original = (source / STIX).read_text(encoding="utf-8")
    (source / STIX).write_text(json.dumps(bundle), encoding="utf-8")
    try:
        upstream = DirectoryUpstream(source, 1 << 30)
        files = upstream.list_files([DAY]).for_day(DAY)
        result = process_day(DAY, files, upstream.fetch, DayOptions(("fr",), ("stix",)))
    finally:
        (source / STIX).write_text(original, encoding="utf-8")
    assert str(result.outcome) == "imported", result.message
    assert result.tally.dropped["property-type:target_ref"] == 1
    assert result.tally.dropped["property-type:description"] == 1
    objects = json.loads(result.output.payload)["objects"]
    names = {o.get("name") for o in objects if o["type"] == "vulnerability"}
    assert {o["name"] for o in expected} <= names
