"""Issues 19 and 20: only true entities, indicators and relations, measured against days read
by hand (``tests/data/gold``; how they are scored is in ``tests/support/gold.py``)."""

from __future__ import annotations

import json

import pytest

from tests.support import gold
from tests.support.runs import export
from vigilintel_connector.resolve.index import key

GOLDS = gold.golds()


@pytest.fixture(scope="module")
def bundles(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("precision")
    days = [g["day"] for g in GOLDS]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        code, _ = export(out, min(days), max(days))
    assert code == 0
    return {day: json.loads((out / f"{day}.json").read_text())["objects"] for day in days}


@pytest.fixture(scope="module")
def totals(bundles):
    return {measure: num / den for measure, (num, den) in gold.totals(GOLDS, bundles).items()}


def test_there_is_a_gold_to_measure_against():
    assert len(GOLDS) >= 3
    assert all("countries" in g and "iocs" in g and "pivots" in g for g in GOLDS)


@pytest.mark.parametrize(
    ("measure", "floor"),
    [("actors precision", 0.9), ("malware precision", 0.9), ("tools precision", 0.6),
     ("actors recall", 0.85), ("malware recall", 0.7), ("campaigns recall", 1.0),
     ("country recall", 0.9), ("ioc recall", 0.85), ("pivots", 0.8)],
)  # fmt: skip
def test_precision_and_recall_on_days_read_by_hand(totals, measure, floor):
    assert totals[measure] >= floor, (measure, totals[measure])


@pytest.mark.parametrize(
    ("measure", "ceiling"), [("junk indicators", 0.03), ("relations touching junk", 0.05)]
)
def test_junk_stays_rare_on_days_read_by_hand(totals, measure, ceiling):
    assert totals[measure] <= ceiling, (measure, totals[measure])


def test_values_that_are_no_ioc_never_become_indicators(bundles):
    for day in GOLDS:
        made = {gold.indicator_value(o) for o in bundles[day["day"]] if o["type"] == "indicator"}
        assert not made & {v.lower() for v in day["junk_iocs"]}, day["day"]


def test_names_that_are_no_entity_never_become_one(bundles):
    for day in GOLDS:
        never = set().union(*(gold.keys(n) for n in day["never"]))
        named = [o for o in bundles[day["day"]] if o["type"] in gold.NAMED]
        assert not [o["name"] for o in named if key(o["name"]) in never], day["day"]
