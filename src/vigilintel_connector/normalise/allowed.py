"""The properties an upstream object may bring with it, per STIX type: an allow-list.

Upstream writes STIX, and OpenCTI acts on far more than STIX's own properties: ``x_opencti_files``
uploads files, ``x_opencti_score`` overrides the score policy, ``x_opencti_stix_ids`` makes an
entity another one's alias, granted refs, workflow and assignee ids reach into the platform's
administration, ``revoked``, granular markings and extensions change how an object is read. None
of that is upstream's to decide. Only the properties below, STIX 2.1's own for each type plus
the few OpenCTI properties this connector means to pass on (scores of a vulnerability, a
location's type), are copied from upstream; every other one is dropped and counted. What the
connector itself sets (author, markings, confidence, the report's content and attachment, an
indicator's score) it adds after this filter.
"""

from __future__ import annotations

# Kept on every object; author and markings are then replaced by the connector's (and so is
# the confidence, which upstream does not get to set).
_COMMON = frozenset(
    {
        "type",
        "id",
        "spec_version",
        "created",
        "modified",
        "created_by_ref",
        "labels",
        "lang",
        "external_references",
        "object_marking_refs",
    }
)
_NAMED = frozenset({"name", "description"})
_SEEN = frozenset({"first_seen", "last_seen"})
# Upstream's names for the vulnerability scores, renamed to OpenCTI's in ``properties``.
SCORE_RENAMES = {
    "x_cvss_base_score": "x_opencti_cvss_base_score",
    "x_opencti_base_score": "x_opencti_cvss_base_score",
    "x_opencti_base_severity": "x_opencti_cvss_base_severity",
    "x_cvss_base_severity": "x_opencti_cvss_base_severity",
    "x_epss_score": "x_opencti_epss_score",
    "x_epss": "x_opencti_epss_score",
    "x_cisa_kev": "x_opencti_cisa_kev",
}
_VULNERABILITY_SCORES = frozenset(
    {
        "x_opencti_cvss_base_score",
        "x_opencti_cvss_base_severity",
        "x_opencti_epss_score",
        "x_opencti_epss_percentile",
        "x_opencti_cisa_kev",
        *SCORE_RENAMES,
    }
)
_MOTIVES = frozenset({"goals", "resource_level", "primary_motivation", "secondary_motivations"})

_BY_TYPE: dict[str, frozenset[str]] = {
    "attack-pattern": _NAMED | {"aliases", "kill_chain_phases", "x_mitre_id"},
    "campaign": _NAMED | _SEEN | {"aliases", "objective"},
    "course-of-action": _NAMED,
    "identity": _NAMED | {"roles", "identity_class", "sectors", "contact_information"},
    "incident": _NAMED | _SEEN | {"incident_type"},
    "indicator": _NAMED
    | {
        "indicator_types",
        "pattern",
        "pattern_type",
        "pattern_version",
        "valid_from",
        "valid_until",
        "kill_chain_phases",
    },
    "infrastructure": _NAMED | _SEEN | {"infrastructure_types", "aliases", "kill_chain_phases"},
    "intrusion-set": _NAMED | _SEEN | _MOTIVES | {"aliases"},
    "location": _NAMED
    | {
        "latitude",
        "longitude",
        "precision",
        "region",
        "country",
        "administrative_area",
        "city",
        "street_address",
        "postal_code",
        "x_opencti_location_type",
        "x_opencti_aliases",
    },
    "malware": _NAMED
    | _SEEN
    | {
        "malware_types",
        "is_family",
        "aliases",
        "kill_chain_phases",
        "architecture_execution_envs",
        "implementation_languages",
        "capabilities",
    },
    "note": frozenset({"abstract", "content", "authors", "object_refs"}),
    "relationship": frozenset(
        {"relationship_type", "description", "source_ref", "target_ref", "start_time", "stop_time"}
    ),
    "report": _NAMED | {"report_types", "published", "object_refs"},
    "threat-actor": _NAMED
    | _SEEN
    | _MOTIVES
    | {
        "threat_actor_types",
        "aliases",
        "roles",
        "sophistication",
        "personal_motivations",
        "resource_level",
    },
    "tool": _NAMED | {"tool_types", "aliases", "kill_chain_phases", "tool_version"},
    "vulnerability": _NAMED | _VULNERABILITY_SCORES,
    # Observables: their identifying value and a few descriptive properties.
    "ipv4-addr": frozenset({"value"}),
    "ipv6-addr": frozenset({"value"}),
    "domain-name": frozenset({"value"}),
    "url": frozenset({"value"}),
    "mac-addr": frozenset({"value"}),
    "email-addr": frozenset({"value", "display_name"}),
    "autonomous-system": frozenset({"number", "name", "rir"}),
    "file": frozenset({"hashes", "name", "size", "mime_type"}),
    "software": frozenset({"name", "cpe", "vendor", "version", "languages", "swid"}),
}


def allowed(kind: str) -> frozenset[str]:
    """The properties an upstream object of type ``kind`` may keep (its type's and the common)."""
    return _COMMON | _BY_TYPE.get(kind, frozenset())
