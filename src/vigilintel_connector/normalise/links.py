"""Notes, relationships and per-topic reports: objects that point at others.

They are cleaned last, once every target has its new id or is known to be gone, so that nothing
is emitted pointing at an object that was removed.
"""

from __future__ import annotations

from typing import Any

from vigilintel_connector.normalise import ids
from vigilintel_connector.normalise.context import DayContext
from vigilintel_connector.normalise.properties import common
from vigilintel_connector.normalise.text import keep_languages


def clean_link(obj: dict[str, Any], report_id: str, ctx: DayContext) -> dict[str, Any] | None:
    kind = obj.get("type")
    if kind == "relationship":
        return _clean_relationship(obj, ctx)
    if kind == "report":  # a per-topic report: its text becomes a note on the daily report
        ctx.changed("topic-report-to-note")
        note = {
            "type": "note",
            "id": obj.get("id"),
            "created": obj.get("created"),
            "modified": obj.get("modified"),
            "abstract": obj.get("name"),
            "content": obj.get("description") or obj.get("name") or "",
            "object_refs": obj.get("object_refs", []),
            "labels": obj.get("labels", []),
            "external_references": obj.get("external_references", []),
        }
        return _clean_note(note, obj, report_id, ctx)
    return _clean_note(obj, obj, report_id, ctx)


def _clean_note(
    note: dict[str, Any], upstream: dict[str, Any], report_id: str, ctx: DayContext
) -> dict[str, Any] | None:
    content = note.get("content")
    if not isinstance(content, str) or not content.strip():
        ctx.remove(upstream, "empty-note")
        return None
    clean = common(note, ctx, sdo=True)
    clean["content"] = keep_languages(content, ctx.languages)
    if isinstance(clean.get("abstract"), str):
        clean["abstract"] = keep_languages(clean["abstract"], ctx.languages)
    refs = [ctx.new_ids.get(r) for r in note.get("object_refs", [])]
    about = (r for r in refs if r and r != ids.AUTHOR_ID)
    clean["object_refs"] = list(dict.fromkeys([report_id, *about]))
    clean["id"] = ids.sdo_id(clean)
    return clean


def _clean_relationship(obj: dict[str, Any], ctx: DayContext) -> dict[str, Any] | None:
    source, target = obj.get("source_ref", ""), obj.get("target_ref", "")
    if source.startswith("report--") or target.startswith("report--"):
        ctx.remove(obj, "report-relationship")
        return None
    if source.startswith("note--") or target.startswith("note--"):
        ctx.remove(obj, "note-relationship")  # notes already list what they are about
        return None
    if source in ctx.stand_ins or target in ctx.stand_ins:
        ctx.remove(obj, "relationship-to-generic-name")  # "acteurs iraniens" uses nothing
        return None
    new_source, new_target = ctx.new_ids.get(source), ctx.new_ids.get(target)
    if not new_source or not new_target:
        ctx.remove(obj, "relationship-to-removed")
        return None
    if new_source == new_target or ids.AUTHOR_ID in (new_source, new_target):
        ctx.remove(obj, "self-or-author-relationship")
        return None
    clean = common(obj, ctx, sdo=True)
    clean["source_ref"], clean["target_ref"] = new_source, new_target
    kind = str(obj.get("relationship_type", "related-to")).lower()
    if not _allowed(kind, new_source, new_target):
        ctx.changed(f"relationship-type:{kind}-to-related-to")
        kind = "related-to"  # the endpoint's resolved type does not take that relation
    clean["relationship_type"] = kind
    clean["id"] = ids.relationship_id(clean)
    return clean


_ACTORS = frozenset({"threat-actor", "intrusion-set", "campaign"})
_CAPABILITIES = frozenset({"attack-pattern", "malware", "tool", "infrastructure"})
_TARGETS = frozenset({"identity", "location", "vulnerability", "infrastructure"})
# (source types, target types) a relationship type takes, after entity resolution; the types
# the connector does not make are not policed.
_ALLOWED = {
    "uses": (_ACTORS | {"malware", "incident", "attack-pattern"}, _CAPABILITIES),
    "targets": (_ACTORS | {"attack-pattern", "malware", "tool", "incident"}, _TARGETS),
    "attributed-to": (
        frozenset({"campaign", "intrusion-set", "incident"}),
        frozenset({"threat-actor", "intrusion-set", "campaign"}),
    ),
    "indicates": (frozenset({"indicator"}), _ACTORS | _CAPABILITIES | {"incident"}),
}


def _allowed(kind: str, source: str, target: str) -> bool:
    allowed = _ALLOWED.get(kind)
    if allowed is None:
        return True
    return source.split("--")[0] in allowed[0] and target.split("--")[0] in allowed[1]
