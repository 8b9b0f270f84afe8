"""Upstream STIX objects held to the types STIX gives their common properties.

The normaliser reads a name as text, refs as lists of ids, references as mappings. Upstream is
LLM-generated: one ``"source_ref": null``, ``"description": 3`` or ``"id": []`` made the whole
day an error, on every run, losing its other files too. A property of a known type that holds
another kind of value is removed and counted (``property-type:<name>``), and so is an item of
the wrong kind in a list; an object whose type or id is not text is removed
(``malformed-object``); null reads as absent, and one text where a list of texts belongs is a
list of that text. Properties the normaliser does not read are left to ``normalise.allowed``.
"""

from __future__ import annotations

from typing import Any

from vigilintel_connector.normalise.result import PROPERTY_TYPE, Tally

_TEXTS = frozenset(
    {
        "spec_version", "name", "description", "content", "abstract", "created", "modified",
        "first_seen", "last_seen", "valid_from", "valid_until", "published", "start_time",
        "stop_time", "source_ref", "target_ref", "relationship_type", "pattern", "pattern_type",
        "value", "x_mitre_id", "identity_class", "resource_level", "country", "created_by_ref",
        "definition_type", "primary_motivation", "sophistication",
    }
)  # fmt: skip
_TEXT_LISTS = frozenset(
    {"aliases", "labels", "object_refs", "object_marking_refs", "x_opencti_aliases",
     "report_types", "malware_types", "tool_types", "indicator_types", "authors", "goals"}
)  # fmt: skip
# Lists of mappings, and the members of each that must be text when present (a reference
# without a source name is ``clean_refs``'s to count).
_MAPPING_LISTS = {
    "external_references": ("source_name", "url", "external_id", "description"),
    "kill_chain_phases": ("kill_chain_name", "phase_name"),
}


def well_typed(obj: dict[str, Any], tally: Tally) -> dict[str, Any] | None:
    """A copy of ``obj`` without the properties whose type is not STIX's (each counted), or
    None when it has a type or an id that is not text."""
    if not isinstance(obj.get("type", ""), str) or not isinstance(obj.get("id", ""), str):
        tally.drop("malformed-object")
        return None
    clean = dict(obj)
    for key, value in obj.items():
        if value is None:  # null is absent, as STIX reads it
            del clean[key]
        elif key in _TEXTS:
            if not isinstance(value, str):
                _wrong(clean, key, tally)
        elif key in _TEXT_LISTS:
            if isinstance(value, str):  # one label or alias, not a list of characters
                clean[key] = [value]
                tally.change(f"text-as-list:{key}")
            elif not isinstance(value, list):
                _wrong(clean, key, tally)
            elif not all(isinstance(item, str) for item in value):
                clean[key] = [item for item in value if isinstance(item, str)]
                tally.drop(f"{PROPERTY_TYPE}{key}-item", len(value) - len(clean[key]))
        elif key in _MAPPING_LISTS:
            if not isinstance(value, list):
                _wrong(clean, key, tally)
            else:
                clean[key] = _mappings(key, value, tally)
        elif key == "hashes" and not _texts_by_text(value):
            _wrong(clean, key, tally)
    return clean


def _wrong(clean: dict[str, Any], key: str, tally: Tally) -> None:
    del clean[key]
    tally.drop(f"{PROPERTY_TYPE}{key}")


def _mappings(key: str, items: list[Any], tally: Tally) -> list[dict[str, Any]]:
    """The mappings whose textual members are text."""
    texts = _MAPPING_LISTS[key]
    kept = [
        item
        for item in items
        if isinstance(item, dict)
        and all(isinstance(item[k], str) for k in texts if item.get(k) is not None)
    ]
    if len(kept) < len(items):
        tally.drop(f"{PROPERTY_TYPE}{key}-item", len(items) - len(kept))
    return kept


def _texts_by_text(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )
