"""Score exported bundles against days read by hand (``tests/data/gold*``).

A gold file lists what the day's Markdown names: actors, malware, tools and campaigns (``A|B``
when either name is right), ``either`` names that may be an actor or a malware, ``tolerated``
names that are right but not required, and ``never`` names. Issue 20 adds the countries the day
names (OpenCTI's dataset names), its sectors, its real IoCs (``iocs``; ``iocs_tolerated`` are
right but not required, such as a URL made of a listed domain), values that must never be an
indicator (``junk_iocs``) and expected pivots (``source|relationship|target``).

An object is *junk* when the gold has no room for it: a named entity none of its type's names
allow, or an indicator of a value that is not a real IoC of the day. A relation touches junk
when either end is junk.

``python -m tests.support.gold SOURCE [GOLD_DIR]`` exports the gold days from SOURCE (the sample
or a worktree of upstream's history) and prints every figure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from vigilintel_connector.resolve.index import key

GOLD_DIR = Path(__file__).parent.parent / "data" / "gold"
HISTORY_GOLD_DIR = Path(__file__).parent.parent / "data" / "gold-history"
TYPES = {
    "actors": ("intrusion-set", "threat-actor"),
    "malware": ("malware",),
    "tools": ("tool",),
    "campaigns": ("campaign",),
}
NAMED = tuple(t for types in TYPES.values() for t in types)
_VALUE = re.compile(r"^\[[\w-]+:(?:value|hashes\.'[^']+')\s*=\s*'(.*)'\]$")


def golds(directory: Path = GOLD_DIR) -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(directory.glob("*.json"))]


def keys(item: str) -> set[str]:
    return {key(name) for name in item.split("|")}


def names(obj: dict[str, Any]) -> set[str]:
    return {key(obj["name"]), *(key(a) for a in obj.get("aliases") or [])}


def indicator_value(obj: dict[str, Any]) -> str:
    match = _VALUE.match(obj.get("pattern", ""))
    return match.group(1).lower() if match else obj.get("pattern", "")


def _allowed(gold: dict[str, Any], field: str) -> set[str]:
    items = [*gold[field], *gold["either"], *gold["tolerated"]]
    return set().union(*(keys(i) for i in items)) if items else set()


def score(gold: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per measure, (numerator, denominator): precision and recall of each named type, then
    country and IoC recall, sector recall, junk indicators, relations touching junk, pivots."""
    result: dict[str, tuple[int, int]] = {}
    if "iocs" in gold:
        result.update(_indicators(gold, objects))
    if "actors" not in gold:  # a day read for its indicators only
        return result
    for field, types in TYPES.items():
        mine = [o for o in objects if o["type"] in types]
        allowed = _allowed(gold, field)
        items = [keys(i) for i in gold[field]]
        result[f"{field} precision"] = (sum(1 for o in mine if names(o) & allowed), len(mine))
        found = sum(1 for i in items if any(names(o) & i for o in mine))
        result[f"{field} recall"] = (found, len(items))
    if "countries" not in gold:
        return result
    located = {o["name"] for o in objects if o["type"] == "location"}
    countries = gold["countries"]
    result["country recall"] = (sum(1 for c in countries if c in located), len(countries))
    if "sectors" in gold:  # read on days whose sector words were read
        sectors = {o["name"] for o in objects if o.get("identity_class") == "class"}
        wanted = gold["sectors"]
        result["sector recall"] = (sum(1 for s in wanted if s in sectors), len(wanted))
    junk = _junk_indicators(gold, objects)
    for field, types in TYPES.items():
        allowed = _allowed(gold, field)
        junk |= {o["id"] for o in objects if o["type"] in types and not names(o) & allowed}
    relations = [o for o in objects if o["type"] == "relationship"]
    touching = sum(1 for r in relations if r["source_ref"] in junk or r["target_ref"] in junk)
    result["relations touching junk"] = (touching, len(relations))
    result["pivots"] = (_pivots_found(gold["pivots"], objects), len(gold["pivots"]))
    return result


def _junk_indicators(gold: dict[str, Any], objects: list[dict[str, Any]]) -> set[str]:
    right = {v.lower() for v in [*gold["iocs"], *gold.get("iocs_tolerated", [])]}
    indicators = (o for o in objects if o["type"] == "indicator")
    return {o["id"] for o in indicators if indicator_value(o) not in right}


def _indicators(gold: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    indicators = [o for o in objects if o["type"] == "indicator"]
    values = {indicator_value(o) for o in indicators}
    real = {v.lower() for v in gold["iocs"]}
    never = {v.lower() for v in gold["junk_iocs"]}
    return {
        "ioc recall": (len(real & values), len(real)),
        "junk indicators": (len(_junk_indicators(gold, objects)), len(indicators)),
        "never indicators": (len(values & never), len(never)),
    }


def _pivots_found(pivots: list[str], objects: list[dict[str, Any]]) -> int:
    by_id = {o["id"]: o for o in objects}
    present = set()
    for r in (o for o in objects if o["type"] == "relationship"):
        source, target = by_id.get(r["source_ref"]), by_id.get(r["target_ref"])
        if source and target and "name" in source and "name" in target:
            for s in names(source):
                for t in names(target):
                    present.add((s, r["relationship_type"], t))
    found = 0
    for pivot in pivots:
        source, kind, target = pivot.split("|")
        found += any((s, kind, t) in present for s in keys(source) for t in keys(target))
    return found


def totals(golds_: list[dict[str, Any]], bundles: dict[str, list[dict[str, Any]]]):
    summed: dict[str, list[int]] = {}
    for gold in golds_:
        for measure, (num, den) in score(gold, bundles[gold["day"]]).items():
            pair = summed.setdefault(measure, [0, 0])
            pair[0] += num
            pair[1] += den
    return summed


def export_days(source: Path, days: list[str], out: Path) -> dict[str, list[dict[str, Any]]]:
    """Each gold day exported on its own from ``source``."""
    import os

    from tests.support.runs import export

    os.environ["VIGILINTEL_SOURCE"] = str(source)
    bundles = {}
    for day in days:
        code, _ = export(out / day, day, day)
        assert code == 0, day
        bundles[day] = json.loads((out / day / f"{day}.json").read_text())["objects"]
    return bundles


def main() -> None:  # pragma: no cover - prints the README's figures
    import sys
    import tempfile

    source = Path(sys.argv[1])
    directory = Path(sys.argv[2]) if len(sys.argv) > 2 else GOLD_DIR
    read = golds(directory)
    with tempfile.TemporaryDirectory() as out:
        bundles = export_days(source, [g["day"] for g in read], Path(out))
    print(f"{len(read)} days read by hand in {directory.name}")
    for measure, (num, den) in totals(read, bundles).items():
        share = f"{100 * num / den:5.1f}%" if den else "    -"
        print(f"{measure:25} {num:4}/{den:<4} {share}")


if __name__ == "__main__":  # pragma: no cover
    main()
