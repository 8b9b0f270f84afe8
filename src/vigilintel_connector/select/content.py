"""Does a STIX bundle carry intelligence? Decided by what it contains, never by its size.

Upstream's "no articles" stubs hold an author, markings, a note saying nothing was provided and,
some days, placeholder entities (a ``CVE-UNKNOWN`` vulnerability). A bundle is real content when it
names at least one entity that is not a placeholder.
"""

from __future__ import annotations

from typing import Any

from vigilintel_connector.vocabulary import is_placeholder_name, is_upstream_author

# Containers, metadata and links: present in stubs too, so they prove nothing.
_NOT_INTELLIGENCE = frozenset(
    {
        "bundle",
        "marking-definition",
        "extension-definition",
        "language-content",
        "report",
        "note",
        "opinion",
        "grouping",
        "relationship",
        "sighting",
    }
)
_OBSERVABLE_VALUE_KEYS = ("value", "name", "hashes", "path")


def _entity_label(obj: dict[str, Any]) -> object:
    if "name" in obj:
        return obj["name"]
    for key in _OBSERVABLE_VALUE_KEYS:
        value = obj.get(key)
        if isinstance(value, dict):
            return next(iter(value.values()), None)
        if value is not None:
            return value
    return None


def is_bundle(document: object) -> bool:
    return (
        isinstance(document, dict)
        and document.get("type") == "bundle"
        and isinstance(document.get("objects"), list)
    )


def intelligence_objects(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Entities and observables with a real name or value (the author does not count)."""
    found = []
    for obj in bundle.get("objects", []):
        if not isinstance(obj, dict) or obj.get("type") in _NOT_INTELLIGENCE:
            continue
        label = _entity_label(obj)
        if obj.get("type") == "identity" and is_upstream_author(label):
            continue
        if not is_placeholder_name(label if isinstance(label, str) else str(label or "")):
            found.append(obj)
    return found


def carries_intelligence(bundle: dict[str, Any]) -> bool:
    return bool(intelligence_objects(bundle))
