"""No two entities of one type in a bundle share a name or an alias.

OpenCTI deduplicates intrusion sets, malware, tools, campaigns and threat actors on *name OR
alias*: an alias that is another entity's name, or that two entities carry, makes the platform
fold them into one, in every user's graph, for good. Each entity's aliases were already checked
against the catalogs (``resolve.entities``); this is the same check against the day's other
entities, once they are all known.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from vigilintel_connector.normalise.context import DayContext
from vigilintel_connector.normalise.result import ALIAS
from vigilintel_connector.resolve.index import key

_DEDUPLICATED = ("intrusion-set", "threat-actor", "malware", "tool", "campaign")


def separate_names(emitted: dict[str, dict[str, Any]], ctx: DayContext) -> None:
    for kind in _DEDUPLICATED:
        entities = [o for o in emitted.values() if o["type"] == kind]
        names = {key(o["name"]) for o in entities}
        carried = Counter(k for o in entities for k in {key(a) for a in o.get("aliases", [])})
        for obj in entities:
            kept = []
            for alias in obj.get("aliases", []):
                k = key(alias)
                if k in names and k != key(obj["name"]):
                    ctx.tally.drop(f"{ALIAS}other-entity")
                elif carried[k] > 1:
                    ctx.tally.drop(f"{ALIAS}shared")
                elif k != key(obj["name"]):
                    kept.append(alias)
            if kept:
                obj["aliases"] = kept
            else:
                obj.pop("aliases", None)
