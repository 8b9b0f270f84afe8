"""Upstream STIX bundle(s) of one day → one clean bundle OpenCTI can ingest as is.

Works on plain dicts (``stix2.parse`` rejects most upstream files). Every upstream object meets
exactly one fate: emitted (possibly rewritten), merged into another, or removed for a counted
reason; rewrites are counted under ``changed:<reason>``. The day gets exactly one report, built from
the file's date, that references everything else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from stix2patterns.validator import run_validator

from vigilintel_connector.normalise import ids
from vigilintel_connector.normalise.observables import (
    canonical_value,
    check_value,
    normalise_hashes,
    refang,
)
from vigilintel_connector.normalise.result import DayBundle
from vigilintel_connector.normalise.text import (
    join_languages,
    keep_languages,
    midnight,
    timestamp,
)
from vigilintel_connector.vocabulary import is_placeholder_name, is_upstream_author

OBSERVABLE_TYPES = frozenset(
    {
        "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "software",
        "mac-addr", "autonomous-system", "directory", "mutex", "windows-registry-key",
        "user-account", "x509-certificate",
    }
)  # fmt: skip
_VALUE_OBSERVABLES = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"})
NAMED_TYPES = frozenset(
    {
        "identity", "threat-actor", "intrusion-set", "vulnerability", "attack-pattern", "tool",
        "malware", "campaign", "infrastructure", "incident", "course-of-action", "location",
    }
)  # fmt: skip
_PIPELINE_LABELS = frozenset(
    {"viglintel", "vigilintel", "daily-report", "note-link", "observable", "threat", "ioc"}
)
_TECHNIQUE = re.compile(r"\b(T\d{4}(?:\.\d{3})?)\b")
_TACTIC = re.compile(r"\bTA\d{4}\b")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_CPE23 = re.compile(r"cpe:2\.3:[aho*\-](?::(?:[^:\s\\]|\\.)+){10}")
_SIMPLE_PATTERN = re.compile(r"^\[\s*([a-z0-9-]+):value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]$")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_DAILY_REPORT_NAME = re.compile(r"^(CTI Report|VigilIntel Report)\b", re.IGNORECASE)
_GENERIC_DESCRIPTION = re.compile(r"^Generated STIX", re.IGNORECASE)
_TRANSLATED_FIELDS = ("description", "content", "abstract")
_SCORE_RENAMES = {
    "x_cvss_base_score": "x_opencti_cvss_base_score",
    "x_opencti_base_score": "x_opencti_cvss_base_score",
    "x_opencti_base_severity": "x_opencti_cvss_base_severity",
    "x_cvss_base_severity": "x_opencti_cvss_base_severity",
    "x_epss_score": "x_opencti_epss_score",
    "x_epss": "x_opencti_epss_score",
    "x_cisa_kev": "x_opencti_cisa_kev",
}
_DROPPED_PROPERTIES = ("x_cvss_version", "spec_version")

REPORT_NAME = "VigilIntel Report {day}"


class _Day:
    """What one normalisation needs to know, and what it has decided so far."""

    def __init__(self, day: dt.date, languages: tuple[str, ...], excluded: frozenset[str]) -> None:
        self.day = day
        self.languages = languages
        self.excluded = excluded
        self.fallback = midnight(day)
        self.counts: Counter[str] = Counter()
        self.new_ids: dict[str, str | None] = {}  # upstream id → emitted id (None: removed)
        self.source_urls: frozenset[str] = frozenset()

    def remove(self, obj: dict[str, Any], reason: str) -> None:
        self.counts[reason] += 1
        self.new_ids[obj.get("id", "")] = None

    def changed(self, reason: str, n: int = 1) -> None:
        if n:
            self.counts[f"changed:{reason}"] += n


def normalise_day(
    bundles: list[dict[str, Any]],
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
) -> DayBundle:
    """One day's upstream bundles (one per language in era A) → one clean bundle."""
    ctx = _Day(day, languages, excluded_hosts)
    objects = _merge_translations(bundles, languages, ctx)
    ctx.source_urls = frozenset(_source_urls(objects))
    # The sites the day's articles were read on are references, not indicators.
    ctx.excluded = ctx.excluded | _hosts(ctx.source_urls)
    daily = _find_daily_report(objects)
    emitted: dict[str, dict[str, Any]] = {}
    deferred: list[dict[str, Any]] = []
    for obj in objects:
        kind = obj.get("type")
        if kind in ("relationship", "note") or (kind == "report" and obj is not daily):
            deferred.append(obj)
            continue
        clean = _clean_object(obj, daily, ctx)
        if clean is not None:
            _emit(emitted, obj, clean, ctx)
    report_id = ids.sdo_id(_report_shell(day))
    # Relationships first: topic reports and notes may reference them.
    deferred.sort(key=lambda o: o.get("type") != "relationship")
    for obj in deferred:
        clean = _clean_deferred(obj, report_id, ctx)
        if clean is not None:
            _emit(emitted, obj, clean, ctx)
    report = _daily_report(day, daily, emitted, ctx)
    content = [ids.author(), ids.TLP_CLEAR, ids.PAP_CLEAR, *emitted.values(), report]
    bundle = {"type": "bundle", "id": ids.bundle_id(day.isoformat(), content), "objects": content}
    return DayBundle(bundle, ctx.counts)


# --- languages ---------------------------------------------------------------------------------


def _merge_translations(
    bundles: list[dict[str, Any]], languages: tuple[str, ...], ctx: _Day
) -> list[dict[str, Any]]:
    """Era A ships one file per language with the same objects in the same order: pair them
    by position and keep both texts in one object, so ``fr,en`` never makes two reports."""
    # Shallow copies suffice: only top-level text fields are replaced here, and every later
    # step builds new dicts and lists instead of changing upstream's.
    primary = [dict(o) for o in bundles[0].get("objects", []) if isinstance(o, dict)]
    for other in bundles[1:]:
        others = [o for o in other.get("objects", []) if isinstance(o, dict)]
        if [o.get("type") for o in others] != [o.get("type") for o in primary]:
            ctx.counts["translation-unpaired"] += len(others)
            continue
        for mine, theirs in zip(primary, others, strict=True):
            translated = _TRANSLATED_FIELDS + (("name",) if mine.get("type") == "report" else ())
            for field in translated:
                texts = {languages[0]: mine.get(field), languages[-1]: theirs.get(field)}
                if all(isinstance(t, str) for t in texts.values()) and len(set(texts.values())) > 1:
                    mine[field] = join_languages(texts)
        ctx.counts["merged-translation"] += len(others)
    return primary


# --- objects -----------------------------------------------------------------------------------


def _emit(
    emitted: dict[str, dict[str, Any]], upstream: dict[str, Any], clean: dict[str, Any], ctx: _Day
) -> None:
    ctx.new_ids[upstream.get("id", "")] = clean["id"]
    existing = emitted.get(clean["id"])
    if existing is None:
        emitted[clean["id"]] = clean
        return
    ctx.counts["merged-duplicate"] += 1
    _merge_into(existing, clean)


def _merge_into(target: dict[str, Any], other: dict[str, Any]) -> None:
    """Two upstream objects are one entity: keep the union of what they say."""
    for key in ("labels", "x_opencti_labels", "object_refs", "aliases"):
        if key in other:
            merged = list(dict.fromkeys([*target.get(key, []), *other[key]]))
            target[key] = merged
    if "external_references" in other:
        target["external_references"] = _unique_refs(
            [*target.get("external_references", []), *other["external_references"]]
        )
    for key in ("description", "content"):
        if len(other.get(key) or "") > len(target.get(key) or ""):
            target[key] = other[key]
    if "created" in other and "created" in target:
        target["created"] = min(target["created"], other["created"])
        target["modified"] = max(target["modified"], other["modified"])


def _clean_object(obj: dict[str, Any], daily: dict[str, Any] | None, ctx: _Day) -> dict | None:
    kind = obj.get("type")
    if kind == "marking-definition":
        ctx.remove(obj, "replaced-marking")
        _map_marking(obj, ctx)
        return None
    if kind == "extension-definition":
        ctx.remove(obj, "extension-definition")
        return None
    if kind == "report":  # the daily report: rebuilt from the file's date at the end
        ctx.remove(obj, "replaced-daily-report")
        return None
    if kind == "identity" and is_upstream_author(obj.get("name")):
        ctx.counts["replaced-author"] += 1
        ctx.new_ids[obj["id"]] = ids.AUTHOR_ID
        return None
    if kind in OBSERVABLE_TYPES:
        return _clean_observable(obj, ctx)
    if kind == "indicator":
        return _clean_indicator(obj, ctx)
    if kind in NAMED_TYPES:
        return _clean_named(obj, ctx)
    ctx.remove(obj, "unsupported-type")
    return None


def _map_marking(obj: dict[str, Any], ctx: _Day) -> None:
    text = str(obj.get("name", "")) + str(obj.get("definition", "")) + str(obj.get("extensions"))
    if "pap" in text.lower():
        ctx.new_ids[obj["id"]] = ids.PAP_CLEAR["id"]
    elif "tlp" in text.lower() or obj.get("definition_type") == "tlp":
        ctx.new_ids[obj["id"]] = ids.TLP_CLEAR["id"]


def _common(obj: dict[str, Any], ctx: _Day, *, sdo: bool) -> dict[str, Any]:
    """Properties every emitted object shares: author, markings, timestamps, tidy lists."""
    clean = {k: v for k, v in obj.items() if k not in _DROPPED_PROPERTIES}
    clean = {"type": obj["type"], "spec_version": "2.1", **clean}
    for old, new in _SCORE_RENAMES.items():
        if old in clean:
            value = clean.pop(old)
            clean.setdefault(new, value)
            ctx.changed("score-property")
    _coerce_scores(clean)
    if sdo:
        created = timestamp(obj.get("created"), ctx.fallback)
        modified = timestamp(obj.get("modified"), ctx.fallback)
        clean["created"], clean["modified"] = created, max(created, modified)
        clean["created_by_ref"] = ids.AUTHOR_ID
        for key in ("first_seen", "last_seen", "valid_from", "start_time", "stop_time"):
            if key in clean:
                clean[key] = timestamp(clean[key], ctx.fallback)
    clean["object_marking_refs"] = list(ids.MARKING_IDS)
    if "labels" in clean:
        clean["labels"] = _clean_labels(clean["labels"], obj["type"], ctx)
    if "external_references" in clean:
        clean["external_references"] = _clean_refs(clean["external_references"], ctx)
    return {k: v for k, v in clean.items() if v not in ([], "", None, {})}


def _coerce_scores(obj: dict[str, Any]) -> None:
    for key in ("x_opencti_cvss_base_score", "x_opencti_epss_score", "x_opencti_epss_percentile"):
        if key in obj:
            try:
                obj[key] = float(obj[key])
            except (TypeError, ValueError):
                del obj[key]
    if "x_opencti_cisa_kev" in obj:
        value = obj["x_opencti_cisa_kev"]
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            obj["x_opencti_cisa_kev"] = value.strip().lower() == "true"
        elif not isinstance(value, bool):
            del obj["x_opencti_cisa_kev"]


def _clean_labels(labels: object, kind: str, ctx: _Day) -> list[str]:
    if not isinstance(labels, list):
        return []
    kept: dict[str, str] = {}
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            continue
        folded = label.strip().lower()
        if folded in _PIPELINE_LABELS or folded == kind:
            ctx.changed("pipeline-label")
            continue
        kept.setdefault(folded, label.strip())
    return list(kept.values())


def _clean_refs(refs: object, ctx: _Day) -> list[dict[str, Any]]:
    if not isinstance(refs, list):
        return []
    cleaned = []
    for ref in refs:
        if not isinstance(ref, dict) or not isinstance(ref.get("source_name"), str):
            ctx.changed("invalid-external-reference")
            continue
        ref = {k: v for k, v in ref.items() if v not in ("", None, [], {})}
        url = ref.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"https?://[^\s/]+", url)):
            del ref["url"]
            if isinstance(url, str) and url.strip() and url.strip() != ref["source_name"]:
                ref.setdefault("description", url.strip())
            ctx.changed("non-url-reference")
        cve_id = ref.get("external_id") if ref["source_name"].lower() == "cve" else None
        if cve_id is not None and not _CVE.fullmatch(str(cve_id)):
            del ref["external_id"]
            ctx.changed("non-cve-external-id")
        if not any(k in ref for k in ("url", "external_id", "description")):
            ctx.changed("empty-external-reference")  # STIX needs one of the three
            continue
        cleaned.append(ref)
    return _unique_refs(cleaned)


def _unique_refs(refs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple, dict[str, Any]] = {}
    for ref in refs:
        key = (ref.get("source_name"), ref.get("url"), ref.get("external_id"))
        seen.setdefault(key, ref)
    return list(seen.values())


def _clean_named(obj: dict[str, Any], ctx: _Day) -> dict[str, Any] | None:
    name = obj.get("name")
    if is_placeholder_name(name):
        ctx.remove(obj, "placeholder-name")
        return None
    clean = _common(obj, ctx, sdo=True)
    clean["name"] = re.sub(r"\s+", " ", name).strip()
    kind = obj["type"]
    if kind == "attack-pattern" and not _technique(clean, ctx):
        ctx.remove(obj, "attack-pattern-tactic")
        return None
    if kind == "vulnerability":
        if _CVE.fullmatch(clean["name"]):
            clean["name"] = clean["name"].upper()
        elif re.match(r"CVE-", clean["name"], re.IGNORECASE):
            ctx.remove(obj, "malformed-cve")
            return None
    if kind == "identity":
        clean.setdefault("identity_class", "organization")
    return _identified(clean, ids.sdo_id(clean), obj, ctx)


def _technique(clean: dict[str, Any], ctx: _Day) -> bool:
    """ATT&CK techniques keyed by their T-id; False for tactics (TA####), which are not."""
    texts = [clean["name"]] + [
        str(r.get("external_id", "")) for r in clean.get("external_references", [])
    ]
    technique = next((m.group(1) for t in texts if (m := _TECHNIQUE.search(t))), None)
    if technique is None:
        return not any(_TACTIC.search(t) for t in texts)
    descriptive = re.sub(r"^(?:ATT&CK\s+)?T\d{4}(?:\.\d{3})?\s*[-:\u2013]?\s*", "", clean["name"])
    descriptive = descriptive.strip(" ()-")
    if descriptive.isupper():
        descriptive = descriptive.title()
    if (descriptive or technique) != clean["name"]:
        ctx.changed("attack-pattern-name")
    clean["name"] = descriptive or technique
    clean["x_mitre_id"] = technique
    others = [r for r in clean.get("external_references", []) if r["source_name"] != "mitre-attack"]
    url = f"https://attack.mitre.org/techniques/{technique.replace('.', '/')}/"
    mitre = {"source_name": "mitre-attack", "external_id": technique, "url": url}
    clean["external_references"] = [mitre, *others]
    return True


def _clean_observable(obj: dict[str, Any], ctx: _Day) -> dict[str, Any] | None:
    kind = obj["type"]
    clean = _common(obj, ctx, sdo=False)
    for key in ("created", "modified", "created_by_ref", "labels", "external_references"):
        value = clean.pop(key, None)
        if key == "labels" and value:
            clean["x_opencti_labels"] = value
    clean["x_opencti_created_by_ref"] = ids.AUTHOR_ID
    if kind in _VALUE_OBSERVABLES:
        raw = obj.get("value")
        if not isinstance(raw, str):
            ctx.remove(obj, "invalid-value")
            return None
        value = canonical_value(kind, raw)
        if value != raw.strip():
            ctx.changed("refanged" if refang(raw) != raw else "canonical-value")
        reason = check_value(kind, value, ctx.excluded, ctx.source_urls)
        if reason:
            ctx.remove(obj, reason)
            return None
        clean["value"] = value
    elif kind == "file":
        hashes, refused = normalise_hashes(obj.get("hashes", {}))
        ctx.changed("invalid-hash", refused)
        if hashes:
            clean["hashes"] = hashes
        else:
            clean.pop("hashes", None)
        if not hashes and not clean.get("name"):
            ctx.remove(obj, "invalid-hash")
            return None
    elif kind == "software":
        if is_placeholder_name(obj.get("name")):
            ctx.remove(obj, "placeholder-name")
            return None
        cpe = clean.get("cpe")
        if cpe is not None and not (isinstance(cpe, str) and _CPE23.fullmatch(cpe)):
            del clean["cpe"]
            ctx.changed("invalid-cpe")
    return _identified(clean, ids.observable_id(clean), obj, ctx)


def _identified(
    clean: dict[str, Any], new_id: str | None, upstream: dict[str, Any], ctx: _Day
) -> dict[str, Any] | None:
    """The object under its deterministic id; removed when its type has no id scheme."""
    if new_id is None:
        ctx.remove(upstream, "unsupported-type")
        return None
    clean["id"] = new_id
    return clean


def _clean_indicator(obj: dict[str, Any], ctx: _Day) -> dict[str, Any] | None:
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        ctx.remove(obj, "invalid-pattern")
        return None
    refanged = _QUOTED.sub(lambda m: "'" + refang(m.group(1)) + "'", pattern)
    if refanged != pattern:
        ctx.changed("refanged")
    simple = _SIMPLE_PATTERN.match(refanged)
    if simple and simple.group(1) in _VALUE_OBSERVABLES:
        kind, value = simple.group(1), canonical_value(simple.group(1), simple.group(2))
        reason = check_value(kind, value, ctx.excluded, ctx.source_urls)
        if reason:
            ctx.remove(obj, reason)
            return None
        refanged = f"[{kind}:value = '{value}']"
    if run_validator(refanged, stix_version="2.1"):
        ctx.remove(obj, "invalid-pattern")
        return None
    clean = _common(obj, ctx, sdo=True)
    clean["pattern"] = refanged
    clean.setdefault("pattern_type", "stix")
    clean["valid_from"] = timestamp(obj.get("valid_from"), ctx.fallback)
    for field in ("name", "description"):
        if isinstance(clean.get(field), str):
            clean[field] = refang(clean[field])
    clean["id"] = ids.sdo_id(clean)
    return clean


# --- notes, relationships, reports -------------------------------------------------------------


def _clean_deferred(obj: dict[str, Any], report_id: str, ctx: _Day) -> dict[str, Any] | None:
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
    note: dict[str, Any], upstream: dict[str, Any], report_id: str, ctx: _Day
) -> dict[str, Any] | None:
    content = note.get("content")
    if not isinstance(content, str) or not content.strip():
        ctx.remove(upstream, "empty-note")
        return None
    clean = _common(note, ctx, sdo=True)
    clean["content"] = keep_languages(content, ctx.languages)
    if isinstance(clean.get("abstract"), str):
        clean["abstract"] = keep_languages(clean["abstract"], ctx.languages)
    refs = [ctx.new_ids.get(r) for r in note.get("object_refs", [])]
    about = (r for r in refs if r and r != ids.AUTHOR_ID)
    clean["object_refs"] = list(dict.fromkeys([report_id, *about]))
    clean["id"] = ids.sdo_id(clean)
    return clean


def _clean_relationship(obj: dict[str, Any], ctx: _Day) -> dict[str, Any] | None:
    source, target = obj.get("source_ref", ""), obj.get("target_ref", "")
    if source.startswith("report--") or target.startswith("report--"):
        ctx.remove(obj, "report-relationship")
        return None
    if source.startswith("note--") or target.startswith("note--"):
        ctx.remove(obj, "note-relationship")  # notes already list what they are about
        return None
    new_source, new_target = ctx.new_ids.get(source), ctx.new_ids.get(target)
    if not new_source or not new_target:
        ctx.remove(obj, "relationship-to-removed")
        return None
    if new_source == new_target or ids.AUTHOR_ID in (new_source, new_target):
        ctx.remove(obj, "self-or-author-relationship")
        return None
    clean = _common(obj, ctx, sdo=True)
    clean["source_ref"], clean["target_ref"] = new_source, new_target
    clean["relationship_type"] = str(obj.get("relationship_type", "related-to")).lower()
    clean["id"] = ids.relationship_id(clean)
    return clean


def _find_daily_report(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    reports = [o for o in objects if o.get("type") == "report"]
    if len(reports) <= 1:
        return reports[0] if reports else None
    report_ids = {r.get("id") for r in reports}
    for report in reports:
        if report_ids & set(report.get("object_refs", [])) or _DAILY_REPORT_NAME.match(
            str(report.get("name", ""))
        ):
            return report
    return max(reports, key=lambda r: len(r.get("object_refs", [])))


def _report_shell(day: dt.date) -> dict[str, Any]:
    return {
        "type": "report",
        "name": REPORT_NAME.format(day=day.isoformat()),
        "published": timestamp(None, midnight(day)),
    }


def _source_urls(objects: list[dict[str, Any]]) -> Iterable[str]:
    for obj in objects:
        for ref in obj.get("external_references") or []:
            if isinstance(ref, dict) and isinstance(ref.get("url"), str):
                yield ref["url"].rstrip("/")


def _hosts(urls: Iterable[str]) -> frozenset[str]:
    hosts = set()
    for url in urls:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            continue
        if host:
            hosts.add(host.removeprefix("www."))
    return frozenset(hosts)


def _daily_report(
    day: dt.date, upstream: dict[str, Any] | None, emitted: dict[str, dict[str, Any]], ctx: _Day
) -> dict[str, Any]:
    """The one report of the day; its identity depends on the file's date only."""
    report = _report_shell(day)
    stamp = report["published"]
    description = (upstream or {}).get("description")
    if not isinstance(description, str) or _GENERIC_DESCRIPTION.match(description):
        description = f"VigilIntel daily threat-intelligence report of {day.isoformat()}."
    refs = _clean_refs((upstream or {}).get("external_references", []), ctx)
    report.update(
        {
            "spec_version": "2.1",
            "id": ids.sdo_id(report),
            "created": stamp,
            "modified": stamp,
            "created_by_ref": ids.AUTHOR_ID,
            "description": keep_languages(description, ctx.languages),
            "report_types": ["threat-report"],
            "object_refs": [ids.AUTHOR_ID, *emitted],
            "object_marking_refs": list(ids.MARKING_IDS),
            "labels": ["vigilintel"],
        }
    )
    if refs:
        report["external_references"] = refs
    return {"type": "report", **{k: v for k, v in report.items() if k != "type"}}
