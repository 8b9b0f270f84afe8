"""Issue 19: only true entities, measured against days read by hand (``tests/data/gold``).

Each gold file lists what the day's Markdown names as actors, malware, tools and campaigns
(``A|B`` when either name is right), names that may be typed as an actor or a malware
(``either``: "MedusaLocker" is the group and its ransomware), names that are right but not
required (``tolerated``), and names that must never become an entity (``never``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.runs import export
from vigilintel_connector.resolve.index import key

GOLD = sorted((Path(__file__).parent / "data" / "gold").glob("*.json"))
_TYPES = {
    "actors": ("intrusion-set", "threat-actor"),
    "malware": ("malware",),
    "tools": ("tool",),
    "campaigns": ("campaign",),
}
_NAMED = tuple(t for types in _TYPES.values() for t in types)


def _golds() -> list[dict]:
    return [json.loads(p.read_text()) for p in GOLD]


@pytest.fixture(scope="module")
def bundles(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("precision")
    days = [g["day"] for g in _golds()]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
        code, _ = export(out, min(days), max(days))
    assert code == 0
    return {day: json.loads((out / f"{day}.json").read_text())["objects"] for day in days}


def _keys(item: str) -> set[str]:
    return {key(name) for name in item.split("|")}


def _names(obj: dict) -> set[str]:
    return {key(obj["name"]), *(key(a) for a in obj.get("aliases", []))}


def score(gold: dict, objects: list[dict]) -> dict[str, tuple[int, int, int, int]]:
    """Per gold type: (right objects, objects of that type, gold items found, gold items)."""
    either = [_keys(i) for i in gold["either"]]
    tolerated = set().union(*(_keys(i) for i in gold["tolerated"])) if gold["tolerated"] else set()
    result = {}
    for field, types in _TYPES.items():
        items = [_keys(i) for i in gold[field]]
        mine = [o for o in objects if o["type"] in types]
        allowed = set().union(tolerated, *items, *either)  # this type's names only
        right = sum(1 for o in mine if _names(o) & allowed)
        found = sum(1 for i in items if any(_names(o) & i for o in mine))
        result[field] = (right, len(mine), found, len(items))
    return result


def _totals(bundles) -> dict[str, list[int]]:
    totals = {field: [0, 0, 0, 0] for field in _TYPES}
    for gold in _golds():
        for field, counts in score(gold, bundles[gold["day"]]).items():
            totals[field] = [a + b for a, b in zip(totals[field], counts, strict=True)]
    return totals


def test_there_is_a_gold_to_measure_against():
    assert len(GOLD) >= 3


def test_precision_per_type_on_days_read_by_hand(bundles):
    totals = _totals(bundles)
    for field, floor in (("actors", 0.9), ("malware", 0.9), ("tools", 0.6)):
        right, emitted, _, _ = totals[field]
        if emitted:
            assert right / emitted >= floor, (field, totals[field])


def test_recall_per_type_on_days_read_by_hand(bundles):
    totals = _totals(bundles)
    for field, floor in (("actors", 0.85), ("malware", 0.7), ("campaigns", 1.0)):
        _, _, found, expected = totals[field]
        assert found / expected >= floor, (field, totals[field])


def test_names_that_are_no_entity_never_become_one(bundles):
    for gold in _golds():
        never = set().union(*(_keys(n) for n in gold["never"]))
        named = [o for o in bundles[gold["day"]] if o["type"] in _NAMED]
        assert not [o["name"] for o in named if key(o["name"]) in never], gold["day"]


def main() -> None:  # pragma: no cover - prints the README's figures
    import sys
    import tempfile

    sample = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as out, pytest.MonkeyPatch.context() as env:
        env.setenv("VIGILINTEL_SOURCE", str(sample))
        days = [g["day"] for g in _golds()]
        export(Path(out), min(days), max(days))
        bundles = {d: json.loads((Path(out) / f"{d}.json").read_text())["objects"] for d in days}
    for field, (right, emitted, found, expected) in _totals(bundles).items():
        precision = f"{right}/{emitted}" if emitted else "-"
        print(f"{field:10} precision {precision:8} recall {found}/{expected}")


if __name__ == "__main__":  # pragma: no cover
    main()
