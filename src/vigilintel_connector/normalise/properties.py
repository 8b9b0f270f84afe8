"""Properties every emitted object shares: author, markings, timestamps, scores, labels, references.

Upstream spells scores under several names and types, leaves empty lists and labels of its own
pipeline, and writes source names where URLs belong; each is tidied here, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from vigilintel_connector.normalise import ids
from vigilintel_connector.normalise.allowed import SCORE_RENAMES, allowed
from vigilintel_connector.normalise.context import DayContext
from vigilintel_connector.normalise.result import PROPERTY
from vigilintel_connector.normalise.text import timestamp
from vigilintel_connector.terms import CVE, is_empty, without_empty

_PIPELINE_LABELS = frozenset(
    {"viglintel", "vigilintel", "daily-report", "note-link", "observable", "threat", "ioc"}
)
_SEVERITIES = frozenset({"CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE"})
_URL_SEPARATORS = re.compile(r"[\s,;|]+(?=https?://)")
_TIMESTAMPS = ("first_seen", "last_seen", "valid_from", "start_time", "stop_time")
_REF_FIELDS = ("url", "external_id", "description")  # STIX needs one of them
_HTTP_URL = re.compile(r"https?://[^\s/]+")


def common(obj: dict[str, Any], ctx: DayContext, *, sdo: bool) -> dict[str, Any]:
    """A tidy copy of an upstream object with the day's author, markings and timestamps; only
    the properties its type allows are copied (``normalise.allowed``), the others counted."""
    keep = allowed(obj["type"])
    clean = {"type": obj["type"], "spec_version": "2.1"}
    for key, value in obj.items():
        if key in keep:
            if key != "spec_version":
                clean[key] = value
        else:
            ctx.tally.drop(f"{PROPERTY}{str(key)[:64]}")
    for old, new in SCORE_RENAMES.items():
        if old in clean:
            value = clean.pop(old)
            clean.setdefault(new, value)
            ctx.changed("score-property")
    _coerce_scores(clean)
    if sdo:
        created = timestamp(obj.get("created"), ctx.fallback)
        modified = timestamp(obj.get("modified"), ctx.fallback)
        clean["created"], clean["modified"] = created, max(created, modified)
        clean.update(created_by_ref=ids.AUTHOR_ID)
        clean["confidence"] = ctx.confidence
        for key in _TIMESTAMPS:
            if key in clean:
                clean[key] = timestamp(clean[key], ctx.fallback)
    clean["object_marking_refs"] = list(ids.MARKING_IDS)
    if "labels" in clean:
        clean["labels"] = _clean_labels(clean["labels"], obj["type"], ctx)
    if "external_references" in clean:
        clean["external_references"] = clean_refs(clean["external_references"], ctx)
    return without_empty(clean)


def _coerce_scores(obj: dict[str, Any]) -> None:
    """Scores as OpenCTI stores them: floats, EPSS as a fraction, severity in its vocabulary."""
    for key in ("x_opencti_cvss_base_score", "x_opencti_epss_score", "x_opencti_epss_percentile"):
        if key in obj:
            try:
                obj[key] = float(str(obj[key]).strip().rstrip("%"))
            except (TypeError, ValueError):
                del obj[key]
                continue
            if key != "x_opencti_cvss_base_score" and 1 < obj[key] <= 100:
                obj[key] = round(obj[key] / 100, 6)  # given in percent
            limit = 10 if key == "x_opencti_cvss_base_score" else 1
            if not 0 <= obj[key] <= limit:
                del obj[key]
    severity = obj.get("x_opencti_cvss_base_severity")
    if severity is not None:
        folded = str(severity).strip().upper()
        if folded in _SEVERITIES:
            obj["x_opencti_cvss_base_severity"] = folded
        else:
            del obj["x_opencti_cvss_base_severity"]
    if "x_opencti_cisa_kev" in obj:
        value = obj["x_opencti_cisa_kev"]
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            obj["x_opencti_cisa_kev"] = value.strip().lower() == "true"
        elif not isinstance(value, bool):
            del obj["x_opencti_cisa_kev"]


def _clean_labels(labels: object, kind: str, ctx: DayContext) -> list[str]:
    if isinstance(labels, str):  # one label, not a list of characters
        labels = [labels]
    if not isinstance(labels, list):
        return []
    kept: dict[str, str] = {}
    if labels and all(isinstance(x, str) and len(x) <= 1 for x in labels):
        labels = ["".join(labels)]  # a string upstream split into letters: one text again
    for label in (part for x in labels if isinstance(x, str) for part in x.split(",")):
        if len(label.strip()) < 2:
            continue
        folded = label.strip().lower()
        if folded in _PIPELINE_LABELS or folded == kind:
            ctx.changed("pipeline-label")
            continue
        kept.setdefault(folded, label.strip())
    return list(kept.values())


_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_DOUBLED_SCHEME = re.compile(r"https?://(?=https?://)", re.IGNORECASE)
_GLUED_URL = re.compile(r"[@,;|]+https?://", re.IGNORECASE)  # "…/a@https://b…"


def repair_url(url: str) -> str:
    """A reference URL as its author meant it: upstream wraps long URLs ("…-e\nvolves-…",
    "for- stealthy"), doubles a scheme ("https://https://…") or glues a second URL on ("…@https://
    …"). The platform takes the field as one URL; these would be stored broken."""
    pieces = url.split()
    pieces = pieces[: next((i for i, p in enumerate(pieces) if i and _SCHEME.match(p)), None)]
    url = "".join(pieces)  # wrapped lines joined; a second URL after a space left out
    while doubled := _DOUBLED_SCHEME.match(url):
        url = url[doubled.end() :]
    glued = _GLUED_URL.search(url)
    url = (url[: glued.start()] if glued else url).replace("&amp;", "&")  # "…-&amp;-more"
    # A comma or semicolon inside a path reads as a list of URLs: the same address, escaped.
    return url.replace(",", "%2C").replace(";", "%3B")


def clean_refs(refs: object, ctx: DayContext) -> list[dict[str, Any]]:
    """External references STIX accepts: a source name and a URL, an external id or a text."""
    if not isinstance(refs, list):
        return []
    cleaned = []
    for ref in _one_url_each(refs, ctx):
        if (
            not isinstance(ref, dict)
            or not isinstance(ref.get("source_name"), str)
            or not ref["source_name"]
        ):
            ctx.changed("invalid-external-reference")
            continue
        ref = without_empty(ref)
        if isinstance(ref.get("url"), str) and (repaired := repair_url(ref["url"])) != ref["url"]:
            ref["url"] = repaired
            ctx.changed("repaired-reference-url")
        url = ref.get("url")
        if url is not None and not (isinstance(url, str) and _HTTP_URL.match(url)):
            del ref["url"]
            if isinstance(url, str) and url.strip() and url.strip() != ref["source_name"]:
                ref.setdefault("description", url.strip())
            ctx.changed("non-url-reference")
        cve_id = ref.get("external_id") if ref["source_name"].lower() == "cve" else None
        if cve_id is not None and not CVE.fullmatch(str(cve_id)):
            del ref["external_id"]
            ctx.changed("non-cve-external-id")
        present = ref.get("url") or ref.get("external_id") or ref.get("description")
        if not present and all(is_empty(ref.get(k)) for k in _REF_FIELDS):
            ctx.changed("empty-external-reference")  # STIX needs one of the three
            continue
        cleaned.append(ref)
    return unique_refs(cleaned)


def _one_url_each(refs: list[Any], ctx: DayContext) -> list[Any]:
    """``"url": "https://a, https://b"`` → two references, one URL each."""
    split = []
    for ref in refs:
        url = ref.get("url") if isinstance(ref, dict) else None
        urls = _URL_SEPARATORS.split(url.strip()) if isinstance(url, str) else []
        if len(urls) > 1:
            ctx.changed("joined-urls-split")
            split.extend({**ref, "url": u.rstrip(",;")} for u in urls)
        else:
            split.append(ref)
    return split


def unique_refs(refs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple, dict[str, Any]] = {}
    for ref in refs:
        key = (ref.get("source_name"), ref.get("url"), ref.get("external_id"))
        seen.setdefault(key, ref)
    return list(seen.values())
